/**
 * Edit commands: every change goes through the StudioApi and lands on one undo stack (file
 * contents before and after, and node positions), so undo/redo covers canvas, inspector, palette
 * and saves alike. Decorator patches, workflow.json saves, file saves, connecting and deleting.
 * Plain functions over the studio context: tested without React (edit.test.ts).
 */
import type { DecoratorPatchDto, FunctionSpecDto, ProjectSnapshot } from '../../cluster/api/contract';
import { fail, toast, type Change, type StudioContext, type UndoEntry } from '../state/studio';
import { adopt, lineOf, openCode, saveLayout } from './project';
import { fnNodeId, sourceNodeId, triggerNodeId } from '../../cluster/common/graph-ids';

const UNDO_MAX = 200;

export function revisionOf(ctx: StudioContext, path: string): number {
  return ctx.store.getState().snap?.files.find((f) => f.path === path)?.revision ?? 0;
}

export function record(ctx: StudioContext, entry: UndoEntry): void {
  ctx.store.setState((s) => ({ undo: [...s.undo, entry].slice(-UNDO_MAX), redo: [] }));
}

/** Shows what an edit changed: its file in the code tab, the changed lines revealed. */
export function showEdit(ctx: StudioContext, path: string, source: string, change: { start: number; text: string }): void {
  openCode(ctx, path, lineOf(source, change.start), lineOf(source, change.start + change.text.length) + 1);
}

/** True (and says so) when the file has unsaved changes an edit from outside the editor would overwrite. */
export function refuseIfDirty(ctx: StudioContext, path: string): boolean {
  const st = ctx.store.getState();
  const b = st.buffers[path];
  if (b !== undefined && b !== st.snap?.files.find((f) => f.path === path)?.source) {
    toast(ctx.store, { kind: 'error', title: 'Unsaved changes', error: { code: 'unsaved', message: `${path} has unsaved changes in the editor`, hint: 'save them (Ctrl/Cmd+S) first, so the edit applies to what you see' } });
    ctx.store.setState({ openPath: path });
    return true;
  }
  return false;
}

export async function patchDecorators(ctx: StudioContext, fn: FunctionSpecDto, patch: DecoratorPatchDto, label: string): Promise<boolean> {
  const s = ctx.store.getState().snap;
  if (!s || refuseIfDirty(ctx, fn.file)) return false;
  try {
    const r = await ctx.call('decorators.edit', { project: s.dir, path: fn.file, functionId: fn.id, patch, expectedRevision: revisionOf(ctx, fn.file) });
    record(ctx, { label, changes: [{ kind: 'file', path: r.path, before: r.before, after: r.source }] });
    await adopt(ctx, r.snapshot);
    showEdit(ctx, r.path, r.source, r.change);
    return true;
  } catch (e) {
    fail(ctx, `Could not change ${fn.id}`, e);
    return false;
  }
}

/**
 * The graph nodes a workflow edit renames: a data source whose urn or a trigger whose id changed
 * in place (same index) is the same node under a new id — it keeps its position and selection.
 */
export function renamedNodes(before: ProjectSnapshot['workflow'], after: ProjectSnapshot['workflow']): Map<string, string> {
  const out = new Map<string, string>();
  before.dataSources.forEach((d, i) => {
    const next = after.dataSources[i];
    if (next && next.urn !== d.urn && !before.dataSources.some((x) => x.urn === next.urn)) out.set(sourceNodeId(String(d.urn)), sourceNodeId(String(next.urn)));
  });
  before.triggers.forEach((t, i) => {
    const next = after.triggers[i];
    if (next && next.id !== t.id && !before.triggers.some((x) => x.id === next.id)) out.set(triggerNodeId(t.id), triggerNodeId(next.id));
  });
  return out;
}

export async function saveWorkflow(ctx: StudioContext, workflow: ProjectSnapshot['workflow'], label: string): Promise<boolean> {
  const s = ctx.store.getState().snap;
  if (!s) return false;
  try {
    const r = await ctx.call('workflow.save', { project: s.dir, workflow, expectedRevision: revisionOf(ctx, 'workflow.json') });
    const after = r.snapshot.files.find((f) => f.path === 'workflow.json')?.source ?? null;
    // a renamed node keeps its place and its selection (and layout.json its position under the new id)
    const renames = renamedNodes(s.workflow, r.snapshot.workflow);
    const positionsBefore = ctx.store.getState().positions;
    const changes: Change[] = [{ kind: 'file', path: 'workflow.json', before: r.before, after }];
    if (renames.size) {
      const moved = Object.fromEntries(Object.entries(positionsBefore).map(([id, p]) => [renames.get(id) ?? id, p]));
      ctx.store.setState((st) => ({ positions: moved, selection: { nodes: st.selection.nodes.map((id) => renames.get(id) ?? id), edges: [] } }));
      changes.push({ kind: 'layout', before: positionsBefore, after: moved });
    }
    record(ctx, { label, changes });
    await adopt(ctx, r.snapshot);
    if (renames.size) await saveLayout(ctx, ctx.store.getState().positions);
    return true;
  } catch (e) {
    fail(ctx, 'workflow.json not saved', e);
    return false;
  }
}

