/**
 * Monaco, bundled locally (no CDN): its workers are Vite worker chunks of the same origin, so
 * the CSP's worker-src 'self' lets them run. The SDK's sources are given to the TypeScript
 * service so `@consumes.` completes and decorator options are type-checked.
 */
import * as monaco from 'monaco-editor';
import EditorWorker from 'monaco-editor/editor/editor.worker?worker';
import TsWorker from 'monaco-editor/language/typescript/ts.worker?worker';
import JsonWorker from 'monaco-editor/language/json/json.worker?worker';

(self as unknown as { MonacoEnvironment: monaco.Environment }).MonacoEnvironment = {
  getWorker(_id: string, label: string) {
    if (label === 'typescript' || label === 'javascript') return new TsWorker();
    if (label === 'json') return new JsonWorker();
    return new EditorWorker();
  },
};

let typingsInstalled = false;

export function installTypings(files: Array<{ path: string; content: string }>): void {
  if (typingsInstalled) return;
  typingsInstalled = true;
  const ts = monaco.typescript;
  ts.typescriptDefaults.setCompilerOptions({
    target: ts.ScriptTarget.ES2020,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.NodeJs,
    strict: true,
    allowNonTsExtensions: true,
    esModuleInterop: true,
    experimentalDecorators: false,
    lib: ['es2022', 'dom'],
  });
  // only the file shown is checked by TypeScript's worker (onlyVisible): with every model checked, a
  // project of 500 functions kept the worker at a full core for ~45 s after it opened.
  // 2307: a module the editor has no typings for (the runtime resolves it); 1219: old decorator warning
  ts.typescriptDefaults.setDiagnosticsOptions({ noSemanticValidation: false, noSyntaxValidation: false, onlyVisible: true, diagnosticCodesToIgnore: [2307, 1219] });
  ts.typescriptDefaults.setEagerModelSync(true);
  for (const f of files) ts.typescriptDefaults.addExtraLib(f.content, `file:///${f.path}`);
}

export { monaco };
