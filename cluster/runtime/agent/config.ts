/**
 * The node agent's settings, from its command line (and the environment a backend gives it),
 * and the small helpers every part of the agent uses: failures in the protocol's shape, times
 * for people.
 *
 *   node agent.cjs --node edge-1 --cluster <id> --store <dir> [--host 127.0.0.1] [--port 0]
 *                  [--secret-stdin] [--memory-bytes <node memory>] [--max-node-workers n] [--max-workers n]
 *                  [--invoke-timeout-ms 300000] [--load-timeout-ms 60000] [--idle-ms 300000]
 */
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import type { AgentError } from './protocol';
import { hostSysfsRoot } from '../../accelerators/discover';

export const MiB = 1024 * 1024;
/**
 * What one worker is given of the node's memory when the per-node cap is derived: a worker with
 * TensorFlow.js (wasm) loaded is about 150–200 MiB resident (backends/docker.ts MIN_MEMORY_BYTES).
 */
const WORKER_BUDGET_BYTES = 256 * MiB;

export interface AgentConfig {
  node: string;
  cluster: string;
  store: string;
  host: string;
  port: number;
  /** the cluster's secret comes on stdin (the process backend), else from EDGEAI_AGENT_SECRET (a container): secret.ts */
  secretStdin: boolean;
  /** idle replicas retire after this long (300 s by default: docs/reference.md §3, faas-sim) */
  idleMs: number;
  /** workers of one function */
  maxWorkers: number;
  /** the node's memory (its device profile's memoryBytes, given by the backend); 0: unknown */
  memoryBytes: number;
  /**
   * Workers alive at once on this node, every function together: the node's memory over a worker's
   * budget (1 GiB: 4), at least 1, at most 16; 8 when the memory is not known.
   */
  maxNodeWorkers: number;
  /** each worker's V8 heap: its share of the node's memory (so the heaps of a full node fit), at least 64 MiB; 0: no limit */
  workerHeapMb: number;
  /**
   * An invocation without a deadline (and without a timeout from the controller) is killed after
   * 5 min: Knative's and Cloud Run's default request timeout, well under the controller's own
   * 10 min bound on an answer, so the caller hears from the agent, not from a lost connection.
   */
  invokeTimeoutMs: number;
  /** a worker that has not loaded its function by then is killed: cold starts take about a second; 60 s is under the controller's 120 s bound on a warm */
  loadTimeoutMs: number;
  /** the worker build (worker.cjs) */
  worker: string;
  /** where the worker's TensorFlow.js finds its .wasm files (the agent build) */
  wasmDir: string;
  /** the TensorFlow Lite runner (tflite-runner.cjs of the agent build), the platform process that runs .tflite models for workers */
  tfliteRunner: string;
  /** where the Edge TPU is looked for: EDGEAI_SYSFS_ROOT (a fake tree in tests) or /sys */
  sysfsRoot?: string;
  /** where libedgetpu.so.1 is looked for besides LD_LIBRARY_PATH: EDGEAI_LIBRARY_DIRS (colon-separated; tests) */
  libraryDirs?: string[];
  /** Node ≥ 23.5 calls it --permission; Node 20 and 22 --experimental-permission; undefined: none */
  permissionFlag: string | undefined;
}

