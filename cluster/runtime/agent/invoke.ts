/**
 * One warm (a worker of the function ready) and one invocation on this node: a worker is
 * acquired under the invocation's budget (its deadline, else a timeout, counted from its arrival:
 * queue and cold start included), the invocation runs in it, what it staged is committed, and the
 * answer says what happened — including a budget that ended in the queue, while loading or while
 * running (the worker is killed then) and a controller that closed its request.
 */
import { LogBudget, MAX_LOG_BYTES, MAX_LOG_LINE_BYTES, outputRefusal } from './output-limits';
import { fail, failure, fmtMs, type AgentConfig } from './config';
import { Budget } from './budget';
import type { Confinement } from './confine';
import type { Pool } from './pool';
import type { NodeStore } from './store';
import type { AgentError, FromWorker, FunctionRef, GateResult, InvokeBody, InvokeResult, Produced, ToWorker } from './protocol';
import type { Evaluation, Evaluator } from './evaluator';
import { TfliteSession, type TfliteService } from './tflite-service';

export class Runner {
  constructor(
    private readonly cfg: AgentConfig,
    private readonly pool: Pool,
    private readonly store: NodeStore,
    private readonly confine: Confinement,
    private readonly evaluator?: Evaluator,
    private readonly tflite?: TfliteService,
  ) {}

  /** A worker's request to the node's TensorFlow Lite runner (tflite-service.ts), answered over IPC. */
  private tfliteCall(body: InvokeBody, session: TfliteSession, worker: { child: { send(m: ToWorker): unknown; connected?: boolean } }, m: Extract<FromWorker, { type: 'tflite-open' | 'tflite-run' }>): void {
    const reply = (r: ToWorker) => {
      if (worker.child.connected !== false) worker.child.send(r);
    };
    const NODE = this.cfg.node;
    if (!this.tflite) return reply({ type: 'tflite-error', call: m.call, code: 'tflite-unavailable', message: `node ${NODE}'s agent runs no TensorFlow Lite models` });
    const work =
      m.type === 'tflite-open'
        ? this.tflite.open(session, body.inputs, String(m.sha256), body.fn.capability).then(({ handle, model }) => reply({ type: 'tflite-opened', call: m.call, handle, info: model.info, runsOn: model.runsOn }))
        : this.tflite.run(session, Number(m.handle), m.inputs).then((outputs) => reply({ type: 'tflite-ran', call: m.call, outputs }));
    work.catch((e: Error & { code?: string; hint?: string }) => {
      if (e.code === 'accelerator-gone') session.gone = e;
      reply({ type: 'tflite-error', call: m.call, code: e.code ?? 'tflite-failed', message: e.message, ...(e.hint ? { hint: e.hint } : {}) });
    });
  }

  /** Why a function's bundle cannot run here: not on the node, or changed since it was stored. */
  private bundleRefusal(ref: FunctionRef): AgentError | undefined {
    const state = this.store.bundleState(ref.bundle);
    if (state === 'missing') return fail('bundle-missing', `node ${this.cfg.node} has no bundle ${ref.bundle.slice(0, 12)} for ${ref.id}`, 'deploy the workflow again');
    if (state === 'corrupt') {
      return fail('bundle-corrupt', `node ${this.cfg.node}'s copy of bundle ${ref.bundle.slice(0, 12)} of ${ref.id} does not match its sha256: it was changed on disk, and is not run`, 'deploy the workflow again: the deploy replaces the damaged copy');
    }
    return undefined;
  }

  private budget(limitMs: number, kind: 'deadline' | 'timeout', signal?: AbortSignal): Budget {
    return new Budget(limitMs, kind, (wake) => this.pool.onChange(wake), signal);
  }

  /** The answer when an invocation's budget ended, by what ended it and where the invocation was. */
  private budgetFailure(body: InvokeBody, budget: Budget, phase: 'queued' | 'loading' | 'running', pid: number | undefined, logs: string[]): AgentError {
    const { node, maxNodeWorkers, maxWorkers } = this.cfg;
    const id = body.fn.id;
    const where = phase === 'queued' ? ` waiting for a worker (node ${node} runs at most ${maxNodeWorkers} workers, ${maxWorkers} per function)` : phase === 'loading' ? ` while its worker was still loading (cold start)` : '';
    const killed = pid && phase !== 'queued' ? `; its worker (pid ${pid}) was killed` : '';
    if (budget.ended === 'deadline') return fail('deadline-exceeded', `${id} missed its ${body.request.deadlineMs} ms deadline on ${node}${where}; the invocation was aborted${killed}`, 'relax @policy.deadline or make the function faster', logs);
    if (budget.ended === 'timeout') {
      const whose = body.request.timeoutMs !== undefined ? 'the invocation timeout the controller set' : `node ${node}'s default invocation timeout`;
      return fail('invocation-timeout', `${id} did not return within ${fmtMs(budget.limitMs)} on ${node}${where} (${whose}; it has no @policy.deadline)${killed}`, 'make it return, give it a @policy.deadline, or raise the timeout (EDGEAI_INVOKE_TIMEOUT_MS)', logs);
    }
    return fail('aborted', `the controller closed the request for ${id} on ${node}${where}${killed}`, undefined, logs);
  }

