/** Recently opened projects, newest first, kept in the window's localStorage (a path per entry). */
import { readStored, writeStored, type Store } from './stored';

export const RECENT_KEY = 'edgeai.recentProjects';
export const RECENT_MAX = 8;

export function readRecent(store: Store | undefined = globalThis.localStorage): string[] {
  // unreadable: start afresh rather than fail the menu
  const v = readStored(RECENT_KEY, store);
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x.length > 0).slice(0, RECENT_MAX) : [];
}

/** Puts `dir` first (once) and returns the new list. */
export function rememberRecent(dir: string, store: Store | undefined = globalThis.localStorage): string[] {
  const next = [dir, ...readRecent(store).filter((d) => d !== dir)].slice(0, RECENT_MAX);
  writeStored(RECENT_KEY, next, store);
  return next;
}
