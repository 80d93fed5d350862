/**
 * The node agent: one program for every backend (a child process, or the entry point of a
 * container). It serves the controller over HTTP, keeps the node's artifact store (a
 * content-addressed blob store) and function bundles, and runs invocations in worker processes:
 * a cold start forks one, warm ones are reused, idle ones retire.
 *
 *   node agent.cjs --node edge-1 --cluster <id> --store <dir> [--host 127.0.0.1] [--port 0]
 *
 * On start it prints one line `EDGEAI_AGENT_READY {"port":…,"pid":…}` (its registration) and
 * writes the same to <store>/agent.json, which is how a restarted controller re-adopts it.
 *
 * Why one file of ~480 lines: it is bundled into one program for every backend (process and container); its HTTP routes, worker pool and store are to be split along those jobs with the trust-boundary work (agent authentication, worker limits).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { BlobStore, sha256Hex } from '../../registry/blobs';
import { InvokeBodySchema, RetireBodySchema, WarmBodySchema, type FromWorker, type FunctionRef, type Health, type InvokeBody, type InvokeResult, type AgentError, type ToWorker } from './protocol';

const { values } = parseArgs({
  options: {
    node: { type: 'string' },
    cluster: { type: 'string' },
    store: { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '0' },
    'idle-ms': { type: 'string', default: '300000' },
    'max-workers': { type: 'string', default: '4' },
  },
});
const NODE = values.node ?? process.env.EDGEAI_NODE;
const CLUSTER = values.cluster ?? process.env.EDGEAI_CLUSTER ?? 'default';
const STORE = values.store ?? process.env.EDGEAI_STORE;
if (!NODE || !STORE) {
  console.error('edgeai agent: --node and --store are required');
  process.exit(2);
}
// idle replicas retire after 300 s by default (docs/reference.md §3, faas-sim)
const IDLE_MS = Number(values['idle-ms']);
const MAX_WORKERS = Number(values['max-workers']);
const WORKER = process.env.EDGEAI_WORKER ?? join(__dirname, 'worker.cjs');

mkdirSync(join(STORE, 'bundles'), { recursive: true });
const blobs = new BlobStore(STORE);
const startedAt = new Date();

interface Worker {
  id: number;
  child: ChildProcess;
  busy: boolean;
  lastUsed: number;
  ready: Promise<number>;
  rssBytes: number;
  /** started ahead of demand (after an abort) and still loading */
  warming?: boolean;
}

interface FnState {
  ref: FunctionRef;
  workers: Worker[];
  queue: Array<() => void>;
  invocations: number;
  errors: number;
  coldStarts: number;
  execMsTotal: number;
  /** retired (a restart or an undeploy): its workers exit once their invocation is done */
  retired?: boolean;
}

/** by workflow/function: two workflows may each have a function of the same name on this node */
const functions = new Map<string, FnState>();
const keyOf = (workflow: string, id: string) => `${workflow}/${id}`;
/** retired functions whose workers were busy when they were retired */
const retiring = new Set<FnState>();
let nextWorker = 1;

function bundlePath(sha: string): string {
  return join(STORE!, 'bundles', `${sha}.mjs`);
}

function stateOf(ref: FunctionRef): FnState {
  const key = keyOf(ref.workflow, ref.id);
  let s = functions.get(key);
  if (!s || s.ref.bundle !== ref.bundle) {
    if (s) for (const w of s.workers) w.child.kill('SIGKILL');
    s = { ref, workers: [], queue: [], invocations: 0, errors: 0, coldStarts: 0, execMsTotal: 0 };
    functions.set(key, s);
  }
  return s;
}

/** Forks a worker and loads the function; resolves with the cold-start time in ms. */
function spawnWorker(s: FnState): Worker {
  const child = fork(WORKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, EDGEAI_NODE: NODE } });
  const w: Worker = { id: nextWorker++, child, busy: true, lastUsed: Date.now(), rssBytes: 0, ready: Promise.resolve(0) };
  const t0 = performance.now();
  w.ready = new Promise<number>((resolve, reject) => {
    const onMsg = (m: FromWorker) => {
      if (m.type === 'ready') {
        child.off('message', onMsg);
        resolve(performance.now() - t0);
      } else if (m.type === 'error') {
        child.off('message', onMsg);
        reject(Object.assign(new Error(m.message), { code: m.code, hint: m.hint }));
      }
    };
    child.on('message', onMsg);
    child.once('exit', (code, signal) => reject(Object.assign(new Error(`the worker exited while loading (${signal ?? code})`), { code: 'worker-died' })));
    // a fork that failed never exits: say so instead of waiting forever
    child.once('error', (e) => reject(Object.assign(new Error(`the worker could not start: ${e.message}`), { code: 'worker-died' })));
  });
  // a child's 'error' (the fork failed, a send on a closed channel) throws when nobody listens;
  // the worker is useless then: kill it, and its 'exit' ends whatever waits for it
  child.on('error', () => child.kill('SIGKILL'));
  w.ready.catch(() => undefined);
  child.once('exit', () => {
    s.workers = s.workers.filter((x) => x !== w);
    if (s.retired && !s.workers.length) retiring.delete(s);
  });
  const init: ToWorker = { type: 'init', bundlePath: bundlePath(s.ref.bundle), fn: s.ref, storeDir: STORE! };
  child.send(init);
  s.workers.push(w);
  s.coldStarts++;
  return w;
}

