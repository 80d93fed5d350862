/**
 * How long a function runs on a node, as every plan assumes it: one model for the
 * scheduler's deadline check (schedule, explain, deploy) and the simulator's execution times
 * (both read a workload's times through ClusterSnapshot.execSeconds, which asks workloadSeconds).
 * A function runs either a measured workload of the device table (docs/reference.md §4: e.g.
 * mobilenet inference on a Raspberry Pi 3 takes 2.073 s) or, without one, a small function of
 * DEFAULT_REFERENCE_SECONDS on a Xeon VM, scaled by each device's slowdown. A workload with an
 * Edge TPU variant runs on the node's Edge TPU when the node has one (capability `tpu`: a Coral
 * dev board, or a Coral USB stick attached to the node): see workloadSeconds. Pure: no node:*.
 */
import { DEVICES, WORKLOADS, type Workload } from '../topology/catalog';
import type { TopologyNode } from '../topology/model';
import { StudioError } from '../common/errors';

/**
 * Seconds on a Xeon cpu VM of a function with no workload named: a small function of 50 ms.
 * The project's own assumption (docs/reference.md §10): the references measure ML workloads
 * only; 50 ms is the order of a small tf.js model's prediction in this project's samples.
 */
export const DEFAULT_REFERENCE_SECONDS = 0.05;

export interface ExecModel {
  /** function id → a workload of the device table */
  workloads?: Record<string, Workload>;
  /** function id → seconds on a Xeon cpu VM (scaled per device); default DEFAULT_REFERENCE_SECONDS */
  referenceSeconds?: Record<string, number>;
}

/**
 * Workloads that run on an Edge TPU where the node has one: CPU workload → its Edge TPU
 * workload of the device table (docs/reference.md §4: "mobilenet inference (tflite)" and
 * "mobilenet inference (Edge TPU)"). The only pair §4 measures.
 */
export const EDGE_TPU_VARIANTS: Partial<Record<Workload, Workload>> = { 'mobilenet-inference-tflite': 'mobilenet-inference-tpu' };

/** The capability that says a node has an Edge TPU (a Coral dev board, or a Coral USB stick attached). */
export const EDGE_TPU_CAPABILITY = 'tpu';

/** The device whose Edge TPU time §4 measures: the Coral dev board. */
const MEASURED_TPU_DEVICE = 'coral';

/**
 * The Edge TPU's measured effect on a whole invocation, as a ratio of times: on the Coral dev
 * board mobilenet takes 0.548 s on its Edge TPU and 0.665 s with tflite on its CPU
 * (docs/reference.md §4, faas-sim traces) — 0.548 / 0.665 = 0.824.
 *
 * The project's own assumption (docs/reference.md §10): §4 has no Edge TPU time for any other
 * device, so a Coral USB stick on another host (a NUC, a laptop, a Pi) runs the workload in the
 * host's own CPU tflite time × this ratio (NUC: 0.280 s × 0.824 = 0.231 s). The invocation is
 * not only the TPU's work — pre- and post-processing stay on the host's CPU, and a faster host
 * does them faster — so the dev board's 0.548 s itself is not taken for a host that runs the CPU
 * path in 0.280 s. USB transfer to the stick is not modelled beyond what the ratio contains.
 */
export const EDGE_TPU_RATIO: number = edgeTpuRatio();

function edgeTpuRatio(): number {
  const board = DEVICES[MEASURED_TPU_DEVICE].exec;
  return board['mobilenet-inference-tpu']! / board['mobilenet-inference-tflite']!;
}

/** The workload a TPU variant is the variant of (mobilenet-inference-tpu → mobilenet-inference-tflite). */
function cpuVariantOf(w: Workload): Workload | undefined {
  for (const [cpu, tpu] of Object.entries(EDGE_TPU_VARIANTS)) if (tpu === w) return cpu as Workload;
  return undefined;
}

/** The part of a node the execution time depends on. */
export type ExecNode = Pick<TopologyNode, 'device' | 'capabilities'>;

/**
 * Mean seconds of a workload on a node, the rule of every plan and simulation (Infinity: the
 * node cannot run it — "–" in docs/reference.md §4):
 * - a workload with an Edge TPU variant (mobilenet-inference-tflite) runs that variant on a node
 *   with capability `tpu`, otherwise the device's own CPU time;
 * - an Edge TPU workload (mobilenet-inference-tpu: a model compiled for the Edge TPU) runs only
 *   on a node with capability `tpu` (elsewhere Infinity: the CPU path refuses its custom op,
 *   docs/reference.md §9);
 * - on the TPU, the device's measured Edge TPU time where §4 has one (the Coral dev board:
 *   0.548 s), else the device's CPU time × EDGE_TPU_RATIO (the stated assumption above);
 * - any other workload: the device's time of §4.
 * A `vpu` (NCS2) changes nothing: §4 measures no workload on it.
 */
