/**
 * What function code receives: Data and Model handles and the Request. Functions never see
 * devices or paths; the platform resolves selectors to artifacts and hands these over.
 * (The implementations live in cluster/registry; this file is only the contract.)
 */
import type * as tf from '@tensorflow/tfjs';

export type DType = 'float32' | 'int32' | 'uint8' | 'float64';

/** A dense n-dimensional array: a typed array plus its shape (row-major). */
export interface NdArray {
  data: Float32Array | Int32Array | Uint8Array | Float64Array;
  shape: number[];
  dtype: DType;
}

export type Row = Record<string, unknown>;

/** A data artifact as a function sees it. */
export interface Data {
  readonly urn: string;
  readonly version: number;
  readonly format: string;
  readonly tags: readonly string[];
  /** number of rows (samples) */
  readonly length: number;
  /** column names for tabular formats; for arrays, `['x']` or `['x','y']` when labels exist */
  readonly columns: readonly string[];
  rows(): Row[];
  /** the chosen columns as a 2-D array (all numeric columns by default) */
  toNdarray(columns?: readonly string[]): NdArray;
  /** the same as a TensorFlow.js tensor */
  toTensor(columns?: readonly string[]): tf.Tensor;
  /** deterministic split: the same seed gives the same rows */
  split(holdout: number, seed?: number): { train: Data; holdout: Data };
  batches(size: number): Iterable<Data>;
}

export interface Prediction {
  /** index of the most likely class (classifiers) or the value (regressors) */
  label: number;
  confidence: number;
  scores: number[];
}

/** A model as a function sees it: a TensorFlow.js model plus what the registry knows of it. */
export interface Model {
  readonly urn: string;
  readonly version: number;
  readonly type: string;
  readonly metrics: Readonly<Record<string, number>>;
  readonly dataTags: readonly string[];
  readonly tf: tf.LayersModel;
  estimate(input: NdArray | tf.Tensor | number[] | number[][]): Prediction[];
}

/** One invocation's request: parameters, the input payload, and a logger. */
export interface Request {
  readonly id: string;
  /** parameters that fill URN templates such as `model:user:{usr}` */
  readonly params: Readonly<Record<string, string>>;
  /** the invocation's input payload (JSON) */
  readonly input: unknown;
  /** deadline in milliseconds from the start of the invocation, if a policy set one */
  readonly deadlineMs?: number;
  log(...args: unknown[]): void;
}

/** What a producing function returns: the model it trained, with the metrics to record. */
export interface TrainedModel {
  model: tf.LayersModel;
  metrics: Record<string, number>;
}
