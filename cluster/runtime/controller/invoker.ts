/**
 * Running one invocation: resolve each input selector against the registry (newest version, or
 * `best` by a metric, skipping candidates with no reachable copy), move the inputs to the node,
 * run the function there under its deadline, evaluate the gates, record the outputs with their
 * lineage and the run with its timings. A node that dies under an invocation gets it retried
 * once on another node; the caller gets one answer.
 *
 * The deadline clock starts when the controller begins the invocation (this process's own
 * start-up is paid when the controller opens, not here); what is left of it when the inputs are
 * on the node is the agent's to enforce. The timings' parts — queue, transfer, cold start,
 * execution and the platform's own overhead — add up to the total.
 */
import { randomUUID } from 'node:crypto';
import { StudioError, errorRecord } from '../../common/errors';
import type { FunctionSpec } from '../../spec/function';
import { fillUrn } from '../../spec/selector';
import { MODEL_FORMAT } from '../../spec/artifact';
import { AgentRefused, AgentUnreachable } from '../agent/client';
import type { FunctionRef, InvocationInput, InvokeResult } from '../agent/protocol';
import type { PlacementRow, RunRow } from '../state';
import type { ControllerContext } from './context';
import type { DriftWatch } from './gates';
import type { Mover } from './mover';
import type { TriggerBoard } from './triggers';
import type { InvokeAnswer, InvokeOptions, StoredSpec } from './types';

/**
 * How long an invocation without a deadline may take before its node kills it: 5 min (the
 * default request timeout of Knative and Cloud Run), or EDGEAI_INVOKE_TIMEOUT_MS.
 */
export function invokeTimeoutMs(): number {
  const v = Number(process.env.EDGEAI_INVOKE_TIMEOUT_MS);
  return Number.isFinite(v) && v > 0 ? v : 5 * 60_000;
}

/** The node died under the invocation: place the function elsewhere and try once more. */
class RetryOnAnotherNode extends Error {
  constructor(
    readonly node: string,
    message: string,
  ) {
    super(message);
  }
}

/** The node's Coral stick left under the invocation: the run fails with that reason, and the function is placed again. */
class AcceleratorGone extends StudioError {
  constructor(
    readonly node: string,
    message: string,
    hint: string | undefined,
  ) {
    super('accelerator-gone', message, hint);
  }
}

/** What a deploy sends an agent about a function. */
export function functionRef(workflow: string, stored: StoredSpec, bundle: string): FunctionRef {
  const s = stored.spec;
  return { workflow, id: s.id, bundle, className: s.className, method: s.method, consumes: s.consumes, produces: s.produces, gates: s.gates, ...(s.policies.fn?.capability ? { capability: s.policies.fn.capability } : {}) };
}

export interface InvokerDeps {
  mover: Mover;
  drift: DriftWatch;
  triggers: () => TriggerBoard;
  /** places the function on another node than `exclude` and ships it there (the retry) */
  replace: (workflow: string, stored: StoredSpec, revision: number, exclude: string | readonly string[]) => Promise<void>;
  /**
   * the Coral of `node` is gone (an agent's accelerator-gone): the node loses tpu the way a stick
   * it saw leave takes it (Controller.followSticks), so every function there that needs tpu moves
   * off it; resolves once those moves have ended
   */
  coralGone: (node: string) => Promise<void>;
}

export class Invoker {

  constructor(
    private readonly ctx: ControllerContext,
    private readonly deps: InvokerDeps,
  ) {}

