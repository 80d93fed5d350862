/**
 * `npm run web [-- <project>] [--port N] [--rebuild]`: the studio in browser mode. Builds the
 * renderer when it is missing or older than its sources, starts the StudioApi over a WebSocket
 * on 127.0.0.1 with a per-start token, and prints the URL to open.
 *
 * Start-up speed: tsx's module hooks make loading the service (TypeScript's parser, zod, the
 * project code) ~1.6× slower, so this server is bundled ahead of time with esbuild
 * (dist/web/web.mjs, rebuilt when a cluster/ source is newer). `npm run web` is scripts/web.mjs,
 * a plain-JS launcher: when the bundle is fresh it imports it and calls `main` in its own process
 * (no tsx, no child); when stale it runs `node --import tsx cluster/server/web.ts --bundle` first.
 * Run directly (`node --import tsx cluster/server/web.ts`), this file bundles and runs the bundle in
 * a plain `node` child. The runtime (controller, node agents) is left out of the
 * bundle: it finds its agent sources on disk, so the child registers tsx when the runtime is
 * first used and loads it from cluster/runtime. EDGEAI_WEB_BUNDLE=0 runs everything in-process.
 */
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { StudioService } from './service';
import type { StudioServer, WsContract } from './ws-server';
import { dynamicImportsThroughWrapper, externalPackages, minifyTypeScript, newestMtime, typescriptByRequire, zodEnglishOnly } from '../bundling';
import { requireWithCodeCache } from '../code-cache';

// cluster/server/web.ts and dist/web/web.mjs both sit two levels below the root
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const RENDERER_OUT = join(ROOT, 'dist', 'renderer');
export const WEB_BUNDLE = join(ROOT, 'dist', 'web', 'web.mjs');
const BUNDLED = import.meta.url.endsWith('.mjs');
const CLUSTER_DIR = join(ROOT, 'cluster');

/**
 * Where the bundled server keeps what function files parsed to, between starts: under the user's
 * cache folder ($XDG_CACHE_HOME, else ~/.cache), one folder per build of the bundle (a rebuilt
 * parser never reads an older one's results; older folders are removed). EDGEAI_PARSE_CACHE=0: none.
 */
export function parseCacheDir(bundle = WEB_BUNDLE): string | undefined {
  if (process.env.EDGEAI_PARSE_CACHE === '0') return undefined;
  try {
    const build = Math.round(statSync(bundle).mtimeMs).toString(36);
    const root = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'edge-ai-studio', 'parse');
    if (existsSync(root)) for (const old of readdirSync(root)) if (old !== build) rmSync(join(root, old), { recursive: true, force: true });
    return join(root, build);
  } catch {
    return undefined;
  }
}

/** The service's bundle beside web.mjs (bundleWebServer), and its V8 code cache (written by the first start). */
export const SERVICE_BUNDLE = 'service.cjs';
export const SERVICE_CODE_CACHE = 'service.v8cache';
/** When a start writes the service's missing code cache: after the page's first calls compiled their functions. */
const SERVICE_CACHE_WRITE_MS = 2000;

type ServiceModule = typeof import('./service-bundle');
let serviceModule: Promise<ServiceModule> | undefined;

/**
 * The service's code (the service, the socket's contract, the parser), loaded once. The bundled
 * server loads dist/web/service.cjs through V8's code cache (code-cache.ts): node compiles the
 * ES module chunks anew at every start (~40 ms quiet, ~100 ms while the browser loads the page on
 * the same two cores). From the sources, with EDGEAI_WEB_CODE_CACHE=0, or when that file is
 * missing or fails to load (said on stderr), the same code comes from ./service-bundle's chunks.
 */
export function loadServiceModule(): Promise<ServiceModule> {
  return (serviceModule ??= (async () => {
    if (BUNDLED && process.env.EDGEAI_WEB_CODE_CACHE !== '0') {
      const here = dirname(fileURLToPath(import.meta.url));
      const file = join(here, SERVICE_BUNDLE);
      if (existsSync(file)) {
        try {
          return requireWithCodeCache<ServiceModule>(file, join(here, SERVICE_CODE_CACHE), {
            writeAfterMs: SERVICE_CACHE_WRITE_MS,
            // the runtime, from its sources through tsx (serviceOptions' beforeRuntime registers it)
            dynamicImport: (specifier) => import(specifier),
          }).exports;
        } catch (e) {
          console.error(`note: ${file} failed to load (${(e as Error)?.message ?? String(e)}); loading the service from its ES module chunks instead. \`npm run web -- --rebuild\` rebuilds both.`);
        }
      }
    }
    return import('./service-bundle');
  })());
}

/** The socket's part of the contract, from the same copy of zod and the schemas as the service. */
const wsContract = (): Promise<WsContract> => loadServiceModule();

/** Service options that differ when running from the bundle. */
function serviceOptions(project: string | undefined) {
  const cacheDir = BUNDLED ? parseCacheDir() : undefined;
  return {
    transport: 'websocket' as const,
    clusterDir: CLUSTER_DIR,
    ...(project ? { initialProject: project } : {}),
    ...(BUNDLED ? { beforeRuntime: async () => void (await import('tsx/esm/api')).register() } : {}),
    ...(cacheDir ? { parseCacheDir: cacheDir } : {}),
  };
}

