#!/usr/bin/env node
// The `edgeai` command. It runs the CLI's bundle (dist/cli/edgeai.mjs, built at `npm install`:
// starts like any node program) when the bundle is at least as new as every source under
// cluster/; otherwise (sources edited since, or no bundle) the TypeScript sources through tsx.
// EDGEAI_CLI_BUNDLE=0 always runs the sources.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BUNDLE = join(ROOT, 'dist', 'cli', 'edgeai.mjs');

/** Newer than the bundle: any source under cluster/ (tests left out), as cluster/bundling.ts's newestMtime. */
function newerThan(dir, t) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name.endsWith('.test.ts')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory() ? newerThan(p, t) : statSync(p).mtimeMs > t) return true;
  }
  return false;
}

const fresh = process.env.EDGEAI_CLI_BUNDLE !== '0' && existsSync(BUNDLE) && !newerThan(join(ROOT, 'cluster'), statSync(BUNDLE).mtimeMs);
if (fresh) {
  await import(pathToFileURL(BUNDLE).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  const { runProcess } = await import(pathToFileURL(join(ROOT, 'cluster', 'cli', 'process.ts')).href);
  await runProcess(process.argv.slice(2));
}
