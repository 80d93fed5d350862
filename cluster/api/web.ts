/**
 * `npm run web [-- <project>] [--port N] [--rebuild]`: the studio in browser mode. Builds the
 * renderer when it is missing or older than its sources, starts the StudioApi over a WebSocket
 * on 127.0.0.1 with a per-start token, and prints the URL to open.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StudioService } from './service';
import { startStudioServer, type StudioServer } from './ws-server';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const RENDERER_OUT = join(ROOT, 'dist', 'renderer');

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let m = 0;
  for (const name of readdirSync(path)) {
    if (name === 'node_modules' || name.endsWith('.test.ts') || name.endsWith('.test.tsx')) continue;
    m = Math.max(m, newestMtime(join(path, name)));
  }
  return m;
}

/** True when dist/renderer is missing or older than renderer/ or the contract. */
export function rendererStale(outDir = RENDERER_OUT): boolean {
  const index = join(outDir, 'index.html');
  if (!existsSync(index)) return true;
  const built = statSync(index).mtimeMs;
  return newestMtime(join(ROOT, 'renderer')) > built || statSync(join(ROOT, 'cluster', 'api', 'contract.ts')).mtimeMs > built;
}

/** Builds the renderer with Vite into outDir. */
export async function buildRenderer(outDir = RENDERER_OUT, log: (s: string) => void = () => {}): Promise<void> {
  const { build } = await import('vite');
  const t0 = Date.now();
  log('building the renderer (vite) …');
  await build({ configFile: join(ROOT, 'renderer', 'vite.config.ts'), logLevel: 'error', build: { outDir, emptyOutDir: true } });
  log(`built the renderer in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

export interface WebOptions {
  project?: string;
  port?: number;
  rebuild?: boolean;
  log?: (s: string) => void;
}

export async function startWeb(opts: WebOptions = {}): Promise<StudioServer & { service: StudioService }> {
  const log = opts.log ?? ((s: string) => console.log(s));
  if (opts.rebuild || rendererStale()) await buildRenderer(RENDERER_OUT, log);
  // the platform code (TypeScript's parser, zod schemas) loads while the browser loads the page
  const service = import('./service').then((m) => new m.StudioService({ transport: 'websocket', ...(opts.project ? { initialProject: opts.project } : {}) }));
  const server = await startStudioServer({ service, rendererDir: RENDERER_OUT, ...(opts.port !== undefined ? { port: opts.port } : {}) });
  return { ...server, service: await service };
}

/** Like startWeb, but resolves as soon as the URL can be opened (the service finishes loading behind it). */
async function startWebEarly(opts: WebOptions): Promise<StudioServer> {
  const log = opts.log ?? ((s: string) => console.log(s));
  if (opts.rebuild || rendererStale()) await buildRenderer(RENDERER_OUT, log);
  const service = import('./service').then((m) => new m.StudioService({ transport: 'websocket', ...(opts.project ? { initialProject: opts.project } : {}) }));
  service.catch((e: Error) => {
    console.error(`error: the studio service failed to load: ${e.message}`);
    process.exit(1);
  });
  const server = await startStudioServer({ service, rendererDir: RENDERER_OUT, ...(opts.port !== undefined ? { port: opts.port } : {}) });
  // closing the server also closes the embedded controller (the cluster's nodes keep running)
  return { ...server, close: () => server.close().then(() => service.then((s) => s.close())) };
}

function parseArgs(argv: string[]): WebOptions {
  const out: WebOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--port') {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--port takes a port number (0-65535), got '${argv[i]}'`);
      out.port = n;
    } else if (a === '--rebuild') out.rebuild = true;
    else if (a === '--help' || a === '-h') {
      console.log('usage: npm run web [-- <project-dir>] [--port N] [--rebuild]');
      process.exit(0);
    } else if (a.startsWith('-')) throw new Error(`unknown option ${a}; usage: npm run web [-- <project-dir>] [--port N] [--rebuild]`);
    else out.project = a;
  }
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const opts = parseArgs(process.argv.slice(2));
    const project = opts.project ?? (process.env.INIT_CWD && existsSync(join(process.env.INIT_CWD, 'workflow.json')) ? process.env.INIT_CWD : join(ROOT, 'samples', 'mnist'));
    const server = await startWebEarly({ ...opts, project });
    console.log(`Edge AI Studio (browser mode) — project ${project}`);
    console.log(`open ${server.url}`);
    console.log('the token in the URL changes at every start; only 127.0.0.1 can connect. Ctrl+C stops.');
    const stop = () => void server.close().then(() => process.exit(0));
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EADDRINUSE') console.error(`error: the port is in use; pass another with --port, or --port 0 for a free one`);
    else console.error(`error: ${err.message}`);
    process.exit(1);
  }
}