/** True when dist/web/web.mjs is missing or older than a source under cluster/. */
export function webBundleStale(out = WEB_BUNDLE): boolean {
  if (!existsSync(out)) return true;
  return newestMtime(CLUSTER_DIR) > statSync(out).mtimeMs;
}

/** The runtime stays on disk (its agent build reads its own sources): an absolute import, loaded through tsx. */
const runtimeFromSources: import('esbuild').Plugin = {
  name: 'runtime-from-sources',
  setup(b) {
    const runtimeDir = join(CLUSTER_DIR, 'runtime');
    b.onResolve({ filter: /\/runtime\// }, (args) => {
      const abs = resolve(args.resolveDir, args.path);
      if (!abs.startsWith(runtimeDir)) return undefined;
      return { path: pathToFileURL(abs.endsWith('.ts') ? abs : `${abs}.ts`).href, external: true };
    });
  },
};

/** Bundles this server (and the service, without the runtime) into one ES module for plain node. */
export async function bundleWebServer(out = WEB_BUNDLE): Promise<void> {
  const esbuild = await import('esbuild');
  rmSync(dirname(out), { recursive: true, force: true });
  // both builds: plain node 20, every package external but zod (see 'zod-inside'), the runtime from its sources
  const shared = { bundle: true, platform: 'node', target: 'node20', external: externalPackages(['zod']), logLevel: 'warning' } as const;
  await esbuild.build({
    ...shared,
    entryPoints: [join(CLUSTER_DIR, 'server', 'web.ts')],
    // chunks: the server listens (and prints its URL) before the service's chunk loads TypeScript and zod
    outdir: dirname(out),
    entryNames: '[name]',
    chunkNames: 'chunk-[hash]',
    outExtension: { '.js': '.mjs' },
    splitting: true,
    format: 'esm',
    plugins: [typescriptByRequire, zodEnglishOnly, runtimeFromSources],
  });
  // the service on its own, as CommonJS, for loadServiceModule (a vm.Script can use a code cache,
  // an ES module cannot); import.meta.url becomes this file's URL (the same folder as the chunks)
  await esbuild.build({
    ...shared,
    entryPoints: [join(CLUSTER_DIR, 'server', 'service-bundle.ts')],
    outfile: join(dirname(out), SERVICE_BUNDLE),
    format: 'cjs',
    // requireWithCodeCache reads it as latin1
    charset: 'ascii',
    define: { 'import.meta.url': '__edgeaiModuleUrl' },
    banner: { js: 'var __edgeaiModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
    plugins: [typescriptByRequire, zodEnglishOnly, runtimeFromSources, dynamicImportsThroughWrapper],
  });
  // its code cache, from evaluating it here: the first start already compiles less (and every
  // start, the tests' too, runs the code-cached path)
  requireWithCodeCache(join(dirname(out), SERVICE_BUNDLE), join(dirname(out), SERVICE_CODE_CACHE), { writeAfterMs: 0, dynamicImport: (specifier) => import(specifier) });
  await minifyTypeScript(dirname(out));
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
  // always React's production build: Vite follows an inherited NODE_ENV (vitest sets 'test'),
  // and a renderer built under the tests would otherwise be React's development build, 2-3x slower
  const env = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({ configFile: join(ROOT, 'renderer', 'vite.config.ts'), mode: 'production', logLevel: 'error', define: { 'process.env.NODE_ENV': JSON.stringify('production') }, build: { outDir, emptyOutDir: true } });
  } finally {
    if (env === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = env;
  }
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
  const service = loadServiceModule().then((m) => new m.StudioService(serviceOptions(opts.project)));
  const { startStudioServer } = await import('./ws-server');
  const server = await startStudioServer({ service, contract: wsContract, rendererDir: RENDERER_OUT, ...(opts.port !== undefined ? { port: opts.port } : {}) });
  return { ...server, service: await service };
}

/**
 * The browser-mode port when none is given. One port start after start keeps the page's origin:
 * the browser keeps what the studio remembers per origin (recent projects, panel sizes, hidden
 * guides in localStorage) and its cache of the renderer's assets (their names carry their hash),
 * which a free port picked anew at each start would lose.
 */
export const DEFAULT_WEB_PORT = 4870;

/**
 * Listens on the port asked for; with none, on DEFAULT_WEB_PORT, or a free one when that is taken
 * (another studio, another program), saying so. A port asked for that is taken is an error.
 */
export async function listenOn<T>(asked: number | undefined, start: (port: number) => Promise<T>, log: (s: string) => void): Promise<T> {
  if (asked !== undefined) return start(asked);
  try {
    return await start(DEFAULT_WEB_PORT);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    log(`port ${DEFAULT_WEB_PORT} is in use: using a free one instead (what the page remembers, such as recent projects and panel sizes, is kept per port)`);
    return start(0);
  }
}

/** How long after the URL is printed the service loads when no page has asked for anything yet. */
const SERVICE_IDLE_LOAD_MS = 250;

/** How long after the start TypeScript is loaded when nothing needed it yet (the page is drawn by then). */
const TYPESCRIPT_WARM_UP_MS = 3000;

/** Like startWeb, but resolves as soon as the URL can be opened (the service finishes loading behind it). */
async function startWebEarly(opts: WebOptions): Promise<StudioServer> {
  const log = opts.log ?? ((s: string) => console.log(s));
  if (opts.rebuild || rendererStale()) await buildRenderer(RENDERER_OUT, log);
  let service: Promise<StudioService> | undefined;
  const load = () => {
    service ??= loadServiceModule().then((m) => new m.StudioService(serviceOptions(opts.project)));
    service.catch((e: Error) => {
      console.error(`error: the studio service failed to load: ${e.message}`);
      process.exit(1);
    });
    return service;
  };
  const { startStudioServer } = await import('./ws-server');
  // The service (and ws) load once the page has been sent (ws-server decides: the page's own files
  // first), or SERVICE_IDLE_LOAD_MS after the URL was printed when no page has asked yet: a person
  // takes longer than that to open the URL, and this process is otherwise idle meanwhile. A page
  // asked for at once (a script, the bench, a browser already open) is not held back by the load's
  // synchronous stretch.
  const server = await listenOn(opts.port, (port) => startStudioServer({ service: load, contract: wsContract, rendererDir: RENDERER_OUT, port, lazyServiceMs: SERVICE_IDLE_LOAD_MS }), log);
  // a project opened from the parse cache needed no TypeScript: it loads once the page is up, so
  // the first edit does not wait for it
  setTimeout(() => void load().then(() => loadServiceModule()).then((m) => m.preprocessSource('warm-up.ts', 'export {};\n')).catch(() => undefined), TYPESCRIPT_WARM_UP_MS).unref();
  // closing the server also closes the embedded controller (the cluster's nodes keep running)
  return { ...server, close: () => server.close().then(() => service?.then((s) => s.close())) };
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
      console.log(`usage: npm run web [-- <project-dir>] [--port N] [--rebuild]\n  --port N  listen on 127.0.0.1:N (default ${DEFAULT_WEB_PORT}, or a free port when that is in use; 0: a free port)`);
      process.exit(0);
    } else if (a.startsWith('-')) throw new Error(`unknown option ${a}; usage: npm run web [-- <project-dir>] [--port N] [--rebuild]`);
    else out.project = a;
  }
  return out;
}

