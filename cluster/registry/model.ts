/**
 * Models: TensorFlow.js layers models saved into and loaded from the registry through a tfjs
 * IO handler, wrapped as the Model object function code sees (cluster/sdk/data.ts).
 *
 * A saved model is one blob of format `tfjs-layers`:
 *   "EATFJS01" | u32 LE length of the JSON | JSON {modelTopology, weightSpecs, …} | weight bytes
 *
 * Publication (what the platform does with a function's TrainedModel) evaluates the model on
 * the holdout the platform kept back, records accuracy plus the function's own metrics, the
 * model's type and tags, and the input data's tags as data_tags, so a selector such as
 * {type:'classifier', data_tags:['mnist'], accuracy:'>=0.88'} finds it.
 */
import * as tf from '@tensorflow/tfjs';
import type { Data, EstimateInput, Model, NdArray, Prediction, TrainedModel } from '../sdk/data';
import type { Artifact, ArtifactRef, ArtifactLocationInput } from '../spec/artifact';
import { fillUrn, type Selector } from '../spec/selector';
import { DataFormatError, RegistryError, SelectorError } from './errors';
import { ndarrayToTensor } from './data';
import type { Registry } from './registry';
import type { ResolveOptions } from './resolve';
import { ensureTf } from './tf';

export { MODEL_FORMAT } from '../spec/artifact';
import { MODEL_FORMAT } from '../spec/artifact';
const MAGIC = 'EATFJS01';

// ---------------------------------------------------------------------------------------------
// serialisation

export function encodeModelArtifacts(a: tf.io.ModelArtifacts): Uint8Array {
  const { weightData, ...rest } = a;
  const json = new TextEncoder().encode(JSON.stringify(rest));
  const weights = weightData === undefined ? new Uint8Array(0) : new Uint8Array(tf.io.CompositeArrayBuffer.join(weightData));
  const out = new Uint8Array(8 + 4 + json.length + weights.length);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(8, json.length, true);
  out.set(json, 12);
  out.set(weights, 12 + json.length);
  return out;
}

export function decodeModelArtifacts(bytes: Uint8Array, where = 'model'): tf.io.ModelArtifacts {
  if (bytes.length < 12 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) throw new DataFormatError(`${where}: not a ${MODEL_FORMAT} model blob`);
  const len = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(8, true);
  if (12 + len > bytes.length) throw new DataFormatError(`${where}: the model blob is truncated`);
  const meta = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + len))) as tf.io.ModelArtifacts;
  const w = bytes.slice(12 + len);
  return { ...meta, weightData: w.buffer.slice(w.byteOffset, w.byteOffset + w.byteLength) };
}

// ---------------------------------------------------------------------------------------------
// IO handlers

export interface ModelPutMeta {
  urn: string;
  type: string;
  tags?: string[];
  data_tags?: string[];
  metrics?: Record<string, number>;
  lineage?: { run?: string; function?: string; inputs?: Array<ArtifactRef & { kind?: 'data' | 'model' }> };
  locations?: ArtifactLocationInput[];
}

/** A tfjs IO handler whose save() puts the model into the registry; `.artifact` is set after a save. */
export function registrySaveHandler(registry: Registry, meta: ModelPutMeta): tf.io.IOHandler & { artifact?: Artifact } {
  const handler: tf.io.IOHandler & { artifact?: Artifact } = {
    async save(modelArtifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (!(modelArtifacts.modelTopology && typeof modelArtifacts.modelTopology === 'object' && !(modelArtifacts.modelTopology instanceof ArrayBuffer))) {
        throw new RegistryError('invalid-artifact', `model '${meta.urn}': only layers models (JSON topology) can be saved to the registry`);
      }
      handler.artifact = registry.put(
        {
          kind: 'model',
          urn: meta.urn,
          type: meta.type,
          tags: meta.tags ?? [],
          data_tags: meta.data_tags ?? [],
          metrics: meta.metrics ?? {},
          format: MODEL_FORMAT,
          lineage: { inputs: meta.lineage?.inputs ?? [], ...(meta.lineage?.run ? { run: meta.lineage.run } : {}), ...(meta.lineage?.function ? { function: meta.lineage.function } : {}) },
          locations: meta.locations ?? [],
        },
        encodeModelArtifacts(modelArtifacts),
      );
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(modelArtifacts) };
    },
  };
  return handler;
}

