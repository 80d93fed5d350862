// Reports whether the Electron binary is present. Electron is an optional dependency:
// when its binary download fails (no network beyond the npm registry) npm keeps going,
// and the studio runs in browser mode (`npm run web`) instead of a desktop window.
import { findElectron, installNotice } from './electron-binary.mjs';

// found as `npm start` finds it (scripts/electron-binary.mjs)
const found = findElectron();
const binary = found.binary ?? null;
const notice = installNotice(found);
console[notice.level](notice.text);
if (binary) {
  // the studio's fuses (electron/fuses.ts): no run-as-node, NODE_OPTIONS or --inspect in the binary
  // that runs it. macOS keeps its signed binary as it is (flipping needs a re-sign: a packager's job).
  if (process.platform !== 'darwin') {
    const { spawnSync } = await import('node:child_process');
    const { fileURLToPath } = await import('node:url');
    const { dirname, join } = await import('node:path');
    const root = join(dirname(fileURLToPath(import.meta.url)), '..');
    const code = `const { flipFuses, STUDIO_FUSES } = await import(${JSON.stringify(join(root, 'electron', 'fuses.ts'))}); const r = await flipFuses(${JSON.stringify(binary)}); console.log('edge-ai-studio: Electron fuses: ' + (r.changed.length ? 'set ' + r.changed.map((n) => n + (STUDIO_FUSES[n] ? ' on' : ' off')).join(', ') : 'already set') + (r.skipped.length ? '; skipped ' + r.skipped.join(', ') : ''));`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) console.warn('edge-ai-studio: warning: the Electron fuses were not set (see above); the desktop studio runs with Electron\'s defaults.');
  }
}

// The TensorFlow Lite runtime (an optional dependency whose N-API addon is built at install):
// without it npm install still succeeds, and TensorFlow Lite models are refused with that reason
// (cluster/registry/tflite.ts says the same when one is loaded).
{
  const { createRequire } = await import('node:module');
  const { existsSync } = await import('node:fs');
  const { dirname, join } = await import('node:path');
  let addon = false;
  try {
    const dir = dirname(createRequire(import.meta.url).resolve('tfjs-tflite-node/package.json'));
    addon = existsSync(join(dir, 'build', 'Release', 'node_tflite_binding.node'));
  } catch {
    addon = false;
  }
  if (!addon) console.warn('edge-ai-studio: warning: the TensorFlow Lite runtime (tfjs-tflite-node) was not built here (it needs a C++ toolchain and Node headers): TensorFlow Lite models will be refused; TensorFlow.js models are not affected.');
}

// The edgeai CLI, bundled once so that each command starts like a plain node program (see
// cluster/cli/bundle.ts); a failure leaves edgeai running from its sources through tsx.
{
  const { spawnSync } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const { dirname, join } = await import('node:path');
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'cluster', 'cli', 'bundle.ts')], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) console.warn('edge-ai-studio: warning: the edgeai CLI was not bundled; it runs from its sources (slower to start). Retry with `npm run build:cli`.');
}

// The studio's renderer and its browser-mode server, built now so that the first `npm start`
// after an install starts as fast as the next ones (cluster/server/web.ts --prebuild).
{
  const { spawnSync } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const { dirname, join } = await import('node:path');
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'cluster', 'server', 'web.ts'), '--prebuild'], { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } });
  if (r.status !== 0) console.warn('edge-ai-studio: warning: the studio was not prebuilt; the first `npm start` builds it.');
}
