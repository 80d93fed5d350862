/**
 * Adding things: copy and paste (a function file copied under a name of its own, data sources
 * and triggers with fresh ids), the palette's items (function, data source, trigger) and the
 * names they are offered under. Plain functions over the studio context (clipboard.test.ts).
 */
import type { ProjectSnapshot } from '../../cluster/api/contract';
import { sourceNodeId, triggerNodeId, fnNodeId } from '../../cluster/common/graph-ids';
import type { PaletteItem } from '../panels/Palette';
import { fail, toast, type Change, type Clip, type StudioContext } from '../state/studio';
import { record, saveWorkflow } from './edit';
import { adopt, placeNode } from './project';

/** A function id not taken by a function or a file of the project: base, base2, base3 … */
export function uniqueFnId(s: ProjectSnapshot, base: string): string {
  const taken = new Set([...s.functions.map((f) => f.id), ...s.files.map((f) => f.path.replace(/^functions\/|\.ts$/g, ''))]);
  let id = base;
  for (let i = 2; taken.has(id); i++) id = `${base}${i}`;
  return id;
}

/** A function's source with the method renamed to `id` and its class suffixed likewise. */
export function renameCopy(source: string, from: string, id: string): string {
  return source.replace(new RegExp(`(\\b(?:async\\s+)?)${from}(\\s*\\()`), `$1${id}$2`).replace(/export class (\w+)/, (_m, cls: string) => `export class ${cls}${id.slice(from.length)}`);
}

/** `base-copy`, `base-copy2` … not in `taken` (which it then joins). */
export function freshCopyName(base: string, taken: Set<string>): string {
  let v = `${base}-copy`;
  for (let i = 2; taken.has(v); i++) v = `${base}-copy${i}`;
  taken.add(v);
  return v;
}

/** The name a palette item is offered under. */
export function suggestName(s: ProjectSnapshot | undefined, item: PaletteItem): string {
  if (!s) return 'new';
  if (item.kind === 'function') return uniqueFnId(s, item.template === 'train' ? 'trainModel' : item.template === 'inference' ? 'predict' : 'transform');
  const taken = item.kind === 'data-source' ? new Set(s.workflow.dataSources.map((d) => String(d.urn))) : new Set(s.workflow.triggers.map((t) => t.id));
  const base = item.kind === 'data-source' ? 'data:new' : `${item.trigger}-trigger`;
  let v = base;
  for (let i = 2; taken.has(v); i++) v = `${base}${i}`;
  return v;
}

/** What of the selection can be copied (functions, data sources, triggers). */
export function clipOf(s: ProjectSnapshot, nodes: string[]): Clip {
  const c: Clip = { functions: [], dataSources: [], triggers: [] };
  for (const id of nodes) {
    const fn = s.functions.find((f) => fnNodeId(f.id) === id);
    if (fn) {
      const src = s.files.find((f) => f.path === fn.file)?.source;
      if (src) c.functions.push({ id: fn.id, source: src });
    }
    const ds = s.workflow.dataSources.find((d) => sourceNodeId(String(d.urn)) === id);
    if (ds) c.dataSources.push(ds);
    const t = s.workflow.triggers.find((x) => triggerNodeId(x.id) === id);
    if (t) c.triggers.push(t);
  }
  return c;
}

export function copySelection(ctx: StudioContext): Clip | undefined {
  const { snap: s, selection } = ctx.store.getState();
  if (!s || !selection.nodes.length) return undefined;
  const c = clipOf(s, selection.nodes);
  ctx.store.setState({ clip: c });
  const n = c.functions.length + c.dataSources.length + c.triggers.length;
  if (n) toast(ctx.store, { kind: 'info', title: `Copied ${n} item${n === 1 ? '' : 's'}` });
  return c;
}

