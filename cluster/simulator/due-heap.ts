/**
 * A min-heap of items on their `due` time that knows each item's place (`qi`), so an item's due
 * can move either way, or the item leave, in O(log n): FlowNetwork's classes, keyed by when their
 * first member finishes (network.ts), whose top is the network's next completion.
 */
export interface Due {
  /** when it is due (absolute simulated time) */
  due: number;
  /** its index in the heap, -1 when it is not in it (kept by DueHeap) */
  qi: number;
}

export class DueHeap<T extends Due> {
  private readonly h: T[] = [];

  get size(): number {
    return this.h.length;
  }

  /** the item due first (undefined when empty) */
  top(): T | undefined {
    return this.h[0];
  }

  /** Puts x in with its due `due`, or moves it there if it is in already. */
  set(x: T, due: number): void {
    const old = x.due;
    x.due = due;
    if (x.qi < 0) {
      x.qi = this.h.length;
      this.h.push(x);
      this.up(x.qi);
    } else if (due < old) this.up(x.qi);
    else this.down(x.qi);
  }

  /** Takes x out (nothing if it is not in). */
  delete(x: T): void {
    const i = x.qi;
    if (i < 0) return;
    const h = this.h;
    const last = h.pop()!;
    x.qi = -1;
    if (last === x) return;
    h[i] = last;
    last.qi = i;
    this.up(i);
    this.down(last.qi);
  }

  private up(i: number): void {
    const h = this.h;
    const x = h[i];
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!(x.due < h[p].due)) break;
      h[i] = h[p];
      h[i].qi = i;
      i = p;
    }
    h[i] = x;
    x.qi = i;
  }

  private down(i: number): void {
    const h = this.h;
    const x = h[i];
    const n = h.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const k = r < n && h[r].due < h[l].due ? r : l;
      if (!(h[k].due < x.due)) break;
      h[i] = h[k];
      h[i].qi = i;
      i = k;
    }
    h[i] = x;
    x.qi = i;
  }
}
