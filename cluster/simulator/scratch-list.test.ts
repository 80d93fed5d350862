import { describe, expect, it } from 'vitest';
import { ScratchList } from './scratch-list';

describe('ScratchList', () => {
  it('is emptied by clear and refilled in place, its store kept', () => {
    const l = new ScratchList<number>();
    for (let i = 0; i < 5; i++) l.push(i);
    const store = l.items;
    expect(l.n).toBe(5);
    l.clear();
    expect(l.n).toBe(0);
    l.push(7);
    l.push(8);
    expect(l.n).toBe(2);
    expect(l.items).toBe(store);
    expect(l.items.slice(0, l.n)).toEqual([7, 8]);
  });
});
