/**
 * A workflow project on disk (docs/architecture.md "A workflow project on disk"):
 *   workflow.json  name, data sources, triggers, default target (no positions, no contracts)
 *   layout.json    canvas positions and viewport only
 *   functions/*.ts the functions; their decorators are the single source of truth
 *   topology.json  optional target topology
 */
import { existsSync, readdirSync, readFileSync, statSync, mkdirSync } from 'node:fs';
import { basename, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { z } from 'zod';
import { LayoutSchema, WorkflowSchema, type Layout, type Workflow } from '../spec/workflow';
import type { FunctionSpec } from '../spec/function';
import { StudioError } from '../common/errors';
import { didYouMeanSuffix } from '../spec/names';
import { preprocessFiles, type ParseCache } from '../preprocessor/preprocess';
import type { Diagnostic } from '../preprocessor/diagnostic';
import { sourceNodeId } from './graph';
import { locateJsonPath, sortRecordKeys, stableJson, writeFileAtomic } from './json';
import { containedPath, staysInside } from './paths';
import { mnistEncodedLength } from '../registry/formats';
import { MNIST_TOTAL } from '../registry/mnist';
import type { DataSource } from '../spec/workflow';

export interface ProjectFile {
  /** relative to the project, with forward slashes, e.g. functions/train.ts */
  path: string;
  source: string;
}

export interface Project {
  dir: string;
  workflow: Workflow;
  layout: Layout;
  files: ProjectFile[];
  functions: FunctionSpec[];
  diagnostics: Diagnostic[];
  /** topology.json, parsed as JSON but not validated here (the topology module does that) */
  topology?: unknown;
  /**
   * bytes of each data source (by urn) as the registry will hold them: a file's size, or the
   * encoded digits of the mnist loader; 0 for a file that does not exist. Plans (schedule,
   * simulate) weigh moving the data with it before anything is imported.
   */
  dataBytes: Record<string, number>;
}

export const WORKFLOW_FILE = 'workflow.json';
export const LAYOUT_FILE = 'layout.json';
export const FUNCTIONS_DIR = 'functions';
export const TOPOLOGY_FILE = 'topology.json';

function toPosix(p: string): string {
  return p.split(sep).join('/');
}

function readJson(dir: string, file: string, diagnostics: Diagnostic[]): { value: unknown; text: string } | undefined {
  const path = join(dir, file);
  if (!existsSync(path)) return undefined;
  if (!staysInside(dir, file)) {
    diagnostics.push({ severity: 'error', code: 'path-outside-project', message: `${file} is a symbolic link out of the project folder; it was not read`, file, line: 1, column: 1, hint: `put the project's own ${file} in its folder` });
    return undefined;
  }
  const text = readFileSync(path, 'utf8');
  try {
    return { value: JSON.parse(text), text };
  } catch (e) {
    const msg = (e as Error).message;
    const m = /position (\d+)/.exec(msg);
    const pos = m ? Number(m[1]) : 0;
    const before = text.slice(0, pos);
    diagnostics.push({
      severity: 'error',
      code: 'invalid-json',
      message: `${file} is not valid JSON: ${msg}`,
      file,
      line: before.split('\n').length,
      column: pos - before.lastIndexOf('\n'),
      hint: 'fix the JSON syntax (a missing comma or quote is the usual cause)',
    });
    return undefined;
  }
}

function schemaDiagnostics(file: string, text: string, error: z.ZodError): Diagnostic[] {
  return error.issues.map((issue) => {
    const path = issue.path.filter((p): p is string | number => typeof p === 'string' || typeof p === 'number');
    const loc = locateJsonPath(text, path);
    return {
      severity: 'error' as const,
      code: 'invalid-' + file.replace(/\.json$/, ''),
      message: `${file}${path.length ? ' at ' + path.join('.') : ''}: ${issue.message}`,
      file,
      line: loc.line,
      column: loc.column,
      hint: `see the JSON Schema: edgeai schema ${file.replace(/\.json$/, '')}`,
    };
  });
}

/** Lists the function sources of a project (functions/**\/*.ts, tests excluded). */
export function listFunctionFiles(dir: string): string[] {
  const root = join(dir, FUNCTIONS_DIR);
  if (!existsSync(root)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      // a symbolic link out of the project is not the project's: it is neither read nor shown
      if (!staysInside(dir, relative(dir, p))) continue;
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.ts') && !name.endsWith('.d.ts') && !name.endsWith('.test.ts')) out.push(toPosix(relative(dir, p)));
    }
  };
  walk(root);
  return out;
}

