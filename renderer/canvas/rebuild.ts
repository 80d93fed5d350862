/**
 * Rebuilding React Flow's nodes without losing what it measured.
 *
 * The canvas derives its nodes from the graph, the selection and the deploy state, so a new array
 * of new objects arrives on every such change. React Flow treats a node without `measured` as new:
 * it hides it (visibility: hidden) until a ResizeObserver has measured it again. So every rebuild
 * made every node blink, and when two rebuilds fell within one measuring round (a busy machine, a
 * deploy streaming states) a node could stay hidden for good — React Flow only re-observes a node
 * when it goes from measured to unmeasured, not while it stays unmeasured.
 *
 * The DOM element of a kept node is the same one React Flow already observes, so a later change of
 * its size (a badge added) still reaches React Flow through that observer.
 */
import type { Node } from '@xyflow/react';

export function keepMeasured<N extends Node>(previous: readonly N[], built: readonly N[]): N[] {
  const before = new Map<string, N>();
  for (const n of previous) if (n.measured?.width && n.measured?.height) before.set(n.id, n);
  return built.map((n) => {
    const p = before.get(n.id);
    // a node whose type changed renders another component: let React Flow measure that one afresh
    return p && p.type === n.type && !n.measured ? { ...n, measured: p.measured } : n;
  });
}
