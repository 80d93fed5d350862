/**
 * The bundlers' plugins (cluster/bundling.ts). zodEnglishOnly: a bundle's zod carries English
 * messages only — none of the other ~45 locales' files — and still validates and says what is
 * wrong in English.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { zodEnglishOnly } from './bundling';

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