/**
 * Loads a project. Throws a StudioError only when there is no project to load; everything
 * wrong inside one (bad JSON, schema errors, decorator errors) becomes a diagnostic.
 */
export interface LoadOptions {
  /**
   * The functions a file defined when it last parsed, asked for each file that has a syntax error
   * now (the studio remembers them): a trigger naming one of them is not also an unknown-function
   * error — the syntax error is the problem to fix, said once.
   */
  lastParsed?: (file: string) => readonly string[] | undefined;
  /** what function files parsed to before (project/parse-cache.ts): unchanged files are not parsed again */
  parseCache?: ParseCache;
}

export function loadProject(dirIn: string, opts: LoadOptions = {}): Project {
  const dir = resolve(dirIn);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new StudioError('project-not-found', `no project folder at ${dir}`, 'pass the folder that holds workflow.json, or create one with `edgeai new <dir>`');
  }
  if (!existsSync(join(dir, WORKFLOW_FILE))) {
    throw new StudioError('project-not-found', `${dir} has no ${WORKFLOW_FILE}, so it is not a workflow project`, 'create one with `edgeai new <dir>`');
  }
  const diagnostics: Diagnostic[] = [];

  let workflow: Workflow = { name: basename(dir).replace(/[^A-Za-z0-9_.-]/g, '-') || 'workflow', version: 1, dataSources: [], triggers: [] };
  const wf = readJson(dir, WORKFLOW_FILE, diagnostics);
  if (wf) {
    const parsed = WorkflowSchema.safeParse(wf.value);
    if (parsed.success) workflow = parsed.data;
    else diagnostics.push(...schemaDiagnostics(WORKFLOW_FILE, wf.text, parsed.error));
  }

  let layout: Layout = { nodes: {}, viewport: { x: 0, y: 0, zoom: 1 } };
  const lj = readJson(dir, LAYOUT_FILE, diagnostics);
  if (lj) {
    const parsed = LayoutSchema.safeParse(lj.value);
    if (parsed.success) layout = parsed.data;
    else diagnostics.push(...schemaDiagnostics(LAYOUT_FILE, lj.text, parsed.error));
  }

  const files = listFunctionFiles(dir).map((path) => ({ path, source: readFileSync(join(dir, path), 'utf8') }));
  const pre = preprocessFiles(files.map((f) => ({ file: f.path, source: f.source })), opts.parseCache);
  diagnostics.push(...pre.diagnostics);

  const unparsed = opts.lastParsed ? [...new Set(pre.diagnostics.filter((d) => d.code === 'syntax-error').map((d) => d.file))].flatMap((f) => opts.lastParsed!(f) ?? []) : [];
  if (wf) checkTriggers(workflow, pre.functions, [...pre.declared, ...unparsed], wf.text, diagnostics);

  if (wf) checkDataFiles(dir, workflow, wf.text, diagnostics);
  const topo = readJson(dir, TOPOLOGY_FILE, diagnostics);
  const dataBytes = Object.fromEntries(workflow.dataSources.map((ds) => [ds.urn, dataSourceBytes(dir, ds)]));
  return { dir, workflow, layout, files, functions: pre.functions, diagnostics, dataBytes, ...(topo ? { topology: topo.value } : {}) };
}

/** A data source whose file is not in the project cannot be deployed: said at once, where it is declared. */
function checkDataFiles(dir: string, workflow: Workflow, text: string, diagnostics: Diagnostic[]): void {
  workflow.dataSources.forEach((ds, i) => {
    if (ds.source.kind !== 'file') return;
    const path = resolve(dir, ds.source.path);
    const outside = relative(dir, path) === '' || !staysInside(dir, ds.source.path);
    const missing = !outside && !(existsSync(path) && statSync(path).isFile());
    if (!outside && !missing) return;
    diagnostics.push({
      severity: 'error',
      code: outside ? 'data-file-outside' : 'data-file-missing',
      message: outside ? `data source '${ds.urn}': ${ds.source.path} leaves the project folder` : `data source '${ds.urn}': ${ds.source.path} does not exist in the project`,
      file: WORKFLOW_FILE,
      ...locateJsonPath(text, ['dataSources', i, 'source', 'path']),
      hint: outside ? 'keep data files inside the project (e.g. data/…)' : `add the file (${ds.format}), or point source.path at one that exists; nothing can be deployed until it is there`,
      node: sourceNodeId(ds.urn),
    });
  });
}