  async invoke(workflow: string, fnId: string, opts: InvokeOptions = {}): Promise<InvokeAnswer> {
    const started = Date.now();
    const { ctx } = this;
    ctx.requireUp();
    const placement = ctx.state.placement(workflow, fnId);
    if (!placement) {
      const fns = ctx.state.placements(workflow).map((p) => p.function);
      throw new StudioError('not-deployed', fns.length ? `${workflow} has no function '${fnId}' (deployed: ${fns.join(', ')})` : `${workflow} is not deployed`, fns.length ? undefined : `deploy it first: edgeai deploy <project>`);
    }
    const stored = JSON.parse(placement.spec) as StoredSpec;
    const runId = randomUUID();
    const params = opts.params ?? {};
    const run: RunRow = {
      id: runId,
      workflow,
      function: fnId,
      node: placement.node,
      status: 'running',
      started: new Date(started).toISOString(),
      ended: null,
      request: JSON.stringify({ params, input: opts.input ?? null }),
      inputs: '[]',
      outputs: '[]',
      output: null,
      timings: '{}',
      logs: '[]',
      error: null,
      attempts: 1,
    };
    ctx.state.insertRun(run);
    ctx.emit({ type: 'run', run: runId, workflow, function: fnId, status: 'running' });
    const finish = (status: RunRow['status'], patch: Partial<RunRow>) => {
      ctx.state.updateRun(runId, { status, ended: new Date().toISOString(), ...patch });
      ctx.emit({ type: 'run', run: runId, workflow, function: fnId, status });
    };
    try {
      return await this.once(workflow, stored, runId, params, opts.input, started, 1);
    } catch (e) {
      if (e instanceof RetryOnAnotherNode) {
        // the node died under the invocation: once more on another node, one answer to the caller
        try {
          await this.deps.replace(workflow, stored, placement.revision, e.node);
          ctx.state.updateRun(runId, { attempts: 2 });
          return await this.once(workflow, stored, runId, params, opts.input, started, 2);
        } catch (e2) {
          const err = e2 instanceof RetryOnAnotherNode ? new StudioError('node-failed', e2.message, 'the cluster is losing nodes: check `edgeai cluster status`') : e2;
          finish('failed', { error: JSON.stringify(errorRecord(err)) });
          throw err;
        }
      }
      const err = errorRecord(e);
      finish(err.code === 'deadline-exceeded' ? 'deadline-miss' : 'failed', { error: JSON.stringify(err) });
      if (e instanceof AcceleratorGone) {
        // not retried in this run (it ran partly on a stick that is gone). The node loses capability
        // tpu until its stick is back (StickBook), as when its agent sees the stick leave: every
        // function placed there that needs tpu — this one and its siblings — moves off it
        await this.deps.coralGone(e.node);
        let moved: string;
        const now = ctx.state.placement(workflow, fnId);
        if (now?.node === e.node) {
          // the node had no tpu to lose (it stays where it was): this function goes without that node
          moved = await this.deps.replace(workflow, stored, placement.revision, [e.node]).then(
            () => `; ${fnId} was placed again: on ${ctx.state.placement(workflow, fnId)?.node ?? 'no node'}`,
            (x: Error) => `; ${fnId} could not be placed again: ${x.message}`,
          );
        } else moved = now?.node ? `; ${fnId} was placed again: on ${now.node}` : `; ${fnId} could not be placed again: ${now?.reason ?? 'it is no longer deployed'}`;
        throw new StudioError('accelerator-gone', e.detail + moved, e.hint);
      }
      throw e;
    }
  }

  /**
   * The outputs a run may record: one per @produces of the spec, in order, with the urn filled
   * from the request's params. A worker that reports anything else (another urn, another kind,
   * more or fewer outputs) forged its result: the run fails and nothing is recorded.
   */
  private declaredOutputs(spec: FunctionSpec, params: Record<string, string>, result: InvokeResult): Array<{ declared: { kind: 'data' | 'model'; urn: string; type?: string; tags: string[] }; p: InvokeResult['produced'][number] }> {
    const declared = spec.produces.map((d) => ({ kind: d.kind, urn: fillUrn(d.urn, params).urn, ...(d.type ? { type: d.type } : {}), tags: [...(d.tags ?? [])] }));
    const got = result.produced;
    const forged = got.length !== declared.length || got.some((p, i) => p.kind !== declared[i].kind || p.urn !== declared[i].urn);
    if (forged) {
      throw new StudioError(
        'forged-output',
        `${spec.id} reported outputs ${JSON.stringify(got.map((p) => `${p.kind} ${p.urn}`))}, but its @produces declare ${JSON.stringify(declared.map((d) => `${d.kind} ${d.urn}`))}; nothing was recorded`,
        'the worker that ran the function answered something else than the platform asked for: check the function for code that tampers with its runtime',
      );
    }
    return got.map((p, i) => ({ declared: declared[i], p }));
  }

