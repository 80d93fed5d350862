/**
 * A worker process: runs one function's invocations, one at a time. The agent forks it on a
 * cold start and keeps it warm for the next invocation. It loads TensorFlow.js (wasm backend)
 * once, hands the same instance to the function bundle (bundles import '@tensorflow/tfjs' as
 * `globalThis.__EDGEAI_TF__`), and reads artifact bytes in the node's store.
 *
 * It runs under Node's permission model (confine.ts, workerLaunch): it reads its bundle, its own
 * build and the node's blobs, and writes only its scratch folder. What it produces it stages
 * there (`staged-<sha256>`); the agent checks each staged file's hash and size and commits it to
 * the blob store (Node 20's permission model disables fsync, and a worker has no business
 * writing the store's blobs itself). It imports its bundle only if the file hashes to the
 * bundle's name.
 */
import { pathToFileURL } from 'node:url';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { ensureTf } from '../../registry/tf';
import { sha256Hex } from '../../registry/blobs';
import { consumeData, dataOfArtifact, type TableData } from '../../registry/data';
import { decodeModelArtifacts, encodeModelArtifacts, evaluateAccuracy, estimate, MODEL_FORMAT, RegistryModel } from '../../registry/model';
import { fillUrn } from '../../spec/selector';
import { parsePredicate, testPredicate, isPredicateError } from '../../spec/predicate';
import type { Data, Model, NdArray, Request, TfliteModel, TrainedModel } from '../../sdk/data';
import type { EvaluateRequest, FromWorker, FunctionRef, GateResult, InvokeBody, Produced, ToWorker } from './protocol';
import { LogBudget, outputRefusal } from './output-limits';
import { biasMetric } from './bias';

type Method = (...args: unknown[]) => unknown;

let fn: FunctionRef | undefined;
let method: Method | undefined;
let storeDir: string | undefined;
let scratchDir: string | undefined;

function send(msg: FromWorker): void {
  process.send?.(msg);
}

class WorkerFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/**
 * A confined worker checks that it is: no reading / or the store's own files, no writing the
 * store, no processes or threads. A Node whose permission model lets one through must not run
 * function code as if it held.
 */
function checkConfinement(storeDir: string): void {
  const p = (process as { permission?: { has(scope: string, ref?: string): boolean } }).permission;
  if (!p) throw new WorkerFailure('isolation-broken', 'the worker was started to run confined, but this Node has no permission model');
  const leaks = [
    p.has('fs.read', '/') && 'reading /',
    p.has('fs.read', join(storeDir, 'agent.json')) && "reading the store's agent.json",
    p.has('fs.write', join(storeDir, 'bundles')) && "writing the store's bundles",
    p.has('child') && 'starting processes',
    p.has('worker') && 'starting threads',
  ].filter(Boolean);
  if (leaks.length) throw new WorkerFailure('isolation-broken', `the worker's permissions allow ${leaks.join(', ')}; function code does not run so`, 'report the Node.js version (node --version): its permission model does not hold as this platform expects');
}

/** This process is the node's evaluator (evaluator.ts): it never loads a function. */
let isEvaluator = false;

async function initEvaluator(msg: Extract<ToWorker, { type: 'init-evaluator' }>): Promise<void> {
  const t0 = performance.now();
  if (fn) throw new WorkerFailure('not-an-evaluator', 'a worker that loaded a function does not evaluate models');
  if (msg.confined) checkConfinement(msg.storeDir);
  await ensureTf();
  storeDir = msg.storeDir;
  scratchDir = msg.scratchDir;
  isEvaluator = true;
  send({ type: 'ready', loadMs: performance.now() - t0 });
}