export function workloadSeconds(node: ExecNode, w: Workload): number {
  const dev = DEVICES[node.device];
  if (!dev) return Infinity;
  const hasTpu = node.capabilities.includes(EDGE_TPU_CAPABILITY);
  const tpuVariant = EDGE_TPU_VARIANTS[w];
  if (tpuVariant) return hasTpu ? edgeTpuSeconds(node.device, tpuVariant) : (dev.exec[w] ?? Infinity);
  const cpu = cpuVariantOf(w);
  if (cpu) return hasTpu ? edgeTpuSeconds(node.device, w) : Infinity;
  return dev.exec[w] ?? Infinity;
}

/** Seconds of an Edge TPU workload on a device's (or its USB stick's) Edge TPU. */
function edgeTpuSeconds(device: string, tpuWorkload: Workload): number {
  const dev = DEVICES[device];
  const measured = dev?.exec[tpuWorkload];
  if (measured !== undefined) return measured;
  const cpu = cpuVariantOf(tpuWorkload);
  const host = cpu ? dev?.exec[cpu] : undefined;
  return host !== undefined ? host * EDGE_TPU_RATIO : Infinity;
}

/** On the Edge TPU or not: whether workloadSeconds(node, w) is an Edge TPU time. */
export function runsOnEdgeTpu(node: ExecNode, w: Workload): boolean {
  return !!(EDGE_TPU_VARIANTS[w] || cpuVariantOf(w)) && node.capabilities.includes(EDGE_TPU_CAPABILITY);
}

/**
 * Why a node cannot run an Edge TPU workload, when that is why (it has no `tpu`); undefined for
 * any other workload or node (then the device table simply has no figure, docs/reference.md §4).
 */
export function missingEdgeTpu(node: ExecNode, w: Workload): string | undefined {
  const cpu = cpuVariantOf(w);
  if (!cpu || node.capabilities.includes(EDGE_TPU_CAPABILITY)) return undefined;
  return `no Edge TPU (capability tpu) for workload ${w}: attach a Coral stick to the node, or use ${cpu}`;
}

/**
 * How a node runs a workload on its Edge TPU, in words, for reports (the simulator's notes);
 * undefined when it does not (no `tpu`, or a workload without an Edge TPU variant).
 */
export function edgeTpuDescription(node: ExecNode & { name: string }, w: Workload): string | undefined {
  if (!runsOnEdgeTpu(node, w)) return undefined;
  const dev = DEVICES[node.device];
  const tpuW = EDGE_TPU_VARIANTS[w] ?? w;
  const cpuW = cpuVariantOf(tpuW)!;
  const tpu = workloadSeconds(node, w);
  const cpu = dev?.exec[cpuW];
  if (!Number.isFinite(tpu) || cpu === undefined) return undefined;
  const basis =
    dev?.exec[tpuW] !== undefined
      ? 'measured, docs/reference.md §4'
      : `no §4 figure for a Coral stick on a ${node.device}: its CPU time × ${EDGE_TPU_RATIO.toFixed(3)}, the Coral dev board's Edge TPU / CPU ratio 0.548 / 0.665 — an assumption, docs/reference.md §10`;
  return `${node.name} (${node.device}) runs ${w} on its Edge TPU: ${tpu.toFixed(3)} s, against ${cpu.toFixed(3)} s on its CPU (${basis})`;
}

/** The execution-time part of a function's scheduler requirements. */
export function execRequirement(fnId: string, model: ExecModel = {}): { workload: Workload } | { referenceSeconds: number } {
  const w = model.workloads?.[fnId];
  if (w) return { workload: w };
  return { referenceSeconds: model.referenceSeconds?.[fnId] ?? DEFAULT_REFERENCE_SECONDS };
}

/** What the model says about one function, in words (for explanations and warnings). */
export function execDescription(fnId: string, model: ExecModel = {}): string {
  const w = model.workloads?.[fnId];
  if (w) return `workload ${w} (docs/reference.md §4)`;
  const s = model.referenceSeconds?.[fnId] ?? DEFAULT_REFERENCE_SECONDS;
  return `${Math.round(s * 1000)} ms on a Xeon VM, scaled per device${model.referenceSeconds?.[fnId] === undefined ? ' (the default for a function without a workload)' : ''}`;
}

/**
 * `fn=workload` items (the CLI's --exec, the studio's execution profiles) as a workload map;
 * the functions must exist. One rule for every front end.
 */
export function parseWorkloads(items: Iterable<[string, string]>, functions: ReadonlySet<string> | undefined): Record<string, Workload> {
  const out: Record<string, Workload> = {};
  for (const [fn, w] of items) {
    if (!(WORKLOADS as readonly string[]).includes(w)) throw new StudioError('bad-workload', `execution profile '${w}' for '${fn}' is not a workload of the device table`, `use one of ${WORKLOADS.join(', ')}`);
    if (functions && !functions.has(fn)) throw new StudioError('function-not-found', `execution profile for '${fn}': the workflow has no such function`, `functions: ${[...functions].join(', ') || '(none)'}`);
    out[fn] = w as Workload;
  }
  return out;
}