/** An idle warm worker, a new one (cold start), or a wait for one to free up. */
async function acquire(s: FnState): Promise<{ worker: Worker; cold: boolean; queueMs: number }> {
  const t0 = performance.now();
  for (;;) {
    const idle = s.workers.find((w) => !w.busy);
    if (idle) {
      idle.busy = true;
      return { worker: idle, cold: false, queueMs: performance.now() - t0 };
    }
    if (s.workers.length < MAX_WORKERS && !s.workers.some((w) => w.warming)) return { worker: spawnWorker(s), cold: true, queueMs: performance.now() - t0 };
    await new Promise<void>((r) => s.queue.push(r));
  }
}

function release(s: FnState, w: Worker): void {
  w.busy = false;
  w.lastUsed = Date.now();
  if (s.retired) {
    // a retired function's worker finishes what it ran and exits; waiters start a fresh one
    w.child.kill('SIGTERM');
    s.workers = s.workers.filter((x) => x !== w);
  }
  s.queue.shift()?.();
}

/**
 * Retires a function's workers (a restart, or the function left its workflow): idle ones exit
 * now, busy ones after their invocation. Only that workflow's function, and only if it runs the
 * given bundle: another workflow's function of the same name on this node is left alone. The next
 * warm or invocation starts afresh.
 */
function retire(workflow: string, id: string, bundle: string): { ok: true; retired: number[] } {
  const key = keyOf(workflow, id);
  const s = functions.get(key);
  if (!s || s.ref.bundle !== bundle) return { ok: true, retired: [] };
  functions.delete(key);
  s.retired = true;
  const pids: number[] = [];
  for (const w of [...s.workers]) {
    if (w.child.pid) pids.push(w.child.pid);
    if (w.busy && !w.warming) continue;
    w.child.kill('SIGTERM');
    s.workers = s.workers.filter((x) => x !== w);
  }
  if (s.workers.length) retiring.add(s);
  return { ok: true, retired: pids };
}

function fail(code: string, message: string, hint?: string, logs: string[] = []): AgentError {
  return { ok: false, error: { code, message, ...(hint ? { hint } : {}) }, logs };
}

async function invoke(body: InvokeBody): Promise<InvokeResult | AgentError> {
  if (!existsSync(bundlePath(body.fn.bundle))) return fail('bundle-missing', `node ${NODE} has no bundle ${body.fn.bundle.slice(0, 12)} for ${body.fn.id}`, 'deploy the workflow again');
  for (const i of body.inputs) {
    if (!blobs.has(i.artifact.sha256, i.artifact.size)) return fail('artifact-missing', `node ${NODE} does not hold ${i.artifact.urn} version ${i.artifact.version}`, 'the controller moves inputs before invoking');
  }
  const s = stateOf(body.fn);
  const { worker, cold, queueMs } = await acquire(s);
  const logs: string[] = [];
  let coldStartMs = 0;
  try {
    coldStartMs = cold ? await worker.ready : 0;
  } catch (e) {
    worker.child.kill('SIGKILL');
    release(s, worker);
    s.errors++;
    const err = e as Error & { code?: string; hint?: string };
    return fail(err.code ?? 'cold-start-failed', `${body.fn.id} could not start on ${NODE}: ${err.message}`, err.hint);
  }
  const deadline = body.request.deadlineMs;
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const done = (r: InvokeResult | AgentError, keep: boolean) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      worker.child.off('message', onMsg);
      worker.child.off('exit', onExit);
      s.invocations++;
      if (!r.ok) s.errors++;
      if (keep) release(s, worker);
      else {
        worker.child.kill('SIGKILL');
        s.workers = s.workers.filter((x) => x !== worker);
        // keep the function warm: replace the aborted worker before the next request needs it
        if (!s.workers.length && !s.retired) {
          const fresh = spawnWorker(s);
          fresh.warming = true;
          fresh.ready
            .then(() => {
              fresh.warming = false;
              release(s, fresh);
            })
            .catch(() => fresh.child.kill('SIGKILL'));
        } else s.queue.shift()?.();
      }
      resolve(r);
    };
    const onMsg = (m: FromWorker) => {
      if (m.type === 'log') logs.push(m.line);
      else if (m.type === 'result') {
        s.execMsTotal += m.execMs;
        done({ ok: true, output: m.output, produced: m.produced, gates: m.gates, logs, timings: { queueMs, coldStartMs, execMs: m.execMs }, worker: worker.id, cold }, true);
      } else if (m.type === 'error') done(fail(m.code, `${body.fn.id} failed on ${NODE}: ${m.message}`, m.hint, logs), true);
    };
    const onExit = (code: number | null, signal: string | null) => done(fail('worker-died', `the worker running ${body.fn.id} on ${NODE} exited (${signal ?? code})`, undefined, logs), false);
    worker.child.on('message', onMsg);
    worker.child.once('exit', onExit);
    if (deadline !== undefined) {
      // the deadline counts from the start of the invocation, cold start included
      const left = Math.max(0, deadline - queueMs - coldStartMs);
      timer = setTimeout(() => done(fail('deadline-exceeded', `${body.fn.id} missed its ${deadline} ms deadline on ${NODE}; the invocation was aborted`, 'relax @policy.deadline or make the function faster', logs), false), left);
    }
    const msg: ToWorker = { type: 'invoke', body };
    // with a callback, a closed channel is reported here rather than thrown as an 'error' event
    worker.child.send(msg, (e) => {
      if (e) done(fail('worker-died', `the worker for ${body.fn.id} on ${NODE} went away before the invocation reached it: ${e.message}`, undefined, logs), false);
    });
  });
}