/** A tfjs IO handler whose load() reads (and hash-checks) a model from the registry. */
export function registryLoadHandler(registry: Registry, urn: string, version?: number): tf.io.IOHandler & { artifact?: Artifact } {
  const handler: tf.io.IOHandler & { artifact?: Artifact } = {
    async load(): Promise<tf.io.ModelArtifacts> {
      const { artifact, bytes } = registry.get(urn, version);
      if (artifact.kind !== 'model' || artifact.format !== MODEL_FORMAT) {
        throw new RegistryError('invalid-artifact', `'${urn}' version ${artifact.version} is ${artifact.kind === 'model' ? `a model of format '${artifact.format}'` : 'data'}, not a ${MODEL_FORMAT} model`);
      }
      handler.artifact = artifact;
      return decodeModelArtifacts(bytes, `model '${urn}' version ${artifact.version}`);
    },
  };
  return handler;
}

// ---------------------------------------------------------------------------------------------
// the Model object

export class RegistryModel implements Model {
  readonly urn: string;
  readonly version: number;
  readonly type: string;
  readonly metrics: Readonly<Record<string, number>>;
  readonly dataTags: readonly string[];
  readonly tags: readonly string[];

  constructor(
    readonly tf: tf.LayersModel,
    readonly artifact: Artifact,
  ) {
    this.urn = artifact.urn;
    this.version = artifact.version;
    this.type = artifact.type ?? 'model';
    this.metrics = Object.freeze({ ...artifact.metrics });
    this.dataTags = Object.freeze([...artifact.data_tags]);
    this.tags = Object.freeze([...artifact.tags]);
  }

  estimate(input: EstimateInput): Prediction[] {
    return estimate(this.tf, input);
  }
}

/** Predictions for one sample or a batch; see Model.estimate. */
export function estimate(model: tf.LayersModel, input: EstimateInput): Prediction[] {
  const inShape = (Array.isArray(model.inputs) ? model.inputs[0].shape : []).slice(1).map((d) => d ?? -1);
  const x = tf.tidy(() => {
    let t: tf.Tensor;
    if (input instanceof tf.Tensor) t = input.toFloat();
    else if (Array.isArray(input)) {
      const batch = input.length > 0 && Array.isArray(input[0]) ? (input as number[][]) : [input as number[]];
      t = tf.tensor2d(batch);
    } else t = ndarrayToTensor(input as NdArray).toFloat();
    if (inShape.length && !inShape.includes(-1)) t = t.reshape([-1, ...inShape]);
    return t;
  });
  const y = model.predict(x) as tf.Tensor;
  const scores = y.arraySync() as number[][] | number[];
  tf.dispose([x, y]);
  return (scores as Array<number[] | number>).map((row) => {
    const s = Array.isArray(row) ? row : [row];
    if (s.length === 1) return { label: s[0], confidence: 1, scores: s };
    let best = 0;
    for (let i = 1; i < s.length; i++) if (s[i] > s[best]) best = i;
    return { label: best, confidence: s[best], scores: s };
  });
}

export async function saveModel(registry: Registry, model: tf.LayersModel, meta: ModelPutMeta): Promise<RegistryModel> {
  await ensureTf();
  const handler = registrySaveHandler(registry, meta);
  await model.save(handler);
  if (!handler.artifact) throw new RegistryError('invalid-artifact', `model '${meta.urn}' was not saved`);
  return new RegistryModel(model, handler.artifact);
}

export async function loadModel(registry: Registry, urn: string, version?: number): Promise<RegistryModel> {
  await ensureTf();
  const handler = registryLoadHandler(registry, urn, version);
  const model = await tf.loadLayersModel(handler);
  if (!handler.artifact) throw new RegistryError('artifact-not-found', `model '${urn}' could not be loaded`);
  return new RegistryModel(model, handler.artifact);
}