/** Saves an editor buffer. */
export async function saveFile(ctx: StudioContext, path: string): Promise<void> {
  const { snap: s, buffers } = ctx.store.getState();
  const text = buffers[path];
  if (!s || text === undefined) return;
  try {
    const r = await ctx.call('project.files.write', { project: s.dir, path, source: text, expectedRevision: revisionOf(ctx, path) });
    record(ctx, { label: `save ${path}`, changes: [{ kind: 'file', path, before: r.before, after: text }] });
    await adopt(ctx, r.snapshot);
    toast(ctx.store, { kind: 'success', title: `Saved ${path}` });
  } catch (e) {
    fail(ctx, `${path} not saved`, e);
  }
}

/** An editor buffer changed: kept while it differs from the saved file. */
export function editBuffer(ctx: StudioContext, path: string, text: string): void {
  ctx.store.setState((st) => {
    const saved = st.snap?.files.find((f) => f.path === path)?.source;
    if (text === saved) {
      if (st.buffers[path] === undefined) return {};
      const { [path]: _drop, ...rest } = st.buffers;
      return { buffers: rest };
    }
    return st.buffers[path] === text ? {} : { buffers: { ...st.buffers, [path]: text } };
  });
}

/** Writes (or, with null, deletes) a file at its current revision; returns the new snapshot. */
async function putFile(ctx: StudioContext, path: string, content: string | null): Promise<ProjectSnapshot> {
  const s = ctx.store.getState().snap!;
  if (content === null) return (await ctx.call('project.files.delete', { project: s.dir, path, expectedRevision: revisionOf(ctx, path) })).snapshot;
  return (await ctx.call('project.files.write', { project: s.dir, path, source: content, expectedRevision: revisionOf(ctx, path) })).snapshot;
}

async function applyChanges(ctx: StudioContext, changes: Change[], dir: 'before' | 'after'): Promise<void> {
  let s: ProjectSnapshot | undefined;
  for (const c of dir === 'before' ? [...changes].reverse() : changes) {
    if (c.kind === 'file') s = await putFile(ctx, c.path, c[dir]);
    else {
      const next = { ...ctx.store.getState().positions, ...c[dir] };
      ctx.store.setState({ positions: next });
      await saveLayout(ctx, next);
    }
  }
  if (s) await adopt(ctx, s);
}

/** Undoes (or redoes) the last entry: a failure keeps it off both stacks and says why. */
export async function undoRedo(ctx: StudioContext, which: 'undo' | 'redo'): Promise<void> {
  const from = ctx.store.getState()[which];
  const e = from[from.length - 1];
  if (!e) return;
  const other = which === 'undo' ? 'redo' : 'undo';
  ctx.store.setState({ [which]: from.slice(0, -1) });
  try {
    await applyChanges(ctx, e.changes, which === 'undo' ? 'before' : 'after');
    ctx.store.setState((s) => ({ [other]: [...s[other], e] }));
    toast(ctx.store, { kind: 'info', title: `${which === 'undo' ? 'Undid' : 'Redid'}: ${e.label}` });
  } catch (err) {
    fail(ctx, `Could not ${which} ${e.label}`, err);
  }
}

/** Nodes dragged on the canvas: one undo entry, saved to layout.json. */
export function moved(ctx: StudioContext, moves: Record<string, { x: number; y: number }>, before: Record<string, { x: number; y: number }>): Promise<void> {
  const next = { ...ctx.store.getState().positions, ...moves };
  ctx.store.setState({ positions: next });
  record(ctx, { label: 'move', changes: [{ kind: 'layout', before: Object.fromEntries(Object.keys(moves).map((k) => [k, before[k]])), after: moves }] });
  return saveLayout(ctx, next);
}

/**
 * An edge drawn from a producer onto a function. When the function's input of that kind is
 * connected already, nothing is replaced silently: the studio asks (connectChoice) and connects
 * again with the answer (mode add or replace).
 */