async function warm(ref: FunctionRef): Promise<{ ok: true; coldStartMs: number; warm: boolean } | AgentError> {
  if (!existsSync(bundlePath(ref.bundle))) return fail('bundle-missing', `node ${NODE} has no bundle for ${ref.id}`);
  const s = stateOf(ref);
  if (s.workers.length) return { ok: true, coldStartMs: 0, warm: true };
  const w = spawnWorker(s);
  try {
    const ms = await w.ready;
    release(s, w);
    return { ok: true, coldStartMs: ms, warm: false };
  } catch (e) {
    w.child.kill('SIGKILL');
    const err = e as Error & { code?: string; hint?: string };
    return fail(err.code ?? 'cold-start-failed', `${ref.id} could not start on ${NODE}: ${err.message}`, err.hint);
  }
}

function health(): Health {
  const cpu = process.cpuUsage();
  const mem = process.memoryUsage();
  return {
    node: NODE!,
    cluster: CLUSTER,
    pid: process.pid,
    startedAt: startedAt.toISOString(),
    uptimeMs: Date.now() - startedAt.getTime(),
    cpu: { userMs: cpu.user / 1000, systemMs: cpu.system / 1000, load1: loadavg()[0] },
    memory: { rssBytes: mem.rss, heapBytes: mem.heapUsed, workersRssBytes: 0 },
    functions: [...functions.values()].map((s) => ({
      workflow: s.ref.workflow,
      id: s.ref.id,
      bundle: s.ref.bundle,
      workers: s.workers.length,
      pids: s.workers.flatMap((w) => (w.child.pid ? [w.child.pid] : [])),
      busy: s.workers.filter((w) => w.busy).length,
      invocations: s.invocations,
      errors: s.errors,
      coldStarts: s.coldStarts,
      meanExecMs: s.invocations ? s.execMsTotal / s.invocations : 0,
    })),
    blobs: countBlobs(),
  };
}

function countBlobs(): number {
  let n = 0;
  try {
    for (const d of readdirSync(blobs.blobsDir)) n += readdirSync(join(blobs.blobsDir, d)).length;
  } catch {
    /* empty store */
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// HTTP
//
// The agent listens on 127.0.0.1 (or a port published there): anything on this machine can send
// it anything, a web page included. A request that is not the protocol gets a 4xx JSON answer in
// the AgentError shape, a failure a 5xx; nothing a request carries may end the agent.

/** A blob (a data set, a model) travels in one PUT. */
const MAX_BODY = 1024 * 1024 * 1024;
const GiB = (n: number) => `${(n / 1024 ** 3).toFixed(2).replace(/\.?0+$/, '')} GiB`;

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

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const tooLarge = (size: string) => new HttpError(413, 'request-too-large', `${req.method} ${req.url}: the body is ${size}; node ${NODE} accepts at most ${GiB(MAX_BODY)}`, 'send it in parts, or keep the artifact smaller');
    const announced = Number(req.headers['content-length']);
    if (announced > MAX_BODY) return reject(tooLarge(GiB(announced)));
    const chunks: Buffer[] = [];
    let n = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      if (over) return;
      n += c.length;
      if (n <= MAX_BODY) return void chunks.push(c);
      // stop holding it; the 413 answer closes the connection
      over = true;
      chunks.length = 0;
      reject(tooLarge(`more than ${GiB(MAX_BODY)}`));
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', (e) => reject(new HttpError(400, 'aborted', `${req.method} ${req.url}: the body did not arrive: ${e.message}`)));
    req.on('close', () => {
      if (!req.complete) reject(new HttpError(400, 'aborted', `${req.method} ${req.url}: the client went away before the body was complete`));
    });
  });
}

