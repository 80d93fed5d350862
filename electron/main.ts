/**
 * The Electron main process: one window per project, every StudioApi method registered on IPC
 * (`studio:<method>`, sender checked, request validated by the service), events pushed on
 * `studio:event`. The StudioService — and with it the scheduler, the runtime controller and
 * the registry — runs here, in the main process (runtime home: $EDGEAI_HOME, else ~/.edgeai).
 *
 * This file never imports 'electron' at type level (the package is optional and usually not
 * installed): it loads it at run time and types the narrow surface it uses below.
 */
import { createRequire } from 'node:module';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { StudioService } from '../cluster/server/service';
import { EVENT_NAMES, IPC_EVENT_CHANNEL, METHOD_NAMES } from '../cluster/api/contract';
import {
  APP_ENTRY,
  APP_SCHEME,
  channelFor,
  contentSecurityPolicy,
  isAllowedNavigation,
  isAllowedPermission,
  isTrustedSender,
  appFileFor,
  windowOptions,
  type StudioWindowOptions,
} from './security';

// ---- the narrow Electron surface this file uses ----------------------------------------------
interface WebContents {
  id: number;
  send(channel: string, payload: unknown): void;
  on(event: 'will-navigate' | 'will-redirect', listener: (e: { preventDefault(): void }, url: string) => void): void;
  on(event: 'will-attach-webview', listener: (e: { preventDefault(): void }) => void): void;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
  isDestroyed(): boolean;
}
interface BrowserWindowInstance {
  webContents: WebContents;
  loadURL(url: string): Promise<void>;
  once(event: 'ready-to-show', listener: () => void): void;
  show(): void;
}
interface IpcMainInvokeEvent {
  sender: WebContents;
  senderFrame: { url: string } | null;
}
interface ElectronMain {
  app: {
    whenReady(): Promise<void>;
    on(event: 'window-all-closed' | 'activate' | 'before-quit', listener: () => void): void;
    on(event: 'web-contents-created', listener: (e: unknown, contents: WebContents) => void): void;
    quit(): void;
    getVersion(): string;
  };
  BrowserWindow: { new (options: StudioWindowOptions): BrowserWindowInstance; getAllWindows(): BrowserWindowInstance[] };
  ipcMain: { handle(channel: string, listener: (event: IpcMainInvokeEvent, params: unknown) => Promise<unknown>): void };
  protocol: {
    registerSchemesAsPrivileged(schemes: Array<{ scheme: string; privileges: Record<string, boolean> }>): void;
    handle(scheme: string, handler: (request: { url: string }) => Response | Promise<Response>): void;
  };
  session: {
    defaultSession: {
      setPermissionRequestHandler(h: (wc: unknown, permission: string, cb: (ok: boolean) => void) => void): void;
      setPermissionCheckHandler(h: (wc: unknown, permission: string) => boolean): void;
    };
  };
}
export type { ElectronMain, WebContents, IpcMainInvokeEvent };
// ------------------------------------------------------------------------------------------------

const MIME: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.svg': 'image/svg+xml', '.ttf': 'font/ttf', '.png': 'image/png', '.wasm': 'application/wasm' };

export interface MainOptions {
  /** the repository root (the bundle passes it: dist/electron/main.mjs → ../..) */
  root: string;
  preloadPath: string;
  project?: string;
  /** the electron module (tests pass a stand-in; default: require('electron')) */
  electron?: ElectronMain;
  /** the service (tests pass one with a temporary home; default: a new StudioService) */
  service?: StudioService;
}

