/**
 * The decorators record at run time exactly what the preprocessor reads statically, for every
 * sample function: each sample is bundled as it ships to a node, imported, and compared.
 */
import { describe, expect, it } from 'vitest';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundleFunction } from './bundle';
import { functionsOfModule } from './index';
import { preprocessSource } from '../preprocessor/preprocess';

const root = fileURLToPath(new URL('../../', import.meta.url));
const samplesRoot = join(root, 'samples');
const cacheDir = join(root, 'node_modules', '.cache', 'edge-ai-studio', 'sdk-test');

const sampleFiles = readdirSync(samplesRoot).flatMap((project) => {
  const dir = join(samplesRoot, project, 'functions');
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.ts'))
      .map((f) => join(dir, f));
  } catch {
    return [];
  }
});

describe('SDK decorators agree with the preprocessor', () => {
  it('finds sample functions', () => expect(sampleFiles.length).toBeGreaterThanOrEqual(4));

  it.each(sampleFiles.map((f) => [f.slice(root.length), f]))('%s', async (_rel, file) => {
    const bundle = await bundleFunction(file);
    mkdirSync(cacheDir, { recursive: true });
    const out = join(cacheDir, `${bundle.sha256}.mjs`);
    writeFileSync(out, bundle.code);
    const mod = (await import(pathToFileURL(out).href)) as Record<string, unknown>;
    const runtime = functionsOfModule(mod);
    const pre = preprocessSource(file, readFileSync(file, 'utf8'));
    expect(pre.diagnostics).toEqual([]);
    expect(runtime.map((r) => r.id)).toEqual(pre.functions.map((f) => f.id));
    for (const r of runtime) {
      const s = pre.functions.find((f) => f.id === r.id)!;
      expect(r.issues).toEqual([]);
      expect(r.className).toBe(s.className);
      expect(r.contract).toEqual({ consumes: s.consumes, produces: s.produces, policies: s.policies, gates: s.gates });
    }
  });
});

describe('decorators at run time', () => {
  it('record uses in the order they are written, and report bad arguments as issues instead of throwing', async () => {
    const bundle = await bundleFunction(join(root, 'cluster/sdk/fixtures/decorated.ts'));
    mkdirSync(cacheDir, { recursive: true });
    const out = join(cacheDir, `${bundle.sha256}.mjs`);
    writeFileSync(out, bundle.code);
    const mod = (await import(pathToFileURL(out).href)) as { order: string[]; result: number; issues: string[] };
    expect(mod.order).toEqual(['consumes.data', 'policy.deadline', 'policy.fn']);
    expect(mod.result).toBe(1);
    expect(mod.issues).toEqual(['unknown-node-type']);
  });

  it("ship without the platform's schemas unless the function uses them (a sample is ~10 KB, not 1.4 MB of spec and zod)", async () => {
    for (const file of sampleFiles) {
      const b = await bundleFunction(file);
      // the face sample carries a JPEG decoder (jpeg-js's, ~45 KB with its source map)
      expect(b.bytes, file).toBeLessThan((/face-assist/.test(file) ? 128 : 64) * 1024);
      expect(b.code, file).not.toMatch(/ZodObject|\$ZodType/);
    }
    // a function that validates with functionsOfModule keeps what it needs (the test above runs it)
    expect((await bundleFunction(join(root, 'cluster/sdk/fixtures/decorated.ts'))).bytes).toBeGreaterThan(64 * 1024);
  });
});