/** Runs the bundled server in a plain node child (no tsx hooks); resolves with its exit code. */
async function runBundled(argv: string[]): Promise<number> {
  if (webBundleStale()) await bundleWebServer();
  const child = spawn(process.execPath, [WEB_BUNDLE, ...argv], { stdio: 'inherit', env: { ...process.env, EDGEAI_WEB_CHILD: '1' } });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => child.kill(sig));
  return new Promise((ok) => child.on('exit', (code, signal) => ok(code ?? (signal ? 0 : 1))));
}

/**
 * Runs the server in this process until SIGINT/SIGTERM: what `npm run web` ends up running
 * (scripts/web.mjs imports the bundle and calls this).
 */
export async function main(argv: string[]): Promise<void> {
  try {
    const opts = parseArgs(argv);
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

const isEntry = process.argv[1] && (resolve(process.argv[1]) === fileURLToPath(import.meta.url));
if (isEntry && !BUNDLED && process.argv[2] === '--prebuild') {
  // `npm install` (scripts/postinstall.mjs): the renderer and this server's bundle, so the first
  // `npm start` starts as fast as the next ones instead of building for half a minute
  try {
    if (rendererStale()) await buildRenderer(RENDERER_OUT, (s) => console.log(`edge-ai-studio: ${s}`));
    if (webBundleStale()) await bundleWebServer();
    console.log('edge-ai-studio: the studio is built (dist/renderer, dist/web)');
  } catch (e) {
    console.warn(`edge-ai-studio: warning: could not prebuild the studio (${(e as Error).message}); the first \`npm start\` builds it`);
  }
} else if (isEntry && !BUNDLED && process.argv[2] === '--bundle') {
  // scripts/web.mjs, when dist/web/web.mjs is stale: bundle, then it imports the bundle itself
  try {
    await bundleWebServer();
  } catch (e) {
    console.error(`error: could not bundle the web server (${(e as Error).message}); set EDGEAI_WEB_BUNDLE=0 to run it from sources`);
    process.exit(1);
  }
} else if (isEntry && !BUNDLED && process.env.EDGEAI_WEB_BUNDLE !== '0' && !process.argv.includes('--help') && !process.argv.includes('-h')) {
  let code: number;
  try {
    code = await runBundled(process.argv.slice(2));
  } catch (e) {
    console.error(`error: could not bundle the web server (${(e as Error).message}); set EDGEAI_WEB_BUNDLE=0 to run it from sources`);
    code = 1;
  }
  process.exit(code);
} else if (isEntry) {
  await main(process.argv.slice(2));
}
