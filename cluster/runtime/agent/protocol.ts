/**
 * The node agent's protocol: what the controller sends an agent over HTTP (on 127.0.0.1, or a
 * port published there), and what an agent sends its worker processes over IPC. Every payload
 * is validated with these schemas where it crosses a process boundary.
 */
import { z } from 'zod';
import { ArtifactSchema } from '../../spec/artifact';
import { ConsumesSchema, GateSchema, ProducesSchema } from '../../spec/function';
import { AcceleratorKindSchema, StickIdentitySchema } from '../../common/sticks';
import type { NdArray } from '../../sdk/data';
import type { TfliteModelInfo } from '../../registry/tflite';

export const FunctionRefSchema = z.object({
  /** the workflow it belongs to: two workflows may each have a function of the same name on one node */
  workflow: z.string().min(1),
  /** the function id (method name, unique within its workflow) */
  id: z.string().min(1),
  /** sha256 of the function bundle the agent holds */
  bundle: z.string().regex(/^[0-9a-f]{64}$/),
  className: z.string().min(1),
  method: z.string().min(1),
  consumes: z.array(ConsumesSchema),
  produces: z.array(ProducesSchema),
  gates: z.array(GateSchema),
  /** its @policy.fn capabilities: with 'tpu', its TensorFlow Lite models should run on the node's Edge TPU (agents before issue 14 ignore it) */
  capability: z.array(z.string()).optional(),
});
export type FunctionRef = z.infer<typeof FunctionRefSchema>;

export const InvocationInputSchema = z.object({
  kind: z.enum(['data', 'model']),
  /** the artifact; its bytes are in the agent's store under artifact.sha256 */
  artifact: ArtifactSchema,
  holdout: z.number().gt(0).lt(1).optional(),
  batch: z.number().int().positive().optional(),
  /** seed of the holdout split, so a rerun sees the same split */
  seed: z.number().int().optional(),
});
export type InvocationInput = z.infer<typeof InvocationInputSchema>;

export const InvocationRequestSchema = z.object({
  id: z.string().min(1),
  params: z.record(z.string(), z.string()).default({}),
  input: z.unknown().optional(),
  deadlineMs: z.number().positive().optional(),
  /**
   * for a function without a deadline: the agent kills the invocation after this long (queue,
   * cold start and run together) and answers invocation-timeout; absent, the agent's own default
   * (--invoke-timeout-ms). Agents before timeouts ignore it.
   */
  timeoutMs: z.number().positive().optional(),
});
export type InvocationRequest = z.infer<typeof InvocationRequestSchema>;

export const InvokeBodySchema = z.object({
  fn: FunctionRefSchema,
  inputs: z.array(InvocationInputSchema),
  request: InvocationRequestSchema,
});
export type InvokeBody = z.infer<typeof InvokeBodySchema>;

/** An artifact a function made on the node: its bytes are in the node's store. */
export const ProducedSchema = z.object({
  kind: z.enum(['data', 'model']),
  urn: z.string().min(1),
  type: z.string().optional(),
  tags: z.array(z.string()).default([]),
  data_tags: z.array(z.string()).default([]),
  metrics: z.record(z.string(), z.number()).default({}),
  format: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().nonnegative(),
});
export type Produced = z.infer<typeof ProducedSchema>;

export const GateResultSchema = z.object({
  kind: z.enum(['bias', 'drift']),
  metric: z.string(),
  value: z.number().nullable(),
  predicate: z.string(),
  pass: z.boolean(),
  detail: z.string(),
});
export type GateResult = z.infer<typeof GateResultSchema>;

export const InvokeResultSchema = z.object({
  ok: z.literal(true),
  output: z.unknown(),
  produced: z.array(ProducedSchema),
  gates: z.array(GateResultSchema),
  logs: z.array(z.string()),
  timings: z.object({ queueMs: z.number(), coldStartMs: z.number(), execMs: z.number() }),
  worker: z.number().int(),
  cold: z.boolean(),
  /**
   * where the invocation's models ran, as the agent opened them (never as the worker says):
   * 'edgetpu', 'cpu' or 'cpu (fallback: <reason>)'; several models that ran apart: '<urn>: <where>; …'.
   * Absent: the function consumed no model.
   */
  modelRanOn: z.string().optional(),
});
export type InvokeResult = z.infer<typeof InvokeResultSchema>;

