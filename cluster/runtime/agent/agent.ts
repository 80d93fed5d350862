/**
 * The node agent: one program for every backend (a child process, or the entry point of a
 * container). It serves the controller over HTTP, keeps the node's artifact store (a
 * content-addressed blob store) and function bundles, and runs invocations in worker processes:
 * a cold start forks one, warm ones are reused, idle ones retire.
 *
 *   node agent.cjs --node edge-1 --cluster <id> --store <dir> [--host 127.0.0.1] [--port 0]
 *                  [--memory-bytes <node memory>] [--max-node-workers n] [--max-workers n]
 *                  [--invoke-timeout-ms 300000] [--load-timeout-ms 60000] [--idle-ms 300000]
 *
 * On start it prints one line `EDGEAI_AGENT_READY {"port":…,"pid":…}` (its registration) and
 * writes the same to <store>/agent.json, which is how a restarted controller re-adopts it.
 *
 * Workers run function code confined (workerLaunch): Node's permission model, a whitelisted
 * environment, a scratch folder in the store as cwd, a heap limit from the node's memory; at most
 * --max-node-workers of them live at once. Every invocation has a budget from its arrival (its
 * deadline, else a timeout) and ends when the controller's request closes; a worker that does not
 * load within --load-timeout-ms is killed and named. Workers are forked into the agent's
 * process group, so a backend that kills the group takes them along even after the agent died.
 *
 * Why one file of ~880 lines: it is bundled into one program for every backend (process and container), and it was grown in place (issue 11: worker confinement, limits and timeouts); its HTTP routes, worker pool (acquire, budgets, the node cap), worker confinement (workerLaunch, the runtime copy, staged outputs) and store are to be split along those jobs with the agent authentication work.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { fork, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { BlobStore, sha256Hex } from '../../registry/blobs';
import { z } from 'zod';
import { InvokeBodySchema, ProducedSchema, RetireBodySchema, WarmBodySchema, type FromWorker, type FunctionRef, type Health, type InvokeBody, type InvokeResult, type AgentError, type Produced, type ToWorker } from './protocol';

const { values } = parseArgs({
  options: {
    node: { type: 'string' },
    cluster: { type: 'string' },
    store: { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '0' },
    'idle-ms': { type: 'string', default: '300000' },
    'max-workers': { type: 'string', default: '4' },
    'max-node-workers': { type: 'string' },
    'memory-bytes': { type: 'string', default: process.env.EDGEAI_MEMORY_BYTES ?? '0' },
    'invoke-timeout-ms': { type: 'string', default: process.env.EDGEAI_INVOKE_TIMEOUT_MS ?? String(5 * 60_000) },
    'load-timeout-ms': { type: 'string', default: process.env.EDGEAI_LOAD_TIMEOUT_MS ?? String(60_000) },
  },
});
const NODE = values.node ?? process.env.EDGEAI_NODE;
const CLUSTER = values.cluster ?? process.env.EDGEAI_CLUSTER ?? 'default';
const STORE = values.store ?? process.env.EDGEAI_STORE;
if (!NODE || !STORE) {
  console.error('edgeai agent: --node and --store are required');
  process.exit(2);
}
function numberArg(name: string, min: number): number {
  const v = Number(values[name as keyof typeof values]);
  if (!Number.isFinite(v) || v < min) {
    console.error(`edgeai agent: --${name} must be a number ≥ ${min}, not ${JSON.stringify(values[name as keyof typeof values])}`);
    process.exit(2);
  }
  return v;
}
// idle replicas retire after 300 s by default (docs/reference.md §3, faas-sim)
const IDLE_MS = numberArg('idle-ms', 1);
const MAX_WORKERS = numberArg('max-workers', 1);
const MiB = 1024 * 1024;
/** the node's memory (its device profile's memoryBytes, given by the backend); 0: unknown */
const MEMORY_BYTES = numberArg('memory-bytes', 0);
/**
 * What one worker is given of the node's memory when the per-node cap is derived: a worker with
 * TensorFlow.js (wasm) loaded is about 150–200 MiB resident (backends/docker.ts MIN_MEMORY_BYTES).
 */
