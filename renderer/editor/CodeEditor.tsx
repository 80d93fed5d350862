/**
 * The code view: Monaco over the project's files, with the preprocessor's diagnostics as
 * markers (live, on the unsaved buffer), Ctrl/Cmd+S to save, and a dot on unsaved tabs.
 */
import { useEffect, useRef } from 'react';
import type { DiagnosticDto, GraphDto } from '../../cluster/api/contract';
import { call } from '../api';
import { monaco } from './monaco';

export interface EditorFile {
  path: string;
  /** the content on disk (as of the last snapshot) */
  saved: string;
  revision: number;
}

export interface CodeEditorProps {
  files: EditorFile[];
  openPath: string | undefined;
  buffers: Record<string, string>;
  /** a line to reveal, and a range to flash after an edit from the canvas or inspector */
  reveal?: { path: string; line: number; endLine?: number; nonce: number };
  onOpen(path: string): void;
  onChange(path: string, text: string): void;
  onSave(path: string): void;
  /** a buffer's diagnostics as the user types; with `project`, also the graph as it would be with the buffer saved */
  onDiagnostics(path: string, diagnostics: DiagnosticDto[], graph?: GraphDto): void;
  /** the open project (its graph follows typing) */
  project?: string;
  /** counts project openings (the same folder reopened counts too): a new one drops every model */
  session?: number;
}

const uriOf = (path: string) => monaco.Uri.parse(`file:///project/${path}`);
const languageOf = (path: string) => (path.endsWith('.json') ? 'json' : 'typescript');