export const AgentErrorSchema = z.object({
  ok: z.literal(false),
  error: z.object({ code: z.string(), message: z.string(), hint: z.string().optional() }),
  logs: z.array(z.string()).default([]),
  /** where its models ran (or were to run) before it failed: as InvokeResult's */
  modelRanOn: z.string().optional(),
});
export type AgentError = z.infer<typeof AgentErrorSchema>;

export const WarmBodySchema = z.object({ fn: FunctionRefSchema });
/** POST /warm: a worker of the function is ready (started now, or one was already running). */
export const WarmResultSchema = z.object({ ok: z.literal(true), coldStartMs: z.number().nonnegative(), warm: z.boolean() });
export type WarmResult = z.infer<typeof WarmResultSchema>;

/** PUT /blobs/<sha256> and PUT /bundles/<sha256>: stored (a bundle says whether the node already had it). */
export const StoredResultSchema = z.object({ ok: z.literal(true), size: z.number().int().nonnegative(), had: z.boolean().optional() });
export type StoredResult = z.infer<typeof StoredResultSchema>;

/** POST /shutdown */
export const ShutdownResultSchema = z.object({ ok: z.literal(true) });

/** POST /retire: the function's workers of this bundle exit (busy ones after their invocation). */
export const RetireBodySchema = z.object({ workflow: z.string().min(1), id: z.string().min(1), bundle: z.string().regex(/^[0-9a-f]{64}$/) });
export const RetireResultSchema = z.object({ ok: z.literal(true), retired: z.array(z.number().int()) });

/**
 * What an agent says of the USB sticks its node sees (GET /health?sticks=1: the controller asks
 * the nodes it attached sticks to; agent/sticks.ts watches sysfs from the first ask on).
 * `generation` counts the attach and detach events since `since`: the controller acts on a report
 * whose (since, generation) it has not acted on yet, so an unplug and re-plug between two
 * heartbeats are not missed, and a report that did not change leaves the node as it is.
 */
export const StickPresenceSchema = z.object({
  sysfsRoot: z.string(),
  since: z.string(),
  generation: z.number().int().nonnegative(),
  /**
   * whether the watch has run long enough that a stick it has not seen is absent, not
   * re-enumerating (agent/sticks.ts); absent: an agent from before this field, taken as settled
   */
  settled: z.boolean().optional(),
  changedAt: z.string().optional(),
  sticks: z.array(StickIdentitySchema),
  /** sticks detached since watching began and not back: when each left */
  lost: z.array(z.object({ kind: AcceleratorKindSchema, port: z.string(), at: z.string() })).default([]),
  /** the node's Edge TPU check (accelerators/runtimes.ts), as its models would meet it */
  edgetpu: z.object({ ready: z.boolean(), reason: z.string().optional(), hint: z.string().optional(), library: z.string().optional(), missing: z.enum(['stick', 'access', 'package', 'library']).optional() }),
});
export type StickPresence = z.infer<typeof StickPresenceSchema>;

