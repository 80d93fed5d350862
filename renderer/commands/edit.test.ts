import { describe, expect, it } from 'vitest';
import { deleteSelection, editBuffer, record, refuseIfDirty, saveFile, undoRedo } from './edit';
import { fakeStudio, Refused, snapshot, TRAIN_SRC, withFile } from './fake-studio';

/** A fake project.files.write/delete that keeps the snapshot current, as the service does. */
function filesApi(start = snapshot()) {
  let s = start;
  const written: Array<[string, string | null]> = [];
  return {
    written,
    current: () => s,
    handlers: {
      'project.files.write': (p: { path: string; source: string }) => {
        const before = s.files.find((f) => f.path === p.path)?.source ?? null;
        s = withFile(s, p.path, p.source);
        written.push([p.path, p.source]);
        return { snapshot: s, before, path: p.path };
      },
      'project.files.delete': (p: { path: string }) => {
        const before = s.files.find((f) => f.path === p.path)?.source ?? null;
        s = withFile(s, p.path, null);
        written.push([p.path, null]);
        return { snapshot: s, before };
      },
      'layout.save': () => ({}),
    },
  };
}

describe('edit commands', () => {
  it('undo puts the file as it was before, redo as after; each moves the entry to the other stack', async () => {
    const api = filesApi();
    const f = fakeStudio(api.handlers as never, { snap: api.current() });
    record(f.ctx, { label: 'edit train', changes: [{ kind: 'file', path: 'functions/train.ts', before: TRAIN_SRC, after: `${TRAIN_SRC}// x\n` }] });
    expect(f.state().undo.map((e) => e.label)).toEqual(['edit train']);
    await undoRedo(f.ctx, 'undo');
    expect(api.written).toEqual([['functions/train.ts', TRAIN_SRC]]);
    expect([f.state().undo.length, f.state().redo.length]).toEqual([0, 1]);
    expect(f.state().toasts.at(-1)?.title).toBe('Undid: edit train');
    await undoRedo(f.ctx, 'redo');
    expect(api.written.at(-1)).toEqual(['functions/train.ts', `${TRAIN_SRC}// x\n`]);
    expect([f.state().undo.length, f.state().redo.length]).toEqual([1, 0]);
    // the snapshot adopted is the service's answer
    expect(f.state().snap?.files.find((x) => x.path === 'functions/train.ts')?.source).toBe(`${TRAIN_SRC}// x\n`);
  });

  it('a new edit clears redo; an undo that fails says why and leaves neither stack with it', async () => {
    const f = fakeStudio({ 'project.files.write': () => Promise.reject(new Refused({ code: 'revision-conflict', message: 'changed on disk' })) }, { snap: snapshot() });
    record(f.ctx, { label: 'a', changes: [{ kind: 'file', path: 'functions/train.ts', before: 'x', after: 'y' }] });
    f.ctx.store.setState({ redo: [{ label: 'old', changes: [] }] });
    record(f.ctx, { label: 'b', changes: [{ kind: 'file', path: 'functions/train.ts', before: 'y', after: 'z' }] });
    expect(f.state().redo).toEqual([]);
    await undoRedo(f.ctx, 'undo');
    expect(f.state().undo.map((e) => e.label)).toEqual(['a']);
    expect(f.state().redo).toEqual([]);
    expect(f.state().toasts.at(-1)).toMatchObject({ kind: 'error', title: 'Could not undo b', error: { message: 'changed on disk' } });
  });

  it('a buffer is kept only while it differs from the saved file; saving writes it, records it and drops it', async () => {
    const api = filesApi();
    const f = fakeStudio(api.handlers as never, { snap: api.current() });
    editBuffer(f.ctx, 'functions/train.ts', `${TRAIN_SRC}//`);
    expect(Object.keys(f.state().buffers)).toEqual(['functions/train.ts']);
    expect(refuseIfDirty(f.ctx, 'functions/train.ts')).toBe(true);
    expect(f.state().toasts.at(-1)?.error?.code).toBe('unsaved');
    editBuffer(f.ctx, 'functions/train.ts', TRAIN_SRC);
    expect(f.state().buffers).toEqual({});
    editBuffer(f.ctx, 'functions/train.ts', `${TRAIN_SRC}// saved\n`);
    await saveFile(f.ctx, 'functions/train.ts');
    expect(api.written).toEqual([['functions/train.ts', `${TRAIN_SRC}// saved\n`]]);
    expect(f.state().buffers).toEqual({});
    expect(f.state().undo.at(-1)).toMatchObject({ label: 'save functions/train.ts', changes: [{ before: TRAIN_SRC, after: `${TRAIN_SRC}// saved\n` }] });
  });

  it('delete: a function file and a data source go (one undo entry); a produced model is refused with the reason', async () => {
    const api = filesApi();
    let saved: unknown;
    const f = fakeStudio(
      {
        ...(api.handlers as object),
        'workflow.save': (p: { workflow: unknown }) => {
          saved = p.workflow;
          return { snapshot: api.current(), before: '{}', revision: 2 };
        },
      },
      { snap: api.current(), selection: { nodes: ['fn:inference', 'source:mnist:data', 'model:mnist:model'], edges: [] } },
    );
    await deleteSelection(f.ctx);
    expect(api.written).toEqual([['functions/inference.ts', null]]);
    expect((saved as { dataSources: unknown[] }).dataSources).toEqual([]);
    expect(f.state().undo.map((e) => e.label)).toEqual(['delete 2 items']);
    expect(f.state().selection).toEqual({ nodes: [], edges: [] });
    expect(f.state().toasts.at(-1)).toMatchObject({ title: 'Some items were not deleted', error: { message: 'mnist:model is produced by a function: remove its @produces decorator' } });
  });
});

