/**
 * What every HTTP server of the platform (node agent, gateway, studio server) answers to bytes
 * that are not HTTP: Node's parser refuses them (a bad request line, a byte a URL may not hold, a
 * header block too large) before any handler runs.
 *
 * Node's own answer is a bare `400` followed by `socket.destroy()`. If the client is still sending
 * (a body, the rest of its headers) when that happens, the kernel answers those bytes with a TCP
 * reset, and a reset that reaches the client before it has read the 400 throws the answer away:
 * the client sees `ECONNRESET` instead of a refusal (measured: 1 run in 3 of the agent's fuzz). So
 * the refusal here says what was wrong in the server's own error shape, half-closes the connection
 * and reads (and drops) what still arrives for a short while before closing it — a "lingering
 * close", as HTTP servers have done since RFC 7230 §6.6.
 */
import { STATUS_CODES, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/** How long a refused connection is drained before it is closed whatever arrives. */
export const LINGER_MS = 2000;

export interface ClientErrorAnswer {
  status: number;
  code: string;
  message: string;
  hint: string;
}

/** The refusal for one of Node's parser errors, in words a client author can act on. */
export function clientErrorAnswer(err: NodeJS.ErrnoException): ClientErrorAnswer {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, code: 'headers-too-large', message: 'the request headers are larger than this server reads', hint: 'send fewer or shorter headers' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
    case 'ERR_HTTP_HEADERS_TIMEOUT':
      return { status: 408, code: 'request-timeout', message: 'the request did not arrive in time', hint: 'send the whole request at once' };
    default: {
      const reason = (err as { reason?: string }).reason ?? err.message;
      return { status: 400, code: 'bad-http', message: `the request is not valid HTTP/1.1 (${err.code ?? 'parse error'}: ${reason})`, hint: 'send a well-formed HTTP/1.1 request: a known method, a percent-encoded ASCII path, one Content-Length or chunked framing' };
    }
  }
}

/**
 * Answers parser errors on `server` with `render(answer)` as a JSON body (or `text/plain` when
 * `render` returns a string), then closes the connection gracefully. A socket is answered once.
 */
export function answerClientErrors(server: Server, render: (a: ClientErrorAnswer) => unknown): void {
  const answered = new WeakSet<Duplex>();
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (answered.has(socket)) return;
    answered.add(socket);
    // the peer is gone, or a response is already on its way: nothing can be said on this socket
    if (err.code === 'ECONNRESET' || !socket.writable || (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent) {
      socket.destroy();
      return;
    }
    const a = clientErrorAnswer(err);
    let payload: string;
    let type = 'application/json';
    try {
      const body = render(a);
      if (typeof body === 'string') (payload = body), (type = 'text/plain; charset=utf-8');
      else payload = JSON.stringify(body);
    } catch {
      payload = JSON.stringify({ error: { code: a.code, message: a.message } });
    }
    const head = `HTTP/1.1 ${a.status} ${STATUS_CODES[a.status] ?? 'Bad Request'}\r\ncontent-type: ${type}\r\ncontent-length: ${Buffer.byteLength(payload)}\r\nconnection: close\r\n\r\n`;
    // the answer to a HEAD carries no body (RFC 9110 §9.3.2)
    lingeringClose(socket, refusedMethod(err) === 'HEAD' ? head : head + payload);
  });
}

/**
 * The method of the request the parser refused, read from the bytes it failed on (Node keeps the
 * packet, `rawPacket`, and where in it parsing stopped, `bytesParsed`). The packet may begin with
 * the tail of the previous request on the connection, so the request is found from the error
 * backwards: `<METHOD> <target>` right before the error (a bad path, the common case, even after
 * a previous body's tail), else the first line after the last blank line (the end of the previous
 * head: an error in a header line).
 */
export function refusedMethod(err: NodeJS.ErrnoException): string | undefined {
  const { rawPacket: raw, bytesParsed } = err as { rawPacket?: Buffer; bytesParsed?: number };
  if (!raw) return undefined;
  const upto = raw.subarray(0, Math.min(raw.length, (bytesParsed ?? raw.length) + 1)).toString('latin1');
  // the error inside a request line's target: `<METHOD> <target so far>` ends the packet read so far
  const line = upto.slice(upto.lastIndexOf('\n') + 1);
  const target = /(?:^|[^A-Za-z])([A-Z]{3,10}) \S*$/.exec(line);
  if (target) return target[1];
  const blank = upto.lastIndexOf('\r\n\r\n');
  const first = upto.slice(blank >= 0 ? blank + 4 : 0).split(/[ \r\n]/)[0];
  return /^[A-Z]+$/.test(first) ? first : undefined;
}

/** Writes `last`, half-closes, drops whatever the peer still sends, and closes within LINGER_MS. */
export function lingeringClose(socket: Duplex, last: string): void {
  // the parser that failed must not see more bytes (it would report the same error again)
  socket.removeAllListeners('data');
  socket.on('data', () => {});
  linger(socket, last);
}

/** Half-closes after `last` (if any), drops what still arrives, closes when the peer is done or after LINGER_MS. */
function linger(socket: Duplex, last?: string): void {
  socket.on('error', () => {});
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  socket.once('end', () => socket.destroy()); // the peer is done sending: nothing to wait for
  socket.end(last);
  socket.resume();
}

/**
 * Makes the close after `res` (a refusal that leaves a request body unread, a 413) a lingering
 * one: Node ends such a connection with destroySoon(), which resets under a client still
 * uploading (`EPIPE`: it never reads the refusal); instead the connection is half-closed, what
 * still arrives is read and dropped, and it closes when the client is done or after LINGER_MS.
 */
export function lingerAfter(res: ServerResponse): void {
  const socket = res.socket as (Duplex & { destroySoon?: () => void }) | null;
  if (!socket) return;
  socket.destroySoon = () => linger(socket);
}
