/**
 * The `edgeai` CLI, bundled once (at `npm install`, and by `npm run build:cli`) into
 * dist/cli/edgeai.mjs for a plain `node`: transpiling the TypeScript sources through tsx on every
 * command cost 1.5–9 s; the bundle starts like any node program, loads each command's code only
 * when it runs, and TypeScript's parser (for inspect, schedule, simulate, deploy) through a
 * minified copy and V8's code cache (cluster/bundling.ts). bin/edgeai.mjs runs the bundle when
 * it is at least as new as every source under cluster/, else the sources through tsx.
 */
import { mkdtempSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { externalPackages, minifyTypeScript, newestMtime, ROOT, typescriptByRequire } from '../bundling';

export const CLI_BUNDLE = join(ROOT, 'dist', 'cli', 'edgeai.mjs');

/** True when dist/cli/edgeai.mjs is missing or older than a source under cluster/. */
export function cliBundleStale(out = CLI_BUNDLE): boolean {
  if (!existsSync(out)) return true;
  return newestMtime(join(ROOT, 'cluster')) > statSync(out).mtimeMs;
}

export async function bundleCli(out = CLI_BUNDLE): Promise<void> {
  const esbuild = await import('esbuild');
  rmSync(dirname(out), { recursive: true, force: true });
  await esbuild.build({
    entryPoints: { edgeai: join(ROOT, 'cluster', 'cli', 'entry.ts') },
    outdir: dirname(out),
    entryNames: '[name]',
    chunkNames: 'chunk-[hash]',
    outExtension: { '.js': '.mjs' },
    // chunks: `edgeai --help` loads the command table, each command its own code
    splitting: true,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: externalPackages([]),
    logLevel: 'warning',
    plugins: [typescriptByRequire],
  });
  await minifyTypeScript(dirname(out));
}

const isEntry = process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'));
if (isEntry) {
  const t0 = Date.now();
  try {
    await bundleCli();
    console.log(`edge-ai-studio: built the edgeai CLI into ${dirname(CLI_BUNDLE)} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  } catch (e) {
    console.warn(`edge-ai-studio: warning: could not bundle the edgeai CLI (${(e as Error).message}); edgeai runs from its sources through tsx (slower to start)`);
  }
}

/** The CLI bundle's folder to put in an image: dist/cli when current, else a fresh bundle in a temporary folder (removed by `done`). */
export async function currentCliBundle(): Promise<{ dir: string; done: () => void }> {
  if (!cliBundleStale()) return { dir: dirname(CLI_BUNDLE), done: () => undefined };
  const tmp = mkdtempSync(join(tmpdir(), 'edgeai-controller-cli-'));
  await bundleCli(join(tmp, 'cli', 'edgeai.mjs'));
  return { dir: join(tmp, 'cli'), done: () => rmSync(tmp, { recursive: true, force: true }) };
}
