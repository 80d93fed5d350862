/**
 * What the studio remembers in the window's localStorage (recent projects, side panel sizes, the
 * projects whose next-steps guide is hidden): JSON under a key, read forgivingly and written
 * best-effort — each is a convenience, so unreadable or missing is "nothing remembered" and a
 * full or denied storage is no error. Each caller checks the shape of what it reads.
 */
export type Store = Pick<Storage, 'getItem' | 'setItem'>;

/** The value stored under `key`; undefined when there is none, no storage, or it does not parse. */
export function readStored(key: string, store: Store | undefined = globalThis.localStorage): unknown {
  try {
    const text = store?.getItem(key);
    return text == null ? undefined : (JSON.parse(text) as unknown);
  } catch {
    return undefined;
  }
}

/** Stores `value` under `key`; a storage that is full, denied or absent keeps nothing. */
export function writeStored(key: string, value: unknown, store: Store | undefined = globalThis.localStorage): void {
  try {
    store?.setItem(key, JSON.stringify(value));
  } catch {
    // a convenience: nothing to do
  }
}
