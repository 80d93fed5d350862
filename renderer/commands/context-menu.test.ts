import { describe, expect, it } from 'vitest';
import type { MenuItem } from '../canvas/ContextMenu';
import { menuFor } from './context-menu';
import { fakeStudio, snapshot } from './fake-studio';

const items = (m: ReturnType<typeof menuFor>) => (m?.items ?? []).filter((i): i is MenuItem => i !== 'separator');
const at = { x: 10, y: 20 };

describe('context menu', () => {
  it('a function: open code, explain placement (the Cluster tab asks for it), copy, duplicate, delete; right-click selects it', () => {
    const f = fakeStudio({}, { snap: snapshot(), selection: { nodes: ['fn:inference'], edges: [] } });
    const m = menuFor(f.ctx, { kind: 'node', id: 'fn:train' }, at, at);
    expect(m?.title).toBe('function train');
    expect(items(m).map((i) => i.label)).toEqual(['Open code', 'Explain placement', 'Show in table', 'Copy', 'Duplicate', 'Delete']);
    expect(f.state().selection.nodes).toEqual(['fn:train']);
    items(m)[1].run();
    expect(f.state().bottomTab).toBe('cluster');
    expect(f.state().explainRequest?.fn).toBe('train');
    items(m)[0].run();
    expect(f.state()).toMatchObject({ bottomTab: 'code', openPath: 'functions/train.ts', reveal: { line: 3 } });
  });

  it('a produced model: its producer can be selected; Delete is disabled with the reason', () => {
    const f = fakeStudio({}, { snap: snapshot() });
    const m = menuFor(f.ctx, { kind: 'node', id: 'model:mnist:model' }, at, at);
    const [select, del] = items(m);
    expect(del.disabled).toMatch(/remove that function's @produces decorator/);
    select.run();
    expect(f.state().selection.nodes).toEqual(['fn:train']);
  });

  it('an edge that follows from the code cannot be deleted; a consumes edge can', () => {
    const f = fakeStudio({}, { snap: snapshot() });
    expect(items(menuFor(f.ctx, { kind: 'edge', id: 'fn:train->model:mnist:model' }, at, at))[1].disabled).toMatch(/produces edge follows from the code/);
    expect(items(menuFor(f.ctx, { kind: 'edge', id: 'source:mnist:data->fn:train#0' }, at, at))[1].disabled).toBeUndefined();
  });

  it('the empty canvas: add here, paste (disabled until something is copied), select all, layout, fit', () => {
    const f = fakeStudio({}, { snap: snapshot() });
    const m = menuFor(f.ctx, { kind: 'pane' }, at, at);
    expect(items(m).map((i) => i.label)).toEqual(['Add a function here', 'Add a data source here', 'Add an HTTP trigger here', 'Paste', 'Select all', 'Auto-layout', 'Fit view']);
    expect(items(m)[3].disabled).toBe('nothing copied yet');
    f.ctx.store.setState({ clip: { functions: [], dataSources: [], triggers: [] } });
    expect(items(menuFor(f.ctx, { kind: 'pane' }, at, at))[3].disabled).toBeUndefined();
    items(m)[6].run();
    expect(f.fits).toHaveLength(1);
  });

  it('no project, or a node that is gone: no menu', () => {
    expect(menuFor(fakeStudio({}).ctx, { kind: 'pane' }, at, at)).toBeUndefined();
    expect(menuFor(fakeStudio({}, { snap: snapshot() }).ctx, { kind: 'node', id: 'fn:gone' }, at, at)).toBeUndefined();
  });
});
