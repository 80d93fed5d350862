// Where the Electron binary is, and what `npm start` and `npm install` make of it: shared by
// scripts/start.mjs and scripts/postinstall.mjs, tested by scripts/start.test.ts.
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const require = createRequire(import.meta.url);

/**
 * The Electron binary, or a reason why there is none. Found as the electron package finds it
 * (its index.js): the executable named in electron/path.txt under the package's dist/, or under
 * $ELECTRON_OVERRIDE_DIST_PATH when that is set.
 */
export function findElectron({ env = process.env, resolvePathFile = () => require.resolve('electron/path.txt') } = {}) {
  let pathFile;
  try {
    pathFile = resolvePathFile();
  } catch {
    pathFile = undefined;
  }
  const override = env.ELECTRON_OVERRIDE_DIST_PATH;
  if (!pathFile && !override) return { reason: 'the electron package is not installed (it is optional; its download needs the Electron release host)' };
  const exe = pathFile && existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : '';
  const bin = override ? join(override, exe || 'electron') : join(dirname(pathFile), 'dist', exe);
  if (existsSync(bin)) return { binary: bin };
  return { reason: override ? `ELECTRON_OVERRIDE_DIST_PATH names no Electron binary (${bin})` : `the electron package is installed but its binary is missing (${bin})` };
}

/** What `npm start` runs: the desktop studio when there is a binary, else browser mode, with why. */
export function chooseMode(found) {
  return found.binary ? { mode: 'electron', binary: found.binary } : { mode: 'browser', reason: found.reason };
}

/** The project the desktop studio opens: the first argument that is no option, else $EDGEAI_PROJECT, else samples/mnist. */
export function desktopProject(args, env, root) {
  const project = args.find((a) => !a.startsWith('-'));
  if (project) return resolve(project);
  return env.EDGEAI_PROJECT || join(root, 'samples', 'mnist');
}

/** What `npm install` says about Electron: a note when the binary is there, else a warning that the studio runs in browser mode. */
export function installNotice(found) {
  if (found.binary) return { level: 'log', text: `edge-ai-studio: Electron binary found at ${found.binary}; \`npm start\` opens the desktop studio.` };
  return {
    level: 'warn',
    text:
      'edge-ai-studio: warning: the Electron binary is not installed (its download failed or was skipped).\n' +
      '  The studio will run in browser mode: `npm start` serves it on 127.0.0.1 and prints the URL.\n' +
      '  To get the desktop window later, run `npm rebuild electron` on a machine that can reach the Electron download host.',
  };
}
