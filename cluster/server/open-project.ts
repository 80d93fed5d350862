/**
 * A project the studio service has open, and the revisions of its files (issue 6): every read
 * and write names a revision, so a write based on an older one — another window saved first, or
 * the file changed on disk behind the service — is a `revision-conflict` error instead of a
 * silent overwrite. It also keeps each function file's functions as they last parsed, so a file
 * saved with a syntax error keeps its functions on the canvas, marked as not parsing (issue 13,
 * item 4). The service (service.ts) holds one per open folder and tells the windows what changed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { deriveGraph, fnNodeId, loadProject, projectPath, saveLayout, saveWorkflow, writeProjectFile, LAYOUT_FILE, WORKFLOW_FILE, type Project, type WorkflowGraph } from '../project/index';
import type { ParseCache } from '../preprocessor/index';
import type { FunctionSpec } from '../spec/function';
import type { Topology } from '../topology/model';
import { placementProblems } from '../app/preflight';
import { StudioError } from '../common/errors';
import type { ProjectSnapshot } from '../api/contract';

/** The error of a write or delete based on a revision that is not the file's now. */
export function revisionConflict(path: string, revision: number): never {
  throw new StudioError(
    'revision-conflict',
    `${path} changed since you loaded it (now at revision ${revision}): another window or program saved it`,
    'reload the file to see the other change, then apply yours again; nothing was written',
    { conflict: { path, revision } },
  );
}

export class OpenProject {
  project: Project;
  /** per project-relative path: the revision and the content the service last read or wrote */
  readonly revisions = new Map<string, number>();
  readonly known = new Map<string, string>();
  /** per function file: its functions as they were the last time it parsed */
  private readonly lastGood = new Map<string, FunctionSpec[]>();

  constructor(
    readonly dir: string,
    private readonly parseCache: ParseCache,
  ) {
    this.project = loadProject(dir, { parseCache });
    this.syncKnown();
    this.rememberParsed();
  }

  /** Reads the project again from disk (a file whose functions no longer parse keeps their ids for the parse's diagnostics). */
  reload(): void {
    this.project = loadProject(this.dir, { lastParsed: (f) => this.lastGood.get(f)?.map((x) => x.id), parseCache: this.parseCache });
    this.syncKnown();
    this.rememberParsed();
  }

  /** Each function file's functions as it last parsed (what graph() shows while it does not). */
  private rememberParsed(): void {
    const broken = this.unparsed();
    for (const f of new Set(this.project.functions.map((x) => x.file))) if (!broken.has(f)) this.lastGood.set(f, this.project.functions.filter((x) => x.file === f));
    for (const f of [...this.lastGood.keys()]) if (!broken.has(f) && !this.known.has(f)) this.lastGood.delete(f);
  }

  /** The files that do not parse (a syntax error), with the first error's place and text. */
  private unparsed(): Map<string, string> {
    const out = new Map<string, string>();
    for (const d of this.project.diagnostics) if (d.code === 'syntax-error' && !out.has(d.file)) out.set(d.file, `${d.file}:${d.line}:${d.column}: ${d.message}`);
    return out;
  }

  /**
   * The canvas' graph: the project's, plus the functions of a file that stopped parsing as they
   * last were, each marked with the syntax error (detail.unparsed). They are shown, not deployed:
   * the syntax error is an error, which a deploy refuses.
   */
  graph(): WorkflowGraph {
    const broken = this.unparsed();
    const ids = new Set(this.project.functions.map((x) => x.id));
    const stale = [...broken.keys()].flatMap((f) => (this.lastGood.get(f) ?? []).filter((x) => !ids.has(x.id)));
    if (!stale.length) return deriveGraph(this.project);
    const graph = deriveGraph({ workflow: this.project.workflow, functions: [...this.project.functions, ...stale] });
    const why = new Map(stale.map((x) => [fnNodeId(x.id), broken.get(x.file)!]));
    return { ...graph, nodes: graph.nodes.map((n) => (why.has(n.id) ? { ...n, detail: { ...n.detail, unparsed: why.get(n.id)! } } : n)) };
  }