/** Accuracy on the holdout and the bias gates of one trained model, read from the node's store. */
async function evaluateModel(req: EvaluateRequest): Promise<void> {
  if (!isEvaluator || fn) throw new WorkerFailure('not-an-evaluator', 'only the node\'s evaluator measures models');
  const bytes = readBlob(req.model.sha256, req.model.urn, 0);
  const model = await tf.loadLayersModel(tf.io.fromMemory(decodeModelArtifacts(bytes, req.model.urn)));
  try {
    const metrics: Record<string, number> = {};
    const gates: GateResult[] = [];
    const holdout = req.data ? consumeData(dataOfArtifact(req.data.artifact, readBlob(req.data.artifact.sha256, req.data.artifact.urn, req.data.artifact.version)), { holdout: req.data.holdout, seed: req.data.seed ?? 42 }).holdout : undefined;
    if (holdout && holdout.length) {
      metrics.accuracy = evaluateAccuracy(model, holdout, { features: req.features, label: req.label });
      metrics.holdout_size = holdout.length;
      for (const g of req.gates) gates.push(biasGate(model, holdout, g, req.features, req.label));
    } else {
      for (const g of req.gates) gates.push({ kind: 'bias', metric: g.metric, value: null, predicate: g.predicate, pass: false, detail: 'no holdout to measure bias on: give @consumes.data a holdout' });
    }
    send({ type: 'evaluated', metrics, gates });
  } finally {
    model.dispose();
  }
}

async function init(msg: Extract<ToWorker, { type: 'init' }>): Promise<void> {
  const t0 = performance.now();
  if (isEvaluator) throw new WorkerFailure('not-a-worker', 'the evaluator loads no function');
  if (msg.confined) checkConfinement(msg.storeDir);
  // the agent checked the bundle before it started this worker; what is imported is checked here again
  if (sha256Hex(readFileSync(msg.bundlePath)) !== msg.fn.bundle) {
    throw new WorkerFailure('bundle-corrupt', `the bundle ${msg.fn.bundle.slice(0, 12)} of ${msg.fn.id} does not match its sha256: it was changed on disk, and is not run`, 'deploy the workflow again: the deploy replaces the damaged copy');
  }
  await ensureTf();
  (globalThis as { __EDGEAI_TF__?: unknown }).__EDGEAI_TF__ = tf;
  storeDir = msg.storeDir;
  scratchDir = msg.scratchDir;
  const mod = (await import(pathToFileURL(msg.bundlePath).href)) as Record<string, unknown>;
  const cls = Object.values(mod).find((v): v is new () => Record<string, unknown> => typeof v === 'function' && (v as { name?: string }).name === msg.fn.className) ?? (mod[msg.fn.className] as (new () => Record<string, unknown>) | undefined);
  if (!cls) throw new WorkerFailure('function-not-found', `the bundle exports no class ${msg.fn.className}`, 'export the class that holds the function');
  const instance = new cls();
  const m = instance[msg.fn.method];
  if (typeof m !== 'function') throw new WorkerFailure('function-not-found', `${msg.fn.className} has no method ${msg.fn.method}`);
  method = (m as Method).bind(instance);
  fn = msg.fn;
  send({ type: 'ready', loadMs: performance.now() - t0 });
}

function readBlob(sha256: string, urn: string, version: number): Uint8Array {
  // the blob store's layout (registry/blobs.ts): blobs/<first two hex digits>/<sha256>
  const bytes = readFileSync(join(storeDir!, 'blobs', sha256.slice(0, 2), sha256));
  if (sha256Hex(bytes) !== sha256) throw new WorkerFailure('artifact-corrupt', `the bytes of ${urn} version ${version} on this node do not match their sha256`, 'the controller will fetch a fresh copy on the next invocation');
  return bytes;
}

async function loadModel(bytes: Uint8Array, artifact: InvokeBody['inputs'][number]['artifact']): Promise<RegistryModel> {
  const artifacts = decodeModelArtifacts(bytes, `${artifact.urn}@${artifact.version}`);
  const model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  return new RegistryModel(model, artifact);
}

/**
 * Calls to the agent for TensorFlow Lite models: this worker cannot load native code, so the agent
 * opens the model in its runner and runs it there (tflite-service.ts); tensors travel as typed arrays.
 */
const agentCalls = new Map<number, { resolve: (m: ToWorker) => void; reject: (e: Error) => void }>();
let nextCall = 1;
function callAgent(m: { type: 'tflite-open'; sha256: string } | { type: 'tflite-run'; handle: number; inputs: NdArray[] | Record<string, NdArray> }): Promise<ToWorker> {
  const call = nextCall++;
  return new Promise((resolve, reject) => {
    agentCalls.set(call, { resolve, reject });
    send({ ...m, call } as FromWorker);
  });
}
function agentReply(m: ToWorker): boolean {
  if (m.type !== 'tflite-opened' && m.type !== 'tflite-ran' && m.type !== 'tflite-error') return false;
  const p = agentCalls.get(m.call);
  if (!p) return true;
  agentCalls.delete(m.call);
  if (m.type === 'tflite-error') p.reject(new WorkerFailure(m.code, m.message, m.hint));
  else p.resolve(m);
  return true;
}

