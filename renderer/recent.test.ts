import { describe, expect, it } from 'vitest';
import { readRecent, rememberRecent, RECENT_KEY, RECENT_MAX } from './recent';

function memory(initial?: string) {
  const m = new Map<string, string>(initial === undefined ? [] : [[RECENT_KEY, initial]]);
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v) };
}

describe('recent projects', () => {
  it('puts the last opened first, once, and keeps at most RECENT_MAX', () => {
    const s = memory();
    rememberRecent('/a', s);
    rememberRecent('/b', s);
    expect(rememberRecent('/a', s)).toEqual(['/a', '/b']);
    for (let i = 0; i < 20; i++) rememberRecent(`/p${i}`, s);
    expect(readRecent(s)).toHaveLength(RECENT_MAX);
    expect(readRecent(s)[0]).toBe('/p19');
  });
  it('survives garbage in storage', () => {
    expect(readRecent(memory('{not json'))).toEqual([]);
    expect(readRecent(memory('{"a":1}'))).toEqual([]);
    expect(readRecent(memory('["/x", 3, ""]'))).toEqual(['/x']);
    expect(readRecent(undefined)).toEqual([]);
  });
});
