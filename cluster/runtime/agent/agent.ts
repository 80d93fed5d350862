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
// idle replicas retire after 300 s by default (REFERENCE §3, faas-sim)
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
  });
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
    const done = (r: InvokeResult | AgentError, keep: boolean) => {
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
    worker.child.send(msg);
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

const MAX_BODY = 1024 * 1024 * 1024;

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > MAX_BODY) {
        reject(new Error('request body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://agent');
  const parts = url.pathname.split('/').filter(Boolean);
  if (req.method === 'GET' && url.pathname === '/health') return json(res, 200, health());
  if (parts[0] === 'blobs' && parts.length === 2 && /^[0-9a-f]{64}$/.test(parts[1])) {
    const sha = parts[1];
    if (req.method === 'HEAD' || req.method === 'GET') {
      if (!blobs.has(sha)) return json(res, 404, fail('blob-missing', `node ${NODE} does not hold blob ${sha.slice(0, 12)}`));
      const bytes = readFileSync(blobs.pathOf(sha));
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.length });
      return void res.end(req.method === 'GET' ? bytes : undefined);
    }
    if (req.method === 'PUT') {
      const bytes = await readBody(req);
      if (sha256Hex(bytes) !== sha) return json(res, 400, fail('hash-mismatch', `the bytes sent for blob ${sha.slice(0, 12)} hash to ${sha256Hex(bytes).slice(0, 12)}`));
      blobs.write(bytes, sha);
      return json(res, 200, { ok: true, size: bytes.length });
    }
  }
  if (parts[0] === 'bundles' && parts.length === 2 && req.method === 'PUT' && /^[0-9a-f]{64}$/.test(parts[1])) {
    const bytes = await readBody(req);
    if (sha256Hex(bytes) !== parts[1]) return json(res, 400, fail('hash-mismatch', 'the bundle bytes do not match their sha256'));
    const p = bundlePath(parts[1]);
    const had = existsSync(p);
    if (!had) writeFileSync(p, bytes);
    return json(res, 200, { ok: true, size: bytes.length, had });
  }
  if (req.method === 'POST' && url.pathname === '/warm') {
    const parsed = WarmBodySchema.safeParse(JSON.parse((await readBody(req)).toString('utf8')));
    if (!parsed.success) return json(res, 400, fail('bad-request', parsed.error.message));
    const r = await warm(parsed.data.fn);
    return json(res, r.ok ? 200 : 500, r);
  }
  if (req.method === 'POST' && url.pathname === '/retire') {
    const parsed = RetireBodySchema.safeParse(JSON.parse((await readBody(req)).toString('utf8')));
    if (!parsed.success) return json(res, 400, fail('bad-request', parsed.error.message));
    return json(res, 200, retire(parsed.data.workflow, parsed.data.id, parsed.data.bundle));
  }
  if (req.method === 'POST' && url.pathname === '/invoke') {
    const parsed = InvokeBodySchema.safeParse(JSON.parse((await readBody(req)).toString('utf8')));
    if (!parsed.success) return json(res, 400, fail('bad-request', parsed.error.message));
    const r = await invoke(parsed.data);
    return json(res, r.ok ? 200 : r.error.code === 'deadline-exceeded' ? 504 : 500, r);
  }
  if (req.method === 'POST' && url.pathname === '/shutdown') {
    json(res, 200, { ok: true });
    return void setTimeout(shutdown, 10);
  }
  json(res, 404, fail('not-found', `no route ${req.method} ${url.pathname}`));
}

const server = createServer((req, res) => {
  handle(req, res).catch((e: unknown) => {
    if (!res.headersSent) json(res, 500, fail('agent-error', (e as Error).message));
    else res.destroy();
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
