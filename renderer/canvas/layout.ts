/**
 * Auto-layout with elkjs (layered, left to right: data flows from sources to models to
 * serving). elkjs is large, so it loads on first use; `preloadLayout()` starts that early,
 * in parallel with opening the project.
 */
import type { ELK as ElkApi } from 'elkjs/lib/elk-api';
import type { GraphDto } from '../../cluster/api/contract';
import { nodeSize } from './nodes';

let elk: Promise<ElkApi> | undefined;

export function preloadLayout(): Promise<ElkApi> {
  elk ??= import('elkjs/lib/elk.bundled.js').then((m) => new m.default());
  return elk;
}

/** Positions for every node; `aspect` is the canvas' width / height. */
export async function autoLayout(graph: GraphDto, _aspect?: number): Promise<Record<string, { x: number; y: number }>> {
  const engine = await preloadLayout();
  const res = await engine.layout({
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'RIGHT',
      'elk.layered.spacing.nodeNodeBetweenLayers': '70',
      'elk.spacing.nodeNode': '28',
      'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
      'elk.layered.crossingMinimization.strategy': 'LAYER_SWEEP',
    },
    children: graph.nodes.map((n) => ({ id: n.id, ...nodeSize(n) })),
    edges: graph.edges.map((e) => ({ id: e.id, sources: [e.source], targets: [e.target] })),
  });
  const out: Record<string, { x: number; y: number }> = {};
  for (const c of res.children ?? []) out[c.id] = { x: Math.round(c.x ?? 0), y: Math.round(c.y ?? 0) };
  return out;
}
