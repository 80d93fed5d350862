/**
 * The parse cache: a project loaded through it (again, or by the next start from its folder) is
 * the project a fresh parse makes; a changed file, an entry that cannot be read and a folder that
 * cannot be written are misses, never errors; a hit is a copy no caller can change.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { chmodSync, cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProject } from './project';
import { parseCache } from './parse-cache';
import type { ParseCache } from '../preprocessor/preprocess';

const SAMPLE = join(import.meta.dirname, '..', '..', 'samples', 'mnist');
const made: string[] = [];
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});
const tmp = (p: string) => {
  const d = mkdtempSync(join(tmpdir(), p));
  made.push(d);
  return d;
};

/** counts what the loads asked of a cache */
function counted(c: ParseCache) {
  const n = { hits: 0, misses: 0 };
  return {
    n,
    cache: {
      get: (f: string, s: string) => {
        const r = c.get(f, s);
        if (r) n.hits++;
        else n.misses++;
        return r;
      },
      set: c.set.bind(c),
    } satisfies ParseCache,
  };
}

describe('the parse cache', () => {
  it('the next start, from the folder: every file a hit, and the project is the one a fresh parse makes', () => {
    const dir = tmp('pc-proj-');
    cpSync(SAMPLE, dir, { recursive: true });
    const folder = join(tmp('pc-cache-'), 'build');
    const first = counted(parseCache(folder));
    const fresh = loadProject(dir);
    const files = fresh.files.filter((f) => f.path.startsWith('functions/')).length;
    expect(files).toBeGreaterThan(2);
    expect(loadProject(dir, { parseCache: first.cache })).toEqual(fresh);
    expect(first.n).toEqual({ hits: 0, misses: files });
    expect(readdirSync(folder).filter((f) => f.endsWith('.json'))).toHaveLength(files);
    // a new process (a new cache object) reading the same folder
    const next = counted(parseCache(folder));
    expect(loadProject(dir, { parseCache: next.cache })).toEqual(fresh);
    expect(next.n).toEqual({ hits: files, misses: 0 });
  });

  it('a changed file is parsed again; an entry that cannot be read is a miss and is written anew', () => {
    const dir = tmp('pc-proj-');
    cpSync(SAMPLE, dir, { recursive: true });
    const folder = join(tmp('pc-cache-'), 'build');
    loadProject(dir, { parseCache: parseCache(folder) });
    writeFileSync(join(dir, 'functions', 'train.ts'), "export class T {\n  @consumes.data({ selector: { urn: 'mnist:data' } })\n  async other(data: Data) {}\n}\n");
    for (const f of readdirSync(folder)) writeFileSync(join(folder, f), '{"functions": "not a list"');
    const again = counted(parseCache(folder));
    const p = loadProject(dir, { parseCache: again.cache });
    expect(again.n).toEqual({ hits: 0, misses: p.files.filter((f) => f.path.startsWith('functions/')).length });
    expect(p.functions.map((f) => f.id)).toContain('other');
    expect(p).toEqual(loadProject(dir));
    expect(counted(parseCache(folder)).cache.get('functions/inference.ts', p.files.find((f) => f.path === 'functions/inference.ts')!.source)).toBeDefined();
  });

  it('a hit is a copy; a folder that cannot be written leaves the parse as it is', () => {
    const c = parseCache();
    const r = { functions: [], diagnostics: [{ severity: 'error' as const, code: 'x', message: 'm', file: 'a.ts', line: 1, column: 1 }], declared: ['a'] };
    c.set('a.ts', 'src', r);
    c.get('a.ts', 'src')!.declared.push('changed');
    expect(c.get('a.ts', 'src')).toEqual(r);
    expect(c.get('a.ts', 'other src')).toBeUndefined();
    const ro = tmp('pc-ro-');
    chmodSync(ro, 0o500);
    const dir = tmp('pc-proj-');
    cpSync(SAMPLE, dir, { recursive: true });
    try {
      expect(loadProject(dir, { parseCache: parseCache(join(ro, 'build')) })).toEqual(loadProject(dir));
    } finally {
      chmodSync(ro, 0o700);
    }
  });
});
