/**
 * How long a function runs on a device, as every plan assumes it: one model for the
 * scheduler's deadline check (schedule, explain, deploy) and the simulator's execution times.
 * A function runs either a measured workload of the device table (docs/reference.md §4: e.g.
 * mobilenet inference on a Raspberry Pi 3 takes 2.073 s) or, without one, a small function of
 * DEFAULT_REFERENCE_SECONDS on a Xeon VM, scaled by each device's slowdown. Pure: no node:*.
 */
import { WORKLOADS, type Workload } from '../topology/catalog';
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
