/**
 * planWorkflow: the ONE placement step. `edgeai schedule`, the studio's explain, the simulator's
 * deployment at t = 0 and the runtime's deployer all call it, so for the same workflow,
 * topology, profile and knowledge of the data they place every function on the same node, for
 * the same reasons.
 *
 * Functions are placed producers first, each with the real scheduler on one snapshot (so every
 * placement reserves its node's CPU and memory and records its bundle there); an output is
 * located on the node its producer was placed on, so its consumers see it (data locality,
 * strict data networks, deadline estimates). Execution times come from the one execution model
 * (exec-model.ts). Pure and synchronous: no node:*, no runtime.
 *
 * Two layers: `planWorkflow` takes function specs (a project); `placeWorkflow` takes the
 * scheduler's view of them (PlanWorkflow: requirements without data, the urns each function
 * reads and writes) — the simulator's built-in faas-sim workload has no specs, only that view.
 */
import type { FunctionSpec } from '../spec/function';
import { buildSnapshot, type ClusterSnapshot } from '../scheduler/snapshot';
import { profileByName, type Profile } from '../scheduler/profiles';
import { requirementsFromSpec, type DataItem, type FunctionRequirements } from '../scheduler/requirements';
import { schedule, type Explanation, type Infeasibility } from '../scheduler/schedule';
import type { Topology } from '../topology/model';
import { consumesArtifact, outputsOf, placementOrder, type PlannedArtifact } from './artifacts';
import { execRequirement, type ExecModel } from './exec-model';

/** The scheduler profile a deploy places with (and so the one the studio's explain shows). */
export const DEPLOY_PROFILE = 'edge-ai';

/** An artifact in a plan: where it is written by its producer (on its node, or to the nearest storage node). */
export interface PlanArtifact extends PlannedArtifact {
  store?: 'local' | 'storage';
}

/** One function as the scheduler sees it. */
export interface PlanFunction {
  id: string;
  /** the scheduler's requirements without inputs and outputs (filled from the artifacts' current locations) */
  base: FunctionRequirements;
  /** urns of the artifacts it reads */
  inputs: string[];
  /** urns of the artifacts it writes */
  outputs: string[];
}

export interface PlanWorkflow {
  name: string;
  /** producers first */
  functions: PlanFunction[];
  artifacts: PlanArtifact[];
}

export interface Reservation {
  node: string;
  cpuMillis: number;
  memoryBytes: number;
  /** images (function bundles) already on the node */
  images: string[];
}

export interface PlaceOptions {
  explain?: boolean;
  /** nodes that take no new function: not Ready, or being left (a node that died) */
  unavailable?: Iterable<string>;
  /** what other workflows' placements already hold */
  reserved?: Reservation[];
  /** functions that keep their node (a changed-only deploy's unchanged ones, a reschedule's siblings) */
  fixed?: Record<string, string>;
  /** place on this snapshot (the simulator keeps using it for its replicas); default: a new one of the topology */
  snapshot?: ClusterSnapshot;
}

export interface PlanInput extends PlaceOptions {
  /** the workflow's name: bundles are images `bundle:<workflow>/<function>` */
  workflow: string;
  functions: FunctionSpec[];
  /** what exists before anything runs: the data sources, and (at runtime) what the registry holds */
  artifacts: PlannedArtifact[];
  topology: Topology;
  profile: string | Profile;
  exec?: ExecModel;
  /** bytes of outputs not produced yet, when known (default 0) */
  outputBytes?: Record<string, number>;
}

export interface Placement {
  function: string;
  /** null: infeasible (see Plan.infeasible) */
  node: string | null;
  score: number | null;
  /** kept where it was (PlaceOptions.fixed): not scheduled */
  fixed: boolean;
  /** bundles the node must pull */
  neededImages: string[];
}

export interface Plan {
  workflow: string;
  topology: string;
  profile: string;
  /** in placement order: producers first */
  placements: Placement[];
  explanations: Record<string, Explanation>;
  infeasible: Record<string, Infeasibility>;
  /** '<function>: <warning>' */
  warnings: string[];
  /** the scheduler requirements each function was placed with */
  requirements: Record<string, FunctionRequirements>;
  /** every artifact with its locations once the plan stands (outputs on their producer's node) */
  artifacts: PlanArtifact[];
}

