// `npm run web [-- <project>] [--port N] [--rebuild]`: the studio in browser mode.
//
// A plain-JS launcher, so the common start costs one plain `node` process: when the server's
// bundle (dist/web/web.mjs, see cluster/server/web.ts) is at least as new as every source under
// cluster/, it is imported here and run in this process — no tsx, no child process. When it is
// missing or stale, `node --import tsx cluster/server/web.ts --bundle` rebuilds it first.
// EDGEAI_WEB_BUNDLE=0 runs the server from its sources through tsx instead (in this process).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLUSTER = join(ROOT, 'cluster');
const BUNDLE = join(ROOT, 'dist', 'web', 'web.mjs');
const WEB_TS = join(CLUSTER, 'server', 'web.ts');
const argv = process.argv.slice(2);

/** The newest mtime under dir, tests left out (as cluster/server/web.ts's webBundleStale). */
function newestMtime(dir) {
  let m = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name.endsWith('.test.ts') || e.name.endsWith('.test.tsx')) continue;
    const p = join(dir, e.name);
    m = Math.max(m, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return m;
}

export function bundleStale() {
  return !existsSync(BUNDLE) || newestMtime(CLUSTER) > statSync(BUNDLE).mtimeMs;
}

if (process.env.EDGEAI_WEB_BUNDLE === '0') {
  const { register } = await import('tsx/esm/api');
  register();
  const web = await import(pathToFileURL(WEB_TS).href);
  await web.main(argv);
} else {
  if (bundleStale()) {
    const b = spawnSync(process.execPath, ['--import', 'tsx', WEB_TS, '--bundle'], { stdio: 'inherit', cwd: ROOT });
    if (b.status !== 0) process.exit(b.status ?? 1);
  }
  const web = await import(pathToFileURL(BUNDLE).href);
  await web.main(argv);
}
