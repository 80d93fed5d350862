/**
 * A small store: one state object, replaced (never mutated) by setState, with subscribers told
 * after each change. React reads it through useStore (useSyncExternalStore), so a component
 * re-renders only when the slice it selects changes; plain modules (the commands) read
 * getState(), which is always current — no ref mirrors of React state.
 */
import { useSyncExternalStore } from 'react';

export interface Store<T> {
  getState(): T;
  /** merges a partial state (or what a function of the current state returns) */
  setState(patch: Partial<T> | ((s: T) => Partial<T>)): void;
  subscribe(listener: () => void): () => void;
}

export function createStore<T extends object>(initial: T): Store<T> {
  let state = initial;
  const listeners = new Set<() => void>();
  return {
    getState: () => state,
    setState(patch) {
      const p = typeof patch === 'function' ? patch(state) : patch;
      let changed = false;
      for (const k of Object.keys(p) as Array<keyof T>) if (!Object.is(state[k], p[k])) changed = true;
      if (!changed) return;
      state = { ...state, ...p };
      for (const l of [...listeners]) l();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** The selected slice of a store; the selector must return a stored value (not a new object each call). */
export function useStore<T, U>(store: Store<T>, select: (s: T) => U): U {
  return useSyncExternalStore(store.subscribe, () => select(store.getState()));
}
