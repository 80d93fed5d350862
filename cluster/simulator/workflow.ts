/**
 * A workflow project as the simulator sees it: the planner's view of its functions (in
 * placement order, producers first, with the artifacts they consume and produce, their sizes
 * and locations: cluster/planning) plus the arrival processes and follow-ups that its triggers
 * define. Pure: the data sources' sizes come with the project (Project.dataBytes).
 */
import type { Project } from '../project/index';
import type { FunctionSpec, Gate } from '../spec/function';
import { parseDuration } from '../spec/predicate';
import type { Selector } from '../spec/selector';
import type { Trigger } from '../spec/workflow';
import type { DataSource } from '../spec/workflow';
import type { Topology } from '../topology/model';
import { consumesArtifact, dataSourceArtifacts } from '../planning/artifacts';
import { triggerBatch, triggerMatches } from '../planning/triggers';
import { planWorkflowOf, type PlanArtifact, type PlanFunction, type PlanWorkflow } from '../planning/plan';
import type { ExecModel } from '../planning/exec-model';
import { SimulationError } from './engine';

export { registryNode } from '../planning/artifacts';

/** requests per second of an http trigger when no rate is given (an assumption: 1/s) */
export const DEFAULT_HTTP_RATE = 1;

export type SimArtifact = PlanArtifact;
export type SimFunction = PlanFunction;

export type ArrivalProcess =
  /** every `everyS` seconds, first at `everyS` (a schedule trigger) */
  | { function: string; kind: 'periodic'; everyS: number; source: string }
  /** Poisson arrivals (an http trigger) */
  | { function: string; kind: 'poisson'; ratePerS: number; source: string }
  /** gaps of baseS + Exp(meanS) (the faas-sim workload, docs/reference.md §3) */
  | { function: string; kind: 'periodic-exp'; baseS: number; meanS: number; source: string; startS?: number };

/** A data or model trigger: run `function` once per `batch` matching artifacts produced. */
export interface FollowUp {
  function: string;
  kind: 'data' | 'model';
  selector: Selector;
  batch: number;
  source: string;
}

/** A gate trigger: run `function` when a gate (of kind `gate`, or any) of function `source` fails (the runtime's rule). */
export interface GateTrigger {
  id: string;
  function: string;
  source: string;
  gate?: 'bias' | 'drift';
}

/** How a function's replicas live, where it differs from the simulation's defaults (the faas-sim workload). */
export interface Lifecycle {
  /** deployed (placed) at this simulated time instead of at t = 0 */
  deployAtS?: number;
  /** its replicas are removed when idle (faas-sim's scale_zero); under the faas-sim preset the others keep one */
  scaleToZero?: boolean;
}

export interface SimWorkflow extends PlanWorkflow {
  arrivals: ArrivalProcess[];
  followUps: FollowUp[];
  /** function id → lifecycle (absent: deployed at t = 0, the simulation's scaling rules) */
  lifecycle?: Record<string, Lifecycle>;
  /** gate triggers (a project's; none in the faas-sim workload) */
  gateTriggers?: GateTrigger[];
  /** function id → its gates (@gate.bias, @gate.drift) */
  gates?: Record<string, Gate[]>;
  /**
   * function id → per @consumes, the urns that can satisfy it: an invocation needs a version of
   * one of each (absent: each input urn on its own)
   */
  needs?: Record<string, string[][]>;
  /** notes about triggers that are not simulated */
  notes: string[];
}

export interface WorkflowOptions extends ExecModel {
  /** function id or http trigger id → Poisson rate per second; a function without an http trigger gets one */
  rates?: Record<string, number>;
  /** produced artifact urn → bytes (default 0: unknown) */
  artifactBytes?: Record<string, number>;
  /** function id → memory request in bytes (default docs/reference.md §1: 200 MiB) */
  memoryBytes?: Record<string, number>;
}

function durationS(text: string, where: string): number {
  const ms = parseDuration(text);
  if (typeof ms !== 'number') throw new SimulationError(`${where}: ${ms.error}`, 'fix the trigger in workflow.json');
  return ms / 1000;
}

