import { describe, expect, it } from 'vitest';
import type { GraphDto } from '../../cluster/api/contract';
import { autoLayout, fitScale } from './layout';
import { nodeSize } from './nodes';

/** A chain of n functions: one layer each, far wider than tall when laid out left to right. */
function chain(n: number): GraphDto {
  const nodes = Array.from({ length: n }, (_, i) => ({ id: `fn:f${i}`, kind: 'function' as const, label: `f${i}`, detail: {} }));
  const edges = nodes.slice(1).map((t, i) => ({ id: `${nodes[i].id}->${t.id}#0`, source: nodes[i].id, target: t.id, kind: 'consumes' as const, input: 0 }));
  return { nodes, edges, warnings: [] };
}

function extent(graph: GraphDto, at: Record<string, { x: number; y: number }>) {
  const boxes = graph.nodes.map((n) => ({ ...at[n.id], ...nodeSize(n) }));
  return { width: Math.max(...boxes.map((b) => b.x + b.width)) - Math.min(...boxes.map((b) => b.x)), height: Math.max(...boxes.map((b) => b.y + b.height)) - Math.min(...boxes.map((b) => b.y)) };
}

describe('autoLayout for the canvas shape', () => {
  it('without an aspect: one row, left to right', async () => {
    const g = chain(10);
    const at = await autoLayout(g);
    const xs = g.nodes.map((n) => at[n.id].x);
    expect([...xs].sort((a, b) => a - b)).toEqual(xs);
    expect(new Set(g.nodes.map((n) => at[n.id].y)).size).toBe(1);
  });

  it('a long chain in a 2:1 canvas wraps into rows and shows larger than one row would', async () => {
    const g = chain(10);
    const flat = extent(g, await autoLayout(g));
    const wrapped = extent(g, await autoLayout(g, 2));
    expect(wrapped.height).toBeGreaterThan(flat.height);
    expect(fitScale(wrapped, 2)).toBeGreaterThan(fitScale(flat, 2) * 1.5);
  });

  it('a graph that already suits the canvas is laid out as without an aspect', async () => {
    // one function feeding four: two layers, four high (about 570 × 340)
    const c = chain(5);
    const g = { ...c, edges: c.nodes.slice(1).map((t) => ({ id: `fn:f0->${t.id}#0`, source: 'fn:f0', target: t.id, kind: 'consumes' as const, input: 0 })) };
    expect(await autoLayout(g, 2)).toEqual(await autoLayout(g));
  });
});