/** Resolves a model selector and loads the best candidate; throws when nothing matches, with the reasons. */
export async function resolveModel(
  registry: Registry,
  selector: Selector,
  params: Record<string, string> = {},
  opts: ResolveOptions = {},
): Promise<RegistryModel> {
  const r = registry.resolve({ kind: 'model', ...selector }, params, opts);
  const best = r.candidates[0];
  if (!best) {
    const why = r.rejected.slice(0, 5).map((x) => `${x.artifact.urn}@${x.artifact.version}: ${x.reason}`);
    throw new RegistryError(
      'artifact-not-found',
      `no model matches ${JSON.stringify(selector)}${why.length ? ` (${why.join('; ')}${r.rejected.length > 5 ? '; …' : ''})` : ''}; train or publish one first, or loosen the selector`,
    );
  }
  return loadModel(registry, best.urn, best.version);
}

// ---------------------------------------------------------------------------------------------
// evaluation and publication

export interface EvaluateOptions {
  features?: readonly string[];
  label?: string;
}

/** Classification accuracy of a model on labelled data (label column: integer classes). */
export function evaluateAccuracy(model: tf.LayersModel, data: Data, opts: EvaluateOptions = {}): number {
  const label = opts.label ?? defaultLabel(data);
  const features = opts.features ?? defaultFeatures(data, label);
  if (data.length === 0) throw new DataFormatError(`cannot evaluate on '${data.urn}': it has no rows`);
  const want = data.column(label).data;
  let correct = 0;
  let off = 0;
  for (const batch of data.batches(512)) {
    const x = batch.toTensor(features);
    const preds = estimate(model, x);
    x.dispose();
    for (const p of preds) if (Math.round(p.label) === Math.round(Number(want[off++]))) correct++;
  }
  return correct / data.length;
}

function defaultLabel(data: Data): string {
  for (const c of ['y', 'label', 'labels', 'target', 'class']) if (data.columns.includes(c)) return c;
  throw new DataFormatError(`cannot evaluate on '${data.urn}': no label column (y, label, target, class); name it with \`label\``);
}

function defaultFeatures(data: Data, label: string): string[] {
  if (data.columns.includes('x') && label !== 'x') return ['x'];
  return data.columns.filter((c) => c !== label);
}

export interface PublishOptions {
  /** what the function returned */
  trained: TrainedModel;
  /** from @produces.model */
  produces: { urn: string; type: string; tags?: string[] };
  /** request parameters filling a URN template such as `model:user:{usr}` */
  params?: Record<string, string>;
  /** the data the function consumed (its tags become data_tags; its version goes into lineage) */
  inputs?: ReadonlyArray<Pick<Data, 'urn' | 'version' | 'tags'> | Pick<Model, 'urn' | 'version'>>;
  /** the holdout the platform kept back: accuracy is measured on it */
  holdout?: Data;
  run?: string;
  function?: string;
  locations?: ArtifactLocationInput[];
}

/** Evaluates on the holdout and saves the model with its metrics, tags, data_tags and lineage. */
export async function publishModel(registry: Registry, opts: PublishOptions): Promise<RegistryModel> {
  await ensureTf();
  const filled = fillUrn(opts.produces.urn, opts.params);
  if (filled.missing.length) {
    throw new SelectorError(filled.missing.map((p) => ({ clause: 'urn', message: `produces.model urn '${opts.produces.urn}' needs request parameter '${p}'` })), 'produced urn');
  }
  const metrics: Record<string, number> = { ...(opts.trained.metrics ?? {}) };
  if (opts.holdout && opts.holdout.length > 0) {
    metrics.accuracy = evaluateAccuracy(opts.trained.model, opts.holdout, { features: opts.trained.features, label: opts.trained.label });
    metrics.holdout_size = opts.holdout.length;
  }
  const dataTags = new Set<string>();
  const inputs: Array<ArtifactRef & { kind?: 'data' | 'model' }> = [];
  for (const i of opts.inputs ?? []) {
    const isData = 'tags' in i && !('dataTags' in i);
    if (isData) for (const t of (i as Data).tags) dataTags.add(t);
    else for (const t of (i as Model).dataTags ?? []) dataTags.add(t);
    if (!inputs.some((x) => x.urn === i.urn && x.version === i.version)) inputs.push({ urn: i.urn, version: i.version, kind: isData ? 'data' : 'model' });
  }
  return saveModel(registry, opts.trained.model, {
    urn: filled.urn,
    type: opts.produces.type,
    tags: [...new Set([...(opts.produces.tags ?? []), ...(opts.trained.tags ?? [])])],
    data_tags: [...dataTags],
    metrics,
    lineage: { run: opts.run, function: opts.function, inputs },
    locations: opts.locations,
  });
}
