/**
 * A workflow project as the simulator sees it: functions (in placement order, producers first)
 * with the artifacts they consume and produce, the artifacts' sizes and locations, and the
 * arrival processes and follow-ups that its triggers define.
 *
 * The artifact matching, the placement order and the data-source sizes are extracted from
 * `edgeai schedule` (cluster/cli/commands/schedule.ts: `consumes`, `placementOrder`,
 * `sourceSize`), which keeps them private; the helpers here are the same rules, exported, so
 * the CLI can import them from here instead (a follow-up for schedule.ts's owner). A test checks
 * that the simulator's deploy places every function where `scheduleProject` does.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { Project } from '../project/index';
import type { FunctionSpec } from '../spec/function';
import { parseDuration } from '../spec/predicate';
import { matchSelector, type Selector } from '../spec/selector';
import type { Trigger } from '../spec/workflow';
import type { DataSource } from '../spec/workflow';
import { requirementsFromSpec, type FunctionRequirements } from '../scheduler/requirements';
import type { Topology } from '../topology/model';
import type { Workload } from '../topology/catalog';

/** bytes of one MNIST row (784 pixels + label), as `edgeai schedule` counts them */
export const MNIST_ROW_BYTES = 785;
/** requests per second of an http trigger when no rate is given (an assumption: 1/s) */
export const DEFAULT_HTTP_RATE = 1;
/** seconds on a xeon cpu VM of a function without a workload (an assumption: a small function, 50 ms) */
export const DEFAULT_REFERENCE_SECONDS = 0.05;

export interface SimArtifact {
  urn: string;
  kind: 'data' | 'model';
  type?: string;
  tags?: string[];
  /** bytes */
  size: number;
  /** nodes holding its bytes (an output: where it was last written) */
  locations: string[];
  /** where a function writes it: on the node it ran on (default), or to the nearest storage node */
  store?: 'local' | 'storage';
}

export interface SimFunction {
  id: string;
  /** the scheduler's requirements without inputs and outputs (filled per placement from the artifacts' current locations) */
  base: FunctionRequirements;
  /** urns of the artifacts it reads */
  inputs: string[];
  /** urns of the artifacts it writes */
  outputs: string[];
}

export type ArrivalProcess =
  /** every `everyS` seconds, first at `everyS` (a schedule trigger) */
  | { function: string; kind: 'periodic'; everyS: number; source: string }
  /** Poisson arrivals (an http trigger) */
  | { function: string; kind: 'poisson'; ratePerS: number; source: string }
  /** gaps of baseS + Exp(meanS) (the faas-sim workload, REFERENCE §3) */
  | { function: string; kind: 'periodic-exp'; baseS: number; meanS: number; source: string };

/** A data or model trigger: run `function` once per `batch` matching artifacts produced. */
export interface FollowUp {
  function: string;
  kind: 'data' | 'model';
  selector: Selector;
  batch: number;
  source: string;
}

export interface SimWorkflow {
  name: string;
  /** producers first */
  functions: SimFunction[];
  artifacts: SimArtifact[];
  arrivals: ArrivalProcess[];
  followUps: FollowUp[];
  /** notes about triggers that are not simulated */
  notes: string[];
}

export interface WorkflowOptions {
  /** function id → workload of REFERENCE §4 (execution time per device) */
  workloads?: Record<string, Workload>;
  /** function id → seconds on a xeon cpu VM (scaled per device); default DEFAULT_REFERENCE_SECONDS */
  referenceSeconds?: Record<string, number>;
  /** function id or http trigger id → Poisson rate per second; a function without an http trigger gets one */
  rates?: Record<string, number>;
  /** produced artifact urn → bytes (default 0: unknown) */
  artifactBytes?: Record<string, number>;
  /** function id → memory request in bytes (default REFERENCE §1: 200 MiB) */
  memoryBytes?: Record<string, number>;
}

function candidate(a: Pick<SimArtifact, 'urn' | 'kind' | 'type' | 'tags'>) {
  return { kind: a.kind, urn: a.urn, ...(a.type ? { type: a.type } : {}), ...(a.tags ? { tags: a.tags } : {}) };
}

/** Does the function consume this artifact? (selector overlap, metrics unknown pass — as `edgeai schedule`) */
export function consumesArtifact(f: FunctionSpec, a: Pick<SimArtifact, 'urn' | 'kind' | 'type' | 'tags'>): boolean {
  return f.consumes.some((c) => c.kind === a.kind && matchSelector(c.selector, candidate(a), { candidateIsPattern: true, metricsUnknownPass: true }).ok);
}