/** Parses the agent's command line; a missing or malformed setting ends the process (exit code 2) with the reason. */
export function parseConfig(argv: string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): AgentConfig {
  const { values } = parseArgs({
    args: argv,
    options: {
      node: { type: 'string' },
      cluster: { type: 'string' },
      store: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '0' },
      'secret-stdin': { type: 'boolean', default: false },
      // idle workers retire after 300 s (faas-sim's idle timeout, docs/reference.md §3); EDGEAI_IDLE_MS sets it for a cluster
      'idle-ms': { type: 'string', default: env.EDGEAI_IDLE_MS ?? '300000' },
      'max-workers': { type: 'string', default: '4' },
      'max-node-workers': { type: 'string' },
      'memory-bytes': { type: 'string', default: env.EDGEAI_MEMORY_BYTES ?? '0' },
      'invoke-timeout-ms': { type: 'string', default: env.EDGEAI_INVOKE_TIMEOUT_MS ?? String(5 * 60_000) },
      'load-timeout-ms': { type: 'string', default: env.EDGEAI_LOAD_TIMEOUT_MS ?? String(60_000) },
    },
  });
  const node = values.node ?? env.EDGEAI_NODE;
  const store = values.store ?? env.EDGEAI_STORE;
  if (!node || !store) {
    console.error('edgeai agent: --node and --store are required');
    process.exit(2);
  }
  const numberArg = (name: keyof typeof values, min: number): number => {
    const v = Number(values[name]);
    if (!Number.isFinite(v) || v < min) {
      console.error(`edgeai agent: --${name} must be a number ≥ ${min}, not ${JSON.stringify(values[name])}`);
      process.exit(2);
    }
    return v;
  };
  const memoryBytes = numberArg('memory-bytes', 0);
  const maxNodeWorkers = values['max-node-workers'] !== undefined ? numberArg('max-node-workers', 1) : memoryBytes > 0 ? Math.min(16, Math.max(1, Math.floor(memoryBytes / WORKER_BUDGET_BYTES))) : 8;
  const worker = env.EDGEAI_WORKER ?? join(__dirname, 'worker.cjs');
  return {
    node,
    cluster: values.cluster ?? env.EDGEAI_CLUSTER ?? 'default',
    store,
    host: values.host!,
    port: Number(values.port),
    secretStdin: values['secret-stdin'] === true,
    idleMs: numberArg('idle-ms', 1),
    maxWorkers: numberArg('max-workers', 1),
    memoryBytes,
    maxNodeWorkers,
    workerHeapMb: memoryBytes > 0 ? Math.max(64, Math.floor(memoryBytes / maxNodeWorkers / MiB)) : 0,
    invokeTimeoutMs: numberArg('invoke-timeout-ms', 1),
    loadTimeoutMs: numberArg('load-timeout-ms', 1),
    worker,
    wasmDir: env.EDGEAI_TFJS_WASM_DIR ?? dirname(worker) + '/',
    tfliteRunner: env.EDGEAI_TFLITE_RUNNER ?? join(__dirname, 'tflite-runner.cjs'),
    ...(hostSysfsRoot(env) ? { sysfsRoot: hostSysfsRoot(env)! } : {}),
    ...(env.EDGEAI_LIBRARY_DIRS ? { libraryDirs: env.EDGEAI_LIBRARY_DIRS.split(':').filter(Boolean) } : {}),
    permissionFlag: process.allowedNodeEnvironmentFlags.has('--permission') ? '--permission' : process.allowedNodeEnvironmentFlags.has('--experimental-permission') ? '--experimental-permission' : undefined,
  };
}

/** The agent listens on loopback itself (the process backend), so it knows the port the controller reaches it on. */
export function listensOnLoopback(cfg: AgentConfig): boolean {
  return cfg.host === '127.0.0.1' || cfg.host === 'localhost' || cfg.host === '::1';
}

/** An answer in the AgentError shape. */
export function fail(code: string, message: string, hint?: string, logs: string[] = []): AgentError {
  return { ok: false, error: { code, message, ...(hint ? { hint } : {}) }, logs };
}

/** A failure with the code and hint a worker (or the agent about a worker) reports. */
export function failure(code: string, message: string, hint?: string): Error & { code: string; hint?: string } {
  return Object.assign(new Error(message), { code, ...(hint ? { hint } : {}) });
}

export function fmtMs(ms: number): string {
  return ms >= 60_000 && ms % 60_000 === 0 ? `${ms / 60_000} min` : ms >= 1000 ? `${+(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}
