/**
 * The HTTP gateway for http triggers, on 127.0.0.1 only:
 *   POST /fn/<workflow>/<function>   body: {"input": …, "params": {…}} (or any other JSON = the input)
 *   <method> <path>                  an http trigger's declared route (workflow.json `path`, `method`):
 *                                    POST as above; GET takes its params from the query string
 * It routes to the node the function is placed on (cold start if needed) and answers with the
 * output, the node, the model versions used and the timings. Errors are JSON with a code, a
 * message and a hint; a missed deadline is 504, a malformed path 400, a body over 64 MiB 413.
 * Whatever a request carries, it gets an answer and the gateway keeps serving.
 *
 * What a web page open in the user's browser can do to it: nothing. A page can send requests to
 * 127.0.0.1 (a no-cors POST with a text/plain body, an <img> GET) but not read the answers;
 * the gateway runs nothing for them: a request from another origin (Origin, or Sec-Fetch-Site
 * cross-site / same-site) or for a foreign Host (DNS rebinding) is a 403, and a POST must say
 * `Content-Type: application/json`, which a page can only send through CORS (and this gateway
 * answers no CORS preflight) — 415 otherwise. With a token (`edgeai gateway --token`) every
 * request must carry it (`Authorization: Bearer <token>`).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { MAX_REQUEST_BYTES, mib } from '../common/limits';
import { StudioError } from '../common/errors';
import { answerClientErrors } from '../http-refusal';
import type { Controller } from './controller';

const STATUS: Record<string, number> = {
  'deadline-exceeded': 504,
  'not-deployed': 404,
  'data-policy-violation': 403,
  'no-input': 409,
  'artifact-unavailable': 409,
  'cluster-down': 503,
  'not-ready': 503,
  'bad-request': 400,
};

export interface Gateway {
  server: Server;
  port: number;
  url: string;
  close(): Promise<void>;
}

/** One body is one invocation's input: the same limit as a request to the studio (cluster/common/limits.ts says why). */
const MAX_BODY_BYTES = MAX_REQUEST_BYTES;
const USAGE = 'POST /fn/<workflow>/<function> with {"input": …, "params": {…}}';

interface ErrorBody {
  error: { code: string; message: string; hint?: string };
}

function errorBody(code: string, message: string, hint?: string): ErrorBody {
  return { error: { code, message, ...(hint ? { hint } : {}) } };
}

/** decodeURIComponent without the URIError a malformed %-escape (`%E0%A4%A`) throws. */
function decodeSegment(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/** What is wrong with `params`, or undefined when it is an object of strings. */
function paramsProblem(params: unknown): string | undefined {
  if (params === undefined || params === null) return undefined; // as before: no params
  if (!params || typeof params !== 'object' || Array.isArray(params)) return `params must be an object of strings, not ${Array.isArray(params) ? 'an array' : params === null ? 'null' : typeof params}`;
  for (const [k, v] of Object.entries(params)) if (typeof v !== 'string') return `params.${k} must be a string, not ${v === null ? 'null' : typeof v}`;
  return undefined;
}

export interface GatewayOptions {
  /** require `Authorization: Bearer <token>` on every request */
  token?: string;
}

/** Why a request is refused before anything runs (undefined: it may go on). */
function refusal(req: IncomingMessage, port: number, token: string | undefined): { status: number; code: string; message: string; hint: string } | undefined {
  const host = req.headers.host;
  if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) return { status: 403, code: 'forbidden-host', message: `Host ${host ?? '(none)'} is not this gateway (127.0.0.1:${port})`, hint: 'call the gateway at http://127.0.0.1:<port>' };
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://127.0.0.1:${port}` && origin !== `http://localhost:${port}`) return { status: 403, code: 'forbidden-origin', message: `requests from ${origin} are refused: a web page cannot invoke functions`, hint: 'call the gateway from a program (curl, a script), not from a page' };
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return { status: 403, code: 'forbidden-origin', message: `a ${site} request (sent by a web page) is refused: a web page cannot invoke functions`, hint: 'call the gateway from a program (curl, a script), not from a page' };
  if (token !== undefined) {
    const auth = req.headers.authorization ?? '';
    const given = Buffer.from(auth.startsWith('Bearer ') ? auth.slice(7) : '');
    const want = Buffer.from(token);
    if (given.length !== want.length || !timingSafeEqual(given, want)) return { status: 401, code: 'unauthorized', message: 'this gateway needs its token', hint: 'send Authorization: Bearer <token> (the token `edgeai gateway --token` printed)' };
  }
  return undefined;
}