  async invoke(body: InvokeBody, signal?: AbortSignal): Promise<InvokeResult | AgentError> {
    const { cfg, pool } = this;
    const NODE = cfg.node;
    // checked at every invocation, warm worker or not: a bundle changed on disk is refused, not run later
    const refused = this.bundleRefusal(body.fn);
    if (refused) return refused;
    for (const i of body.inputs) {
      if (!this.store.blobs.has(i.artifact.sha256, i.artifact.size)) return fail('artifact-missing', `node ${NODE} does not hold ${i.artifact.urn} version ${i.artifact.version}`, 'the controller moves inputs before invoking');
    }
    const s = pool.stateOf(body.fn);
    // the deadline (or the timeout) counts from the start of the invocation: queue and cold start included
    const deadline = body.request.deadlineMs;
    const budget = this.budget(deadline ?? body.request.timeoutMs ?? cfg.invokeTimeoutMs, deadline !== undefined ? 'deadline' : 'timeout', signal);
    const logs: string[] = [];
    const got = await pool.acquire(s, budget);
    if (!got) {
      s.invocations++;
      s.errors++;
      budget.dispose();
      return this.budgetFailure(body, budget, 'queued', undefined, logs);
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
        pool.killWorker(worker, budget.ended ? `its invocation ended while it loaded (${budget.ended})` : 'it did not load');
        pool.changed();
        s.invocations++;
        s.errors++;
        budget.dispose();
        if ((e as { budget?: boolean }).budget) return this.budgetFailure(body, budget, 'loading', pid, logs);
        const err = e as Error & { code?: string; hint?: string };
        return fail(err.code ?? 'cold-start-failed', `${body.fn.id} could not start on ${NODE}: ${err.message}`, err.hint);
      } finally {
        off();
      }
    }
    // the worker's own cap plus room for its closing line: only a worker that ignores the cap loses lines here
    const logBudget = new LogBudget(MAX_LOG_BYTES + 2 * MAX_LOG_LINE_BYTES);
    const session = this.tflite?.begin() ?? new TfliteSession();
    // where its models ran: TensorFlow.js models in the worker (wasm, on the CPU); TensorFlow Lite ones as the runner opened them
    const ranOn = () => {
      for (const i of body.inputs) if (i.kind === 'model' && i.artifact.format !== 'tflite' && !session.ranOn.has(i.artifact.urn)) session.ranOn.set(i.artifact.urn, 'cpu');
      return session.summary();
    };
    return new Promise((resolve) => {
      let settled = false;
      let offBudget: () => void = () => undefined;
      const done = (r: InvokeResult | AgentError, keep: boolean) => {
        if (settled) return;
        settled = true;
        // a stick that left under the run fails it with that reason, whatever the function made of the error
        if (session.gone && r.ok) r = fail('accelerator-gone', `${body.fn.id} failed on ${NODE}: ${session.gone.message}`, session.gone.hint, logs);
        if (session.gone && !r.ok) r.error.code = 'accelerator-gone';
        this.tflite?.end(session);
        const where = ranOn();
        if (where) r.modelRanOn = where;
        const cut = logBudget.summary();
        if (cut) logs.push(cut);
        offBudget();
        budget.dispose();
        worker.child.off('message', onMsg);
        worker.child.off('exit', onExit);
        this.confine.clearStaged(worker.scratch);
        s.invocations++;
        if (!r.ok) s.errors++;
        if (keep) pool.release(s, worker);
        else {
          pool.replaceLater(s, worker);
          pool.killWorker(worker, r.ok ? 'done' : r.error.message);
          pool.changed();
        }
        resolve(r);
      };
      // what a worker sends is untrusted: with structured clone it can be anything a clone holds
      // (a BigInt, a Map, a cycle); a message the agent cannot handle fails the invocation, never the agent
      const onMsg = (m: FromWorker) => {
        try {
          handle(m);
        } catch (e) {
          done(fail('bad-worker-message', `the worker running ${body.fn.id} on ${NODE} sent a message the agent cannot take (${(e as Error).message})`, 'function code must not talk to the agent itself', logs), false);
        }
      };
      const handle = (m: FromWorker) => {
        if (!m || typeof m !== 'object') throw new Error(`not a message: ${typeof m}`);
        if (m.type === 'log') {
          // the worker caps its log; the agent does not take its word for it
          const kept = logBudget.take(String(m.line));
          if (kept !== undefined) logs.push(kept);
        } else if (m.type === 'result') {
          s.execMsTotal += m.execMs;
          const refused = outputRefusal(body.fn.id, Buffer.byteLength(JSON.stringify(m.output ?? null)));
          if (refused) return done(fail(refused.code, `${refused.message} (on ${NODE})`, refused.hint, logs), false);
          const bad = this.confine.commitStaged(worker.scratch, m.produced);
          if (bad) return done(fail('output-corrupt', `${body.fn.id} on ${NODE} reported an output the agent could not take: ${bad}`, 'the function must not touch the files the platform stages', logs), false);
          void this.measured(body, m, budget.signal).then(
            ({ produced, gates }) => done({ ok: true, output: m.output, produced, gates, logs, timings: { queueMs, coldStartMs, execMs: m.execMs }, worker: worker.id, cold }, true),
            (e: Error & { code?: string; hint?: string }) => done(fail(e.code ?? 'evaluator-failed', e.message, e.hint, logs), true),
          );
        } else if (m.type === 'error') done(fail(m.code, `${body.fn.id} failed on ${NODE}: ${m.message}`, m.hint, logs), true);
        else if (m.type === 'tflite-open' || m.type === 'tflite-run') this.tfliteCall(body, session, worker, m);
      };
      const onExit = (code: number | null, signal: string | null) => {
        const r = pool.exitReason(worker, code, signal);
        done(fail(r.code, `the worker running ${body.fn.id} on ${NODE} ${r.how}`, r.hint, logs), false);
      };
      worker.child.on('message', onMsg);
      worker.child.once('exit', onExit);
      offBudget = budget.onEnd(() => done(this.budgetFailure(body, budget, 'running', worker.child.pid, logs), false));
      if (settled) return;
      const msg: ToWorker = { type: 'invoke', body };
      // with a callback, a closed channel is reported here rather than thrown as an 'error' event
      worker.child.send(msg, (e) => {
        if (e) done(fail('worker-died', `the worker for ${body.fn.id} on ${NODE} went away before the invocation reached it: ${e.message}`, undefined, logs), false);
      });
    });
  }

  /**
   * The produced models with the metrics and gates the node's evaluator measured (evaluator.ts):
   * accuracy and holdout_size, and every bias gate, are the platform's; what the worker reported
   * under those names is dropped. Functions without a model product pass as they are.
   */
  private async measured(body: InvokeBody, m: Extract<FromWorker, { type: 'result' }>, signal: AbortSignal): Promise<{ produced: Produced[]; gates: GateResult[] }> {
    // no gate verdict comes from the worker: bias gates are the evaluator's, drift the controller's
    const models = m.produced.filter((p) => p.kind === 'model');
    if (!models.length) return { produced: m.produced, gates: [] };
    if (!this.evaluator) throw failure('evaluator-failed', `node ${this.cfg.node} has no evaluator to measure ${models[0].urn}`);
    const holdout = body.inputs.find((i) => i.kind === 'data' && i.holdout);
    const biasGates = body.fn.gates.filter((g): g is Extract<FunctionRef['gates'][number], { kind: 'bias' }> => g.kind === 'bias');
    const byModel = new Map<string, Evaluation>();
    for (const p of models) {
      if (byModel.has(p.sha256)) continue;
      byModel.set(
        p.sha256,
        await this.evaluator.evaluate(
          { model: { urn: p.urn, sha256: p.sha256 }, ...(holdout ? { data: { artifact: holdout.artifact, holdout: holdout.holdout!, ...(holdout.seed !== undefined ? { seed: holdout.seed } : {}) } } : {}), gates: biasGates, ...m.evaluation },
          signal,
        ),
      );
    }
    const produced = m.produced.map((p) => {
      if (p.kind !== 'model') return p;
      const { accuracy: _a, holdout_size: _h, ...own } = p.metrics ?? {};
      return { ...p, metrics: { ...own, ...byModel.get(p.sha256)!.metrics } };
    });
    // a function's bias gates are measured once, on its first model
    return { produced, gates: byModel.get(models[0].sha256)!.gates };
  }

  async warm(ref: FunctionRef, signal?: AbortSignal): Promise<{ ok: true; coldStartMs: number; warm: boolean } | AgentError> {
    const { cfg, pool } = this;
    const refused = this.bundleRefusal(ref);
    if (refused) return refused;
    const s = pool.stateOf(ref);
    if (s.workers.length) return { ok: true, coldStartMs: 0, warm: true };
    const budget = this.budget(cfg.loadTimeoutMs, 'timeout', signal);
    try {
      while (!pool.roomFor(s)) {
        await budget.next();
        if (budget.ended) return fail(budget.ended === 'closed' ? 'aborted' : 'node-busy', `${ref.id} could not start on ${cfg.node}: all ${cfg.maxNodeWorkers} workers of the node stayed busy for ${fmtMs(budget.elapsed())}`, 'deploy fewer functions on the node, or wait for its invocations to end');
        if (s.workers.length) return { ok: true, coldStartMs: 0, warm: true };
      }
    } finally {
      budget.dispose();
    }
    const w = pool.spawnWorker(s);
    const onClose = () => pool.killWorker(w, 'the controller closed its warm request');
    signal?.addEventListener('abort', onClose, { once: true });
    try {
      const ms = await w.ready;
      pool.release(s, w);
      return { ok: true, coldStartMs: ms, warm: false };
    } catch (e) {
      pool.killWorker(w, 'it did not load');
      const err = e as Error & { code?: string; hint?: string };
      return fail(err.code ?? 'cold-start-failed', `${ref.id} could not start on ${cfg.node}: ${err.message}`, err.hint);
    } finally {
      signal?.removeEventListener('abort', onClose);
    }
  }
}
