/** cluster/registry: artifacts (metadata in SQLite, bytes content-addressed), resolution, Data and Model. */
export { Registry, openRegistry, openProjectRegistry, registryDirOf, type OpenRegistryOptions, type ListFilter, type LineageNode, type LineageReport, type GcOptions, type GcReport, type VerifyReport } from './registry';
export { ArtifactIndex, type ResolveOptions, type ResolveResult, type Rejection } from './resolve';
export { RegistryError, ArtifactNotFoundError, ArtifactCorruptError, ArtifactBlobMissingError, SelectorError, DataFormatError, type RegistryErrorCode } from './errors';
export { TableData, openData, dataOfArtifact, dataFromBytes, dataFromRows, consumeData, ndarrayToTensor, mulberry32, type DataMeta, type ConsumeDataOptions } from './data';
export { decodeTable, encodeCsv, encodeJsonl, encodeNpy, decodeNpyArray, encodeMnist, formatFromFileName, DATA_FORMAT_NAMES, type DataFormatName, type Table, type Column } from './formats';
export { importDataSource, importFile, importBytes, type ImportResult, type ImportBytesOptions } from './import';
export { loadMnistSamples, mnistBytes, MNIST_TOTAL } from './mnist';
export {
  RegistryModel,
  saveModel,
  loadModel,
  resolveModel,
  publishModel,
  evaluateAccuracy,
  estimate,
  registrySaveHandler,
  registryLoadHandler,
  encodeModelArtifacts,
  decodeModelArtifacts,
  MODEL_FORMAT,
  type ModelPutMeta,
  type PublishOptions,
  type EvaluateOptions,
} from './model';
export { ensureTf } from './tf';
export { sha256Hex } from './blobs';
