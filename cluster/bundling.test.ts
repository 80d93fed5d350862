/**
 * The bundlers' plugins (cluster/bundling.ts). zodEnglishOnly: a bundle's zod carries English
 * messages only — none of the other ~45 locales' files — and still validates and says what is
 * wrong in English. dynamicImportsThroughWrapper: a code-cached bundle's import()s of external
 * modules go through the wrapper's DYNAMIC_IMPORT, and any other import() fails the build.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { dynamicImportsThroughWrapper, zodEnglishOnly } from './bundling';
import { DYNAMIC_IMPORT, requireWithCodeCache } from './code-cache';

async function bundleZod(plugins: import('esbuild').Plugin[]): Promise<string> {
  const esbuild = await import('esbuild');
  const r = await esbuild.build({
    stdin: { contents: "import { z } from 'zod';\nexport const check = (v) => z.object({ name: z.string() }).safeParse(v);\n", resolveDir: process.cwd(), loader: 'js' },
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    logLevel: 'silent',
    plugins,
  });
  return r.outputFiles[0].text;
}

describe('zodEnglishOnly', () => {
  it("bundles zod without its other locales, and the bundle's errors read in English", async () => {
    const full = await bundleZod([]);
    const english = await bundleZod([zodEnglishOnly]);
    // the plain bundle holds every locale (here: French, Japanese); the plugin's only English
    expect(full).toMatch(/zod\/v4\/locales\/fr\.js/);
    expect(english).not.toMatch(/zod\/v4\/locales\/(fr|ja|de)\.js/);
    expect(english).toMatch(/zod\/v4\/locales\/en\.js/);
    expect(english.length).toBeLessThan(full.length * 0.75);
    const dir = mkdtempSync(join(tmpdir(), 'zod-en-'));
    try {
      const file = join(dir, 'bundle.mjs');
      writeFileSync(file, english);
      const { check } = (await import(pathToFileURL(file).href)) as { check: (v: unknown) => { success: boolean; error?: { issues: Array<{ message: string; path: unknown[] }> } } };
      expect(check({ name: 'ok' }).success).toBe(true);
      const bad = check({ name: 7 });
      expect(bad.success).toBe(false);
      expect(bad.error?.issues[0]).toMatchObject({ path: ['name'], message: 'Invalid input: expected string, received number' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('dynamicImportsThroughWrapper', () => {
  async function build(dir: string, contents: string): Promise<string> {
    const esbuild = await import('esbuild');
    const outfile = join(dir, 'out.cjs');
    await esbuild.build({ stdin: { contents, resolveDir: dir, loader: 'js' }, bundle: true, outfile, format: 'cjs', platform: 'node', logLevel: 'silent', external: ['file:*'], plugins: [dynamicImportsThroughWrapper] });
    return outfile;
  }

  it('rewrites literal imports of external modules, and the code-cached bundle runs them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dyn-import-'));
    try {
      const target = join(dir, 'target.mjs');
      writeFileSync(target, 'export const answer = 42;\n');
      const url = pathToFileURL(target).href;
      const out = await build(dir, `exports.load = () => import(${JSON.stringify(url)});\n`);
      const text = readFileSync(out, 'latin1');
      expect(text).toContain(`${DYNAMIC_IMPORT}(${JSON.stringify(url)})`);
      expect(text).not.toMatch(/(?<![\w$.])import\(/);
      const cache = join(dir, 'out.v8cache');
      const dynamicImport = (s: string): Promise<unknown> => import(s);
      await requireWithCodeCache(out, cache, { writeAfterMs: 0, dynamicImport }).written;
      const cached = requireWithCodeCache<{ load(): Promise<{ answer: number }> }>(out, cache, { dynamicImport });
      expect((await cached.exports.load()).answer).toBe(42);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails the build on an import() it cannot rewrite, naming the line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dyn-import-'));
    try {
      await expect(build(dir, 'const where = process.env.X;\nexports.load = () => import(where);\n')).rejects.toThrow(/cannot run import\(\)[\s\S]*out\.cjs:\d+: .*import\(where\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