/** The app protocol's answer to one request: the file, or a 400/403/404 that says why. Never throws. */
export function appResponse(rendererDir: string, url: string): Response {
  const r = appFileFor(rendererDir, url);
  if (!r.ok) return new Response(r.message, { status: r.status, headers: { 'content-type': 'text/plain; charset=utf-8' } });
  if (!existsSync(r.file) || !statSync(r.file).isFile()) return new Response('not found', { status: 404 });
  const headers: Record<string, string> = { 'content-type': MIME[extname(r.file)] ?? 'application/octet-stream', 'x-content-type-options': 'nosniff' };
  if (extname(r.file) === '.html') headers['content-security-policy'] = contentSecurityPolicy();
  try {
    return new Response(readFileSync(r.file), { headers });
  } catch {
    return new Response('the file could not be read', { status: 500 });
  }
}

export async function runMain(opts: MainOptions): Promise<void> {
  const electron = opts.electron ?? (createRequire(import.meta.url)('electron') as ElectronMain);
  const { app, BrowserWindow, ipcMain, protocol, session } = electron;
  const rendererDir = join(opts.root, 'dist', 'renderer');
  if (!existsSync(join(rendererDir, 'index.html'))) throw new Error(`no built renderer in ${rendererDir}: run \`npm run build\``);

  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } }]);

  const service = opts.service ?? new StudioService({
    transport: 'electron',
    clusterDir: join(opts.root, 'cluster'),
    ...(opts.project ? { initialProject: opts.project } : {}),
    // bundled (dist/electron/main.mjs): the runtime loads from its TypeScript sources through tsx
    ...(import.meta.url.endsWith('.mjs') ? { beforeRuntime: async () => void (await import('tsx/esm/api')).register() } : {}),
  });

  for (const method of METHOD_NAMES) {
    ipcMain.handle(channelFor(method), async (event, params) => {
      if (!isTrustedSender(event.senderFrame?.url)) {
        return { ok: false, error: { code: 'untrusted-sender', message: `refused ${method} from ${event.senderFrame?.url ?? 'an unknown frame'}`, hint: 'only the studio window may call the StudioApi' } };
      }
      return service.call(method, params, { clientId: String(event.sender.id) });
    });
  }
  for (const event of EVENT_NAMES) {
    service.on(event, (payload) => {
      for (const w of BrowserWindow.getAllWindows()) if (!w.webContents.isDestroyed()) w.webContents.send(IPC_EVENT_CHANNEL, { event, payload });
    });
  }

  app.on('web-contents-created', (_e, contents) => {
    contents.on('will-navigate', (e, url) => {
      if (!isAllowedNavigation(url)) e.preventDefault();
    });
    contents.on('will-redirect', (e, url) => {
      if (!isAllowedNavigation(url)) e.preventDefault();
    });
    contents.on('will-attach-webview', (e) => e.preventDefault());
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  });

  await app.whenReady();
  // permissions: none asked for is granted, and none is reported as granted when checked
  session.defaultSession.setPermissionRequestHandler((_wc, permission, cb) => cb(isAllowedPermission(permission)));
  session.defaultSession.setPermissionCheckHandler((_wc, permission) => isAllowedPermission(permission));
  protocol.handle(APP_SCHEME, (request) => appResponse(rendererDir, request.url));

  const open = () => {
    const win = new BrowserWindow(windowOptions(opts.preloadPath));
    win.once('ready-to-show', () => win.show());
    void win.loadURL(APP_ENTRY);
  };
  open();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) open();
  });
  app.on('window-all-closed', () => app.quit());
  // the embedded runtime controller closes its state; the cluster's nodes keep running for the
  // next start (or `edgeai cluster down`), as the README's "Running it on a local edge cluster" says
  app.on('before-quit', () => void service.close());
}

// Entry point when bundled (scripts/start.mjs bundles this file to dist/electron/main.mjs).
const entry = process.argv.find((a) => a.endsWith('main.mjs'));
if (entry && process.versions.electron) {
  const root = resolve(entry, '..', '..', '..');
  const project = process.env.EDGEAI_PROJECT;
  runMain({ root, preloadPath: join(root, 'dist', 'electron', 'preload.cjs'), ...(project ? { project } : {}) }).catch((e: Error) => {
    console.error(`Edge AI Studio could not start: ${e.message}`);
    process.exit(1);
  });
}
