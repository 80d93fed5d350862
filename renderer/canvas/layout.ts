/**
 * Auto-layout with elkjs (layered, left to right: data flows from sources to models to
 * serving; wrapped into rows when that is far wider than the canvas). elkjs is large, so it loads on first use; `preloadLayout()` starts that early,
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

type Laid = Record<string, { x: number; y: number }>;

async function layered(graph: GraphDto, extra: Record<string, string>): Promise<{ at: Laid; width: number; height: number }> {
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
      ...extra,
    },
    children: graph.nodes.map((n) => ({ id: n.id, ...nodeSize(n) })),
    edges: graph.edges.map((e) => ({ id: e.id, sources: [e.source], targets: [e.target] })),
  });
  const at: Laid = {};
  let width = 0;
  let height = 0;
  for (const c of res.children ?? []) {
    at[c.id] = { x: Math.round(c.x ?? 0), y: Math.round(c.y ?? 0) };
    width = Math.max(width, (c.x ?? 0) + (c.width ?? 0));
    height = Math.max(height, (c.y ?? 0) + (c.height ?? 0));
  }
  return { at, width, height };
}

/** How large a layout shows in a canvas of that aspect (width / height), at the zoom that fits it: larger is more readable. */
export function fitScale(size: { width: number; height: number }, aspect: number): number {
  return Math.min(aspect / Math.max(1, size.width), 1 / Math.max(1, size.height));
}

/**
 * Positions for every node, for a canvas of `aspect` (width / height) when given: a left-to-right
 * layered layout much wider than the canvas is also laid out wrapped into rows (ELK's graph
 * wrapping, aimed at the canvas' aspect), and the one that shows larger in the canvas wins.
 */
export async function autoLayout(graph: GraphDto, aspect?: number): Promise<Laid> {
  const flat = await layered(graph, {});
  if (!aspect || !graph.nodes.length || flat.width / Math.max(1, flat.height) < aspect * 1.5) return flat.at;
  const wrapped = await layered(graph, { 'elk.layered.wrapping.strategy': 'MULTI_EDGE', 'elk.aspectRatio': String(aspect) });
  return fitScale(wrapped, aspect) > fitScale(flat, aspect) ? wrapped.at : flat.at;
}