const WORKER_BUDGET_BYTES = 256 * MiB;
/**
 * Workers alive at once on this node, every function together: the node's memory over a worker's
 * budget (1 GiB: 4), at least 1, at most 16; 8 when the memory is not known.
 */
const MAX_NODE_WORKERS = values['max-node-workers'] !== undefined ? numberArg('max-node-workers', 1) : MEMORY_BYTES > 0 ? Math.min(16, Math.max(1, Math.floor(MEMORY_BYTES / WORKER_BUDGET_BYTES))) : 8;
/** each worker's V8 heap: its share of the node's memory (so the heaps of a full node fit), at least 64 MiB */
const WORKER_HEAP_MB = MEMORY_BYTES > 0 ? Math.max(64, Math.floor(MEMORY_BYTES / MAX_NODE_WORKERS / MiB)) : 0;
/**
 * An invocation without a deadline (and without a timeout from the controller) is killed after
 * 5 min: Knative's and Cloud Run's default request timeout, well under the controller's own
 * 10 min bound on an answer, so the caller hears from the agent, not from a lost connection.
 */
const INVOKE_TIMEOUT_MS = numberArg('invoke-timeout-ms', 1);
/** a worker that has not loaded its function by then is killed: cold starts take about a second; 60 s is under the controller's 120 s bound on a warm */
const LOAD_TIMEOUT_MS = numberArg('load-timeout-ms', 1);
const WORKER = process.env.EDGEAI_WORKER ?? join(__dirname, 'worker.cjs');
/** where the worker's TensorFlow.js finds its .wasm files (the agent build) */
const WASM_DIR = process.env.EDGEAI_TFJS_WASM_DIR ?? dirname(WORKER) + '/';
/** Node ≥ 23.5 calls it --permission; Node 20 and 22 --experimental-permission */
const PERMISSION_FLAG = process.allowedNodeEnvironmentFlags.has('--permission') ? '--permission' : process.allowedNodeEnvironmentFlags.has('--experimental-permission') ? '--experimental-permission' : undefined;

mkdirSync(join(STORE, 'bundles'), { recursive: true });
const blobs = new BlobStore(STORE);
const startedAt = new Date();

interface Worker {
  id: number;
  child: ChildProcess;
  fn: FnState;
  busy: boolean;
  lastUsed: number;
  ready: Promise<number>;
  rssBytes: number;
  /** started ahead of demand (after an abort) and still loading */
  warming?: boolean;
  /** why the agent killed it (it stays among the live workers until it has exited) */
  killed?: string;
  /** the end of what it wrote to stderr (names a crash: out of memory, a fatal error) */
  stderr: string;
  /** the one folder it may write: its TMPDIR and where it stages what it produces; removed when it exits */
  scratch: string;
}

