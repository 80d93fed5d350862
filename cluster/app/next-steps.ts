/**
 * What to do next with a project, from the real state of things: its errors, the local cluster,
 * the deployment, the models its functions need, and whether its requests have been tried. The
 * studio's guide shows these steps (each with the button that does it); they are the tour of
 * samples/mnist — start the cluster, deploy, run train, classify a digit — for any project.
 *
 * A step is done or not; the first one not done is the one to do now. Nothing here guesses: a
 * model is "there" when the registry resolves the consumer's selector, a function is "deployed"
 * when the cluster's deployment of this project has it ready, a request "tried" when a run of it
 * succeeded.
 */
import { deriveGraph, fnNodeId, type Project, type WorkflowGraph } from '../project/index';
import type { Controller } from '../runtime/controller';
import type { RunOutputRecord } from '../runtime/state';
import type { FunctionSpec } from '../spec/function';
import type { Selector } from '../spec/selector';

export type NextAction =
  | { kind: 'problems' }
  | { kind: 'cluster-up' }
  | { kind: 'deploy' }
  /** run a function once (a trainer that takes no input) */
  | { kind: 'run'; function: string }
  /** open the invoke console on a function (a request needs the user's input) */
  | { kind: 'try'; function: string };

export interface NextStep {
  id: string;
  title: string;
  detail: string;
  done: boolean;
  action?: NextAction;
}

