/**
 * Loading a CommonJS file through V8's code cache (cluster/code-cache.ts): a first load writes the
 * cache, the next one uses it; a corrupt cache is refused and replaced; a cache is never written for
 * a file that changed after it was loaded; import() goes through the wrapper's DYNAMIC_IMPORT, on
 * the cached path too.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DYNAMIC_IMPORT, requireWithCodeCache } from './code-cache';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'code-cache-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

// big enough that V8 keeps a cache for it; `loads` counts evaluations (each load runs the file again)
const SOURCE = `globalThis.__codeCacheLoads = (globalThis.__codeCacheLoads ?? 0) + 1;
${Array.from({ length: 40 }, (_, i) => `function f${i}(x) { return x * ${i} + ${i}; }`).join('\n')}
exports.sum = (n) => { let s = 0; for (let i = 0; i < n; i++) s += f7(i) + f39(i); return s; };
exports.dirname = __dirname;
exports.viaImport = (s) => ${DYNAMIC_IMPORT}(s);
`;

function file(name = 'mod.cjs', source = SOURCE): { file: string; cache: string } {
  const f = join(dir, name);
  writeFileSync(f, source, 'latin1');
  return { file: f, cache: `${f}.v8cache` };
}

type Mod = { sum(n: number): number; dirname: string; viaImport(s: string): Promise<unknown> };

describe('requireWithCodeCache', () => {
  it('writes a cache after a first load without one, and the next load uses it', async () => {
    const { file: f, cache } = file();
    const first = requireWithCodeCache<Mod>(f, cache, { writeAfterMs: 0 });
    expect(first.cache).toBe('none');
    expect(first.exports.sum(10)).toBe(2530);
    expect(first.exports.dirname).toBe(dir);
    expect(await first.written).toBe(true);
    expect(existsSync(cache)).toBe(true);
    const second = requireWithCodeCache<Mod>(f, cache, { writeAfterMs: 0 });
    expect(second.cache).toBe('used');
    expect(second.written).toBeUndefined();
    expect(second.exports.sum(10)).toBe(2530);
  });

  it('refuses a corrupt cache, still loads the file, and replaces the cache with a good one', async () => {
    const { file: f, cache } = file();
    writeFileSync(cache, Buffer.alloc(4096, 7));
    const load = requireWithCodeCache<Mod>(f, cache, { writeAfterMs: 0 });
    expect(load.cache).toBe('rejected');
    expect(load.exports.sum(3)).toBe(requireWithCodeCache<Mod>(f, `${cache}.other`, { writeAfterMs: 0 }).exports.sum(3));
    expect(await load.written).toBe(true);
    expect(requireWithCodeCache<Mod>(f, cache).cache).toBe('used');
  });

  it('does not write a cache for a file that changed after it was loaded', async () => {
    const { file: f, cache } = file();
    const load = requireWithCodeCache<Mod>(f, cache, { writeAfterMs: 50 });
    writeFileSync(f, SOURCE.replace('x * 7', 'x * 8'), 'latin1');
    utimesSync(f, new Date(), new Date(Date.now() + 5000));
    expect(await load.written).toBe(false);
    expect(existsSync(cache)).toBe(false);
    // and the new file loads as itself, not as the old one
    expect(requireWithCodeCache<Mod>(f, cache, { writeAfterMs: 0 }).exports.sum(10)).toBe(2575);
  });

  it("routes the file's DYNAMIC_IMPORT calls to opts.dynamicImport, also when compiled from the cache", async () => {
    const { file: f, cache } = file();
    const target = join(dir, 'target.mjs');
    writeFileSync(target, 'export const answer = 42;\n');
    const dynamicImport = (s: string): Promise<unknown> => import(s);
    const first = requireWithCodeCache<Mod>(f, cache, { writeAfterMs: 0, dynamicImport });
    await first.written;
    expect(await first.exports.viaImport(target)).toMatchObject({ answer: 42 });
    const cached = requireWithCodeCache<Mod>(f, cache, { dynamicImport });
    expect(cached.cache).toBe('used');
    expect(await cached.exports.viaImport(target)).toMatchObject({ answer: 42 });
    // without one it fails saying which file and what it wanted
    const bare = requireWithCodeCache<Mod>(f, cache);
    await expect(bare.exports.viaImport(target)).rejects.toThrow(`${f} cannot import ${target}: it was loaded without a dynamicImport`);
  });

  it("resolves the file's require()s from resolveFrom", () => {
    const lib = join(dir, 'elsewhere', 'node_modules', 'tiny-lib');
    mkdirSync(lib, { recursive: true });
    writeFileSync(join(lib, 'index.js'), 'module.exports = "tiny";\n');
    const { file: f, cache } = file('req.cjs', 'exports.lib = require("tiny-lib");\n');
    expect(() => requireWithCodeCache(f, cache)).toThrow(/tiny-lib/);
    const load = requireWithCodeCache<{ lib: string }>(f, cache, { resolveFrom: join(dir, 'elsewhere', 'x.js') });
    expect(load.exports.lib).toBe('tiny');
  });

  it('throws what the file throws, and leaves no cache behind for it', () => {
    const { file: f, cache } = file('bad.cjs', 'throw new Error("boom in module");\n');
    expect(() => requireWithCodeCache(f, cache, { writeAfterMs: 0 })).toThrow('boom in module');
    expect(existsSync(cache)).toBe(false);
    expect(readFileSync(f, 'latin1')).toContain('boom');
  });
});