/** The scheduler's view of functions given as specs, with the artifacts known before they run. */
export function planWorkflowOf(workflow: string, functions: FunctionSpec[], known: readonly PlannedArtifact[], exec?: ExecModel, outputBytes?: Record<string, number>): PlanWorkflow {
  const artifacts: PlanArtifact[] = known.map((a) => ({ ...a, locations: [...a.locations] }));
  const ordered = placementOrder(functions);
  for (const f of ordered) for (const out of outputsOf(f, outputBytes)) if (!artifacts.some((a) => a.urn === out.urn && a.kind === out.kind)) artifacts.push(out);
  return {
    name: workflow,
    artifacts,
    functions: ordered.map((f) => ({
      id: f.id,
      base: requirementsFromSpec(f, { bundlePrefix: workflow, ...execRequirement(f.id, exec) }),
      inputs: artifacts.filter((a) => consumesArtifact(f, a)).map((a) => a.urn),
      outputs: f.produces.map((p) => p.urn),
    })),
  };
}

/**
 * A function's requirements given where its artifacts are now: inputs that have a location,
 * and outputs written to storage nodes (data locality counts sending them there).
 */
export function requirementsAt(f: PlanFunction, artifacts: ReadonlyMap<string, PlanArtifact>): FunctionRequirements {
  const inputs: DataItem[] = [];
  const outputs: DataItem[] = [];
  for (const urn of f.inputs) {
    const a = artifacts.get(urn);
    if (a && a.locations.length) inputs.push({ urn, size: a.size, locations: [...a.locations] });
  }
  for (const urn of f.outputs) {
    const a = artifacts.get(urn);
    if (a && a.store === 'storage' && a.locations.length) outputs.push({ urn, size: a.size, locations: [...a.locations] });
  }
  return { ...f.base, inputs, outputs };
}

/** Places every function of the workflow view, producers first, on one snapshot. */
export function placeWorkflow(wf: PlanWorkflow, topology: Topology, profileIn: string | Profile, opts: PlaceOptions = {}): Plan {
  const profile = typeof profileIn === 'string' ? profileByName(profileIn) : profileIn;
  const unavailable = new Set(opts.unavailable ?? []);
  const snap = opts.snapshot ?? buildSnapshot(unavailable.size ? { ...topology, nodes: topology.nodes.map((n) => (unavailable.has(n.name) ? { ...n, noSchedule: true } : n)) } : topology);
  for (const r of opts.reserved ?? []) {
    const v = snap.s.nodeIndex.get(r.node);
    if (v !== undefined) snap.reserve(v, r.cpuMillis, r.memoryBytes, r.images);
  }
  const artifacts = new Map(wf.artifacts.map((a) => [a.urn, { ...a, locations: [...a.locations] }]));
  const plan: Plan = { workflow: wf.name, topology: topology.name, profile: profile.name, placements: [], explanations: {}, infeasible: {}, warnings: [], requirements: {}, artifacts: [] };
  const fixed = opts.fixed ?? {};
  // an output is located where its producer runs until it is written elsewhere
  const locate = (f: PlanFunction, node: string | null) => {
    if (!node) return;
    for (const urn of f.outputs) {
      const a = artifacts.get(urn);
      if (a && !a.locations.length) a.locations = [node];
    }
  };
  // kept functions hold their node before anything new is placed
  for (const f of wf.functions) {
    const node = fixed[f.id];
    const v = node === undefined ? undefined : snap.s.nodeIndex.get(node);
    if (v !== undefined) snap.reserve(v, f.base.cpuMillis, f.base.memoryBytes, f.base.images.map((i) => i.name));
  }
  for (const f of wf.functions) {
    const req = requirementsAt(f, artifacts);
    plan.requirements[f.id] = req;
    const kept = fixed[f.id];
    if (kept !== undefined) {
      plan.placements.push({ function: f.id, node: kept, score: null, fixed: true, neededImages: [] });
      locate(f, kept);
      continue;
    }
    const r = schedule(snap, profile, req, { explain: opts.explain === true });
    plan.placements.push({ function: f.id, node: r.node, score: r.score, fixed: false, neededImages: r.neededImages });
    if (r.explanation) plan.explanations[f.id] = r.explanation;
    if (r.infeasible) plan.infeasible[f.id] = r.infeasible;
    plan.warnings.push(...r.warnings.map((w) => `${f.id}: ${w}`));
    locate(f, r.node);
  }
  plan.artifacts = [...artifacts.values()];
  return plan;
}

/** Places the functions of a project (or a part of one) on a topology. */
export function planWorkflow(input: PlanInput): Plan {
  return placeWorkflow(planWorkflowOf(input.workflow, input.functions, input.artifacts, input.exec, input.outputBytes), input.topology, input.profile, input);
}

/** The placement of one function in a plan (undefined: not in the workflow). */
export function placementOf(plan: Plan, fn: string): Placement | undefined {
  return plan.placements.find((p) => p.function === fn);
}

/** Why a function has no node, with each filter's hint on its own line (deploy failures, CLI output). */
export function infeasibleReason(i: Infeasibility): string {
  return `${i.message}${i.filters.map((f) => (f.hint ? `\n  ${f.filter}: ${f.hint}` : '')).join('')}`;
}