export function CodeEditor(props: CodeEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const editor = useRef<monaco.editor.IStandaloneCodeEditor | null>(null);
  const propsRef = useRef(props);
  propsRef.current = props;
  const timers = useRef(new Map<string, number>());
  const flash = useRef<monaco.editor.IEditorDecorationsCollection | null>(null);

  useEffect(() => {
    if (!host.current) return;
    const ed = monaco.editor.create(host.current, {
      theme: 'vs-dark',
      automaticLayout: true,
      minimap: { enabled: false },
      fontSize: 13,
      lineHeight: 20,
      scrollBeyondLastLine: false,
      renderWhitespace: 'selection',
      tabSize: 2,
      fixedOverflowWidgets: true,
    });
    editor.current = ed;
    (window as unknown as { __studio?: Record<string, unknown> }).__studio = { ...((window as unknown as { __studio?: Record<string, unknown> }).__studio ?? {}), editor: ed };
    ed.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.KeyS, () => {
      const p = propsRef.current.openPath;
      if (p) propsRef.current.onSave(p);
    });
    const sub = ed.onDidChangeModelContent(() => {
      const model = ed.getModel();
      const p = propsRef.current.openPath;
      if (!model || !p) return;
      const text = model.getValue();
      propsRef.current.onChange(p, text);
      scheduleDiagnostics(p, text);
    });
    return () => {
      sub.dispose();
      ed.dispose();
      for (const m of monaco.editor.getModels()) m.dispose();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  // per file: the text its diagnostics were last asked for. A file is checked when it is shown or
  // typed in, or opens with unsaved changes — not every file when its model is made: a project of
  // 500 functions asked 500 preprocess calls at once (each answer carrying the whole graph), and
  // kept the page busy for ~30 s after it opened. A saved file's problems are the snapshot's.
  const checked = useRef(new Map<string, string>());
  function scheduleDiagnostics(path: string, text: string) {
    if (!path.endsWith('.ts')) return;
    checked.current.set(path, text);
    const old = timers.current.get(path);
    if (old) window.clearTimeout(old);
    timers.current.set(
      path,
      window.setTimeout(async () => {
        try {
          const project = propsRef.current.project;
          const r = await call('preprocess', { path, source: text, ...(project ? { project } : {}) });
          const model = monaco.editor.getModel(uriOf(path));
          if (!model || model.getValue() !== text) return; // typed on meanwhile: a newer answer follows
          setMarkers(model, r.diagnostics);
          propsRef.current.onDiagnostics(path, r.diagnostics, r.graph);
        } catch {
          // the service is unreachable: the connection toast already says so
        }
      }, 250),
    );
  }

  // one model per file. The model owns what is typed; it follows the saved content only when
  // that changes (an edit from the canvas, the inspector, undo, another window) and the buffer
  // has no unsaved changes — never the other way round, so typing is never overwritten.
  const lastSaved = useRef(new Map<string, string>());
  // a project opened (another one, or this one again after discarding its changes): its files get
  // models of their own — a model of the same path (two projects made from the template,
  // workflow.json) must not carry unsaved text or undo history across
  const modelsOf = useRef(props.session);
  useEffect(() => {
    if (modelsOf.current === props.session) return;
    modelsOf.current = props.session;
    for (const m of monaco.editor.getModels()) if (m.uri.path.startsWith('/project/')) m.dispose();
    lastSaved.current.clear();
    checked.current.clear();
  }, [props.session]);
  useEffect(() => {
    for (const f of props.files) {
      const uri = uriOf(f.path);
      const model = monaco.editor.getModel(uri);
      if (!model) {
        const text = props.buffers[f.path] ?? f.saved;
        monaco.editor.createModel(text, languageOf(f.path), uri);
        lastSaved.current.set(f.path, f.saved);
        // unsaved changes: the graph and the problems follow the buffer from the start
        if (text !== f.saved) scheduleDiagnostics(f.path, text);
      } else if (lastSaved.current.get(f.path) !== f.saved) {
        lastSaved.current.set(f.path, f.saved);
        if (props.buffers[f.path] === undefined && model.getValue() !== f.saved) {
          model.pushEditOperations([], [{ range: model.getFullModelRange(), text: f.saved }], () => null);
        }
      }
    }
    for (const m of monaco.editor.getModels()) {
      if (m.uri.path.startsWith('/project/') && !props.files.some((f) => uriOf(f.path).toString() === m.uri.toString())) {
        lastSaved.current.delete(m.uri.path.slice('/project/'.length));
        m.dispose();
      }
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [props.files, props.buffers]);

  useEffect(() => {
    const ed = editor.current;
    if (!ed || !props.openPath) return;
    const model = monaco.editor.getModel(uriOf(props.openPath));
    if (model && ed.getModel() !== model) ed.setModel(model);
    // the file shown gets its markers (once per text: an edit from the canvas changes it)
    if (model && checked.current.get(props.openPath) !== model.getValue()) scheduleDiagnostics(props.openPath, model.getValue());
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [props.openPath, props.files]);

  useEffect(() => {
    const ed = editor.current;
    const r = props.reveal;
    if (!ed || !r || r.path !== props.openPath) return;
    ed.revealLineInCenterIfOutsideViewport(r.line);
    if (r.endLine !== undefined) {
      flash.current?.clear();
      flash.current = ed.createDecorationsCollection([
        { range: new monaco.Range(r.line, 1, r.endLine, 1), options: { isWholeLine: true, className: 'flash-line', linesDecorationsClassName: 'flash-gutter' } },
      ]);
      const c = flash.current;
      window.setTimeout(() => c.clear(), 2500);
    } else {
      ed.setPosition({ lineNumber: r.line, column: 1 });
    }
  }, [props.reveal, props.openPath]);

  const dirty = (p: string) => props.buffers[p] !== undefined && props.buffers[p] !== props.files.find((f) => f.path === p)?.saved;
  const tabs = props.files.filter((f) => f.path.startsWith('functions/') || f.path === 'workflow.json');
  return (
    <div className="code-editor">
      <div className="tabs" role="tablist">
        {tabs.map((f) => (
          <button
            key={f.path}
            role="tab"
            aria-selected={f.path === props.openPath}
            className={`tab${f.path === props.openPath ? ' active' : ''}`}
            onClick={() => props.onOpen(f.path)}
            data-testid={`tab-${f.path}`}
          >
            {f.path.replace(/^functions\//, '')}
            {dirty(f.path) && (
              <span className="dirty-dot" title="unsaved changes (Ctrl/Cmd+S saves)" data-testid="dirty">
                ●
              </span>
            )}
          </button>
        ))}
        <div className="tabs-spacer" />
        {props.openPath && dirty(props.openPath) && (
          <button className="button small primary" onClick={() => props.onSave(props.openPath!)} title="Ctrl/Cmd+S">
            Save
          </button>
        )}
      </div>
      {/* nokey: React Flow's key handling (Space pans) skips it. Monaco types into a div with an
          EditContext in Chromium, not a textarea, so without it a space typed in the code never arrived */}
      <div className="monaco-host nokey" ref={host} data-testid="code-editor" />
    </div>
  );
}

export function setMarkers(model: monaco.editor.ITextModel, diagnostics: DiagnosticDto[]): void {
  monaco.editor.setModelMarkers(
    model,
    'edgeai',
    diagnostics.map((d) => ({
      severity: d.severity === 'error' ? monaco.MarkerSeverity.Error : d.severity === 'warning' ? monaco.MarkerSeverity.Warning : monaco.MarkerSeverity.Info,
      message: d.hint ? `${d.message}\n→ ${d.hint}` : d.message,
      code: d.code,
      source: 'edgeai',
      startLineNumber: d.line,
      startColumn: d.column,
      endLineNumber: d.endLine ?? d.line,
      endColumn: d.endColumn ?? model.getLineMaxColumn(Math.min(d.line, model.getLineCount())),
    })),
  );
}
