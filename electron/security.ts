/**
 * The Electron security settings of the studio window (docs/reference.md §8), as pure functions so a
 * unit test can check them without the Electron binary: contextIsolation and sandbox on,
 * nodeIntegration off, a CSP that still lets Monaco's workers run, navigation limited to the
 * app's own origin, no new windows, no <webview>, IPC only from the app's frames on one
 * channel prefix.
 */
import { resolve, sep } from 'node:path';
import { contentSecurityPolicy as csp } from '../cluster/server/csp';
import { IPC_EVENT_CHANNEL, IPC_PREFIX } from '../cluster/api/contract';

/** The app's own origin: a privileged custom scheme serving dist/renderer (never file://, never http). */
export const APP_SCHEME = 'studio';
export const APP_ORIGIN = `${APP_SCHEME}://app`;
export const APP_ENTRY = `${APP_ORIGIN}/index.html`;

export interface StudioWebPreferences {
  preload: string;
  contextIsolation: true;
  sandbox: true;
  nodeIntegration: false;
  nodeIntegrationInWorker: false;
  nodeIntegrationInSubFrames: false;
  webSecurity: true;
  allowRunningInsecureContent: false;
  experimentalFeatures: false;
  webviewTag: false;
  navigateOnDragDrop: false;
  safeDialogs: true;
  spellcheck: false;
}

export interface StudioWindowOptions {
  width: number;
  height: number;
  minWidth: number;
  minHeight: number;
  show: boolean;
  title: string;
  backgroundColor: string;
  webPreferences: StudioWebPreferences;
}

export function windowOptions(preloadPath: string): StudioWindowOptions {
  return {
    width: 1600,
    height: 1000,
    minWidth: 1000,
    minHeight: 640,
    show: false,
    title: 'Edge AI Studio',
    backgroundColor: '#0f141b',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: false,
    },
  };
}

/** The CSP of every page the app protocol serves: only the app's origin; no eval; workers from 'self'. */
export function contentSecurityPolicy(): string {
  return csp();
}

function originOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return undefined;
  }
}

/** will-navigate / will-redirect: only pages of the app itself. */
export function isAllowedNavigation(url: string): boolean {
  return originOf(url) === APP_ORIGIN;
}

/** Every IPC message must come from a frame of the app's own origin. */
export function isTrustedSender(frameUrl: string | undefined): boolean {
  return originOf(frameUrl) === APP_ORIGIN;
}

export function channelFor(method: string): string {
  return IPC_PREFIX + method;
}

export function isStudioChannel(channel: string): boolean {
  return channel.startsWith(IPC_PREFIX) || channel === IPC_EVENT_CHANNEL;
}

/**
 * What the app protocol answers for `url`: a file inside the renderer folder, or the status of a
 * refusal. Never throws: the handler runs in the main process, and a page (or a link in one) can
 * ask for any URL, including one with a malformed %-escape (`studio://app/%E0%A4%A`).
 */
export function appFileFor(rendererDir: string, url: string): { ok: true; file: string } | { ok: false; status: 400 | 403; message: string } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { ok: false, status: 400, message: `bad request: ${url} is not a URL` };
  }
  if (`${u.protocol}//${u.host}` !== APP_ORIGIN) return { ok: false, status: 403, message: `forbidden: only ${APP_ORIGIN} is served` };
  let rel: string;
  try {
    rel = decodeURIComponent(u.pathname === '/' ? '/index.html' : u.pathname);
  } catch {
    return { ok: false, status: 400, message: `bad request: the path ${u.pathname} has a malformed %-escape` };
  }
  const root = resolve(rendererDir);
  const file = resolve(root, '.' + rel);
  if (file === root || !file.startsWith(root + sep)) return { ok: false, status: 403, message: `forbidden: ${u.pathname} is outside the app` };
  return { ok: true, file };
}

/** Maps an app-protocol URL to a file inside the renderer folder, or undefined when it would leave it (or is malformed). */
export function resolveAppFile(rendererDir: string, url: string): string | undefined {
  const r = appFileFor(rendererDir, url);
  return r.ok ? r.file : undefined;
}

/** Permissions the renderer may ask for: none (no camera, geolocation, notifications, …). */
export function isAllowedPermission(_permission: string): boolean {
  return false;
}