  /** Records the on-disk content of the project's files; a file that changed gets a new revision. */
  private syncKnown(): void {
    const contents = new Map<string, string>();
    for (const f of this.project.files) contents.set(f.path, f.source);
    for (const name of [WORKFLOW_FILE, LAYOUT_FILE]) {
      const p = projectPath(this.dir, name);
      if (existsSync(p)) contents.set(name, readFileSync(p, 'utf8'));
    }
    for (const [path, content] of contents) {
      const prev = this.known.get(path);
      if (prev === undefined) this.revisions.set(path, Math.max(1, this.revisions.get(path) ?? 0));
      else if (prev !== content) this.revisions.set(path, (this.revisions.get(path) ?? 0) + 1);
      this.known.set(path, content);
    }
    for (const path of [...this.known.keys()]) {
      if (!contents.has(path)) {
        this.known.delete(path);
        this.revisions.set(path, (this.revisions.get(path) ?? 0) + 1);
      }
    }
  }

  /** The file's revision now, noticing changes made on disk behind the service's back. */
  revision(path: string): number {
    const abs = projectPath(this.dir, path);
    const disk = existsSync(abs) ? readFileSync(abs, 'utf8') : undefined;
    const known = this.known.get(path);
    if (disk !== known) {
      this.revisions.set(path, (this.revisions.get(path) ?? 0) + 1);
      if (disk === undefined) this.known.delete(path);
      else this.known.set(path, disk);
    }
    return disk === undefined && known === undefined ? (this.revisions.get(path) ?? 0) : (this.revisions.get(path) ?? 1);
  }

  /** `content` was written to `path`: its next revision. */
  markWritten(path: string, content: string): number {
    const revision = (this.revisions.get(path) ?? 0) + 1;
    this.revisions.set(path, revision);
    this.known.set(path, content);
    return revision;
  }

  /**
   * Writes `source` to `path` if the file is still at revision `expected` (0: it must not exist),
   * atomically; workflow.json and layout.json are checked as JSON and their schemas first. Then
   * reads the project again. Returns what the file held before and its new revision.
   */
  write(path: string, source: string, expected: number): { before: string; revision: number } {
    const revision = this.revision(path);
    const exists = this.known.has(path);
    if (!exists && expected !== 0) throw new StudioError('file-not-found', `${path} does not exist (any more)`, 'write with expectedRevision 0 to create it');
    if (exists && revision !== expected) revisionConflict(path, revision);
    if (path === WORKFLOW_FILE || path === LAYOUT_FILE) {
      let value: unknown;
      try {
        value = JSON.parse(source);
      } catch (e) {
        throw new StudioError('invalid-json', `${path} not saved: ${(e as Error).message}`, 'fix the JSON syntax and save again; nothing was written');
      }
      if (path === WORKFLOW_FILE) saveWorkflow(this.dir, value);
      else saveLayout(this.dir, value);
      source = readFileSync(projectPath(this.dir, path), 'utf8');
    } else {
      writeProjectFile(this.dir, path, source);
    }
    const before = this.known.get(path) ?? '';
    const next = this.markWritten(path, source);
    this.reload();
    return { before, revision: next };
  }

  /** What the studio shows of the project; `topology`: where placements are checked (the running cluster's, else the project's). */
  snapshot(topology: Topology | undefined): ProjectSnapshot {
    const { project } = this;
    const files = [...this.known.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([path, source]) => ({ path, source, revision: this.revisions.get(path) ?? 1 }));
    return {
      dir: this.dir,
      name: project.workflow.name || basename(this.dir),
      workflow: project.workflow as ProjectSnapshot['workflow'],
      layout: project.layout,
      files,
      functions: project.functions,
      // placements the deploy would refuse, checked where it would place them (app/preflight.ts)
      diagnostics: [...project.diagnostics, ...placementProblems(project, topology)],
      graph: this.graph(),
    };
  }
}
