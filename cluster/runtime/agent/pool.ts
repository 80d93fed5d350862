/**
 * The node's worker processes: one function's invocations run in its workers, a cold start forks
 * one (confined: confine.ts), warm ones are reused, idle ones retire. At most maxNodeWorkers live
 * at once, every function together; room is made by stopping the least recently used idle worker
 * of another function. Workers are forked into the agent's process group, so a backend that kills
 * the group takes them along even after the agent died.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { failure, fmtMs, MiB, type AgentConfig } from './config';
import { real, type Confinement } from './confine';
import type { Budget } from './budget';
import type { FromWorker, FunctionRef, Health, ToWorker } from './protocol';
import type { NodeStore } from './store';

export interface Worker {
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

export interface FnState {
  ref: FunctionRef;
  workers: Worker[];
  invocations: number;
  errors: number;
  coldStarts: number;
  execMsTotal: number;
  /** retired (a restart or an undeploy): its workers exit once their invocation is done */
  retired?: boolean;
}

export const keyOf = (workflow: string, id: string) => `${workflow}/${id}`;

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

export class Pool {
  /** by workflow/function: two workflows may each have a function of the same name on this node */
  readonly functions = new Map<string, FnState>();
  /** retired functions whose workers were busy when they were retired */
  private readonly retiring = new Set<FnState>();
  /** every worker process that has not exited yet, whatever its function: what the node cap counts */
  readonly live = new Set<Worker>();
  private nextWorker = 1;
  /** Whoever waits for a worker or for room on the node: woken when a worker frees up or exits. */
  private waiters: Array<() => void> = [];

  constructor(
    private readonly cfg: AgentConfig,
    private readonly store: NodeStore,
    private readonly confine: Confinement,
  ) {}

  /** Registers a one-shot wake-up for the next change of the node's workers. */
  onChange(wake: () => void): void {
    this.waiters.push(wake);
  }

