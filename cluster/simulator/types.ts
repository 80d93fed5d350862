/**
 * What a simulation is asked (SimulationOptions) and what it answers (SimulationReport): the
 * simulator's public types, shared by the CLI, the studio and the simulation's parts.
 */
import type { Project } from '../project/index';
import type { FunctionSpec } from '../spec/function';
import type { DataSource, Trigger } from '../spec/workflow';
import type { Profile } from '../scheduler/profiles';
import type { Topology } from '../topology/model';
import type { LinkBytes } from './network';
import type { SimWorkflow, WorkflowOptions } from './workflow';
import type { Preset } from './preset';
import type { MetricModel } from './gates';

/**
 * replica: one invocation per replica at a time (the FGCS code); workers: `workers` per replica,
 * execution × max(1, active / workers) (later faas-sim); agent: as this project's node agent —
 * up to `workers` worker processes per replica, each started (a cold start) when an invocation
 * finds every started one busy, at no slowdown.
 */
export type Concurrency = { kind: 'replica' } | { kind: 'workers'; workers?: number } | { kind: 'agent'; workers?: number };

export type ServiceTime = { kind: 'lognormal'; sigma?: number } | { kind: 'exponential' } | { kind: 'deterministic' };

export interface SimulationOptions extends WorkflowOptions {
  /** a loaded project … */
  project?: Project;
  /** … or functions, triggers and data sources given directly … */
  functions?: FunctionSpec[];
  triggers?: Trigger[];
  dataSources?: DataSource[];
  name?: string;
  /** … or a ready SimWorkflow */
  workflow?: SimWorkflow;
  /** 'faas-sim': the default workload of docs/reference.md §3 instead of the workflow's triggers */
  workload?: 'triggers' | 'faas-sim';
  /** the faas-sim workload: copies of its chain (default 1, under the faas-sim preset 10 per cell as faas-sim's UrbanSensingScenario) */
  deployments?: number;
  /** the faas-sim workload: deployment i is placed at i · deployIntervalS (default 0, under the faas-sim preset 255 s) */
  deployIntervalS?: number;
  /** 'faas-sim': behave as faas-sim@9c6e1b3 on its urban-sensing scenario (preset.ts, docs/reference.md §3) */
  preset?: Preset;
  /**
   * No produced output has a version at t = 0 (a fresh deploy: a consumer fails until its
   * producer publishes one). Default: the outputs of the functions placed at deploy are taken to
   * have a version from before the simulated time (where their producer runs).
   */
  fresh?: boolean;
  /** function id → output metric → its modelled distribution (evaluates @gate.drift on it: gates.ts) */
  outputMetrics?: Record<string, Record<string, MetricModel>>;
  /** function id → probability its @gate.bias passes on a run (default 1) */
  gatePassRates?: Record<string, number>;
  topology: Topology;
  profile: string | Profile;
  seed: number;
  /** simulated seconds during which arrivals happen; invocations in flight then are drained */
  durationS: number;
  concurrency?: Concurrency;
  idleTimeoutS?: number;
  reconcileS?: number;
  minReplicas?: number;
  maxReplicas?: number;
  /** the lognormal's log-space σ (service 'lognormal', the default) */
  execSigma?: number;
  /**
   * how execution times are drawn around each device's mean: lognormal (σ = execSigma, default
   * 0.2), exponential (an M/M/c server), or deterministic (always the mean)
   */
  service?: ServiceTime;
  /** false: no cold starts — a replica is ready the moment it is placed (no image pull, no startup) */
  coldStarts?: boolean;
  /** function id → seconds after t = 0 at which its arrivals begin */
  arrivalStartS?: Record<string, number>;
  /**
   * function id → node → execution-time samples in seconds (measured: `edgeai simulate
   * --exec-from-runs`): an invocation there draws the sample at its own normal's quantile, instead
   * of the execution model's mean and distribution
   */
  execProfiles?: Record<string, Record<string, number[]>>;
  /** function id → node → seconds a worker takes to start there (measured), instead of the device's startup time */
  startupS?: Record<string, Record<string, number>>;
  /**
   * function id → what its runs read (measured: urn, size, and the node holding it at the start):
   * its inputs, in addition to those the planner knows (a selector on data_tags resolves only at run time)
   */
  reads?: Record<string, Array<{ urn: string; kind: 'data' | 'model'; size: number; at: string }>>;
  /** the replicas placed at t = 0 are ready then, one worker started (deployed before the simulated time: the node agent starts a worker at deploy) */
  warmAtStart?: boolean;
  /**
   * a node keeps a copy of each input version it fetched, so the next invocation there reads it
   * locally (the node agent's artifact store; the controller's mover moves bytes only to a node
   * without them). Default true; false under the faas-sim preset (faas-sim moves inputs on every
   * invocation); false here: every invocation moves its inputs.
   */
  keepInputs?: boolean;
  /** function id → the times (seconds from 0) its requests arrive, replayed instead of its arrival processes */
  arrivalTimes?: Record<string, number[]>;
  /** function id → the service time (seconds) of each replayed arrival, in arrivalTimes' order (measured runs' own) */
  serviceTimes?: Record<string, number[]>;
  /** images already on nodes at the start */
  images?: Array<{ name: string; nodes: string[] }>;
}

export interface LatencyStats {
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface FunctionReport {
  function: string;
  /** invocations that arrived (external arrivals and follow-ups) */
  invocations: number;
  /** external arrivals and a checksum of their times (equal across profiles for one seed) */
  arrivals: number;
  arrivalsChecksum: string;
  completed: number;
  failed: number;
  /** still queued or running when the simulation ended */
  unfinished: number;
  coldStarts: number;
  deadlineMs: number | null;
  deadlineMisses: number;
  /** seconds, over completed invocations */
  wait: LatencyStats;
  transfer: LatencyStats;
  execution: LatencyStats;
  total: LatencyStats;
  replicasStarted: number;
  /** node → invocations completed there */
  nodes: Record<string, number>;
  failures: string[];
  /** its gates, when they were evaluated: evaluations, runs with a failed gate, runs a bias gate kept from publishing (counted in completed) */
  gates?: { evaluated: number; failed: number; blocked: number };
}

export interface NodeUsage {
  node: string;
  type: string;
  device: string;
  invocations: number;
  /** fraction of the simulated time with at least one invocation executing */
  busy: number;
  /** time-averaged fraction of the node's CPU reserved by replicas */
  allocated: number;
}

export interface CloudCost {
  cloudInvocations: number;
  gbSeconds: number;
  compute: number;
  requests: number;
  egressBytes: number;
  egress: number;
  total: number;
}

export interface SimulationReport {
  workflow: string;
  topology: string;
  nodes: number;
  profile: string;
  seed: number;
  durationS: number;
  /** simulated time when the last event ran (≥ durationS when invocations were drained) */
  endS: number;
  events: number;
  concurrency: string;
  deploy: Array<{ function: string; node: string | null; reason?: string }>;
  functions: FunctionReport[];
  totals: { invocations: number; completed: number; failed: number; unfinished: number; coldStarts: number; deadlineMisses: number };
  /** topology links that carried bytes; up = from → to */
  links: LinkBytes[];
  /** nodes that ran or hosted something */
  nodeUsage: NodeUsage[];
  /** edge / (edge + cloud) of replica CPU allocation over time (docs/reference.md §1); null without allocation */
  edgeUtilisation: number | null;
  cloudCost: CloudCost;
  notes: string[];
}