export async function paste(ctx: StudioContext, c: Clip | undefined = ctx.store.getState().clip): Promise<void> {
  const s = ctx.store.getState().snap;
  if (!s || !c) return;
  const changes: Change[] = [];
  let current = s;
  try {
    for (const f of c.functions) {
      const id = uniqueFnId(current, `${f.id}Copy`);
      const source = renameCopy(f.source, f.id, id);
      const path = `functions/${id}.ts`;
      const r = await ctx.call('project.files.write', { project: s.dir, path, source, expectedRevision: 0 });
      changes.push({ kind: 'file', path, before: null, after: source });
      current = r.snapshot;
    }
    if (c.dataSources.length || c.triggers.length) {
      const urns = new Set(current.workflow.dataSources.map((d) => String(d.urn)));
      const ids = new Set(current.workflow.triggers.map((t) => t.id));
      const workflow = {
        ...current.workflow,
        dataSources: [...current.workflow.dataSources, ...c.dataSources.map((d) => ({ ...d, urn: freshCopyName(String(d.urn), urns) }))],
        triggers: [...current.workflow.triggers, ...c.triggers.map((t) => ({ ...t, id: freshCopyName(t.id, ids) }))],
      };
      const r = await ctx.call('workflow.save', { project: s.dir, workflow, expectedRevision: current.files.find((x) => x.path === 'workflow.json')?.revision ?? 0 });
      changes.push({ kind: 'file', path: 'workflow.json', before: r.before, after: r.snapshot.files.find((f) => f.path === 'workflow.json')?.source ?? null });
      current = r.snapshot;
    }
  } catch (e) {
    fail(ctx, 'Paste stopped', e);
  }
  if (changes.length) {
    record(ctx, { label: 'paste', changes });
    await adopt(ctx, current);
  }
}

/** The trigger a palette item adds (starting the workflow's first function). */
export function triggerFor(s: ProjectSnapshot, item: Extract<PaletteItem, { kind: 'trigger' }>, name: string, fn: string): ProjectSnapshot['workflow']['triggers'][number] {
  const base = { id: name, function: fn };
  if (item.trigger === 'http') return { kind: 'http' as const, ...base, method: 'POST' as const };
  if (item.trigger === 'schedule') return { kind: 'schedule' as const, ...base, every: '1h' };
  if (item.trigger === 'data') return { kind: 'data' as const, ...base, selector: { urn: s.workflow.dataSources[0] ? String(s.workflow.dataSources[0].urn) : 'data:*' }, batch: 1 };
  return { kind: 'model' as const, ...base, selector: { type: 'classifier' } };
}

/** What a data source made from the palette starts with: one example row in its format, for the user to replace. */
export const STARTER_DATA: Record<'csv' | 'jsonl' | 'json', string> = {
  csv: 'x,y\n0.5,1\n',
  jsonl: '{"x": 0.5, "y": 1}\n',
  json: '[{"x": 0.5, "y": 1}]\n',
};

export async function addFromPalette(ctx: StudioContext, item: PaletteItem, name: string, at?: { x: number; y: number }): Promise<void> {
  const s = ctx.store.getState().snap;
  if (!s) return;
  if (item.kind === 'function') {
    try {
      const r = await ctx.call('project.functions.create', { project: s.dir, functionId: name, template: item.template });
      record(ctx, { label: `add function ${name}`, changes: [{ kind: 'file', path: r.path, before: null, after: r.snapshot.files.find((f) => f.path === r.path)?.source ?? '' }] });
      await adopt(ctx, r.snapshot);
      await placeNode(ctx, fnNodeId(name), at);
      ctx.store.setState({ openPath: r.path, selection: { nodes: [fnNodeId(name)], edges: [] } });
    } catch (e) {
      fail(ctx, `Could not add function ${name}`, e);
    }
    return;
  }
  if (item.kind === 'data-source') {
    const slug = name.replace(/[^A-Za-z0-9_-]+/g, '-');
    const path = `data/${slug}.${item.format}`;
    // the file the source points at, with one example row to replace: a source whose file does not
    // exist fails the first deploy for every function (issue 13, item 6). A file already there stays.
    try {
      await ctx.call('project.files.write', { project: s.dir, path, source: STARTER_DATA[item.format], expectedRevision: 0 });
    } catch (e) {
      if (ctx.errorOf(e).code !== 'revision-conflict') {
        fail(ctx, `Could not create ${path}`, e);
        return;
      }
    }
    if (await saveWorkflow(ctx, { ...s.workflow, dataSources: [...s.workflow.dataSources, { urn: name, type: 'table', tags: [], format: item.format, source: { kind: 'file', path } }] }, `add data source ${name}`)) await placeNode(ctx, sourceNodeId(name), at);
    ctx.store.setState({ selection: { nodes: [sourceNodeId(name)], edges: [] } });
    return;
  }
  const fn = s.functions[0]?.id;
  if (!fn) {
    toast(ctx.store, { kind: 'error', title: 'No function to trigger', error: { code: 'no-function', message: 'a trigger starts a function, and this workflow has none yet', hint: 'add a function from the palette first' } });
    return;
  }
  if (await saveWorkflow(ctx, { ...s.workflow, triggers: [...s.workflow.triggers, triggerFor(s, item, name, fn)] }, `add trigger ${name}`)) await placeNode(ctx, triggerNodeId(name), at);
  ctx.store.setState({ selection: { nodes: [triggerNodeId(name)], edges: [] } });
}