async function openTflite(artifact: InvokeBody['inputs'][number]['artifact']): Promise<TfliteModel> {
  const r = await callAgent({ type: 'tflite-open', sha256: artifact.sha256 });
  if (r.type !== 'tflite-opened') throw new WorkerFailure('tflite-failed', `unexpected answer ${r.type} to opening ${artifact.urn}`);
  const { handle, info, runsOn } = r;
  return Object.freeze({
    urn: artifact.urn,
    version: artifact.version,
    type: artifact.type ?? 'model',
    format: 'tflite' as const,
    metrics: Object.freeze({ ...artifact.metrics }),
    dataTags: Object.freeze([...artifact.data_tags]),
    inputs: info.inputs,
    outputs: info.outputs,
    edgetpu: info.edgetpu,
    runsOn,
    run: async (inputs: NdArray[] | Record<string, NdArray>) => {
      const out = await callAgent({ type: 'tflite-run', handle, inputs });
      if (out.type !== 'tflite-ran') throw new WorkerFailure('tflite-failed', `unexpected answer ${out.type} to running ${artifact.urn}`);
      return out.outputs;
    },
  });
}

function isTrainedModel(v: unknown): v is TrainedModel {
  return !!v && typeof v === 'object' && 'model' in v && typeof (v as { model?: { save?: unknown } }).model?.save === 'function';
}

async function saveModelBytes(model: tf.LayersModel): Promise<Uint8Array> {
  let bytes: Uint8Array | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      bytes = encodeModelArtifacts(a);
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return bytes!;
}

/** Stages produced bytes in the scratch folder; the agent verifies and commits them. */
function putBlob(bytes: Uint8Array): { sha256: string; size: number } {
  const sha256 = sha256Hex(bytes);
  if (!scratchDir) throw new WorkerFailure('not-initialised', 'the worker has no scratch folder to stage its output in');
  writeFileSync(join(scratchDir, `staged-${sha256}`), bytes);
  return { sha256, size: bytes.byteLength };
}

/**
 * gate.bias over the holdout: accuracy per group of the attribute column; disparate impact is
 * the lowest group accuracy over the highest, statistical parity / equal opportunity
 * difference the highest minus the lowest.
 */
function biasGate(model: tf.LayersModel, holdout: TableData, gate: Extract<FunctionRef['gates'][number], { kind: 'bias' }>, features: readonly string[] | undefined, label: string | undefined): GateResult {
  const attr = gate.attribute;
  if (!holdout.columns.includes(attr)) {
    return { kind: 'bias', metric: gate.metric, value: null, predicate: gate.predicate, pass: false, detail: `the holdout has no column '${attr}' (columns: ${holdout.columns.join(', ')})` };
  }
  const lab = label ?? (['y', 'label', 'target', 'class'].find((c) => holdout.columns.includes(c)) as string);
  const feats = features ?? (holdout.columns.includes('x') ? ['x'] : holdout.columns.filter((c) => c !== lab && c !== attr));
  const groups = new Map<string, { n: number; correct: number }>();
  const truth = holdout.column(lab).data;
  const attrCol = holdout.column(attr).data;
  let off = 0;
  for (const batch of holdout.batches(512)) {
    const x = batch.toTensor(feats);
    const preds = estimate(model, x);
    x.dispose();
    for (const p of preds) {
      const g = String(attrCol[off]);
      const e = groups.get(g) ?? { n: 0, correct: 0 };
      e.n++;
      if (Math.round(p.label) === Math.round(Number(truth[off]))) e.correct++;
      groups.set(g, e);
      off++;
    }
  }
  const acc = [...groups.values()].filter((g) => g.n > 0).map((g) => g.correct / g.n);
  const lo = Math.min(...acc);
  const hi = Math.max(...acc);
  const value = biasMetric(gate.metric, acc);
  const p = parsePredicate(gate.predicate);
  const pass = !isPredicateError(p) && testPredicate(p, value);
  return { kind: 'bias', metric: gate.metric, value, predicate: gate.predicate, pass, detail: `${gate.metric} over ${groups.size} groups of '${attr}' is ${value.toFixed(3)} (group accuracy ${lo.toFixed(3)}–${hi.toFixed(3)})` };
}