/**
 * The simulator's view of a set of functions, triggers and data sources (a project, or given
 * directly). Data sources live on their `node`, else on the topology's registry node; their
 * sizes are `dataBytes` (by urn; 0 when unknown).
 */
export function workflowFrom(
  input: { name: string; functions: FunctionSpec[]; triggers: Trigger[]; dataSources: DataSource[]; dataBytes?: Record<string, number> },
  topology: Topology,
  opts: WorkflowOptions = {},
): SimWorkflow {
  const known = dataSourceArtifacts(input.dataSources, input.dataBytes ?? {}, topology);
  const view = planWorkflowOf(input.name, input.functions, known, opts, opts.artifactBytes);
  const functions: SimFunction[] = view.functions.map((f) => (opts.memoryBytes?.[f.id] !== undefined ? { ...f, base: { ...f.base, memoryBytes: opts.memoryBytes[f.id] } } : f));
  const ids = new Set(functions.map((f) => f.id));
  const arrivals: ArrivalProcess[] = [];
  const followUps: FollowUp[] = [];
  const gateTriggers: GateTrigger[] = [];
  const notes: string[] = [];
  const withHttp = new Set<string>();
  for (const t of input.triggers) {
    if (!ids.has(t.function)) {
      notes.push(`trigger ${t.id}: function '${t.function}' is not in the workflow; ignored`);
      continue;
    }
    switch (t.kind) {
      case 'http': {
        const rate = opts.rates?.[t.id] ?? opts.rates?.[t.function] ?? DEFAULT_HTTP_RATE;
        withHttp.add(t.function);
        if (rate > 0) arrivals.push({ function: t.function, kind: 'poisson', ratePerS: rate, source: `http ${t.id}` });
        break;
      }
      case 'schedule':
        arrivals.push({ function: t.function, kind: 'periodic', everyS: durationS(t.every, `trigger ${t.id}`), source: `schedule ${t.id}` });
        break;
      case 'data':
      case 'model':
        followUps.push({ function: t.function, kind: t.kind, selector: t.selector, batch: triggerBatch(t), source: `${t.kind} ${t.id}` });
        break;
      case 'gate':
        gateTriggers.push({ id: t.id, function: t.function, source: t.source, ...(t.gate ? { gate: t.gate } : {}) });
        break;
    }
  }
  for (const [fn, rate] of Object.entries(opts.rates ?? {})) {
    if (!ids.has(fn) || withHttp.has(fn)) continue;
    if (rate > 0) arrivals.push({ function: fn, kind: 'poisson', ratePerS: rate, source: `--rate ${fn}` });
  }
  const gates: Record<string, Gate[]> = {};
  const needs: Record<string, string[][]> = {};
  for (const spec of input.functions) {
    if (!ids.has(spec.id)) continue;
    if (spec.gates.length) gates[spec.id] = spec.gates;
    // per @consumes, the artifacts that match it (the planner's rule, one selector at a time)
    needs[spec.id] = spec.consumes.map((c) => view.artifacts.filter((a) => consumesArtifact({ ...spec, consumes: [c] }, a)).map((a) => a.urn));
  }
  return { name: input.name, functions, artifacts: view.artifacts, arrivals, followUps, gateTriggers, gates, needs, notes };
}

/** The simulator's view of a loaded project. */
export function workflowOfProject(project: Project, topology: Topology, opts: WorkflowOptions = {}): SimWorkflow {
  return workflowFrom(
    { name: project.workflow.name, functions: project.functions, triggers: project.workflow.triggers, dataSources: project.workflow.dataSources, dataBytes: project.dataBytes },
    topology,
    opts,
  );
}

/** Does a produced artifact fire a data/model trigger? (the runtime's rule, on a declared output) */
export function followUpMatches(u: FollowUp, a: SimArtifact): boolean {
  return triggerMatches(u, a, true);
}