describe('renaming a data source keeps its place (issue 13, item 9)', () => {
  it('the renamed node keeps its position and selection, layout.json gets it under the new id, and undo takes both back', async () => {
    const before = snapshot();
    const renamedWf = { ...before.workflow, dataSources: [{ ...before.workflow.dataSources[0], urn: 'digits:data' }] };
    const renamedSnap = snapshot({
      workflow: renamedWf,
      graph: { ...before.graph, nodes: before.graph.nodes.map((n) => (n.id === 'source:mnist:data' ? { ...n, id: 'source:digits:data', label: 'digits:data', detail: { urn: 'digits:data' } } : n)), edges: [] },
    });
    const layouts: unknown[] = [];
    let current = before;
    const f = fakeStudio(
      {
        'workflow.save': (p) => {
          current = (p.workflow.dataSources as Array<{ urn?: unknown }>)[0].urn === 'digits:data' ? renamedSnap : before;
          return { snapshot: current, before: '{}', revision: 2 } as never;
        },
        'layout.save': (p) => (layouts.push(p.layout.nodes), {}) as never,
        'project.files.write': (p) => ({ snapshot: current, before: '{}', path: p.path, revision: 3 }) as never,
      },
      { snap: before, positions: { 'source:mnist:data': { x: 40, y: 400 }, 'fn:train': { x: 300, y: 0 }, 'model:mnist:model': { x: 600, y: 0 }, 'fn:inference': { x: 900, y: 0 } }, selection: { nodes: ['source:mnist:data'], edges: [] } },
    );
    const { saveWorkflow } = await import('./edit');
    expect(await saveWorkflow(f.ctx, renamedWf, 'data source digits:data')).toBe(true);
    expect(f.state().positions['source:digits:data']).toEqual({ x: 40, y: 400 });
    expect(f.state().positions['source:mnist:data']).toBeUndefined();
    expect(f.state().selection.nodes).toEqual(['source:digits:data']);
    expect(layouts.at(-1)).toMatchObject({ 'source:digits:data': { x: 40, y: 400 } });
    // undo: the old id is back where it was
    await undoRedo(f.ctx, 'undo');
    expect(f.state().positions['source:mnist:data']).toEqual({ x: 40, y: 400 });
  });

  it('renamedNodes pairs data sources and triggers by their place in workflow.json; an added one is not a rename', async () => {
    const { renamedNodes } = await import('./edit');
    const wf = snapshot().workflow;
    const t = { kind: 'http' as const, id: 'classify', function: 'inference', method: 'POST' as const };
    expect([...renamedNodes({ ...wf, triggers: [t] }, { ...wf, dataSources: [{ ...wf.dataSources[0], urn: 'a:b' }], triggers: [{ ...t, id: 'predict' }] })]).toEqual([
      ['source:mnist:data', 'source:a:b'],
      ['trigger:classify', 'trigger:predict'],
    ]);
    expect(renamedNodes(wf, { ...wf, dataSources: [...wf.dataSources, { ...wf.dataSources[0], urn: 'x:y' }] }).size).toBe(0);
  });
});
