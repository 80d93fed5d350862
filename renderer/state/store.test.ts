import { describe, expect, it } from 'vitest';
import { createStore } from './store';

describe('createStore', () => {
  it('merges patches (objects or functions of the state) and tells subscribers after each change', () => {
    const s = createStore({ a: 1, b: [1] });
    const seen: number[] = [];
    const off = s.subscribe(() => seen.push(s.getState().a));
    s.setState({ a: 2 });
    s.setState((st) => ({ a: st.a + 1 }));
    expect(s.getState()).toEqual({ a: 3, b: [1] });
    expect(seen).toEqual([2, 3]);
    off();
    s.setState({ a: 4 });
    expect(seen).toEqual([2, 3]);
  });

  it('a patch that changes nothing keeps the state object and tells no one (useSyncExternalStore sees no change)', () => {
    const b = [1];
    const s = createStore({ a: 1, b });
    const before = s.getState();
    let told = 0;
    s.subscribe(() => told++);
    s.setState({ a: 1, b });
    s.setState(() => ({}));
    expect(s.getState()).toBe(before);
    expect(told).toBe(0);
  });
});