/** Producers before consumers (Kahn's algorithm; source order among equals; cycles broken in source order). */
export function placementOrder(fns: FunctionSpec[]): FunctionSpec[] {
  const feeds = (p: FunctionSpec, c: FunctionSpec) => p !== c && p.produces.some((o) => consumesArtifact(c, { urn: o.urn, kind: o.kind, ...(o.type ? { type: o.type } : {}), ...(o.tags ? { tags: o.tags } : {}) }));
  const left = [...fns];
  const out: FunctionSpec[] = [];
  while (left.length) {
    const i = left.findIndex((c) => !left.some((p) => feeds(p, c)));
    out.push(...left.splice(i >= 0 ? i : 0, 1));
  }
  return out;
}

/** Bytes of a data source: the file's size, or rows × MNIST_ROW_BYTES for the mnist loader. */
export function dataSourceBytes(projectDir: string, ds: DataSource): number {
  if (ds.source.kind === 'file') {
    try {
      return statSync(join(projectDir, ds.source.path)).size;
    } catch {
      return 0;
    }
  }
  return (ds.source.count ?? 0) * MNIST_ROW_BYTES;
}

/** The node holding data sources without a `node`: the first registry location that is a node. */
export function registryNode(topology: Topology): string | undefined {
  return topology.registry.at.find((a) => topology.nodes.some((n) => n.name === a));
}

function durationS(text: string, where: string): number {
  const ms = parseDuration(text);
  if (typeof ms !== 'number') throw new Error(`${where}: ${ms.error}`);
  return ms / 1000;
}

/**
 * The simulator's view of a set of functions, triggers and data sources (a project, or given
 * directly). Data sources live on their `node`, else on the topology's registry node.
 */
export function workflowFrom(
  input: { name: string; dir?: string; functions: FunctionSpec[]; triggers: Trigger[]; dataSources: DataSource[] },
  topology: Topology,
  opts: WorkflowOptions = {},
): SimWorkflow {
  const reg = registryNode(topology);
  const artifacts: SimArtifact[] = input.dataSources.map((ds) => ({
    urn: ds.urn,
    kind: 'data',
    ...(ds.type ? { type: ds.type } : {}),
    tags: ds.tags,
    size: input.dir ? dataSourceBytes(input.dir, ds) : 0,
    locations: ds.node ? [ds.node] : reg ? [reg] : [],
  }));
  const ordered = placementOrder(input.functions);
  for (const f of ordered) {
    for (const p of f.produces) {
      if (artifacts.some((a) => a.urn === p.urn && a.kind === p.kind)) continue;
      artifacts.push({ urn: p.urn, kind: p.kind, ...(p.type ? { type: p.type } : {}), ...(p.tags ? { tags: p.tags } : {}), size: opts.artifactBytes?.[p.urn] ?? 0, locations: [] });
    }
  }
  const functions: SimFunction[] = ordered.map((f) => {
    const workload = opts.workloads?.[f.id];
    const base = requirementsFromSpec(f, {
      bundlePrefix: input.name,
      ...(workload ? { workload } : { referenceSeconds: opts.referenceSeconds?.[f.id] ?? DEFAULT_REFERENCE_SECONDS }),
      ...(opts.memoryBytes?.[f.id] !== undefined ? { memoryBytes: opts.memoryBytes[f.id] } : {}),
    });
    return {
      id: f.id,
      base,
      inputs: artifacts.filter((a) => consumesArtifact(f, a)).map((a) => a.urn),
      outputs: f.produces.map((p) => p.urn),
    };
  });
  const ids = new Set(functions.map((f) => f.id));
  const arrivals: ArrivalProcess[] = [];
  const followUps: FollowUp[] = [];
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
        followUps.push({ function: t.function, kind: t.kind, selector: t.selector, batch: t.kind === 'data' ? t.batch : 1, source: `${t.kind} ${t.id}` });
        break;
      case 'gate':
        notes.push(`trigger ${t.id} (gate failed) is not simulated: gates are not evaluated`);
        break;
    }
  }
  for (const [fn, rate] of Object.entries(opts.rates ?? {})) {
    if (!ids.has(fn) || withHttp.has(fn)) continue;
    if (rate > 0) arrivals.push({ function: fn, kind: 'poisson', ratePerS: rate, source: `--rate ${fn}` });
  }
  return { name: input.name, functions, artifacts, arrivals, followUps, notes };
}

/** The simulator's view of a loaded project. */
export function workflowOfProject(project: Project, topology: Topology, opts: WorkflowOptions = {}): SimWorkflow {
  return workflowFrom(
    { name: project.workflow.name, dir: project.dir, functions: project.functions, triggers: project.workflow.triggers, dataSources: project.workflow.dataSources },
    topology,
    opts,
  );
}

/** Does a produced artifact fire a data/model trigger? */
export function followUpMatches(u: FollowUp, a: SimArtifact): boolean {
  return u.kind === a.kind && matchSelector(u.selector, candidate(a), { candidateIsPattern: true, metricsUnknownPass: true }).ok;
}
