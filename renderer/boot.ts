/**
 * The first module the page evaluates (main.tsx imports it before React and the studio's code).
 * In browser mode it starts, right away, the two things the first screen waits for: the WebSocket
 * to the studio service, and GET /api/boot (studio.info and the initial project's snapshot). They
 * travel and the service works on them while the browser is still evaluating the rest of the
 * page's script. In Electron (window.studio from the preload) it does nothing.
 */
import type { BootResponse } from '../cluster/api/contract';

export interface EarlyStart {
  socket: WebSocket;
  boot: Promise<BootResponse | undefined>;
}

function start(): EarlyStart | undefined {
  if (typeof window === 'undefined' || window.studio) return undefined;
  const params = new URLSearchParams(window.location.search);
  const token = params.get('token');
  if (!token) return undefined; // connectWebSocketClient explains what is missing
  const socket = new WebSocket(`ws://${window.location.host}/api?token=${encodeURIComponent(token)}`);
  const query = new URLSearchParams({ token });
  const project = params.get('project');
  if (project) query.set('project', project);
  // any failure here only means the page asks again over the WebSocket
  const boot = fetch(`/api/boot?${query}`, { cache: 'no-store' })
    .then((r) => (r.ok ? (r.json() as Promise<BootResponse>) : undefined))
    .catch(() => undefined);
  return { socket, boot };
}

export const early: EarlyStart | undefined = start();
