/**
 * Browser mode: a `window.studio` over the WebSocket of `npm run web`, with the same typed
 * interface as the Electron preload. The page's URL carries the per-start token.
 */
import type { ApiError, ApiResult, EventName, EventPayload, MethodName, MethodRequest, MethodResponse, StudioClient, WsFrame } from '../cluster/api/contract';
import { MAX_REQUEST_BYTES, mib } from '../cluster/common/limits';

/** WebSocket close code 1009 (RFC 6455): the server refused a frame over its maxPayload. */
const MESSAGE_TOO_BIG = 1009;

/** The UTF-8 length of `s` (what goes on the wire), counted without encoding a copy of a 64 MiB string. */
function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** The request's size for a message; in bytes when MiB would round down to the limit itself. */
function sizeOf(bytes: number): string {
  return mib(bytes) === mib(MAX_REQUEST_BYTES) ? `${bytes.toLocaleString('en-US')} bytes` : mib(bytes);
}

const TOO_LARGE_HINT = 'send less at once: split the input, or put large data in an artifact or a project file and pass its name';

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
    ws.onclose = (event?: { code?: number }) => {
      closed = true;
      // 1009: the server got a frame over its limit (a client that counts differently, or an older one)
      const error: ApiError =
        event?.code === MESSAGE_TOO_BIG
          ? { code: 'request-too-large', message: `the studio service closed the connection: a request was larger than the ${mib(MAX_REQUEST_BYTES)} it accepts`, hint: `reload the page to reconnect; then ${TOO_LARGE_HINT}` }
          : { code: 'disconnected', message: 'the connection to the studio service closed', hint: 'restart `npm run web` and open the new URL it prints' };
      for (const [, done] of pending) done({ ok: false, error });
      pending.clear();
      for (const l of listeners.get('progress') ?? []) l({ id: 'connection', title: 'Disconnected from the studio service', done: 0, error });
    };
    ws.onmessage = (msg) => {
      let frame: WsFrame;
      try {
        frame = JSON.parse(String(msg.data)) as WsFrame;
      } catch {
        return; // the server only sends JSON; anything else is not ours to act on
      }
      if (!frame || typeof frame !== 'object') return;
      if (frame.type === 'hello') {
        const client: StudioClient & { clientId: string } = {
          transport: 'websocket',
          clientId: frame.clientId,
          call<M extends MethodName>(method: M, params: MethodRequest<M>): Promise<ApiResult<MethodResponse<M>>> {
            if (closed) return Promise.resolve({ ok: false, error: { code: 'disconnected', message: 'not connected to the studio service', hint: 'restart `npm run web` and open the new URL it prints' } });
            const id = nextId++;
            let text: string;
            try {
              text = JSON.stringify({ id, method, params });
            } catch (e) {
              return Promise.resolve({ ok: false, error: { code: 'invalid-request', message: `${method}: the request cannot be sent as JSON: ${(e as Error).message}`, hint: 'this is a bug in the page; reload the window and try again' } });
            }
            // the server closes a connection that sends more than it accepts (1009, every pending call
            // lost): refuse it here instead, with a message that says what was too big
            const bytes = text.length * 3 <= MAX_REQUEST_BYTES ? 0 : utf8Length(text);
            if (bytes > MAX_REQUEST_BYTES) {
              return Promise.resolve({ ok: false, error: { code: 'request-too-large', message: `${method}: the request is ${sizeOf(bytes)}; the studio accepts at most ${mib(MAX_REQUEST_BYTES)} per request`, hint: TOO_LARGE_HINT } });
            }
            ws.send(text);
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
