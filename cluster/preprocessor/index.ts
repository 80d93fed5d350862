export { preprocessSource, preprocessFiles, type SourceFile, type PreprocessResult, type ParseCache } from './preprocess';
export { editDecorators, type DecoratorPatch, type EditResult } from './edit';
export { functionIdentities } from './identity';
export { type Diagnostic, DiagnosticSchema, formatDiagnostic, hasErrors } from './diagnostic';
