/**
 * The agent's HTTP server: its routes (protocol.ts says every body and answer) and how it
 * refuses what is not the protocol.
 *
 * The agent listens on 127.0.0.1 (or a port published there): anything on this machine can send
 * it anything, a web page included. So before anything else a request must name the agent as the
 * controller reaches it (the Host check: a page that rebinds its DNS name to 127.0.0.1 sends its
 * own name, 403) and carry the cluster's secret (`Authorization: Bearer <secret>`, compared in
 * constant time, 401) — on every route, /health included: what /health tells (the functions, their
 * workers' pids, the bundles) is the controller's business, and the controller and the backends
 * probe it with the secret like everything else. A refused request's body is never read (the
 * connection closes), and nothing it asks for happens.
 *
 * A request that is not the protocol gets a 4xx JSON answer in the AgentError shape, a failure a
 * 5xx; nothing a request carries may end the agent.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { sha256Hex } from '../../registry/blobs';
import { answerClientErrors, lingerAfter } from '../../http-refusal';
import { MAX_REQUEST_BYTES } from '../../common/limits';
import { fmtMiB } from '../../common/units';

/** 1 GiB, 2.5 GiB; under a GiB in MiB. */
const sizeText = (n: number) => (n >= 1024 ** 3 ? `${(n / 1024 ** 3).toFixed(2).replace(/\.?0+$/, '')} GiB` : fmtMiB(n));
import { fail, listensOnLoopback, type AgentConfig } from './config';
import { authorized, hostAllowed } from './secret';
import type { Pool } from './pool';
import type { Runner } from './invoke';
import type { NodeStore } from './store';
import { InvokeBodySchema, RetireBodySchema, WarmBodySchema, type AgentError, type Health } from './protocol';

/** A blob (a data set, a model) travels in one PUT. */
const MAX_BODY = 1024 * 1024 * 1024;
/** A JSON request (/invoke, /warm, /retire): the largest request input (the gateway's and the studio's cap) and its envelope. */
const MAX_JSON_BODY = MAX_REQUEST_BYTES + 1024 * 1024;

/** A refusal with its status: thrown by the handlers, answered by the server. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** The routes and the methods each takes: a known path with another method is a 405, not a 404. */
function allowedMethods(pathname: string): string[] | undefined {
  if (pathname === '/health') return ['GET'];
  if (/^\/blobs\/[0-9a-f]{64}$/.test(pathname)) return ['GET', 'HEAD', 'PUT'];
  if (/^\/bundles\/[0-9a-f]{64}$/.test(pathname)) return ['PUT'];
  if (pathname === '/warm' || pathname === '/retire' || pathname === '/invoke' || pathname === '/shutdown') return ['POST'];
  return undefined;
}

function readBody(req: IncomingMessage, node: string, max = MAX_BODY): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const tooLarge = (size: string) => new HttpError(413, 'request-too-large', `${req.method} ${req.url}: the body is ${size}; node ${node} accepts at most ${sizeText(max)} here`, max === MAX_BODY ? 'send it in parts, or keep the artifact smaller' : 'an invocation carries references to its inputs, and a request input of at most 64 MiB (the gateway\'s cap)');
    const announced = Number(req.headers['content-length']);
    if (announced > max) return reject(tooLarge(sizeText(announced)));
    const chunks: Buffer[] = [];
    let n = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      if (over) return;
      n += c.length;
      if (n <= max) return void chunks.push(c);
      // stop holding it; the 413 answer closes the connection
      over = true;
      chunks.length = 0;
      reject(tooLarge(`more than ${sizeText(max)}`));
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', (e) => reject(new HttpError(400, 'aborted', `${req.method} ${req.url}: the body did not arrive: ${e.message}`)));
    req.on('close', () => {
      if (!req.complete) reject(new HttpError(400, 'aborted', `${req.method} ${req.url}: the client went away before the body was complete`));
    });
  });
}

