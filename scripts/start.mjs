// `npm start [-- <project>]`: the desktop studio when the Electron binary is installed, else
// browser mode (`npm run web`), saying so. Bundles electron/main.ts and electron/preload.ts
// with esbuild before launching. Which one, and how the binary is found: electron-binary.mjs
// (ELECTRON_OVERRIDE_DIST_PATH, as the electron package reads it, names another binary).
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { spawn, spawnSync } from 'node:child_process';
import { chooseMode, desktopProject, findElectron } from './electron-binary.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);

function run(cmd, argv) {
  const child = spawn(cmd, argv, { stdio: 'inherit', cwd: ROOT, env: process.env });
  child.on('exit', (code) => process.exit(code ?? 0));
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
}

const electron = chooseMode(findElectron());
if (electron.mode === 'browser') {
  console.log(`Edge AI Studio: no Electron here — ${electron.reason}.`);
  console.log('Starting browser mode instead (the same studio, served on 127.0.0.1); open the URL below.');
  // scripts/web.mjs (what `npm run web` runs) reads the same arguments; it runs in this process
  await import('./web.mjs');
} else {
  if (!existsSync(join(ROOT, 'dist', 'renderer', 'index.html'))) {
    console.log('building the renderer …');
    const b = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', 'renderer/vite.config.ts'], { stdio: 'inherit', cwd: ROOT });
    if (b.status !== 0) process.exit(b.status ?? 1);
  }
  const esbuild = await import('esbuild');
  const out = join(ROOT, 'dist', 'electron');
  // the runtime stays out of the bundle (its agent build reads its own sources): main.ts loads it
  // from cluster/runtime through tsx on first use (see cluster/server/web.ts, which does the same)
  const runtimeDir = join(ROOT, 'cluster', 'runtime');
  const runtimeFromSources = {
    name: 'runtime-from-sources',
    setup(b) {
      b.onResolve({ filter: /\/runtime\// }, (args) => {
        const abs = resolve(args.resolveDir, args.path);
        if (!abs.startsWith(runtimeDir)) return undefined;
        return { path: pathToFileURL(abs.endsWith('.ts') ? abs : `${abs}.ts`).href, external: true };
      });
    },
  };
  await esbuild.build({ entryPoints: [join(ROOT, 'electron', 'main.ts')], outfile: join(out, 'main.mjs'), bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', external: ['electron'], plugins: [runtimeFromSources], logLevel: 'warning' });
  await esbuild.build({ entryPoints: [join(ROOT, 'electron', 'preload.ts')], outfile: join(out, 'preload.cjs'), bundle: true, platform: 'node', format: 'cjs', target: 'node20', external: ['electron'], logLevel: 'warning' });
  process.env.EDGEAI_PROJECT = desktopProject(args, process.env, ROOT);
  console.log(`Edge AI Studio: launching Electron (${electron.binary})`);
  run(electron.binary, [join(out, 'main.mjs')]);
}
