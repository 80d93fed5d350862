/**
 * A list reused across calls in a hot loop: `clear()` keeps its backing store. Emptying a plain
 * array with `a.length = 0` makes V8 drop the store, so the pushes that follow allocate it afresh
 * (measured: 40 pushes after each `length = 0` ran 5× slower than writes by index and caused one
 * scavenge per ~2,000 rounds, where writes by index caused none). The simulator's per-event scratch
 * (maxmin.ts, network.ts) refilled that way allocated in proportion to the size of the component
 * of shared links each start or end touched, so the garbage grew with the topology.
 *
 * `items[0 .. n)` are the list; slots past `n` may hold stale entries from an earlier use.
 */
export class ScratchList<T> {
  items: T[] = [];
  n = 0;

  push(x: T): void {
    this.items[this.n++] = x;
  }

  clear(): void {
    this.n = 0;
  }
}
