/**
 * The reference max-min filling for the flow model's tests (network.test.ts,
 * network-classes.test.ts): progressive filling over every given flow at once, link by link — the
 * textbook rule, with maxmin.ts's tolerance (links within 1e-12 · s of the step's share bind) —
 * written over maps and without any of FlowNetwork's bookkeeping, so that it can be trusted by
 * reading it.
 */

/** What the reference reads of a flow. */
export interface ReferenceFlow {
  /** resource ids the flow crosses (a link crossed twice counts twice) */
  readonly links: readonly number[];
  /** its own rate limit, bytes/s (Infinity = none) */
  readonly capBps: number;
}

/** Each flow's max-min fair share, bytes/s, in the order of `flows`. */
export function referenceMaxMin(flows: readonly ReferenceFlow[], capacity: (l: number) => number): number[] {
  const rem = new Map<number, number>();
  const cnt = new Map<number, number>();
  const rate = new Map<ReferenceFlow, number>();
  for (const f of flows) {
    for (const l of f.links) {
      if (!rem.has(l)) rem.set(l, capacity(l));
      cnt.set(l, (cnt.get(l) ?? 0) + 1);
    }
  }
  let unfrozen = flows.slice();
  while (unfrozen.length) {
    let s = Infinity;
    for (const [l, c] of cnt) if (c > 0) s = Math.min(s, rem.get(l)! / c);
    for (const f of unfrozen) s = Math.min(s, f.capBps);
    const tol = s * 1e-12;
    const binding = new Set<number>();
    for (const [l, c] of cnt) if (c > 0 && rem.get(l)! / c <= s + tol) binding.add(l);
    const next: ReferenceFlow[] = [];
    for (const f of unfrozen) {
      if (f.capBps <= s + tol || f.links.some((l) => binding.has(l))) {
        rate.set(f, s);
        for (const l of f.links) {
          rem.set(l, Math.max(0, rem.get(l)! - s));
          cnt.set(l, cnt.get(l)! - 1);
        }
      } else next.push(f);
    }
    if (next.length === unfrozen.length) break;
    unfrozen = next;
  }
  return flows.map((f) => rate.get(f)!);
}