/** Bytes of a data source as the registry will hold them: the file's size, or the mnist loader's encoded digits. */
export function dataSourceBytes(projectDir: string, ds: DataSource): number {
  if (ds.source.kind === 'loader') return mnistEncodedLength(ds.source.count ?? MNIST_TOTAL);
  try {
    const st = statSync(resolve(projectDir, ds.source.path));
    return st.isFile() ? st.size : 0;
  } catch {
    return 0;
  }
}

function checkTriggers(workflow: Workflow, functions: FunctionSpec[], declared: string[], text: string, diagnostics: Diagnostic[]): void {
  const ids = declared;
  workflow.triggers.forEach((t, i) => {
    const refs: Array<['function' | 'source', string]> = [['function', t.function]];
    if (t.kind === 'gate') refs.push(['source', t.source]);
    for (const [key, id] of refs) {
      if (ids.includes(id)) continue;
      const loc = locateJsonPath(text, ['triggers', i, key]);
      diagnostics.push({
        severity: 'error',
        code: 'unknown-function',
        message: `trigger '${t.id}' names function '${id}', which no function file defines${didYouMeanSuffix(id, ids)}`,
        file: WORKFLOW_FILE,
        ...loc,
        hint: ids.length ? `functions in this project: ${ids.join(', ')}` : 'add a function under functions/',
      });
    }
    if (t.kind === 'gate') {
      const src = functions.find((f) => f.id === t.source);
      if (src && !src.gates.some((g) => !t.gate || g.kind === t.gate)) {
        const loc = locateJsonPath(text, ['triggers', i, 'source']);
        diagnostics.push({
          severity: 'warning',
          code: 'gate-not-found',
          message: `trigger '${t.id}' waits for a ${t.gate ?? ''} gate of '${t.source}', which has none`,
          file: WORKFLOW_FILE,
          ...loc,
          hint: `add @gate.${t.gate ?? 'drift'}(…) to ${t.source}, or point the trigger at a function with a gate`,
        });
      }
    }
  });
}

/** Writes workflow.json: validated, pretty, keys in schema order. */
export function saveWorkflow(dir: string, workflow: unknown): Workflow {
  const parsed = WorkflowSchema.safeParse(workflow);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new StudioError('invalid-workflow', `workflow.json not saved: ${first.path.join('.') || '(root)'}: ${first.message}`, 'nothing was written; fix the value and save again');
  }
  writeFileAtomic(join(dir, WORKFLOW_FILE), stableJson(parsed.data));
  return parsed.data;
}

/** Writes layout.json: positions sorted by node id so moving one node changes one line pair. */
export function saveLayout(dir: string, layout: unknown): Layout {
  const parsed = LayoutSchema.safeParse(layout);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new StudioError('invalid-layout', `layout.json not saved: ${first.path.join('.') || '(root)'}: ${first.message}`);
  }
  const round = (n: number) => Math.round(n * 100) / 100;
  const nodes = sortRecordKeys(Object.fromEntries(Object.entries(parsed.data.nodes).map(([k, p]) => [k, { x: round(p.x), y: round(p.y) }])));
  const out: Layout = { nodes, viewport: { x: round(parsed.data.viewport.x), y: round(parsed.data.viewport.y), zoom: round(parsed.data.viewport.zoom) } };
  writeFileAtomic(join(dir, LAYOUT_FILE), stableJson(out));
  return out;
}

/** Resolves a project-relative file path, refusing paths that leave the project (symbolic links followed: paths.ts). */
export function projectPath(dir: string, rel: string): string {
  return containedPath(dir, rel);
}

/** Writes one project file (a function source, usually) atomically. */
export function writeProjectFile(dir: string, rel: string, content: string): void {
  const p = projectPath(dir, rel);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileAtomic(p, content);
}
