/**
 * What the scheduler needs to know about one function: its FunctionSpec's policies plus resource
 * requests, images and the data it moves. Defaults follow docs/reference.md §1.
 */
import type { FunctionSpec, NodeType } from '../spec/function';
import type { Arch } from '../spec/topology';
import type { Workload } from '../topology/catalog';

const MiB = 1024 * 1024;

/** Kubernetes/Skippy default container request: 100 millicores, 200 MiB (docs/reference.md §1). */
export const DEFAULT_CPU_MILLIS = 100;
export const DEFAULT_MEMORY_BYTES = 200 * MiB;
/** Size assumed for a function bundle when the caller gives none (not in the references: a bundled TS function is small). */
export const DEFAULT_BUNDLE_BYTES = 1 * MiB;

/**
 * One data artifact a function reads or writes, as the registry describes it: its size and the
 * nodes holding its bytes (for an output: the storage nodes it will be written to).
 */
export interface DataItem {
  urn: string;
  /** bytes */
  size: number;
  /** node names */
  locations: string[];
}

/** A container image or function bundle; size in bytes, one for all arches or per arch. */
export interface ImageRef {
  name: string;
  size: number | Partial<Record<Arch, number>>;
}

export interface FunctionRequirements {
  /** the function's id, used in results and explanations */
  id: string;
  cpuMillis: number;
  memoryBytes: number;
  images: ImageRef[];
  /** policy.fn node: allowed node types ('local' = the user's own machine) */
  nodeTypes?: NodeType[];
  /** policy.fn capability: capabilities the node must offer */
  capabilities?: string[];
  /** capability values that must match a node's `capability/<name>` label, e.g. { cuda: '10' } */
  capabilityValues?: Record<string, string>;
  /** policy.data */
  data?: { networks: string[]; strict: boolean };
  /** policy.deadline, ms */
  deadlineMs?: number;
  /** execution time: a workload of the device table (docs/reference.md §4) ... */
  workload?: Workload;
  /** ... or seconds on a xeon cpu VM, scaled by each device's slowdown */
  referenceSeconds?: number;
  inputs: DataItem[];
  outputs: DataItem[];
}

export interface RequirementOptions {
  cpuMillis?: number;
  memoryBytes?: number;
  images?: ImageRef[];
  inputs?: DataItem[];
  outputs?: DataItem[];
  workload?: Workload;
  referenceSeconds?: number;
  capabilityValues?: Record<string, string>;
  /** prefix of the default bundle image name, e.g. the workflow name */
  bundlePrefix?: string;
}

/** A function's requirements from its FunctionSpec (policies) and options (requests, images, data). */
export function requirementsFromSpec(spec: FunctionSpec, opts: RequirementOptions = {}): FunctionRequirements {
  const p = spec.policies;
  return {
    id: spec.id,
    cpuMillis: opts.cpuMillis ?? DEFAULT_CPU_MILLIS,
    memoryBytes: opts.memoryBytes ?? DEFAULT_MEMORY_BYTES,
    images: opts.images ?? [{ name: `bundle:${opts.bundlePrefix ? opts.bundlePrefix + '/' : ''}${spec.id}`, size: DEFAULT_BUNDLE_BYTES }],
    ...(p.fn?.node ? { nodeTypes: [...p.fn.node] } : {}),
    ...(p.fn?.capability ? { capabilities: [...p.fn.capability] } : {}),
    ...(opts.capabilityValues ? { capabilityValues: { ...opts.capabilityValues } } : {}),
    ...(p.data ? { data: { networks: [...p.data.network], strict: p.data.strict } } : {}),
    ...(p.deadline ? { deadlineMs: p.deadline.ms } : {}),
    ...(opts.workload ? { workload: opts.workload } : {}),
    ...(opts.referenceSeconds !== undefined ? { referenceSeconds: opts.referenceSeconds } : {}),
    inputs: opts.inputs ?? [],
    outputs: opts.outputs ?? [],
  };
}

/** A plain requirement with docs/reference.md §1 defaults, for tests, benches and the simulator. */
export function requirements(id: string, r: Partial<Omit<FunctionRequirements, 'id'>> = {}): FunctionRequirements {
  return {
    id,
    cpuMillis: DEFAULT_CPU_MILLIS,
    memoryBytes: DEFAULT_MEMORY_BYTES,
    images: [{ name: `bundle:${id}`, size: DEFAULT_BUNDLE_BYTES }],
    inputs: [],
    outputs: [],
    ...r,
  };
}