export async function connectNodes(ctx: StudioContext, producer: string, consumer: string, mode?: 'add' | 'replace'): Promise<void> {
  const s = ctx.store.getState().snap;
  if (!s) return;
  ctx.store.setState({ connectChoice: undefined });
  const f = s.functions.find((x) => fnNodeId(x.id) === consumer);
  if (f && refuseIfDirty(ctx, f.file)) return;
  try {
    const r = await ctx.call('graph.connect', { project: s.dir, producer, consumer, ...(mode ? { mode } : {}) });
    record(ctx, { label: `connect ${producer} → ${consumer}`, changes: [{ kind: 'file', path: r.path, before: r.before, after: r.source }] });
    await adopt(ctx, r.snapshot);
    showEdit(ctx, r.path, r.source, r.change);
  } catch (e) {
    const err = ctx.errorOf(e);
    if (err.code === 'connection-choice' || err.code === 'connection-add-only') return ctx.store.setState({ connectChoice: { producer, consumer, message: err.message, canReplace: err.code === 'connection-choice' } });
    toast(ctx.store, { kind: 'error', title: 'Connection refused', error: err });
  }
}

/** Deletes the selection: consumes edges (the input goes from the code), function files, data sources and triggers; says what it refused. */
export async function deleteSelection(ctx: StudioContext): Promise<void> {
  const { snap: s, selection } = ctx.store.getState();
  if (!s) return;
  const changes: Change[] = [];
  let current = s;
  const refusals: string[] = [];
  // consumes edges, highest input first so the others keep their ids
  const edges = selection.edges.map((id) => current.graph.edges.find((e) => e.id === id)).filter((e): e is NonNullable<typeof e> => !!e);
  edges.sort((a, b) => (b.input ?? 0) - (a.input ?? 0));
  try {
    for (const e of edges) {
      if (e.kind !== 'consumes') {
        refusals.push(`a ${e.kind} edge follows from the code and workflow.json: remove the decorator or the trigger instead`);
        continue;
      }
      const f = current.functions.find((x) => fnNodeId(x.id) === e.target);
      if (f && refuseIfDirty(ctx, f.file)) return;
      const r = await ctx.call('graph.disconnect', { project: s.dir, edgeId: e.id });
      changes.push({ kind: 'file', path: r.path, before: r.before, after: r.source });
      current = r.snapshot;
    }
    let workflow = current.workflow;
    let workflowChanged = false;
    for (const id of selection.nodes) {
      const n = current.graph.nodes.find((x) => x.id === id);
      if (!n) continue;
      if (n.kind === 'function') {
        const fn = current.functions.find((x) => fnNodeId(x.id) === id)!;
        if (current.functions.filter((x) => x.file === fn.file).length > 1) {
          refusals.push(`${fn.id} shares ${fn.file} with other functions: delete its method in the code`);
          continue;
        }
        const rev = current.files.find((x) => x.path === fn.file)?.revision ?? 0;
        const r = await ctx.call('project.files.delete', { project: s.dir, path: fn.file, expectedRevision: rev });
        changes.push({ kind: 'file', path: fn.file, before: r.before, after: null });
        current = r.snapshot;
      } else if (n.kind === 'data-source') {
        workflow = { ...workflow, dataSources: workflow.dataSources.filter((d) => d.urn !== n.detail.urn) };
        workflowChanged = true;
      } else if (n.kind === 'trigger') {
        workflow = { ...workflow, triggers: workflow.triggers.filter((t) => t.id !== n.detail.trigger?.id) };
        workflowChanged = true;
      } else {
        refusals.push(`${n.label} is ${n.kind === 'gate' ? 'a gate: remove it in the function inspector' : 'produced by a function: remove its @produces decorator'}`);
      }
    }
    if (workflowChanged) {
      const rev = current.files.find((x) => x.path === 'workflow.json')?.revision ?? 0;
      const r = await ctx.call('workflow.save', { project: s.dir, workflow, expectedRevision: rev });
      changes.push({ kind: 'file', path: 'workflow.json', before: r.before, after: r.snapshot.files.find((f) => f.path === 'workflow.json')?.source ?? null });
      current = r.snapshot;
    }
  } catch (e) {
    fail(ctx, 'Delete stopped', e);
  }
  if (changes.length) {
    record(ctx, { label: `delete ${changes.length === 1 ? 'selection' : `${changes.length} items`}`, changes });
    await adopt(ctx, current);
    ctx.store.setState({ selection: { nodes: [], edges: [] } });
  }
  if (refusals.length) toast(ctx.store, { kind: 'error', title: 'Some items were not deleted', error: { code: 'refused', message: refusals.join('\n') } });
}

/** Lays the whole graph out again (elkjs, for the canvas' shape): one undo entry, saved, then fitted. */
export async function runAutoLayout(ctx: StudioContext): Promise<void> {
  const s = ctx.store.getState().snap;
  if (!s) return;
  const before = { ...ctx.store.getState().positions };
  const after = await ctx.layout(s.graph, ctx.canvasAspect?.());
  ctx.store.setState({ positions: after });
  record(ctx, { label: 'auto-layout', changes: [{ kind: 'layout', before, after }] });
  await saveLayout(ctx, after);
  globalThis.setTimeout(() => ctx.flow()?.fitView({ padding: 0.12, duration: 250 }), 50);
}