export const HealthSchema = z.object({
  node: z.string(),
  cluster: z.string(),
  pid: z.number().int(),
  startedAt: z.string(),
  uptimeMs: z.number(),
  cpu: z.object({ userMs: z.number(), systemMs: z.number(), load1: z.number() }),
  memory: z.object({ rssBytes: z.number(), heapBytes: z.number(), workersRssBytes: z.number() }),
  functions: z.array(
    z.object({
      /** its workflow (agents before workflows were told apart did not say) */
      workflow: z.string().optional(),
      id: z.string(),
      /** the bundle its workers run (agents before deploy modes did not say) */
      bundle: z.string().optional(),
      workers: z.number().int(),
      /** its workers' process ids (agents before deploy modes did not say) */
      pids: z.array(z.number().int()).optional(),
      busy: z.number().int(),
      invocations: z.number().int(),
      errors: z.number().int(),
      coldStarts: z.number().int(),
      meanExecMs: z.number(),
    }),
  ),
  blobs: z.number().int(),
  /** what the agent holds its workers to (agents before worker limits did not say) */
  limits: z
    .object({
      /** the node's memory from its device profile (0: not given, no heap limit) */
      memoryBytes: z.number().nonnegative(),
      /** each worker's V8 heap limit (--max-old-space-size), 0 when none */
      workerHeapBytes: z.number().nonnegative(),
      /** workers alive at once on this node, all functions together */
      maxNodeWorkers: z.number().int().positive(),
      /** workers of one function */
      maxFunctionWorkers: z.number().int().positive(),
      /** an invocation without a deadline or a timeout of its own is killed after this long */
      invokeTimeoutMs: z.number().positive(),
      /** a worker that has not loaded its function after this long is killed */
      loadTimeoutMs: z.number().positive(),
      /** how workers are confined: Node's permission model, or nothing (a Node without it) */
      isolation: z.enum(['permission', 'none']),
    })
    .optional(),
  /** the sticks the node sees: only when asked (?sticks=1), by agents since issue 14 */
  accelerators: StickPresenceSchema.optional(),
});
export type Health = z.infer<typeof HealthSchema>;

// ---------------------------------------------------------------------------------------------
// agent ↔ worker (IPC)

/**
 * What the evaluator (evaluator.ts) measures of a trained model: its accuracy on the holdout of
 * the data input the agent gave the function, and the function's bias gates on it. Built by the
 * agent from the invocation it ran, never from what the function's worker says — but for which
 * columns are features and which the label, which the function's return value names.
 */
export interface EvaluateRequest {
  model: { urn: string; sha256: string };
  /** the data input with a holdout; none: there is nothing to measure on */
  data?: { artifact: InvocationInput['artifact']; holdout: number; seed?: number };
  gates: Array<Extract<FunctionRef['gates'][number], { kind: 'bias' }>>;
  features?: string[];
  label?: string;
}

export type ToWorker =
  /**
   * scratchDir: the one folder the worker may write (its TMPDIR, where it stages produced bytes as
   * staged-<sha256>); confined: it runs under the permission model and checks that it holds
   */
  | { type: 'init'; bundlePath: string; fn: FunctionRef; storeDir: string; scratchDir: string; confined?: boolean }
  | { type: 'invoke'; body: InvokeBody }
  /** the node's evaluator: a worker that never loads a function */
  | { type: 'init-evaluator'; storeDir: string; scratchDir: string; confined?: boolean }
  | { type: 'evaluate'; req: EvaluateRequest }
  /** answers to a worker's tflite-open / tflite-run (the agent's TensorFlow Lite runner did the work) */
  | { type: 'tflite-opened'; call: number; handle: number; info: TfliteModelInfo; runsOn: string }
  | { type: 'tflite-ran'; call: number; outputs: Record<string, NdArray> }
  | { type: 'tflite-error'; call: number; code: string; message: string; hint?: string };

export type FromWorker =
  | { type: 'ready'; loadMs: number }
  | { type: 'log'; line: string }
  /** evaluation: what the function's return value names as features and label (for the evaluator) */
  | { type: 'result'; output: unknown; produced: Produced[]; gates: GateResult[]; execMs: number; evaluation?: { features?: string[]; label?: string } }
  | { type: 'evaluated'; metrics: Record<string, number>; gates: GateResult[] }
  /**
   * a TensorFlow Lite model input: the worker cannot load native code (it is confined), so the
   * agent opens the model (the invocation's input `sha256`) in its runner and runs it there
   */
  | { type: 'tflite-open'; call: number; sha256: string }
  | { type: 'tflite-run'; call: number; handle: number; inputs: NdArray[] | Record<string, NdArray> }
  | { type: 'error'; code: string; message: string; hint?: string };