/** The body as JSON: a body that is not JSON is the sender's mistake (400), not the agent's (500). */
async function readJson(req: IncomingMessage, pathname: string): Promise<unknown> {
  const text = (await readBody(req)).toString('utf8');
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
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

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
  const parts = url.pathname.split('/').filter(Boolean);
  if (url.pathname === '/health') return json(res, 200, health());
  if (parts[0] === 'blobs') {
    const sha = parts[1];
    if (req.method === 'HEAD' || req.method === 'GET') {
      if (!blobs.has(sha)) return json(res, 404, fail('blob-missing', `node ${NODE} does not hold blob ${sha.slice(0, 12)}`));
      const bytes = readFileSync(blobs.pathOf(sha));
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.length });
      return void res.end(req.method === 'GET' ? bytes : undefined);
    }
    const bytes = await readBody(req);
    if (sha256Hex(bytes) !== sha) return json(res, 400, fail('hash-mismatch', `the bytes sent for blob ${sha.slice(0, 12)} hash to ${sha256Hex(bytes).slice(0, 12)}`));
    blobs.write(bytes, sha);
    return json(res, 200, { ok: true, size: bytes.length });
  }
  if (parts[0] === 'bundles') {
    const bytes = await readBody(req);
    if (sha256Hex(bytes) !== parts[1]) return json(res, 400, fail('hash-mismatch', 'the bundle bytes do not match their sha256'));
    const p = bundlePath(parts[1]);
    const had = existsSync(p);
    if (!had) writeFileSync(p, bytes);
    return json(res, 200, { ok: true, size: bytes.length, had });
  }
  if (url.pathname === '/warm') {
    const parsed = WarmBodySchema.safeParse(await readJson(req, url.pathname));
    if (!parsed.success) return json(res, 400, badShape(url.pathname, parsed.error));
    const r = await warm(parsed.data.fn);
    return json(res, r.ok ? 200 : 500, r);
  }
  if (url.pathname === '/retire') {
    const parsed = RetireBodySchema.safeParse(await readJson(req, url.pathname));
    if (!parsed.success) return json(res, 400, badShape(url.pathname, parsed.error));
    return json(res, 200, retire(parsed.data.workflow, parsed.data.id, parsed.data.bundle));
  }
  if (url.pathname === '/invoke') {
    const parsed = InvokeBodySchema.safeParse(await readJson(req, url.pathname));
    if (!parsed.success) return json(res, 400, badShape(url.pathname, parsed.error));
    const r = await invoke(parsed.data);
    return json(res, r.ok ? 200 : r.error.code === 'deadline-exceeded' ? 504 : 500, r);
  }
  // POST /shutdown (the one route left)
  json(res, 200, { ok: true });
  setTimeout(shutdown, 10);
}

const server = createServer((req, res) => {
  // a synchronous throw inside handle() rejects its promise too: every failure ends up here
  handle(req, res).catch((e: unknown) => {
    try {
      if (res.headersSent) return void res.destroy();
      if (e instanceof HttpError) {
        // a 413 leaves the rest of the body unread: close the connection rather than read it
        return json(res, e.status, fail(e.code, e.message, e.hint), e.status === 413 ? { connection: 'close' } : {});
      }
      json(res, 500, fail('agent-error', `${req.method} ${req.url}: ${(e as Error)?.message ?? String(e)}`, 'the agent keeps serving; if it happens again, look at its log'));
    } catch {
      res.destroy();
    }
  });
});

function shutdown(): void {
  for (const s of [...functions.values(), ...retiring]) for (const w of s.workers) w.child.kill('SIGKILL');
  server.close();
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

// retire idle workers
setInterval(() => {
  const now = Date.now();
  for (const s of functions.values()) {
    for (const w of s.workers) if (!w.busy && now - w.lastUsed > IDLE_MS) w.child.kill('SIGTERM');
  }
}, Math.min(30_000, Math.max(200, IDLE_MS / 4))).unref();

server.listen(Number(values.port), values.host, () => {
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const reg = { node: NODE, cluster: CLUSTER, port, pid: process.pid, startedAt: startedAt.toISOString() };
  mkdirSync(dirname(join(STORE!, 'agent.json')), { recursive: true });
  writeFileSync(join(STORE!, 'agent.json'), JSON.stringify(reg));
  console.log(`EDGEAI_AGENT_READY ${JSON.stringify(reg)}`);
});
