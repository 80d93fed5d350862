/**
 * The simulation's state, shared by its parts (replicas.ts, dispatch.ts, accounting.ts,
 * sources.ts, report.ts; simulation.ts holds them together): a function's replicas, queue and
 * figures, an invocation in flight, and the context every part reads.
 */
import type { ClusterSnapshot } from '../scheduler/snapshot';
import type { Profile } from '../scheduler/profiles';
import type { Topology } from '../topology/model';
import { Rng, type Engine } from './engine';
import type { FlowNetwork } from './network';
import type { SimulationOptions, SimulationReport } from './types';
import type { SimArtifact, SimFunction, SimWorkflow } from './workflow';
import type { Accounting } from './accounting';
import type { Sources } from './sources';
import type { Replicas } from './replicas';
import type { Dispatcher } from './dispatch';
import type { FunctionGates } from './gates';
import type { FaasSimOracles } from './faas-sim-oracles';
import { FunctionScaler, type Autoscaler } from './scaling';

export interface Replica {
  id: number;
  fn: FnState;
  node: number;
  state: 'pulling' | 'cold' | 'starting' | 'warm';
  active: number;
  lastUsed: number;
  createdAt: number;
  /** the next invocation it takes is the cold start (if it waited for the worker to start) */
  coldNext: boolean;
  warmAt: number;
  /** agent concurrency: the worker processes started (each a cold start) */
  workersUp: number;
  /** the images its node had to pull for it (the scheduler's answer) */
  pulled: string[];
}

export interface Invocation {
  fn: FnState;
  arrival: number;
  /** standard normal for the execution-time noise, drawn at arrival */
  z: number;
  replica?: Replica;
  /** its service time when given (a replayed run's own), instead of a draw */
  service?: number;
  cold: boolean;
  /** seconds from arrival until a replica took it (queue, pull, cold start) */
  wait: number;
  transfer: number;
  execution: number;
  pendingFlows: number;
  phaseStart: number;
}

export interface FnState {
  def: SimFunction;
  replicas: Replica[];
  queue: Invocation[];
  waits: number[];
  transfers: number[];
  executions: number[];
  totals: number[];
  invocations: number;
  arrivals: number;
  arrivalHash: number;
  completed: number;
  failed: number;
  coldStarts: number;
  misses: number;
  replicasStarted: number;
  nodes: Map<string, number>;
  failures: Set<string>;
  lastInfeasible?: string;
  noise: Rng;
  batch: Map<string, number>;
  /** the least replicas idle removal leaves */
  minReplicas: number;
  /** its inputs are fetched once per replica, when it starts (the faas-sim preset), not per invocation */
  fetchOnStart: boolean;
  /** per @consumes, the urns that can satisfy it: an invocation needs a version of one of each */
  needs: string[][];
  /** its gates, when any is evaluated */
  gates?: FunctionGates;
  /** the autoscaler's view of it (scaling.ts) */
  scaler: FunctionScaler;
  /** the last scale-up found no node for one more replica (reset when a replica is removed) */
  cannotGrow: boolean;
  /** when its last invocation completed (0: none yet) — faas-sim's idler's clock (the faas-sim preset) */
  lastCompleted: number;
}

export function newFnState(def: SimFunction, seed: number, minReplicas: number, fetchOnStart: boolean, needs: string[][], gates: FunctionGates | undefined): FnState {
  return {
    def,
    replicas: [],
    queue: [],
    waits: [],
    transfers: [],
    executions: [],
    totals: [],
    invocations: 0,
    arrivals: 0,
    arrivalHash: 0x811c9dc5,
    completed: 0,
    failed: 0,
    coldStarts: 0,
    misses: 0,
    replicasStarted: 0,
    nodes: new Map(),
    failures: new Set(),
    noise: Rng.stream(seed, `noise:${def.id}`),
    batch: new Map(),
    minReplicas,
    fetchOnStart,
    needs,
    ...(gates ? { gates } : {}),
    scaler: new FunctionScaler(),
    cannotGrow: false,
    lastCompleted: 0,
  };
}

/** The settings a run derives from its options (defaults applied). */
export interface Settings {
  /** invocations a replica takes at once, and the workers per replica (null: one per replica) */
  concurrency: { cap: number; workers: number | null; perWorkerStart: boolean };
  idleTimeoutS: number;
  reconcileS: number;
  maxReplicas: number;
  sigma: number;
  service: 'lognormal' | 'exponential' | 'deterministic';
  /** false: replicas are ready at once (no pull, no startup) */
  coldStarts: boolean;
  /** a replica starts its worker once its images are there, not on the first invocation (the faas-sim preset) */
  eagerStart: boolean;
  /**
   * faas-sim's idler (the faas-sim preset): a function that scales to zero loses its started
   * replicas, busy or not, once its last invocation completed idleTimeoutS ago (or none has)
   */
  idleByLastCompletion: boolean;
  /**
   * a node keeps a copy of each input version it fetched, so later invocations there read it
   * locally: what the controller does (runtime/controller/mover.ts ensureOn moves bytes only to a
   * node that does not hold them). The faas-sim preset moves inputs on every invocation, as faas-sim does.
   */
  keepInputs: boolean;
}

/** What the parts of a simulation share. */
export interface SimContext {
  readonly opts: SimulationOptions;
  readonly engine: Engine;
  readonly t: Topology;
  readonly snap: ClusterSnapshot;
  readonly net: FlowNetwork;
  readonly profile: Profile;
  readonly wf: SimWorkflow;
  readonly settings: Settings;
  /** by function id, and in placement order */
  readonly fns: Map<string, FnState>;
  readonly order: FnState[];
  /** the run's own copy of each artifact (its locations change as outputs are written) */
  readonly artifacts: Map<string, SimArtifact>;
  /** where an output written to storage goes instead of the producer's nearest storage node (the faas-sim preset: its bucket) */
  readonly homes: Map<string, string>;
  /** urn → its newest version: how many were published and when the last was (absent: none yet) */
  readonly versions: Map<string, { count: number; at: number }>;
  /** urn → the functions that produce it */
  readonly producers: Map<string, FnState[]>;
  readonly accounting: Accounting;
  readonly sources: Sources;
  readonly replicas: Replicas;
  readonly dispatcher: Dispatcher;
  readonly autoscaler: Autoscaler;
  readonly deploy: SimulationReport['deploy'];
  readonly notes: string[];
  /** faas-sim's execution- and startup-time oracles (the faas-sim preset), instead of the execution model */
  readonly oracles?: FaasSimOracles;
}
