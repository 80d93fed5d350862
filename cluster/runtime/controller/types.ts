/** What the controller's public methods take and give (the CLI, the service and tests read these). */
import type { NodeAcceleratorsView } from './accelerators';
import type { FunctionSpec } from '../../spec/function';
import type { BackendKind, DeployAction, DeployMode, NodeStatus, PlacementStatus, RunStatus } from '../../common/status';
import type { GateResult, Health } from '../agent/protocol';
import type { Backend } from '../backend';

export type { BackendKind, DeployAction, DeployMode } from '../../common/status';
export { DEPLOY_MODES } from '../../common/status';

export interface ControllerOptions {
  /** where clusters keep their state (default $EDGEAI_HOME or ~/.edgeai) */
  home?: string;
  /** the cluster's name (default 'local') */
  cluster?: string;
  /** health poll interval, ms */
  heartbeatMs?: number;
  /** a node that has not answered for this long is NotReady */
  notReadyAfterMs?: number;
  /** scales the emulated link delays (1 = as the topology says) */
  timeScale?: number;
  /** creates the docker backend on demand (kept out of this module's imports) */
  dockerBackend?: () => Promise<Backend>;
  /** runs every node on this backend, whatever kind is asked (tests: a FakeBackend of fake agents) */
  backend?: () => Backend;
}

export type ClusterEvent =
  | { type: 'progress'; step: string; message: string }
  | { type: 'node'; node: string; status: NodeStatus; reason?: string }
  | { type: 'deploy'; workflow: string; function: string; status: PlacementStatus; node?: string | null; reason?: string; action?: DeployAction }
  | { type: 'run'; run: string; workflow: string; function: string; status: RunStatus }
  | { type: 'log'; run: string; line: string };

export interface NodeStatusView {
  name: string;
  status: NodeStatus;
  reason: string | null;
  device: string;
  type: string;
  network: string;
  arch: string;
  cpuMillis: number;
  memoryBytes: number;
  capabilities: string[];
  port: number | null;
  /** where the agent listens with `port`: 127.0.0.1, or a container's address on the cluster's network */
  host: string | null;
  pid: number | null;
  container: string | null;
  functions: string[];
  health?: Health;
  /** a node sticks were attached to at `up`: what it has, lost (since when, why), and its Edge TPU check */
  accelerators?: NodeAcceleratorsView;
}

export interface ClusterStatus {
  cluster: string;
  up: boolean;
  backend: BackendKind | null;
  topology: string | null;
  nodes: NodeStatusView[];
  deployments: Array<{ workflow: string; revision: number; project: string; status: string; functions: Array<{ id: string; node: string | null; status: string; reason: string | null }> }>;
  links: Array<{ link: string; bytes: number; transfers: number }>;
  unavailable: Array<{ urn: string; version: number; locations: string[] }>;
}

export interface DeployOptions {
  /** default 'full' */
  mode?: DeployMode;
  /**
   * The workflow's deployed revision the caller last saw (0: not deployed). When the cluster's
   * differs, the deploy is refused with `revision-conflict` and nothing changes.
   */
  expectedRevision?: number;
  /**
   * deploy even though the workflow's name is deployed from another project folder, replacing
   * that deployment (without it, such a deploy is refused with `workflow-name-taken`)
   */
  replace?: boolean;
  /**
   * a function with capability 'tpu' whose model would run on its node's CPU (not a TensorFlow
   * Lite model compiled for the Edge TPU, or no Edge TPU runtime on the host) fails to deploy,
   * instead of deploying with a warning (controller/accelerators.ts)
   */
  strictAccelerators?: boolean;
}

export interface DeployedFunction {
  id: string;
  node: string | null;
  status: PlacementStatus;
  reason?: string;
  coldStartMs?: number;
  /** deployed (placed and shipped), unchanged (kept on its node, workers warm), restarted */
  action?: DeployAction;
  /** sha256 of the bundle the function runs */
  bundle?: string;
}

export interface DeployResult {
  workflow: string;
  revision: number;
  functions: DeployedFunction[];
  warnings: string[];
  mode: DeployMode;
  /** the revision deployed before this deploy (0: none); equal to `revision` for a restart */
  previousRevision: number;
  /** functions that left the project: their placements dropped, their workers retired */
  removed: Array<{ id: string; node: string | null }>;
  /** a `changed` deploy that found nothing to do: every function unchanged, none removed */
  nothingChanged: boolean;
  /** one line saying what happened, for the CLI and the Deploy panel */
  summary: string;
}

export interface InvokeOptions {
  input?: unknown;
  params?: Record<string, string>;
}

export interface InvokeTimings {
  /** waiting on the node for a worker */
  queueMs: number;
  /** moving the inputs to the node (the emulated network time of the bytes moved) */
  transferMs: number;
  /** starting a worker (0 when a warm one took it) */
  coldStartMs: number;
  /** the function's own run */
  execMs: number;
  /** the controller's and the agent's own work: resolving inputs, recording the run, the HTTP round trips */
  overheadMs: number;
  /** from the controller beginning the invocation to its answer: the sum of the parts above */
  totalMs: number;
}

export interface InvokeAnswer {
  run: string;
  workflow: string;
  function: string;
  node: string;
  output: unknown;
  /** the model versions the function used, `urn@version` */
  models: string[];
  inputs: string[];
  produced: string[];
  gates: GateResult[];
  timings: InvokeTimings;
  cold: boolean;
  attempts: number;
  logs: string[];
  /** where its models ran: 'edgetpu', 'cpu' or 'cpu (fallback: <reason>)'; absent when it consumed none */
  modelRanOn?: string;
}

/** A declared http trigger route the gateway serves besides `/fn/<workflow>/<function>`. */
export interface HttpRoute {
  method: 'GET' | 'POST';
  /** e.g. /classify */
  path: string;
  workflow: string;
  function: string;
  trigger: string;
}

/** What a placement row keeps of a function: its contract and the file it came from. */
export interface StoredSpec {
  spec: FunctionSpec;
  file: string;
  /** the function's code identity when deployed (preprocessor/identity.ts): what `changed` compares */
  code?: string;
}

/** The most nodes `up` starts: each is an agent process or container on this one machine (~50 MB each). */
export const MAX_LOCAL_NODES = 32;
