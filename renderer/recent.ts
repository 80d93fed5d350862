/** Recently opened projects, newest first, kept in the window's localStorage (a path per entry). */
export const RECENT_KEY = 'edgeai.recentProjects';
export const RECENT_MAX = 8;

type Store = Pick<Storage, 'getItem' | 'setItem'>;

export function readRecent(store: Store | undefined = globalThis.localStorage): string[] {
  try {
    const v: unknown = JSON.parse(store?.getItem(RECENT_KEY) ?? '[]');
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x.length > 0).slice(0, RECENT_MAX) : [];
  } catch {
    return []; // unreadable: start afresh rather than fail the menu
  }
}

/** Puts `dir` first (once) and returns the new list. */
export function rememberRecent(dir: string, store: Store | undefined = globalThis.localStorage): string[] {
  const next = [dir, ...readRecent(store).filter((d) => d !== dir)].slice(0, RECENT_MAX);
  try {
    store?.setItem(RECENT_KEY, JSON.stringify(next));
  } catch {
    // storage full or denied: the list is a convenience
  }
  return next;
}