/** The body as JSON: a body that is not JSON is the sender's mistake (400), not the agent's (500). */
async function readJson(req: IncomingMessage, pathname: string, node: string): Promise<unknown> {
  const text = (await readBody(req, node, MAX_JSON_BODY)).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new HttpError(400, 'bad-request', `POST ${pathname}: the body is not JSON: ${(e as Error).message}`, 'send the JSON body cluster/runtime/agent/protocol.ts describes');
  }
}

/** A schema failure, naming the field. */
function badShape(pathname: string, error: { issues: Array<{ path: PropertyKey[]; message: string }> }): AgentError {
  const first = error.issues[0];
  const where = first && first.path.length ? first.path.map(String).join('.') : '(body)';
  return fail('bad-request', `POST ${pathname}: ${where}: ${first?.message ?? 'invalid body'}`, 'send the JSON body cluster/runtime/agent/protocol.ts describes');
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  // the controller went away (an aborted invocation): nobody reads the answer
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Aborts when the connection closes before the answer was sent: the controller gave up (or died). */
function closedSignal(res: ServerResponse): AbortSignal {
  const ac = new AbortController();
  if (res.destroyed) ac.abort();
  else res.once('close', () => !res.writableFinished && ac.abort());
  return ac.signal;
}

export interface AgentServerParts {
  cfg: AgentConfig;
  /** the cluster's secret: every request must carry it */
  secret: string;
  store: NodeStore;
  pool: Pool;
  runner: Runner;
  /** sticks: GET /health?sticks=1 (the controller of a node it attached sticks to) */
  health: (opts?: { sticks?: boolean }) => Health;
  /** POST /shutdown: answered first, then called */
  shutdown: () => void;
}

export function createAgentServer(parts: AgentServerParts): Server {
  const { cfg, store, pool, runner } = parts;
  const NODE = cfg.node;
  const { blobs } = store;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://agent');
    } catch {
      throw new HttpError(400, 'bad-request', `the request target ${JSON.stringify(req.url)} is not a valid path`);
    }
    const allowed = allowedMethods(url.pathname);
    if (!allowed) return json(res, 404, fail('not-found', `no route ${req.method} ${url.pathname}`));
    if (!allowed.includes(req.method ?? '')) return json(res, 405, fail('method-not-allowed', `${req.method} ${url.pathname}: use ${allowed.join(' or ')}`), { allow: allowed.join(', ') });
    const segs = url.pathname.split('/').filter(Boolean);
    if (url.pathname === '/health') return json(res, 200, parts.health({ sticks: url.searchParams.get('sticks') === '1' }));
    if (segs[0] === 'blobs') {
      const sha = segs[1];
      if (req.method === 'HEAD' || req.method === 'GET') {
        if (!blobs.has(sha)) return json(res, 404, fail('blob-missing', `node ${NODE} does not hold blob ${sha.slice(0, 12)}`));
        const bytes = readFileSync(blobs.pathOf(sha));
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.length });
        return void res.end(req.method === 'GET' ? bytes : undefined);
      }
      const bytes = await readBody(req, NODE);
      if (sha256Hex(bytes) !== sha) return json(res, 400, fail('hash-mismatch', `the bytes sent for blob ${sha.slice(0, 12)} hash to ${sha256Hex(bytes).slice(0, 12)}`));
      blobs.write(bytes, sha);
      return json(res, 200, { ok: true, size: bytes.length });
    }
    if (segs[0] === 'bundles') {
      const bytes = await readBody(req, NODE);
      if (sha256Hex(bytes) !== segs[1]) return json(res, 400, fail('hash-mismatch', 'the bundle bytes do not match their sha256'));
      const { had, repaired } = store.putBundle(segs[1], bytes);
      if (repaired) console.error(`edgeai agent ${NODE}: the copy of bundle ${segs[1].slice(0, 12)} on disk did not match its sha256: replaced with the bytes the controller sent`);
      return json(res, 200, { ok: true, size: bytes.length, had });
    }
    if (url.pathname === '/warm') {
      const parsed = WarmBodySchema.safeParse(await readJson(req, url.pathname, NODE));
      if (!parsed.success) return json(res, 400, badShape(url.pathname, parsed.error));
      const r = await runner.warm(parsed.data.fn, closedSignal(res));
      return json(res, r.ok ? 200 : 500, r);
    }
    if (url.pathname === '/retire') {
      const parsed = RetireBodySchema.safeParse(await readJson(req, url.pathname, NODE));
      if (!parsed.success) return json(res, 400, badShape(url.pathname, parsed.error));
      return json(res, 200, pool.retire(parsed.data.workflow, parsed.data.id, parsed.data.bundle));
    }
    if (url.pathname === '/invoke') {
      const parsed = InvokeBodySchema.safeParse(await readJson(req, url.pathname, NODE));
      if (!parsed.success) return json(res, 400, badShape(url.pathname, parsed.error));
      const r = await runner.invoke(parsed.data, closedSignal(res));
      return json(res, r.ok ? 200 : r.error.code === 'deadline-exceeded' || r.error.code === 'invocation-timeout' ? 504 : 500, r);
    }
    // POST /shutdown (the one route left)
    json(res, 200, { ok: true });
    setTimeout(parts.shutdown, 10);
  }

  /**
   * The addresses the agent is reached at besides loopback: a container's agent (listening on
   * 0.0.0.0) is called at its IPv4 address on the cluster's Docker network; a process agent
   * listens on loopback only and has none. Read once: a container keeps its addresses.
   */
  let own: string[] | undefined;
  function ownAddresses(): string[] {
    if (own) return own;
    own = listensOnLoopback(cfg) ? [] : Object.values(networkInterfaces()).flatMap((list) => (list ?? []).filter((a) => a.family === 'IPv4' && !a.internal).map((a) => a.address));
    return own;
  }

  /** Why a request is refused before it is read (the Host check, then the secret); undefined: it may go on. */
  function refusal(req: IncomingMessage): { status: number; error: AgentError; headers: Record<string, string> } | undefined {
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : undefined;
    const host = req.headers.host;
    const own = ownAddresses();
    if (!hostAllowed(host, port, own)) {
      const where = `${own[0] ?? '127.0.0.1'}:${port ?? '<its port>'}`;
      return { status: 403, headers: {}, error: fail('forbidden-host', `Host ${JSON.stringify(host ?? '(none)')} is not this node agent (${where}): refused`, `call the agent at http://${where}`) };
    }
    if (!authorized(req.headers.authorization, parts.secret)) {
      return { status: 401, headers: { 'www-authenticate': 'Bearer' }, error: fail('unauthorized', `this node agent answers only its cluster's controller: the request carries no valid Authorization: Bearer <cluster secret>`, 'go through the controller (edgeai, the studio); the secret is the cluster\'s, made at `cluster up`') };
    }
    return undefined;
  }

  const server = createServer((req, res) => {
    const refused = refusal(req);
    // the body stays unread: close the connection rather than read what nobody may send
    if (refused) return json(res, refused.status, refused.error, { ...refused.headers, connection: 'close' });
    // a synchronous throw inside handle() rejects its promise too: every failure ends up here
    handle(req, res).catch((e: unknown) => {
      try {
        if (res.headersSent) return void res.destroy();
        if (e instanceof HttpError) {
          // a 413 leaves the rest of the body unread: close the connection rather than read it,
          // lingering so that a client still uploading reads the refusal
          if (e.status === 413) lingerAfter(res);
          return json(res, e.status, fail(e.code, e.message, e.hint), e.status === 413 ? { connection: 'close' } : {});
        }
        json(res, 500, fail('agent-error', `${req.method} ${req.url}: ${(e as Error)?.message ?? String(e)}`, 'the agent keeps serving; if it happens again, look at its log'));
      } catch {
        res.destroy();
      }
    });
  });
  answerClientErrors(server, (a) => fail(a.code, a.message, a.hint));
  return server;
}