export function startGateway(controller: Controller, port = 0, opts: GatewayOptions = {}): Promise<Gateway> {
  // Anyone on this machine can reach the gateway, and so can any web page (a no-cors POST is a
  // "simple" request): nothing a request carries may throw out of this handler, or one request
  // would take the gateway and its controller down with it.
  const server = createServer((req, res) => {
    let answered = false;
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      if (answered || res.headersSent) return;
      answered = true;
      let text: string;
      try {
        text = JSON.stringify(body);
      } catch (e) {
        status = 500;
        text = JSON.stringify(errorBody('internal-error', `the answer could not be encoded as JSON: ${(e as Error).message}`, 'return plain JSON data from the function'));
      }
      res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    const internal = (e: unknown) => {
      if (e instanceof StudioError) return send(STATUS[e.code] ?? 500, errorBody(e.code, e.message, e.hint));
      const message = e instanceof Error ? e.message : String(e);
      send(500, errorBody('internal-error', message, 'the gateway keeps serving; if it happens again, report it with the request that caused it'));
    };
    try {
      const no = refusal(req, listening, opts.token);
      if (no) return send(no.status, errorBody(no.code, no.message, no.hint));
      route(req, send, internal);
    } catch (e) {
      internal(e);
    }
  });
  const route = (req: IncomingMessage, send: (status: number, body: unknown, headers?: Record<string, string>) => void, internal: (e: unknown) => void) => {
    const url = req.url ?? '';
    if (req.method === 'GET' && url === '/healthz') return send(200, { ok: true, cluster: controller.cluster });
    let workflow: string | undefined;
    let fn: string | undefined;
    const m = /^\/fn\/([^/]+)\/([^/?]+)\/?$/.exec(url);
    if (m) {
      if (req.method !== 'POST') return send(405, errorBody('method-not-allowed', `${req.method} ${url}: functions are invoked with POST`, USAGE), { allow: 'POST' });
      workflow = decodeSegment(m[1]);
      fn = decodeSegment(m[2]);
      if (workflow === undefined || fn === undefined) {
        return send(400, errorBody('bad-request', `the path ${url} has a malformed %-escape in the ${workflow === undefined ? 'workflow' : 'function'} name`, 'escape each name with encodeURIComponent: POST /fn/<workflow>/<function>'));
      }
    } else {
      const [rawPath, query = ''] = url.split('?', 2);
      const path = decodeSegment(rawPath);
      if (path === undefined) return send(400, errorBody('bad-request', `the path ${rawPath} has a malformed %-escape`, USAGE));
      const declared = typeof controller.routes === 'function' ? controller.routes().find((r) => r.path === path) : undefined;
      if (!declared) return send(404, errorBody('not-found', `no route ${req.method} ${rawPath}`, USAGE));
      if (req.method !== declared.method) return send(405, errorBody('method-not-allowed', `${req.method} ${path}: trigger ${declared.trigger} of ${declared.workflow} takes ${declared.method}`), { allow: declared.method });
      if (declared.method === 'GET') {
        // a GET carries no body: its query string is the request's params
        const params = Object.fromEntries(new URLSearchParams(query));
        Promise.resolve()
          .then(() => controller.invoke(declared.workflow, declared.function, { params }))
          .then((a) => send(200, a))
          .catch(internal);
        return;
      }
      workflow = declared.workflow;
      fn = declared.function;
    }
    const target = { workflow, fn };
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/json') {
      return send(415, errorBody('unsupported-media-type', `${req.method} ${url}: the body must be JSON, sent as Content-Type: application/json (got ${type || 'none'})`, 'send {"input": …, "params": {…}} with Content-Type: application/json'));
    }
    const tooLarge = (n: string) => {
      send(413, errorBody('request-too-large', `the request body is ${n}; the gateway accepts at most ${mib(MAX_BODY_BYTES)}`, 'send a smaller input, or put large data in an artifact and pass its name'), { connection: 'close' });
    };
    const announced = Number(req.headers['content-length']);
    if (announced > MAX_BODY_BYTES) return tooLarge(mib(announced));
    const chunks: Buffer[] = [];
    let size = 0;
    let dropped = false;
    // a client that goes away mid-body: nothing to answer, and nothing may throw
    req.on('error', () => {
      dropped = true;
      chunks.length = 0;
    });
    req.on('data', (c: Buffer) => {
      if (dropped) return;
      size += c.length;
      if (size <= MAX_BODY_BYTES) return void chunks.push(c);
      // stop holding it; `connection: close` makes Node close the socket after the answer
      dropped = true;
      chunks.length = 0;
      tooLarge(`more than ${mib(MAX_BODY_BYTES)}`);
    });
    req.on('end', () => {
      if (dropped) return;
      try {
        let body: unknown = undefined;
        const text = Buffer.concat(chunks).toString('utf8');
        if (text.trim()) {
          try {
            body = JSON.parse(text);
          } catch (e) {
            return send(400, errorBody('bad-request', `the request body is not JSON: ${(e as Error).message}`, 'send {"input": …, "params": {…}}'));
          }
        }
        const wrapped = !!body && typeof body === 'object' && !Array.isArray(body) && ('input' in body || 'params' in body);
        const input = wrapped ? (body as { input?: unknown }).input : body;
        const params = wrapped ? (body as { params?: unknown }).params : undefined;
        const problem = paramsProblem(params);
        if (problem) return send(400, errorBody('bad-request', `${target.workflow}/${target.fn}: ${problem}`, 'send {"input": …, "params": {"name": "value"}}'));
        // a controller that throws synchronously ends up in the same catch as one that rejects
        Promise.resolve()
          .then(() => controller.invoke(target.workflow, target.fn, { input, params: (params as Record<string, string> | undefined) ?? {} }))
          .then((a) => send(200, a))
          .catch(internal);
      } catch (e) {
        internal(e);
      }
    });
  };
  let listening = port;
  answerClientErrors(server, (a) => errorBody(a.code, a.message, a.hint));
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'EADDRINUSE' ? new StudioError('port-in-use', `port ${port} on 127.0.0.1 is taken`, 'pick another with --port, or 0 for any free port') : e),
    );
    server.listen(port, '127.0.0.1', () => {
      const addr = server.address();
      const p = typeof addr === 'object' && addr ? addr.port : port;
      listening = p;
      resolve({ server, port: p, url: `http://127.0.0.1:${p}`, close: () => new Promise<void>((r) => server.close(() => r())) });
    });
  });
}