export interface NextStepsInput {
  project: Pick<Project, 'dir' | 'workflow' | 'functions'>;
  graph: WorkflowGraph;
  /** errors in the project (a deploy refuses them) */
  errors: number;
  cluster: {
    up: boolean;
    nodes: number;
    backend: string | null;
    deployment?: { project: string; status: string; functions: Array<{ id: string; status: string; reason: string | null }> };
  };
  /** whether the registry resolves a model selector (false for one it cannot read) */
  hasModel(selector: Selector): boolean;
  /** whether a run of the function succeeded on this cluster */
  succeeded(fn: string): boolean;
  /** why the function's last run published nothing, when a gate blocked it (e.g. "bias disparate_impact 0.701, needs >=0.8") */
  blockedBy(fn: string): string | undefined;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function nextSteps(input: NextStepsInput): NextStep[] {
  const { project, cluster } = input;
  const name = project.workflow.name;
  const steps: NextStep[] = [];
  if (input.errors) {
    steps.push({ id: 'fix', title: `Fix ${plural(input.errors, 'error')}`, detail: 'nothing can be deployed until they are fixed; Problems lists each with its line', done: false, action: { kind: 'problems' } });
  }
  steps.push({
    id: 'cluster',
    title: 'Start the local cluster',
    detail: cluster.up ? `${plural(cluster.nodes, 'node')} up (${cluster.backend ?? 'process'} backend)` : 'its nodes run on this machine: processes, or containers with Docker',
    done: cluster.up,
    action: { kind: 'cluster-up' },
  });
  const d = cluster.deployment && cluster.deployment.project === project.dir && cluster.deployment.status !== 'stopped' ? cluster.deployment : undefined;
  const ready = project.functions.filter((f) => d?.functions.some((x) => x.id === f.id && x.status === 'ready'));
  const failed = d?.functions.filter((x) => x.status === 'failed') ?? [];
  const deployed = cluster.up && project.functions.length > 0 && ready.length === project.functions.length;
  steps.push({
    id: 'deploy',
    title: `Deploy ${name}`,
    detail: deployed
      ? `${plural(ready.length, 'function')} ready`
      : d && cluster.up
        ? `${ready.length} of ${project.functions.length} functions ready${failed.length ? `; failed: ${failed.map((f) => `${f.id} (${f.reason ?? 'no reason given'})`).join(', ')}` : ''}`
        : `ships ${plural(project.functions.length, 'function')} to the nodes the scheduler picks`,
    done: deployed,
    action: { kind: 'deploy' },
  });
  // the models a request needs come right before trying it; the other functions' models after
  const http = project.workflow.triggers.filter((t) => t.kind === 'http');
  const served = new Set(http.map((t) => t.function));
  const modelSteps = (f: FunctionSpec) => modelStepsOf(input, f);
  for (const t of http) {
    const f = project.functions.find((x) => x.id === t.function);
    if (f) steps.push(...modelSteps(f).filter((m) => !steps.some((s) => s.id === m.id)));
    steps.push({
      id: `try:${t.id}`,
      title: `Try ${t.id}: invoke ${t.function}`,
      detail: input.succeeded(t.function) ? `${t.function} has answered` : `what ${t.method} ${t.path ?? `/${t.id}`} on the gateway runs; the invoke console sends it an input`,
      done: input.succeeded(t.function),
      action: { kind: 'try', function: t.function },
    });
  }
  for (const f of project.functions) if (!served.has(f.id)) steps.push(...modelSteps(f));
  return steps;
}

/**
 * The next steps of a project on a cluster: its state, its registry (does a model resolve?) and
 * its runs (did a request succeed, did a gate keep a model back?). `errors`: the deploy check's.
 */
export function clusterNextSteps(project: Pick<Project, 'dir' | 'workflow' | 'functions'>, c: Pick<Controller, 'status' | 'registry' | 'runs'>, errors: number): NextStep[] {
  const status = c.status();
  const workflow = project.workflow.name;
  const deployment = status.deployments.find((d) => d.workflow === workflow);
  return nextSteps({
    project,
    graph: deriveGraph(project),
    errors,
    cluster: { up: status.up, nodes: status.nodes.length, backend: status.backend, ...(deployment ? { deployment } : {}) },
    hasModel: (selector) => {
      try {
        return c.registry.resolve({ ...selector, kind: 'model' }).candidates.length > 0;
      } catch {
        return false; // a selector the registry cannot read: the function's diagnostics say why
      }
    },
    succeeded: (fn) => c.runs({ workflow, function: fn, limit: 100 }).some((r) => r.status === 'ok'),
    blockedBy: (fn) => {
      const last = c.runs({ workflow, function: fn, limit: 1 })[0];
      if (last?.status !== 'gate-failed') return undefined;
      let gates: unknown[] = [];
      try {
        gates = last.output ? (JSON.parse(last.output) as RunOutputRecord).gates ?? [] : [];
      } catch {
        /* an unreadable record: "a gate failed" below */
      }
      const failed = (Array.isArray(gates) ? gates : []).filter((g): g is { kind?: string; metric?: string; value?: unknown; predicate?: string } => !!g && (g as { pass?: unknown }).pass === false);
      return failed.map((g) => `${g.kind} ${g.metric} ${typeof g.value === 'number' ? g.value.toFixed(3) : '?'}, needs ${g.predicate}`).join('; ') || 'a gate failed';
    },
  });
}

/** A step per model input of f: done when the registry has a model its selector resolves. */
function modelStepsOf(input: NextStepsInput, f: FunctionSpec): NextStep[] {
  const { project, graph, cluster } = input;
  const out: NextStep[] = [];
  f.consumes.forEach((c, i) => {
    if (c.kind !== 'model') return;
    // a selector with template parameters ({usr}) is filled per request: nothing to check ahead
    if (Object.values(c.selector).some((v) => typeof v === 'string' && /\{\w+\}/.test(v))) return;
    const there = cluster.up && input.hasModel(c.selector);
    const by = modelProducers(graph, f, i, project.functions)[0];
    const blocked = by && !there ? input.blockedBy(by.id) : undefined;
    out.push({
      id: `model:${f.id}:${i}`,
      title: by ? `Run ${by.id}: it makes the model ${f.id} needs` : `A model for ${f.id}`,
      detail: there
        ? `the registry has a model that matches ${f.id}'s selector`
        : blocked
          ? `${by.id} ran, but its gate kept the model back (${blocked}): improve the model or relax the gate, and run it again`
          : by
            ? `${f.id}'s @consumes.model matches no model in the registry yet; ${by.id} produces ${by.produces.filter((p) => p.kind === 'model').map((p) => p.urn).join(', ')}`
            : `${f.id}'s @consumes.model matches no model in the registry, and no function of this workflow produces one: add a producer, or put a model into the registry (edgeai artifacts put)`,
      done: there,
      ...(by ? { action: { kind: 'run' as const, function: by.id } } : {}),
    });
  });
  return out;
}

/** The functions of the workflow whose output the graph connects to input i of f. */
function modelProducers(graph: WorkflowGraph, f: FunctionSpec, i: number, functions: FunctionSpec[]): FunctionSpec[] {
  const target = fnNodeId(f.id);
  const models = graph.edges.filter((e) => e.kind === 'consumes' && e.target === target && e.input === i).map((e) => e.source);
  const ids = new Set(graph.edges.filter((e) => e.kind === 'produces' && models.includes(e.target)).map((e) => e.source));
  return functions.filter((x) => ids.has(fnNodeId(x.id)));
}
