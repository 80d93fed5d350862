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
  readonly type?: string;
  readonly tags: readonly string[];
  /** number of rows (samples) */
  readonly length: number;
  /** column names for tabular formats; for arrays, `['x']` or `['x','y']` when labels exist */
  readonly columns: readonly string[];
  rows(): Row[];
  /**
   * The chosen columns as one array with the samples along axis 0 (all numeric columns by
   * default): a single column keeps its own per-row shape (`x` of MNIST → [n, 784]; a scalar
   * column → [n, 1]); several columns are flattened per row and concatenated → [n, Σ widths].
   */
  toNdarray(columns?: readonly string[]): NdArray;
  /** one column with its own shape: [n] for a scalar column (labels), [n, …] for an array column */
  column(name: string): NdArray;
  /** the same as a TensorFlow.js tensor */
  toTensor(columns?: readonly string[]): tf.Tensor;
  /** deterministic split: the same seed gives the same rows */
  split(holdout: number, seed?: number): { train: Data; holdout: Data };
  /** consecutive batches of `size` rows (the last may be shorter) */
  batches(size: number): Iterable<Data>;
  /** rows [start, end) */
  slice(start: number, end?: number): Data;
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
  /**
   * Predictions for one sample (a flat number[] of the model's input size) or a batch
   * (number[][], an NdArray or a tensor with samples along axis 0): for classifiers the most
   * likely class, its probability as confidence, and every class's score.
   */
  estimate(input: EstimateInput): Prediction[];
}

/** One tensor of a TensorFlow Lite model: its name, element type and shape. */
export interface TensorSpec {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly number[];
}

/**
 * A TensorFlow Lite model (format `tflite`, e.g. one a workflow.json `models` entry ships) as a
 * function sees it. It runs in the node's TensorFlow Lite runner, a platform process outside the
 * function's confinement: on the Edge TPU when the node has a Coral stick with its runtime and the
 * model was compiled for it, else on the CPU. `runsOn` says which — and the platform records the
 * same in the run, whatever the function says.
 */
export interface TfliteModel {
  readonly urn: string;
  readonly version: number;
  readonly type: string;
  readonly format: 'tflite';
  readonly metrics: Readonly<Record<string, number>>;
  readonly dataTags: readonly string[];
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  /** compiled for the Edge TPU (it holds the edgetpu-custom-op) */
  readonly edgetpu: boolean;
  /** 'edgetpu', 'cpu' or 'cpu (fallback: <reason>)' */
  readonly runsOn: string;
  /** Runs the model on one array per input (in order, or by input name); every output by name. */
  run(inputs: NdArray[] | Record<string, NdArray>): Promise<Record<string, NdArray>>;
}

export type EstimateInput = NdArray | tf.Tensor | number[] | number[][];

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
  /** metrics the function measured itself; the platform adds accuracy on the holdout */
  metrics?: Record<string, number>;
  /** extra tags for the published model */
  tags?: string[];
  /** which columns of the consumed data are the features and the label (default: `x` / `y`) */
  features?: string[];
  label?: string;
}
