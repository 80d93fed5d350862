/** `edge-ai-studio/sdk`: what function code imports. */
export { consumes, produces, policy, gate, decoratorsOf, functionsOfModule } from './decorators';
export type {
  Duration,
  DataSelectorOptions,
  ModelSelectorOptions,
  ProducesDataOptions,
  ProducesModelOptions,
  FnPolicyOptions,
  DataPolicyOptions,
  BiasGateOptions,
  DriftGateOptions,
  RuntimeFunction,
} from './decorators';
export type { Data, Model, Request, NdArray, Row, Prediction, TrainedModel, DType, EstimateInput, TfliteModel, TensorSpec } from './data';
