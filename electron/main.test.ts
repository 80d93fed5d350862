/**
 * The Electron main process's wiring, with a stand-in for the electron module (no Electron binary
 * can be downloaded on the machines that run this suite, so the desktop window itself is untested
 * here: e2e/electron.test.ts runs it where a binary exists). What can be checked without it is:
 * every StudioApi method registered on IPC, an untrusted sender refused, the app protocol's
 * answers (files, 400/403/404, the CSP), navigation, new windows and <webview> denied, and no
 * permission granted — docs/reference.md §8, item by item where code decides it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMain, type ElectronMain, type IpcMainInvokeEvent, type WebContents } from './main';
import { APP_ENTRY, APP_SCHEME, channelFor } from './security';
import { METHOD_NAMES } from '../cluster/api/contract';
import { StudioService } from '../cluster/server/service';

function standIn() {
  const handlers = new Map<string, (e: IpcMainInvokeEvent, p: unknown) => Promise<unknown>>();
  const appEvents = new Map<string, Array<(...a: unknown[]) => void>>();
  let protocolHandler: ((r: { url: string }) => Response | Promise<Response>) | undefined;
  let permissionRequest: ((wc: unknown, p: string, cb: (ok: boolean) => void) => void) | undefined;
  let permissionCheck: ((wc: unknown, p: string) => boolean) | undefined;
  const windows: Array<{ options: unknown; loaded: string[] }> = [];
  const electron: ElectronMain = {
    app: {
      whenReady: async () => undefined,
      on: (event: string, listener: (...a: unknown[]) => void) => void appEvents.set(event, [...(appEvents.get(event) ?? []), listener]),
      quit: () => undefined,
      getVersion: () => '0.0.0-test',
    } as ElectronMain['app'],
    BrowserWindow: Object.assign(
      function (this: unknown, options: unknown) {
        const w = { options, loaded: [] as string[] };
        windows.push(w);
        return { webContents: { id: windows.length, send: () => undefined, on: () => undefined, setWindowOpenHandler: () => undefined, isDestroyed: () => false }, loadURL: async (u: string) => void w.loaded.push(u), once: () => undefined, show: () => undefined };
      } as unknown as ElectronMain['BrowserWindow'],
      { getAllWindows: () => [] },
    ),
    ipcMain: { handle: (channel, listener) => void handlers.set(channel, listener) },
    protocol: { registerSchemesAsPrivileged: () => undefined, handle: (_scheme, h) => void (protocolHandler = h) },
    session: { defaultSession: { setPermissionRequestHandler: (h) => void (permissionRequest = h), setPermissionCheckHandler: (h) => void (permissionCheck = h) } },
  };
  return { electron, handlers, appEvents, windows, protocol: () => protocolHandler!, permissionRequest: () => permissionRequest!, permissionCheck: () => permissionCheck! };
}

describe('the Electron main process, wired to a stand-in electron module', () => {
  const root = mkdtempSync(join(tmpdir(), 'edgeai-electron-'));
  const home = mkdtempSync(join(tmpdir(), 'edgeai-electron-home-'));
  const s = standIn();
  let service: StudioService;

  beforeAll(async () => {
    mkdirSync(join(root, 'dist', 'renderer', 'assets'), { recursive: true });
    writeFileSync(join(root, 'dist', 'renderer', 'index.html'), '<!doctype html><title>studio</title>');
    writeFileSync(join(root, 'dist', 'renderer', 'assets', 'app.js'), 'console.log(1)');
    service = new StudioService({ transport: 'electron', runtime: { home, cluster: 'electron-test' } });
    await runMain({ root, preloadPath: '/preload.cjs', electron: s.electron, service });
  });

  afterAll(async () => {
    await service.close();
    rmSync(root, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  });

  it('registers every StudioApi method on its own channel, and nothing else', () => {
    expect([...s.handlers.keys()].sort()).toEqual(METHOD_NAMES.map(channelFor).sort());
  });

  it('answers the app window and refuses any other frame', async () => {
    const call = (url: string | undefined) => s.handlers.get(channelFor('studio.info'))!({ sender: { id: 1 } as WebContents, senderFrame: url === undefined ? null : { url } }, {});
    expect(await call(APP_ENTRY)).toMatchObject({ ok: true, value: { transport: 'electron' } });
    for (const url of ['https://evil.example/', 'file:///etc/passwd', 'studio://other/index.html', undefined]) expect(await call(url)).toMatchObject({ ok: false, error: { code: 'untrusted-sender' } });
  });

  it('opens one window on the app origin with the secure preferences', () => {
    expect(s.windows).toHaveLength(1);
    expect(s.windows[0].loaded).toEqual([APP_ENTRY]);
    expect(s.windows[0].options).toMatchObject({ webPreferences: { preload: '/preload.cjs', contextIsolation: true, sandbox: true, nodeIntegration: false, webviewTag: false } });
  });

  it("serves the renderer on its protocol with the CSP, and answers what it does not serve without throwing", async () => {
    const get = (u: string) => Promise.resolve(s.protocol()({ url: u }));
    const index = await get(`${APP_SCHEME}://app/index.html`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    expect((await get(`${APP_SCHEME}://app/assets/app.js`)).status).toBe(200);
    expect((await get(`${APP_SCHEME}://app/%E0%A4%A`)).status).toBe(400);
    expect((await get(`${APP_SCHEME}://app/../../etc/passwd`)).status).not.toBe(200);
    expect((await get(`${APP_SCHEME}://evil/index.html`)).status).toBe(403);
    expect((await get(`${APP_SCHEME}://app/assets`)).status).toBe(404);
    expect((await get('not a url')).status).toBe(400);
  });

  it('limits navigation, denies new windows and <webview>, grants no permission', () => {
    const listeners = new Map<string, (e: { preventDefault(): void }, url?: string) => void>();
    let openHandler: ((d: { url: string }) => { action: string }) | undefined;
    const contents = { on: (event: string, l: (e: { preventDefault(): void }, url?: string) => void) => void listeners.set(event, l), setWindowOpenHandler: (h: typeof openHandler) => void (openHandler = h) };
    for (const l of s.appEvents.get('web-contents-created') ?? []) l({}, contents);
    const prevented = (event: string, url?: string) => {
      let p = false;
      listeners.get(event)!({ preventDefault: () => void (p = true) }, url);
      return p;
    };
    expect(prevented('will-navigate', 'https://evil.example/')).toBe(true);
    expect(prevented('will-redirect', 'http://127.0.0.1:9/')).toBe(true);
    expect(prevented('will-navigate', `${APP_SCHEME}://app/index.html`)).toBe(false);
    expect(prevented('will-attach-webview')).toBe(true);
    expect(openHandler!({ url: 'https://evil.example/' })).toEqual({ action: 'deny' });
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal']) {
      let granted: boolean | undefined;
      s.permissionRequest()(undefined, permission, (ok) => (granted = ok));
      expect([permission, granted, s.permissionCheck()(undefined, permission)]).toEqual([permission, false, false]);
    }
  });
});
