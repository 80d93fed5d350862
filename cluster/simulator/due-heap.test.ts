/** DueHeap (due-heap.ts): after any sequence of puts, moves and deletes, its top is the item due first. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DueHeap } from './due-heap';

describe('DueHeap', () => {
  it('random puts, moves (earlier and later) and deletes: the top is always an item with the least due, and size counts what is in', () => {
    const op = fc.record({ item: fc.nat({ max: 19 }), del: fc.boolean(), due: fc.oneof(fc.double({ min: 0, max: 100, noNaN: true }), fc.constantFrom(0, 1, 1, 2)) });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const items = Array.from({ length: 20 }, () => ({ due: Infinity, qi: -1 }));
        const heap = new DueHeap<(typeof items)[number]>();
        const inside = new Set<number>();
        for (const o of ops) {
          const x = items[o.item];
          if (o.del) {
            heap.delete(x);
            inside.delete(o.item);
          } else {
            heap.set(x, o.due);
            inside.add(o.item);
          }
          expect(heap.size).toBe(inside.size);
          const least = Math.min(...[...inside].map((i) => items[i].due));
          if (inside.size) expect(heap.top()!.due).toBe(least);
          else expect(heap.top()).toBeUndefined();
          for (const [i, it] of items.entries()) expect(it.qi >= 0).toBe(inside.has(i));
        }
      }),
      { seed: 15, numRuns: 300 },
    );
  });
});