/** The current invocation's log (a worker runs one invocation at a time). */
let logBudget = new LogBudget();
function endLog(): void {
  const last = logBudget.summary();
  if (last) send({ type: 'log', line: last });
  logBudget = new LogBudget();
}

async function invoke(body: InvokeBody): Promise<void> {
  if (!fn || !method) throw new WorkerFailure('not-initialised', 'the worker has no function loaded');
  logBudget = new LogBudget();
  const logs = (line: string) => {
    const kept = logBudget.take(line);
    if (kept !== undefined) send({ type: 'log', line: kept });
  };
  const args: unknown[] = [];
  const dataInputs: Data[] = [];
  const modelInputs: Model[] = [];
  const liteInputs: TfliteModel[] = [];
  let holdout: TableData | undefined;
  for (const input of body.inputs) {
    const bytes = readBlob(input.artifact.sha256, input.artifact.urn, input.artifact.version);
    if (input.kind === 'data') {
      const full = dataOfArtifact(input.artifact, bytes);
      const part = consumeData(full, { holdout: input.holdout, seed: input.seed ?? 42 });
      if (part.holdout) holdout = part.holdout;
      dataInputs.push(part.data);
      args.push(part.data);
    } else if (input.artifact.format === 'tflite') {
      const m = await openTflite(input.artifact);
      liteInputs.push(m);
      args.push(m);
    } else {
      const m = await loadModel(bytes, input.artifact);
      modelInputs.push(m);
      args.push(m);
    }
  }
  const request: Request = {
    id: body.request.id,
    params: body.request.params,
    input: body.request.input,
    ...(body.request.deadlineMs !== undefined ? { deadlineMs: body.request.deadlineMs } : {}),
    log: (...a: unknown[]) => logs(a.map(logText).join(' ')),
  };
  args.push(request);
  const t0 = performance.now();
  const result = await method(...args);
  const execMs = performance.now() - t0;

  const produced: Produced[] = [];
  const gates: GateResult[] = [];
  let output: unknown = result;
  const dataTags = [...new Set([...dataInputs.flatMap((d) => d.tags), ...modelInputs.flatMap((m) => m.dataTags), ...liteInputs.flatMap((m) => m.dataTags)])];
  let evaluation: { features?: string[]; label?: string } | undefined;
  for (const p of fn.produces) {
    const { urn, missing } = fillUrn(p.urn, body.request.params);
    if (missing.length) throw new WorkerFailure('missing-param', `${fn.id} produces ${p.urn}, which needs request parameter ${missing.map((m) => `'${m}'`).join(', ')}`, `invoke with --param ${missing[0]}=…`);
    if (p.kind === 'model') {
      if (!isTrainedModel(result)) throw new WorkerFailure('bad-return', `${fn.id} must return { model, metrics } because it has @produces.model, but it returned ${result === undefined ? 'nothing' : typeof result}`, 'return { model: <tf.LayersModel>, metrics: {} }');
      // the function's own numbers (a loss, say); accuracy and the bias gates are measured by the
      // node's evaluator, a process this code cannot reach (evaluator.ts), from the saved model
      const metrics: Record<string, number> = {};
      for (const [k, v] of Object.entries(result.metrics ?? {})) if (typeof v === 'number' && Number.isFinite(v)) metrics[k] = v;
      evaluation = { ...(Array.isArray(result.features) ? { features: result.features.map(String) } : {}), ...(typeof result.label === 'string' ? { label: result.label } : {}) };
      const blob = putBlob(await saveModelBytes(result.model));
      produced.push({ kind: 'model', urn, type: p.type, tags: [...new Set([...(p.tags ?? []), ...(result.tags ?? [])])], data_tags: dataTags, metrics, format: MODEL_FORMAT, ...blob });
      output = { model: urn, metrics };
    } else {
      const rows = Array.isArray(result) ? result : [result];
      const fnId = fn.id;
      const text = rows.map((r, i) => jsonText(r, `${fnId}'s output for ${urn}${Array.isArray(result) ? ` (row ${i})` : ''}`)).join('\n') + '\n';
      const blob = putBlob(new TextEncoder().encode(text));
      produced.push({ kind: 'data', urn, type: p.type, tags: p.tags ?? [], data_tags: dataTags, metrics: {}, format: 'jsonl', ...blob });
    }
  }
  if (isTrainedModel(result)) result.model.dispose();
  for (const m of modelInputs) if (!isTrainedModel(result) || m.tf !== result.model) m.tf.dispose();
  let text = jsonText(output, `${fn.id}'s return value`);
  const refused = outputRefusal(fn.id, Buffer.byteLength(text));
  if (refused) {
    // what @produces.data stored is the answer's bulk: the answer names it instead of repeating it
    const data = produced.filter((p) => p.kind === 'data');
    if (!data.length) throw new WorkerFailure(refused.code, refused.message, refused.hint);
    text = JSON.stringify({ produced: data.map((p) => ({ urn: p.urn, size: p.size, sha256: p.sha256 })), note: `the return value (${Buffer.byteLength(text)} bytes of JSON) is too large to answer with: it is the artifact${data.length > 1 ? 's' : ''} above` });
  }
  endLog();
  send({ type: 'result', output: JSON.parse(text), produced, gates, execMs, ...(evaluation ? { evaluation } : {}) });
}

