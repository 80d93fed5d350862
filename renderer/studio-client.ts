/**
 * Browser mode: a `window.studio` over the WebSocket of `npm run web`, with the same typed
 * interface as the Electron preload. The page's URL carries the per-start token.
 */
import type { ApiResult, EventName, EventPayload, MethodName, MethodRequest, MethodResponse, StudioClient, WsFrame } from '../cluster/api/contract';

/** `socket`: one already opened to this page's /api with its token (renderer/boot.ts opens it early). */
export function connectWebSocketClient(location: Location = window.location, socket?: WebSocket): Promise<StudioClient & { clientId: string }> {
  const token = new URLSearchParams(location.search).get('token');
  if (!token) {
    return Promise.reject(new Error('this page was opened without its access token: open the URL that `npm run web` printed (it ends in ?token=…)'));
  }
  const ws = socket ?? new WebSocket(`ws://${location.host}/api?token=${encodeURIComponent(token)}`);
  const pending = new Map<number, (r: ApiResult<unknown>) => void>();
  const listeners = new Map<EventName, Set<(p: unknown) => void>>();
  let nextId = 1;
  let closed = false;

  return new Promise((resolve, reject) => {
    ws.onerror = () => {
      if (!closed) reject(new Error('cannot reach the studio service: is `npm run web` still running? (the token also changes at every start)'));
    };
    ws.onclose = () => {
      closed = true;
      for (const [, done] of pending) done({ ok: false, error: { code: 'disconnected', message: 'the connection to the studio service closed', hint: 'restart `npm run web` and open the new URL it prints' } });
      pending.clear();
      for (const l of listeners.get('progress') ?? []) l({ id: 'connection', title: 'Disconnected from the studio service', done: 0, error: { code: 'disconnected', message: 'the connection to the studio service closed', hint: 'restart `npm run web` and open the new URL it prints' } });
    };
    ws.onmessage = (msg) => {
      const frame = JSON.parse(String(msg.data)) as WsFrame;
      if (frame.type === 'hello') {
        const client: StudioClient & { clientId: string } = {
          transport: 'websocket',
          clientId: frame.clientId,
          call<M extends MethodName>(method: M, params: MethodRequest<M>): Promise<ApiResult<MethodResponse<M>>> {
            if (closed) return Promise.resolve({ ok: false, error: { code: 'disconnected', message: 'not connected to the studio service', hint: 'restart `npm run web` and open the new URL it prints' } });
            const id = nextId++;
            ws.send(JSON.stringify({ id, method, params }));
            return new Promise((done) => pending.set(id, done as (r: ApiResult<unknown>) => void));
          },
          on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void) {
            let set = listeners.get(event);
            if (!set) listeners.set(event, (set = new Set()));
            set.add(listener as (p: unknown) => void);
            return () => set!.delete(listener as (p: unknown) => void);
          },
        };
        resolve(client);
      } else if (frame.type === 'result') {
        const done = pending.get(frame.id);
        pending.delete(frame.id);
        done?.(frame.result);
      } else if (frame.type === 'event') {
        for (const l of listeners.get(frame.event) ?? []) l(frame.payload);
      }
    };
  });
}