  changed(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  stateOf(ref: FunctionRef): FnState {
    const key = keyOf(ref.workflow, ref.id);
    let s = this.functions.get(key);
    if (!s || s.ref.bundle !== ref.bundle) {
      if (s) for (const w of [...s.workers]) this.killWorker(w, 'its function was redeployed with another bundle');
      s = { ref, workers: [], invocations: 0, errors: 0, coldStarts: 0, execMsTotal: 0 };
      this.functions.set(key, s);
    }
    return s;
  }

  killWorker(w: Worker, why: string, signal: NodeJS.Signals = 'SIGKILL'): void {
    w.fn.workers = w.fn.workers.filter((x) => x !== w);
    if (w.killed) return;
    w.killed = why;
    w.child.kill(signal);
    console.error(`edgeai agent ${this.cfg.node}: ${signal === 'SIGKILL' ? 'killed' : 'stopped'} worker ${w.child.pid} of ${keyOf(w.fn.ref.workflow, w.fn.ref.id)}: ${why}`);
    // function code can ignore SIGTERM: it gets 2 s to go, then SIGKILL
    if (signal !== 'SIGKILL') setTimeout(() => this.live.has(w) && w.child.kill('SIGKILL'), 2000).unref();
  }

  /** Why a worker exited, as well as it can be told: its heap limit, a fatal error, a signal. */
  exitReason(w: Worker, code: number | null, signal: string | null): { code: string; how: string; hint?: string } {
    const { cfg } = this;
    const what = signal ?? `exit code ${code}`;
    if (/heap out of memory|Reached heap limit/i.test(w.stderr)) {
      return {
        code: 'out-of-memory',
        how: `ran out of memory (${what}): its heap limit is ${cfg.workerHeapMb} MiB, node ${cfg.node}'s ${Math.round(cfg.memoryBytes / MiB)} MiB over at most ${cfg.maxNodeWorkers} workers`,
        hint: 'hold less in memory (work in batches), or place the function on a node with more memory',
      };
    }
    const last = w.stderr.trim().split('\n').filter(Boolean).pop();
    return { code: 'worker-died', how: `exited (${w.killed ? `killed: ${w.killed}` : what})${last && !w.killed ? `: ${last.slice(0, 300)}` : ''}` };
  }

  /** Forks a worker and loads the function; `ready` resolves with the cold-start time in ms. */
  spawnWorker(s: FnState): Worker {
    const { cfg } = this;
    const id = this.nextWorker++;
    const scratch = join(real(this.store.dir), 'tmp', `worker-${process.pid}-${id}`);
    mkdirSync(scratch, { recursive: true });
    const launch = this.confine.workerLaunch(s.ref.bundle, scratch);
    // structured clone, not JSON: TensorFlow Lite tensors travel to and from the agent as typed arrays
    const child = fork(launch.worker, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'pipe', 'ipc'], execArgv: launch.execArgv, env: launch.env, cwd: launch.cwd });
    const w: Worker = { id, child, fn: s, busy: true, lastUsed: Date.now(), rssBytes: 0, ready: Promise.resolve(0), stderr: '', scratch };
    this.live.add(w);
    child.stderr?.on('data', (d: Buffer) => {
      process.stderr.write(d);
      w.stderr = (w.stderr + d.toString('utf8')).slice(-4096);
    });
    const t0 = performance.now();
    const name = `${s.ref.id} (workflow ${s.ref.workflow})`;
    w.ready = new Promise<number>((resolve, reject) => {
      const loadTimer = setTimeout(() => {
        const pid = child.pid;
        this.killWorker(w, `still loading after ${cfg.loadTimeoutMs} ms`);
        reject(
          failure(
            'load-timeout',
            `the worker for ${name} did not finish loading within ${fmtMs(cfg.loadTimeoutMs)}: the module's top level (or what it awaits) never returned; its worker (pid ${pid}) was killed`,
            'move long-running or waiting code out of the module top level into the function',
          ),
        );
      }, cfg.loadTimeoutMs);
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
        const r = this.exitReason(w, code, signal);
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
    child.on('error', () => this.killWorker(w, 'its process reported an error'));
    w.ready.catch(() => undefined);
    child.once('exit', () => {
      this.live.delete(w);
      rmSync(scratch, { recursive: true, force: true });
      s.workers = s.workers.filter((x) => x !== w);
      if (s.retired && !s.workers.length) this.retiring.delete(s);
      this.changed();
    });
    const init: ToWorker = { type: 'init', bundlePath: real(this.store.bundlePath(s.ref.bundle)), fn: s.ref, storeDir: real(this.store.dir), scratchDir: scratch, confined: this.confine.confined };
    child.send(init, (e) => {
      if (e) this.killWorker(w, `the init message did not reach it: ${e.message}`);
    });
    s.workers.push(w);
    s.coldStarts++;
    return w;
  }

  /**
   * Room for one more worker on this node: below the cap, or made by stopping the idle worker of
   * another function that was used least recently (the caller waits for its exit and asks again).
   */
  roomFor(s: FnState): boolean {
    const { cfg } = this;
    if (this.live.size < cfg.maxNodeWorkers) return true;
    const all = [...this.live];
    // one is on its way out already: its exit makes the room
    if (all.some((w) => w.killed)) return false;
    const idle = all.filter((w) => !w.busy && w.fn !== s).sort((a, b) => a.lastUsed - b.lastUsed)[0];
    if (idle) this.killWorker(idle, `making room on node ${cfg.node} (at most ${cfg.maxNodeWorkers} workers) for ${s.ref.id}`, 'SIGTERM');
    return false;
  }

  /** An idle warm worker, a new one (cold start), or a wait for one to free up; undefined when the budget ends first. */
  async acquire(s: FnState, budget: Budget): Promise<{ worker: Worker; cold: boolean; queueMs: number } | undefined> {
    for (;;) {
      if (budget.ended) return undefined;
      const idle = s.workers.find((w) => !w.busy && !w.killed);
      if (idle) {
        idle.busy = true;
        return { worker: idle, cold: false, queueMs: budget.elapsed() };
      }
      if (s.workers.length < this.cfg.maxWorkers && !s.workers.some((w) => w.warming) && this.roomFor(s)) return { worker: this.spawnWorker(s), cold: true, queueMs: budget.elapsed() };
      await budget.next();
    }
  }

  release(s: FnState, w: Worker): void {
    w.busy = false;
    w.lastUsed = Date.now();
    // a retired function's worker finishes what it ran and exits; waiters start a fresh one
    if (s.retired) this.killWorker(w, 'its function was retired', 'SIGTERM');
    this.changed();
  }

  /** After a worker was killed under an invocation (or died): keep the function warm for the next request. */
  replaceLater(s: FnState, dead: Worker): void {
    const replace = () => {
      if (s.retired || s.workers.length || this.functions.get(keyOf(s.ref.workflow, s.ref.id)) !== s || this.live.size >= this.cfg.maxNodeWorkers) return;
      const fresh = this.spawnWorker(s);
      fresh.warming = true;
      fresh.ready
        .then(() => {
          fresh.warming = false;
          this.release(s, fresh);
        })
        .catch(() => this.killWorker(fresh, 'its replacement did not load'));
    };
    if (this.live.has(dead)) dead.child.once('exit', replace);
    else setImmediate(replace);
  }

  /**
   * Retires a function's workers (a restart, or the function left its workflow): idle ones exit
   * now, busy ones after their invocation. Only that workflow's function, and only if it runs the
   * given bundle: another workflow's function of the same name on this node is left alone. The next
   * warm or invocation starts afresh.
   */
  retire(workflow: string, id: string, bundle: string): { ok: true; retired: number[] } {
    const key = keyOf(workflow, id);
    const s = this.functions.get(key);
    if (!s || s.ref.bundle !== bundle) return { ok: true, retired: [] };
    this.functions.delete(key);
    s.retired = true;
    const pids: number[] = [];
    for (const w of [...s.workers]) {
      if (w.child.pid) pids.push(w.child.pid);
      if (w.busy && !w.warming) continue;
      this.killWorker(w, 'its function was retired', 'SIGTERM');
    }
    if (s.workers.length) this.retiring.add(s);
    this.changed();
    return { ok: true, retired: pids };
  }

  /** Stops the workers idle for longer than idleMs. */
  retireIdle(now = Date.now()): void {
    for (const s of this.functions.values()) {
      for (const w of [...s.workers]) if (!w.busy && now - w.lastUsed > this.cfg.idleMs) this.killWorker(w, `idle for ${fmtMs(now - w.lastUsed)}`, 'SIGTERM');
    }
  }

  killAll(): void {
    for (const w of this.live) w.child.kill('SIGKILL');
  }

  /** What /health says of the workers: each function's, and their memory together. */
  health(): { workersRssBytes: number; functions: Health['functions'] } {
    let workersRssBytes = 0;
    for (const w of this.live) workersRssBytes += w.rssBytes = rssOf(w.child.pid);
    const functions = [...this.functions.values()].map((s) => ({
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
    }));
    return { workersRssBytes, functions };
  }
}