/**
 * A value as JSON text, or a clear error: what a function returns travels as JSON, and a value
 * JSON cannot hold (a cycle, a BigInt, a function) must not turn into "[object Object]".
 */
function jsonText(v: unknown, what: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(v ?? null);
  } catch (e) {
    const why = String((e as Error)?.message ?? e).replace(/\s*\n\s*/g, ' ');
    throw new WorkerFailure('output-not-json', `${what} is not JSON-serialisable: ${why}`, 'return plain data (objects, arrays, strings, numbers, booleans, null): no cycles, BigInt as a string or a number');
  }
  if (text === undefined) throw new WorkerFailure('output-not-json', `${what} is a ${typeof v}, which JSON cannot hold`, 'return plain data (objects, arrays, strings, numbers, booleans, null)');
  return text;
}

/** A log argument as text; a log line never throws into the function. */
function logText(x: unknown): string {
  if (typeof x === 'string') return x;
  try {
    return JSON.stringify(x) ?? String(x);
  } catch {
    return inspect(x, { depth: 4, breakLength: Infinity });
  }
}

process.on('message', (raw: unknown) => {
  const msg = raw as ToWorker;
  if (agentReply(msg)) return;
  const run = msg.type === 'init' ? init(msg) : msg.type === 'init-evaluator' ? initEvaluator(msg) : msg.type === 'evaluate' ? evaluateModel(msg.req) : msg.type === 'invoke' ? invoke(msg.body) : Promise.resolve();
  run.catch((e: unknown) => {
    endLog();
    const err = e as Error & { code?: string; hint?: string; permission?: string; resource?: string };
    if (err?.code === 'ERR_ACCESS_DENIED' || err?.code === 'ERR_DLOPEN_DISABLED') {
      // the permission model said no: say what was refused, not only "Access to this API has been restricted"
      const what = err.permission ? `${err.permission}${err.resource ? ` of ${err.resource}` : ''}` : err.code === 'ERR_DLOPEN_DISABLED' ? 'loading a native addon' : 'this API';
      return send({
        type: 'error',
        code: 'access-denied',
        message: `${msg.type === 'init' ? 'loading the function' : 'the function'} was refused ${what}: ${err.message}`,
        hint: 'function code runs confined on its node: it reads its inputs and bundle, writes only os.tmpdir(), and starts no processes or threads',
      });
    }
    send({ type: 'error', code: e instanceof WorkerFailure ? e.code : 'function-error', message: err?.message ?? String(e), ...(err?.hint ? { hint: err.hint } : {}) });
  });
});
process.on('disconnect', () => process.exit(0));
