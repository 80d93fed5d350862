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

/** How long the page waits between attempts to reach a studio service that went away (doubling up to the last). */
export const RECONNECT_DELAYS_MS = [500, 1000, 2000, 4000, 8000];
/** After this long without the service, the page stops trying (the status bar keeps saying why). */
export const RECONNECT_GIVE_UP_MS = 10 * 60_000;

/**
 * `socket`: one already opened to this page's /api with its token (renderer/boot.ts opens it early).
 * When the connection closes, every pending call fails with `disconnected` at once and a
 * `connection` progress event with the error says so; the page then tries to reach the same
 * service again (the token belongs to one start of `npm run web`): when it answers, the same
 * client carries on and a `connection` event without an error says it is back. A server that
 * answers but refuses the token was restarted: that is said, and the trying stops.
 */
export function connectWebSocketClient(location: Location = window.location, socket?: WebSocket): Promise<StudioClient & { clientId: string }> {
  const token = new URLSearchParams(location.search).get('token');
  if (!token) {
    return Promise.reject(new Error('this page was opened without its access token: open the URL that `npm run web` printed (it ends in ?token=…)'));
  }
  const url = `ws://${location.host}/api?token=${encodeURIComponent(token)}`;
  let ws = socket ?? new WebSocket(url);
  const pending = new Map<number, (r: ApiResult<unknown>) => void>();
  const listeners = new Map<EventName, Set<(p: unknown) => void>>();
  let nextId = 1;
  let closed = false;
  let client: (StudioClient & { clientId: string }) | undefined;
  const emit = (event: EventName, payload: unknown) => {
    for (const l of listeners.get(event) ?? []) l(payload);
  };

  /** Tries the same service again until it answers, refuses this page's token, or RECONNECT_GIVE_UP_MS passed. */
  const reconnect = (since: number, attempt = 0) => {
    const delay = RECONNECT_DELAYS_MS[Math.min(attempt, RECONNECT_DELAYS_MS.length - 1)];
    setTimeout(async () => {
      // a server that answers plain HTTP but refuses the token is another start of `npm run web`
      try {
        const r = await fetch(`/api/boot?token=${encodeURIComponent(token)}`, { method: 'GET', cache: 'no-store' });
        if (r.status === 401 || r.status === 403) {
          const error: ApiError = { code: 'server-restarted', message: 'the studio service was restarted: this page’s access token belongs to the one that stopped', hint: 'open the new URL `npm run web` printed (it has a new token)' };
          return emit('progress', { id: 'connection', title: 'The studio service was restarted', done: 0, error });
        }
      } catch {
        // not answering yet
        if (Date.now() - since > RECONNECT_GIVE_UP_MS) return;
        return reconnect(since, attempt + 1);
      }
      const next = new WebSocket(url);
      next.onerror = () => undefined;
      next.onclose = () => {
        if (next !== ws && Date.now() - since <= RECONNECT_GIVE_UP_MS) reconnect(since, attempt + 1);
      };
      next.onmessage = (msg) => {
        const frame = parseFrame(msg.data);
        if (frame?.type !== 'hello') return;
        ws = next;
        closed = false;
        attach(next);
        emit('progress', { id: 'connection', title: 'Connected to the studio service again', done: 1, total: 1, finished: true });
      };
    }, delay);
  };

  const onFrame = (frame: WsFrame) => {
    if (frame.type === 'result') {
      const done = pending.get(frame.id);
      pending.delete(frame.id);
      done?.(frame.result);
    } else if (frame.type === 'event') emit(frame.event, frame.payload);
  };

  /** The handlers of the connection in use (the first, or the one a reconnect opened). */
  const attach = (sock: WebSocket) => {
    sock.onclose = (event?: { code?: number }) => {
      if (sock !== ws) return;
      closed = true;
      // 1009: the server got a frame over its limit (a client that counts differently, or an older one)
      const tooBig = event?.code === MESSAGE_TOO_BIG;
      const error: ApiError = tooBig
        ? { code: 'request-too-large', message: `the studio service closed the connection: a request was larger than the ${mib(MAX_REQUEST_BYTES)} it accepts`, hint: `reload the page to reconnect; then ${TOO_LARGE_HINT}` }
        : { code: 'disconnected', message: 'the connection to the studio service closed', hint: 'the page reconnects when it is back; if `npm run web` was stopped, start it again and open the new URL it prints' };
      for (const [, done] of pending) done({ ok: false, error });
      pending.clear();
      emit('progress', { id: 'connection', title: 'Disconnected from the studio service', done: 0, error });
      if (!tooBig) reconnect(Date.now());
    };
    sock.onmessage = (msg) => {
      const frame = parseFrame(msg.data);
      if (frame && frame.type !== 'hello') onFrame(frame);
    };
  };

  return new Promise((resolve, reject) => {
    ws.onerror = () => {
      if (!closed && !client) reject(new Error('cannot reach the studio service: is `npm run web` still running? (the token also changes at every start)'));
    };
    ws.onclose = () => {
      closed = true;
      if (!client) reject(new Error('the studio service closed the connection before it said hello: is `npm run web` still running?'));
    };
    ws.onmessage = (msg) => {
      const frame = parseFrame(msg.data);
      if (!frame) return;
      if (frame.type !== 'hello') return onFrame(frame);
      client = {
        transport: 'websocket',
        clientId: frame.clientId,
        call<M extends MethodName>(method: M, params: MethodRequest<M>): Promise<ApiResult<MethodResponse<M>>> {
          if (closed) return Promise.resolve({ ok: false, error: { code: 'disconnected', message: 'not connected to the studio service', hint: 'the page reconnects when it is back; if `npm run web` was stopped, start it again and open the new URL it prints' } });
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
      attach(ws);
      resolve(client);
    };
  });
}

function parseFrame(data: unknown): WsFrame | undefined {
  try {
    const frame = JSON.parse(String(data)) as WsFrame;
    return frame && typeof frame === 'object' ? frame : undefined;
  } catch {
    return undefined; // the server only sends JSON; anything else is not ours to act on
  }
}