interface FnState {
  ref: FunctionRef;
  workers: Worker[];
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
/** every worker process that has not exited yet, whatever its function: what the node cap counts */
const live = new Set<Worker>();
let nextWorker = 1;

/** Whoever waits for a worker or for room on the node: woken when a worker frees up or exits. */
let waiters: Array<() => void> = [];
function changed(): void {
  const w = waiters;
  waiters = [];
  for (const f of w) f();
}

function bundlePath(sha: string): string {
  return join(STORE!, 'bundles', `${sha}.mjs`);
}

function stateOf(ref: FunctionRef): FnState {
  const key = keyOf(ref.workflow, ref.id);
  let s = functions.get(key);
  if (!s || s.ref.bundle !== ref.bundle) {
    if (s) for (const w of [...s.workers]) killWorker(w, 'its function was redeployed with another bundle');
    s = { ref, workers: [], invocations: 0, errors: 0, coldStarts: 0, execMsTotal: 0 };
    functions.set(key, s);
  }
  return s;
}

function killWorker(w: Worker, why: string, signal: NodeJS.Signals = 'SIGKILL'): void {
  w.fn.workers = w.fn.workers.filter((x) => x !== w);
  if (w.killed) return;
  w.killed = why;
  w.child.kill(signal);
  if (signal === 'SIGKILL') console.error(`edgeai agent ${NODE}: killed worker ${w.child.pid} of ${keyOf(w.fn.ref.workflow, w.fn.ref.id)}: ${why}`);
  // function code can ignore SIGTERM: it gets 2 s to go, then SIGKILL
  else setTimeout(() => live.has(w) && w.child.kill('SIGKILL'), 2000).unref();
}

/** A path as the permission model sees it (symlinks resolved: /tmp on macOS is /private/tmp). */
function real(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/**
 * The worker build (worker.cjs and TensorFlow.js' .wasm files), copied once into the node's store
 * (runtime/), so that everything a worker may read lies under one folder. Node 20's permission
 * model has a flaw there: with allowed paths that part at the file system's root (the agent build
 * in the project, the store in the cluster's home) a worker may list / itself (measured).
 */
let runtime: { worker: string; wasmDir: string } | undefined;
function workerRuntime(): { worker: string; wasmDir: string } {
  if (runtime) return runtime;
  const dir = join(real(STORE!), 'runtime');
  try {
    mkdirSync(dir, { recursive: true });
    const wasmDir = real(WASM_DIR);
    const wasm = readdirSync(wasmDir).filter((f) => f.endsWith('.wasm'));
    for (const f of wasm) copyFileSync(join(wasmDir, f), join(dir, f));
    copyFileSync(WORKER, join(dir, 'worker.cjs'));
    runtime = { worker: join(dir, 'worker.cjs'), wasmDir: dir + '/' };
  } catch (e) {
    // no build to copy (an agent started without its worker): the fork says what is missing
    console.error(`edgeai agent ${NODE}: cannot install the worker runtime in ${dir}: ${(e as Error).message}`);
    return { worker: WORKER, wasmDir: WASM_DIR };
  }
  return runtime;
}

/**
 * How a worker starts: Node's permission model confines it to reading the worker runtime, its own
 * bundle, the node's blobs and its scratch folder — all inside the node's store — and to writing
 * only that scratch folder (its cwd and TMPDIR); it may not start processes or worker threads,
 * load native addons or open the inspector (Node 20 has no network permission). Its environment
 * is a whitelist, not the agent's: nothing of the shell that started the cluster (its secrets,
 * NODE_OPTIONS, PATH) reaches function code. Its heap is its share of the node's memory.
 */
function workerLaunch(s: FnState, scratch: string): { worker: string; execArgv: string[]; env: NodeJS.ProcessEnv; cwd: string } {
  const store = real(STORE!);
  const rt = workerRuntime();
  let wasm: string[] = [];
  try {
    wasm = readdirSync(rt.wasmDir).filter((f) => f.endsWith('.wasm')).map((f) => join(rt.wasmDir, f));
  } catch {
    /* no wasm files: TensorFlow.js says so when the worker loads */
  }
  // each path once: Node 20 aborts on an --allow-fs-read given twice (measured)
  const read = [...new Set([rt.worker, ...wasm, real(bundlePath(s.ref.bundle)), join(store, 'blobs'), scratch])];
  const execArgv = [
    ...(PERMISSION_FLAG ? [PERMISSION_FLAG, ...read.map((p) => `--allow-fs-read=${p}`), `--allow-fs-write=${scratch}`] : []),
    ...(process.allowedNodeEnvironmentFlags.has('--disable-warning') ? ['--disable-warning=ExperimentalWarning'] : []),
    ...(WORKER_HEAP_MB ? [`--max-old-space-size=${WORKER_HEAP_MB}`] : []),
  ];
  const env: NodeJS.ProcessEnv = { EDGEAI_NODE: NODE, EDGEAI_TFJS_WASM_DIR: rt.wasmDir, TMPDIR: scratch };
  // the clock and the language of the machine, so dates and text read as they do elsewhere
  for (const k of ['TZ', 'LANG', 'LC_ALL']) if (process.env[k]) env[k] = process.env[k];
  return { worker: rt.worker, execArgv, env, cwd: scratch };
}

/**
 * Commits what a worker staged (scratch/staged-<sha256>) into the blob store, after checking that
 * it is a plain file of the size and hash the worker claims; undefined when all are in, else why not.
 */
function commitStaged(w: Worker, produced: Produced[]): string | undefined {
  // the worker runs function code: what it says is checked like anything else that crosses a process boundary
  const parsed = z.array(ProducedSchema).safeParse(produced);
  if (!parsed.success) return `what it produced is not the protocol's: ${parsed.error.issues[0]?.message}`;
  for (const p of parsed.data) {
    const staged = join(w.scratch, `staged-${p.sha256}`);
    if (blobs.has(p.sha256, p.size)) continue;
    try {
      const st = lstatSync(staged);
      if (!st.isFile() || st.nlink !== 1) return `${p.urn}: its staged bytes are not a plain file`;
      if (st.size !== p.size) return `${p.urn}: ${st.size} bytes staged, ${p.size} claimed`;
      const bytes = readFileSync(staged);
      if (sha256Hex(bytes) !== p.sha256) return `${p.urn}: the staged bytes do not hash to the sha256 claimed`;
      blobs.write(bytes, p.sha256);
    } catch (e) {
      return `${p.urn}: its bytes were not staged (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
    }
  }
  return undefined;
}

/** Removes what a worker staged for its last invocation (committed or not). */
function clearStaged(w: Worker): void {
  try {
    for (const f of readdirSync(w.scratch)) if (f.startsWith('staged-')) unlinkSync(join(w.scratch, f));
  } catch {
    /* gone with its worker */
  }
}

/** A failure with the code and hint a worker (or the agent about a worker) reports. */
function failure(code: string, message: string, hint?: string): Error & { code: string; hint?: string } {
  return Object.assign(new Error(message), { code, ...(hint ? { hint } : {}) });
}

/** Why a worker exited, as well as it can be told: its heap limit, a fatal error, a signal. */
function exitReason(w: Worker, code: number | null, signal: string | null): { code: string; how: string; hint?: string } {
  const what = signal ?? `exit code ${code}`;
  if (/heap out of memory|Reached heap limit/i.test(w.stderr)) {
    return {
      code: 'out-of-memory',
      how: `ran out of memory (${what}): its heap limit is ${WORKER_HEAP_MB} MiB, node ${NODE}'s ${Math.round(MEMORY_BYTES / MiB)} MiB over at most ${MAX_NODE_WORKERS} workers`,
      hint: 'hold less in memory (work in batches), or place the function on a node with more memory',
    };
  }
  const last = w.stderr.trim().split('\n').filter(Boolean).pop();
  return { code: 'worker-died', how: `exited (${w.killed ? `killed: ${w.killed}` : what})${last && !w.killed ? `: ${last.slice(0, 300)}` : ''}` };
}

/** Forks a worker and loads the function; `ready` resolves with the cold-start time in ms. */
function spawnWorker(s: FnState): Worker {
  const id = nextWorker++;
  const scratch = join(real(STORE!), 'tmp', `worker-${process.pid}-${id}`);
  mkdirSync(scratch, { recursive: true });
  const launch = workerLaunch(s, scratch);
  const child = fork(launch.worker, [], { stdio: ['ignore', 'inherit', 'pipe', 'ipc'], execArgv: launch.execArgv, env: launch.env, cwd: launch.cwd });
  const w: Worker = { id, child, fn: s, busy: true, lastUsed: Date.now(), rssBytes: 0, ready: Promise.resolve(0), stderr: '', scratch };
  live.add(w);
  child.stderr?.on('data', (d: Buffer) => {
    process.stderr.write(d);
    w.stderr = (w.stderr + d.toString('utf8')).slice(-4096);
  });
  const t0 = performance.now();
  const name = `${s.ref.id} (workflow ${s.ref.workflow})`;
  w.ready = new Promise<number>((resolve, reject) => {
    const loadTimer = setTimeout(() => {
      const pid = child.pid;
      killWorker(w, `still loading after ${LOAD_TIMEOUT_MS} ms`);
      reject(
        failure(
          'load-timeout',
          `the worker for ${name} did not finish loading within ${fmtMs(LOAD_TIMEOUT_MS)}: the module's top level (or what it awaits) never returned; its worker (pid ${pid}) was killed`,
          'move long-running or waiting code out of the module top level into the function',
        ),
      );
    }, LOAD_TIMEOUT_MS);
    const onMsg = (m: FromWorker) => {
      if (m.type === 'ready') {
        child.off('message', onMsg);
        clearTimeout(loadTimer);
        resolve(performance.now() - t0);
      } else if (m.type === 'error') {
        child.off('message', onMsg);
        clearTimeout(loadTimer);
        reject(failure(m.code, m.message, m.hint));
      }
    };
    child.on('message', onMsg);
    child.once('exit', (code, signal) => {
      clearTimeout(loadTimer);
      const r = exitReason(w, code, signal);
      reject(failure(r.code, `the worker ${r.how} while loading`, r.hint));
    });
    // a fork that failed never exits: say so instead of waiting forever
    child.once('error', (e) => {
      clearTimeout(loadTimer);
      reject(failure('worker-died', `the worker could not start: ${e.message}`));
    });
  });
  // a child's 'error' (the fork failed, a send on a closed channel) throws when nobody listens;
  // the worker is useless then: kill it, and its 'exit' ends whatever waits for it
  child.on('error', () => killWorker(w, 'its process reported an error'));
  w.ready.catch(() => undefined);
  child.once('exit', () => {
    live.delete(w);
    rmSync(scratch, { recursive: true, force: true });
    s.workers = s.workers.filter((x) => x !== w);
    if (s.retired && !s.workers.length) retiring.delete(s);
    changed();
  });
  const init: ToWorker = { type: 'init', bundlePath: real(bundlePath(s.ref.bundle)), fn: s.ref, storeDir: real(STORE!), scratchDir: scratch, confined: !!PERMISSION_FLAG };
  child.send(init, (e) => {
    if (e) killWorker(w, `the init message did not reach it: ${e.message}`);
  });
  s.workers.push(w);
  s.coldStarts++;
  return w;
}

function fmtMs(ms: number): string {
  return ms >= 60_000 && ms % 60_000 === 0 ? `${ms / 60_000} min` : ms >= 1000 ? `${+(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

/**
 * The time an invocation (or a warm) may take, from its arrival: its deadline, its timeout, or
 * the controller going away (the HTTP request closed), whichever ends it first.
 */
class Budget {
  ended?: 'deadline' | 'timeout' | 'closed';
  private readonly timer: NodeJS.Timeout;
  private readonly subs = new Set<() => void>();
  readonly t0 = performance.now();

  constructor(
    readonly limitMs: number,
    readonly kind: 'deadline' | 'timeout',
    signal?: AbortSignal,
  ) {
    this.timer = setTimeout(() => this.end(kind), Math.min(limitMs, 2 ** 31 - 1));
    if (signal?.aborted) this.end('closed');
    else signal?.addEventListener('abort', () => this.end('closed'), { once: true });
  }

  elapsed(): number {
    return performance.now() - this.t0;
  }

  private end(why: 'deadline' | 'timeout' | 'closed'): void {
    if (this.ended) return;
    this.ended = why;
    clearTimeout(this.timer);
    for (const f of [...this.subs]) f();
    this.subs.clear();
  }

  onEnd(f: () => void): () => void {
    if (this.ended) {
      f();
      return () => undefined;
    }
    this.subs.add(f);
    return () => this.subs.delete(f);
  }

  /** The next change of the node's workers, or the end of the budget. */
  next(): Promise<void> {
    return new Promise((resolve) => {
      const off = this.onEnd(resolve);
      waiters.push(() => {
        off();
        resolve();
      });
    });
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.subs.clear();
  }
}

/**
 * Room for one more worker on this node: below the cap, or made by stopping the idle worker of
 * another function that was used least recently (the caller waits for its exit and asks again).
 */
function roomFor(s: FnState): boolean {
  if (live.size < MAX_NODE_WORKERS) return true;
  const all = [...live];
  // one is on its way out already: its exit makes the room
  if (all.some((w) => w.killed)) return false;
  const idle = all.filter((w) => !w.busy && w.fn !== s).sort((a, b) => a.lastUsed - b.lastUsed)[0];
  if (idle) killWorker(idle, `making room on node ${NODE} (at most ${MAX_NODE_WORKERS} workers) for ${s.ref.id}`, 'SIGTERM');
  return false;
}

/** An idle warm worker, a new one (cold start), or a wait for one to free up; undefined when the budget ends first. */
async function acquire(s: FnState, budget: Budget): Promise<{ worker: Worker; cold: boolean; queueMs: number } | undefined> {
  for (;;) {
    if (budget.ended) return undefined;
    const idle = s.workers.find((w) => !w.busy && !w.killed);
    if (idle) {
      idle.busy = true;
      return { worker: idle, cold: false, queueMs: budget.elapsed() };
    }
    if (s.workers.length < MAX_WORKERS && !s.workers.some((w) => w.warming) && roomFor(s)) return { worker: spawnWorker(s), cold: true, queueMs: budget.elapsed() };
    await budget.next();
  }
}

function release(s: FnState, w: Worker): void {
  w.busy = false;
  w.lastUsed = Date.now();
  // a retired function's worker finishes what it ran and exits; waiters start a fresh one
  if (s.retired) killWorker(w, 'its function was retired', 'SIGTERM');
  changed();
}

/** After a worker was killed under an invocation (or died): keep the function warm for the next request. */
function replaceLater(s: FnState, dead: Worker): void {
  const replace = () => {
    if (s.retired || s.workers.length || functions.get(keyOf(s.ref.workflow, s.ref.id)) !== s || live.size >= MAX_NODE_WORKERS) return;
    const fresh = spawnWorker(s);
    fresh.warming = true;
    fresh.ready
      .then(() => {
        fresh.warming = false;
        release(s, fresh);
      })
      .catch(() => killWorker(fresh, 'its replacement did not load'));
  };
  if (live.has(dead)) dead.child.once('exit', replace);
  else setImmediate(replace);
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
    killWorker(w, 'its function was retired', 'SIGTERM');
  }
  if (s.workers.length) retiring.add(s);
  changed();
  return { ok: true, retired: pids };
}

function fail(code: string, message: string, hint?: string, logs: string[] = []): AgentError {
  return { ok: false, error: { code, message, ...(hint ? { hint } : {}) }, logs };
}

/** The answer when an invocation's budget ended, by what ended it and where the invocation was. */
function budgetFailure(body: InvokeBody, budget: Budget, phase: 'queued' | 'loading' | 'running', pid: number | undefined, logs: string[]): AgentError {
  const id = body.fn.id;
  const where = phase === 'queued' ? ` waiting for a worker (node ${NODE} runs at most ${MAX_NODE_WORKERS} workers, ${MAX_WORKERS} per function)` : phase === 'loading' ? ` while its worker was still loading (cold start)` : '';
  const killed = pid && phase !== 'queued' ? `; its worker (pid ${pid}) was killed` : '';
  if (budget.ended === 'deadline') return fail('deadline-exceeded', `${id} missed its ${body.request.deadlineMs} ms deadline on ${NODE}${where}; the invocation was aborted${killed}`, 'relax @policy.deadline or make the function faster', logs);
  if (budget.ended === 'timeout') {
    const whose = body.request.timeoutMs !== undefined ? 'the invocation timeout the controller set' : `node ${NODE}'s default invocation timeout`;
    return fail('invocation-timeout', `${id} did not return within ${fmtMs(budget.limitMs)} on ${NODE}${where} (${whose}; it has no @policy.deadline)${killed}`, 'make it return, give it a @policy.deadline, or raise the timeout (EDGEAI_INVOKE_TIMEOUT_MS)', logs);
  }
  return fail('aborted', `the controller closed the request for ${id} on ${NODE}${where}${killed}`, undefined, logs);
}

async function invoke(body: InvokeBody, signal?: AbortSignal): Promise<InvokeResult | AgentError> {
  if (!existsSync(bundlePath(body.fn.bundle))) return fail('bundle-missing', `node ${NODE} has no bundle ${body.fn.bundle.slice(0, 12)} for ${body.fn.id}`, 'deploy the workflow again');
  for (const i of body.inputs) {
    if (!blobs.has(i.artifact.sha256, i.artifact.size)) return fail('artifact-missing', `node ${NODE} does not hold ${i.artifact.urn} version ${i.artifact.version}`, 'the controller moves inputs before invoking');
  }
  const s = stateOf(body.fn);
  // the deadline (or the timeout) counts from the start of the invocation: queue and cold start included
  const deadline = body.request.deadlineMs;
  const budget = new Budget(deadline ?? body.request.timeoutMs ?? INVOKE_TIMEOUT_MS, deadline !== undefined ? 'deadline' : 'timeout', signal);
  const logs: string[] = [];
  const got = await acquire(s, budget);
  if (!got) {
    s.invocations++;
    s.errors++;
    budget.dispose();
    return budgetFailure(body, budget, 'queued', undefined, logs);
  }
  const { worker, cold, queueMs } = got;
  let coldStartMs = 0;
  if (cold) {
    const pid = worker.child.pid;
    let off: () => void = () => undefined;
    try {
      coldStartMs = await Promise.race([
        worker.ready,
        new Promise<never>((_, reject) => {
          off = budget.onEnd(() => reject(Object.assign(new Error('budget'), { budget: true })));
        }),
      ]);
    } catch (e) {
      killWorker(worker, budget.ended ? `its invocation ended while it loaded (${budget.ended})` : 'it did not load');
      changed();
      s.invocations++;
      s.errors++;
      budget.dispose();
      if ((e as { budget?: boolean }).budget) return budgetFailure(body, budget, 'loading', pid, logs);
      const err = e as Error & { code?: string; hint?: string };
      return fail(err.code ?? 'cold-start-failed', `${body.fn.id} could not start on ${NODE}: ${err.message}`, err.hint);
    } finally {
      off();
    }
  }
  return new Promise((resolve) => {
    let settled = false;
    let offBudget: () => void = () => undefined;
    const done = (r: InvokeResult | AgentError, keep: boolean) => {
      if (settled) return;
      settled = true;
      offBudget();
      budget.dispose();
      worker.child.off('message', onMsg);
      worker.child.off('exit', onExit);
      clearStaged(worker);
      s.invocations++;
      if (!r.ok) s.errors++;
      if (keep) release(s, worker);
      else {
        replaceLater(s, worker);
        killWorker(worker, r.ok ? 'done' : r.error.message);
        changed();
      }
      resolve(r);
    };
    const onMsg = (m: FromWorker) => {
      if (m.type === 'log') logs.push(m.line);
      else if (m.type === 'result') {
        s.execMsTotal += m.execMs;
        const bad = commitStaged(worker, m.produced);
        if (bad) return done(fail('output-corrupt', `${body.fn.id} on ${NODE} reported an output the agent could not take: ${bad}`, 'the function must not touch the files the platform stages', logs), false);
        done({ ok: true, output: m.output, produced: m.produced, gates: m.gates, logs, timings: { queueMs, coldStartMs, execMs: m.execMs }, worker: worker.id, cold }, true);
      } else if (m.type === 'error') done(fail(m.code, `${body.fn.id} failed on ${NODE}: ${m.message}`, m.hint, logs), true);
    };
    const onExit = (code: number | null, signal: string | null) => {
      const r = exitReason(worker, code, signal);
      done(fail(r.code, `the worker running ${body.fn.id} on ${NODE} ${r.how}`, r.hint, logs), false);
    };
    worker.child.on('message', onMsg);
    worker.child.once('exit', onExit);
    offBudget = budget.onEnd(() => done(budgetFailure(body, budget, 'running', worker.child.pid, logs), false));
    if (settled) return;
    const msg: ToWorker = { type: 'invoke', body };
    // with a callback, a closed channel is reported here rather than thrown as an 'error' event
    worker.child.send(msg, (e) => {
      if (e) done(fail('worker-died', `the worker for ${body.fn.id} on ${NODE} went away before the invocation reached it: ${e.message}`, undefined, logs), false);
    });
  });
}

async function warm(ref: FunctionRef, signal?: AbortSignal): Promise<{ ok: true; coldStartMs: number; warm: boolean } | AgentError> {
  if (!existsSync(bundlePath(ref.bundle))) return fail('bundle-missing', `node ${NODE} has no bundle for ${ref.id}`);
  const s = stateOf(ref);
  if (s.workers.length) return { ok: true, coldStartMs: 0, warm: true };
  const budget = new Budget(LOAD_TIMEOUT_MS, 'timeout', signal);
  try {
    while (!roomFor(s)) {
      await budget.next();
      if (budget.ended) return fail(budget.ended === 'closed' ? 'aborted' : 'node-busy', `${ref.id} could not start on ${NODE}: all ${MAX_NODE_WORKERS} workers of the node stayed busy for ${fmtMs(budget.elapsed())}`, 'deploy fewer functions on the node, or wait for its invocations to end');
      if (s.workers.length) return { ok: true, coldStartMs: 0, warm: true };
    }
  } finally {
    budget.dispose();
  }
  const w = spawnWorker(s);
  const onClose = () => killWorker(w, 'the controller closed its warm request');
  signal?.addEventListener('abort', onClose, { once: true });
  try {
    const ms = await w.ready;
    release(s, w);
    return { ok: true, coldStartMs: ms, warm: false };
  } catch (e) {
    killWorker(w, 'it did not load');
    const err = e as Error & { code?: string; hint?: string };
    return fail(err.code ?? 'cold-start-failed', `${ref.id} could not start on ${NODE}: ${err.message}`, err.hint);
  } finally {
    signal?.removeEventListener('abort', onClose);
  }
}

/** A worker's resident memory (Linux: /proc; 0 elsewhere). */
function rssOf(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function health(): Health {
  const cpu = process.cpuUsage();
  const mem = process.memoryUsage();
  let workersRss = 0;
  for (const w of live) workersRss += w.rssBytes = rssOf(w.child.pid);
  return {
    node: NODE!,
    cluster: CLUSTER,
    pid: process.pid,
    startedAt: startedAt.toISOString(),
    uptimeMs: Date.now() - startedAt.getTime(),
    cpu: { userMs: cpu.user / 1000, systemMs: cpu.system / 1000, load1: loadavg()[0] },
    memory: { rssBytes: mem.rss, heapBytes: mem.heapUsed, workersRssBytes: workersRss },
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
    limits: {
      memoryBytes: MEMORY_BYTES,
      workerHeapBytes: WORKER_HEAP_MB * MiB,
      maxNodeWorkers: MAX_NODE_WORKERS,
      maxFunctionWorkers: MAX_WORKERS,
      invokeTimeoutMs: INVOKE_TIMEOUT_MS,
      loadTimeoutMs: LOAD_TIMEOUT_MS,
      isolation: PERMISSION_FLAG ? 'permission' : 'none',
    },
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
    const r = await warm(parsed.data.fn, closedSignal(res));
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
    const r = await invoke(parsed.data, closedSignal(res));
    return json(res, r.ok ? 200 : r.error.code === 'deadline-exceeded' || r.error.code === 'invocation-timeout' ? 504 : 500, r);
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

function killAll(): void {
  for (const w of live) w.child.kill('SIGKILL');
}

function shutdown(): void {
  killAll();
  server.close();
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
// however the agent ends (a crash included), its workers end with it
process.on('exit', killAll);

// retire idle workers
setInterval(() => {
  const now = Date.now();
  for (const s of functions.values()) {
    for (const w of [...s.workers]) if (!w.busy && now - w.lastUsed > IDLE_MS) killWorker(w, `idle for ${fmtMs(now - w.lastUsed)}`, 'SIGTERM');
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