  private async once(workflow: string, stored: StoredSpec, runId: string, params: Record<string, string>, input: unknown, started: number, attempt: number): Promise<InvokeAnswer> {
    const { ctx } = this;
    const placement: PlacementRow = ctx.state.placement(workflow, stored.spec.id)!;
    const spec: FunctionSpec = stored.spec;
    const node = placement.node;
    if (!node || placement.status !== 'ready') {
      throw new StudioError('not-ready', `${workflow}/${spec.id} is not ready (${placement.status}${placement.reason ? ': ' + placement.reason : ''})`, 'deploy again once the cluster has a node that fits');
    }
    const client = ctx.client(node);
    if (!client) throw new RetryOnAnotherNode(node, `node ${node} is not running`);
    ctx.state.updateRun(runId, { node });

    // resolve inputs, newest (or best) first, skipping candidates with no reachable copy
    const inputs: InvocationInput[] = [];
    let transferMs = 0;
    const policy = spec.policies.data;
    for (const c of spec.consumes) {
      const r = ctx.registry.resolve({ ...c.selector, kind: c.kind }, params, c.kind === 'model' && c.best ? { best: c.best } : {});
      const pick = r.candidates.find((a) => ctx.registry.hasBytes(a) || this.deps.mover.locationsOf(a).length > 0);
      if (!pick) {
        const why = r.rejected.slice(0, 3).map((x) => `${x.artifact.urn}@${x.artifact.version}: ${x.reason}`);
        throw new StudioError(
          'no-input',
          `${spec.id}: nothing in the registry matches @consumes.${c.kind} ${JSON.stringify(c.selector)}${r.candidates.length ? ` (${r.candidates.length} match but are unavailable)` : ''}${why.length ? `; closest: ${why.join('; ')}` : ''}`,
          c.kind === 'model' ? 'run the function that produces the model first (e.g. train)' : 'import the data (edgeai data add) or deploy the workflow that declares it',
        );
      }
      // a strict policy covers every input, data or model: none may cross outside the networks
      transferMs += await this.deps.mover.ensureOn(pick, node, policy ? { networks: policy.network, strict: policy.strict, fn: spec.id } : undefined);
      inputs.push({ kind: c.kind, artifact: pick, ...(c.kind === 'data' && c.holdout ? { holdout: c.holdout } : {}), ...(c.kind === 'data' && c.batch ? { batch: c.batch } : {}), seed: 42 });
    }
    ctx.state.updateRun(runId, { inputs: JSON.stringify(inputs.map((i) => ({ kind: i.kind, urn: i.artifact.urn, version: i.artifact.version }))) });

    const deadline = spec.policies.deadline?.ms;
    const left = deadline !== undefined ? deadline - (Date.now() - started) : undefined;
    if (left !== undefined && left <= 0) {
      throw new StudioError('deadline-exceeded', `${spec.id} missed its ${spec.policies.deadline!.text} deadline before it started: moving its inputs took ${Math.round(transferMs)} ms of the ${Math.round(Date.now() - started)} ms since the invocation began`, 'relax @policy.deadline, or keep the inputs close to the node (data locality)');
    }
    let result: InvokeResult;
    // without a deadline, a timeout: the agent kills a function that never returns
    const timeoutMs = left === undefined ? invokeTimeoutMs() : undefined;
    try {
      result = await client.invoke(
        { fn: functionRef(workflow, stored, placement.bundle), inputs, request: { id: runId, params, ...(input !== undefined ? { input } : {}), ...(left !== undefined ? { deadlineMs: left } : { timeoutMs }) } },
        // the agent enforces both; this bound only catches an agent that hangs or dies (and
        // closing the request makes the agent kill the worker)
        { timeoutMs: (left ?? timeoutMs!) + (left !== undefined ? 3000 : 10_000) },
      );
    } catch (e) {
      if (e instanceof AgentRefused) {
        ctx.state.updateRun(runId, { logs: JSON.stringify(e.logs), ...(e.modelRanOn ? { ran_on: e.modelRanOn } : {}) });
        if (e.code === 'accelerator-gone') throw new AcceleratorGone(node, e.detail, e.hint);
        if (e.code === 'worker-died' && attempt === 1 && !(await client.alive())) throw new RetryOnAnotherNode(node, e.detail);
        if (e.code === 'deadline-exceeded') throw new StudioError(e.code, `${spec.id} missed its ${spec.policies.deadline?.text ?? ''} deadline on ${node}: aborted after ${Date.now() - started} ms`, e.hint);
        throw new StudioError(e.code, e.detail, e.hint);
      }
      if (e instanceof AgentUnreachable && e.timedOut && left !== undefined) throw new StudioError('deadline-exceeded', `${spec.id} missed its ${spec.policies.deadline!.text} deadline on ${node}; node did not answer`, 'relax @policy.deadline');
      if (e instanceof AgentUnreachable && e.timedOut && (await client.alive())) {
        // the node answers, but not this invocation: the function's time is up, the node is not lost
        throw new StudioError('invocation-timeout', `${spec.id} did not return within ${Math.round(timeoutMs! / 1000)} s on ${node}, and node ${node} did not say why`, 'make it return, give it a @policy.deadline, or raise EDGEAI_INVOKE_TIMEOUT_MS');
      }
      throw new RetryOnAnotherNode(node, `node ${node} stopped answering during ${spec.id} (${(e as Error).message})`);
    }
    for (const line of result.logs) ctx.emit({ type: 'log', run: runId, line });

    // gates: bias comes measured from the node; drift over this function's recent outputs
    const gates = [...result.gates, ...this.deps.drift.observe(workflow, spec, result.output)];
    const blocked = gates.some((g) => g.kind === 'bias' && !g.pass);
    const produced: string[] = [];
    if (!blocked) {
      for (const { declared, p } of this.declaredOutputs(spec, params, result)) {
        // what it is — urn, kind, type, tags, and the data it was made from — is the platform's
        // (the function's spec and the inputs the controller gave it), never what the worker says
        const dataTags = [...new Set(inputs.flatMap((i) => (i.kind === 'data' ? i.artifact.tags : i.artifact.data_tags)))];
        const a = ctx.registry.putRemote(
          {
            kind: declared.kind,
            urn: declared.urn,
            ...(declared.type ? { type: declared.type } : {}),
            tags: declared.tags,
            data_tags: dataTags,
            metrics: p.metrics,
            format: declared.kind === 'model' ? MODEL_FORMAT : 'jsonl',
            lineage: { run: runId, function: `${workflow}/${spec.id}`, inputs: inputs.map((i) => ({ urn: i.artifact.urn, version: i.artifact.version, kind: i.kind })) },
            locations: [{ node, networks: ctx.links!.networksOf(node) }],
          },
          { sha256: p.sha256, size: p.size },
        );
        produced.push(`${a.urn}@${a.version}`);
      }
    }
    const totalMs = Date.now() - started;
    const parts = { queueMs: result.timings.queueMs, transferMs, coldStartMs: result.timings.coldStartMs, execMs: result.timings.execMs };
    const timings = { ...parts, overheadMs: Math.max(0, totalMs - parts.queueMs - parts.transferMs - parts.coldStartMs - parts.execMs), totalMs };
    const status: RunRow['status'] = blocked ? 'gate-failed' : 'ok';
    ctx.state.updateRun(runId, {
      status,
      ended: new Date().toISOString(),
      node,
      outputs: JSON.stringify(produced),
      output: ctx.state.outputRecord(result.output, gates),
      timings: JSON.stringify(timings),
      logs: JSON.stringify(result.logs),
      ran_on: result.modelRanOn ?? null,
    });
    ctx.emit({ type: 'run', run: runId, workflow, function: spec.id, status });
    const triggers = this.deps.triggers();
    const failedGates = gates.filter((g) => !g.pass);
    if (failedGates.length) triggers.gatesFailed(workflow, spec.id, failedGates);
    if (produced.length) triggers.scan();
    return {
      run: runId,
      workflow,
      function: spec.id,
      node,
      output: result.output,
      models: inputs.filter((i) => i.kind === 'model').map((i) => `${i.artifact.urn}@${i.artifact.version}`),
      inputs: inputs.map((i) => `${i.artifact.urn}@${i.artifact.version}`),
      produced,
      gates,
      timings,
      cold: result.cold,
      attempts: attempt,
      logs: result.logs,
      ...(result.modelRanOn ? { modelRanOn: result.modelRanOn } : {}),
    };
  }
}
