/**
 * The node's evaluator: a worker process that never loads function code, and measures what the
 * selectors and the gates rely on — a trained model's accuracy on the holdout and its bias gates
 * (issue 11, item 7). The worker that ran the function only trains and saves the model; a
 * function that patches TensorFlow.js, the SDK or the worker itself cannot reach this process, so
 * it cannot forge its own accuracy or gate verdict.
 *
 * One per agent, forked on first use with the workers' confinement (it reads the worker runtime
 * and the node's blobs, writes only its scratch folder), kept for the next model, one evaluation
 * at a time; it dies with the agent, and a new one is forked when it has died.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Confinement } from './confine';
import type { NodeStore } from './store';
import type { EvaluateRequest, FromWorker, GateResult, ToWorker } from './protocol';
import { failure } from './config';

export interface Evaluation {
  metrics: Record<string, number>;
  gates: GateResult[];
}

export class Evaluator {
  private child: ChildProcess | undefined;
  private ready: Promise<void> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private scratch: string | undefined;

  constructor(
    private readonly node: string,
    private readonly store: NodeStore,
    private readonly confine: Confinement,
    private readonly loadTimeoutMs: number,
  ) {}

  /** Measures one model; rejects with a coded failure (the invocation then fails with it). */
  evaluate(req: EvaluateRequest, signal?: AbortSignal): Promise<Evaluation> {
    const run = this.queue.then(() => this.once(req, signal));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** The evaluator process ends (the agent's shutdown). */
  kill(): void {
    this.child?.kill('SIGKILL');
  }

  private start(): Promise<void> {
    if (this.ready && this.child && this.child.exitCode === null && !this.child.killed) return this.ready;
    const scratch = (this.scratch = join(this.store.dir, 'tmp', `evaluator-${process.pid}`));
    mkdirSync(scratch, { recursive: true });
    const launch = this.confine.workerLaunch(undefined, scratch);
    const child = fork(launch.worker, [], { stdio: ['ignore', 'inherit', 'pipe', 'ipc'], execArgv: launch.execArgv, env: launch.env, cwd: launch.cwd });
    this.child = child;
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      process.stderr.write(d);
      stderr = (stderr + d.toString('utf8')).slice(-2000);
    });
    child.on('error', () => child.kill('SIGKILL'));
    child.once('exit', () => {
      if (this.child === child) (this.child = undefined), (this.ready = undefined);
      rmSync(scratch, { recursive: true, force: true });
    });
    this.ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => (child.kill('SIGKILL'), reject(failure('evaluator-failed', `the evaluator of node ${this.node} did not start within ${this.loadTimeoutMs} ms`))), this.loadTimeoutMs);
      const onMsg = (m: FromWorker) => {
        if (m.type !== 'ready' && m.type !== 'error') return;
        child.off('message', onMsg);
        clearTimeout(timer);
        if (m.type === 'ready') resolve();
        else reject(failure(m.code, `the evaluator of node ${this.node} could not start: ${m.message}`, m.hint));
      };
      child.on('message', onMsg);
      child.once('exit', (code, sig) => (clearTimeout(timer), reject(failure('evaluator-failed', `the evaluator of node ${this.node} exited (${sig ?? code}) while starting${stderr ? `: ${stderr.slice(-300)}` : ''}`))));
    });
    this.ready.catch(() => undefined);
    const init: ToWorker = { type: 'init-evaluator', storeDir: this.store.dir, scratchDir: scratch, confined: this.confine.confined };
    child.send(init, (e) => e && child.kill('SIGKILL'));
    return this.ready;
  }

  private async once(req: EvaluateRequest, signal?: AbortSignal): Promise<Evaluation> {
    await this.start();
    const child = this.child!;
    return new Promise<Evaluation>((resolve, reject) => {
      const finish = (f: () => void) => {
        child.off('message', onMsg);
        child.off('exit', onExit);
        signal?.removeEventListener('abort', onAbort);
        f();
      };
      const onMsg = (m: FromWorker) => {
        if (m.type === 'evaluated') finish(() => resolve({ metrics: m.metrics, gates: m.gates }));
        else if (m.type === 'error') finish(() => reject(failure(m.code, `evaluating ${req.model.urn} on ${this.node}: ${m.message}`, m.hint)));
      };
      const onExit = (code: number | null, sig: string | null) => finish(() => reject(failure('evaluator-failed', `the evaluator of node ${this.node} exited (${sig ?? code}) while evaluating ${req.model.urn}`)));
      // the invocation ended (its deadline, its caller gone): the evaluator is stopped with it
      const onAbort = () => (child.kill('SIGKILL'), finish(() => reject(failure('aborted', `evaluating ${req.model.urn} was stopped: the invocation ended`))));
      child.on('message', onMsg);
      child.once('exit', onExit);
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      const msg: ToWorker = { type: 'evaluate', req };
      child.send(msg, (e) => e && finish(() => reject(failure('evaluator-failed', `the evaluator of node ${this.node} did not take the model: ${e.message}`))));
    });
  }
}
