/**
 * The preload (sandboxed, context-isolated): exposes only `window.studio` — a call function for
 * StudioApi methods and an event subscription — never ipcRenderer itself. Bundled to CommonJS
 * by scripts/start.mjs; 'electron' is loaded at run time and typed narrowly here.
 */
import type { ApiResult, EventName, StudioClient } from '../cluster/api/contract';

interface PreloadElectron {
  contextBridge: { exposeInMainWorld(key: string, api: unknown): void };
  ipcRenderer: {
    invoke(channel: string, ...args: unknown[]): Promise<unknown>;
    on(channel: string, listener: (event: unknown, payload: unknown) => void): void;
  };
}

const PREFIX = 'studio:';
const EVENT_CHANNEL = 'studio:event';
const METHOD = /^[a-z][A-Za-z0-9]*(\.[a-z][A-Za-z0-9]*)*$/;

const { contextBridge, ipcRenderer } = require('electron') as PreloadElectron;

const listeners = new Map<EventName, Set<(payload: unknown) => void>>();
ipcRenderer.on(EVENT_CHANNEL, (_event, frame) => {
  const { event, payload } = frame as { event: EventName; payload: unknown };
  for (const l of listeners.get(event) ?? []) l(payload);
});

const studio: StudioClient = {
  transport: 'electron',
  call(method, params) {
    if (typeof method !== 'string' || !METHOD.test(method)) {
      return Promise.resolve({ ok: false, error: { code: 'unknown-method', message: `'${String(method)}' is not a StudioApi method` } }) as never;
    }
    return ipcRenderer.invoke(PREFIX + method, params) as Promise<ApiResult<never>>;
  },
  on(event, listener) {
    let set = listeners.get(event);
    if (!set) listeners.set(event, (set = new Set()));
    set.add(listener as (p: unknown) => void);
    return () => {
      set!.delete(listener as (p: unknown) => void);
    };
  },
};

contextBridge.exposeInMainWorld('studio', studio);
