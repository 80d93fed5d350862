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
