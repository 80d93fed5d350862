export { preprocessSource, preprocessFiles, type SourceFile, type PreprocessResult } from './preprocess';
export { editDecorators, type DecoratorPatch, type EditResult } from './edit';
export { functionIdentities } from './identity';
export { type Diagnostic, DiagnosticSchema, formatDiagnostic, hasErrors } from './diagnostic';
