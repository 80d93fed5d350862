import { describe, expect, it } from 'vitest';
import { fakeStudio, snapshot, TRAIN_SRC } from './fake-studio';
import { adopt, hasSavedViewport, openProject, placeMissing } from './project';

describe('project commands', () => {
  it('a layout with the default viewport fits the view; a saved one is kept', () => {
    expect(hasSavedViewport({ nodes: { a: { x: 1, y: 1 } }, viewport: { x: 0, y: 0, zoom: 1 } })).toBe(false);
    expect(hasSavedViewport({ nodes: { a: { x: 1, y: 1 } }, viewport: { x: 10, y: 0, zoom: 0.8 } })).toBe(true);
    expect(hasSavedViewport({ nodes: {}, viewport: { x: 10, y: 0, zoom: 0.8 } })).toBe(false);
  });

  it('new nodes: all laid out when none has a position, else placed right of the rest', () => {
    const g = snapshot().graph;
    const laid = Object.fromEntries(g.nodes.map((n, i) => [n.id, { x: i * 10, y: 0 }]));
    expect(placeMissing({}, g, laid)).toEqual(laid);
    const some = { 'source:mnist:data': { x: 0, y: 0 }, 'fn:train': { x: 500, y: 0 }, 'model:mnist:model': { x: 900, y: 0 } };
    // its laid-out spot (30, 0) is next to an existing node: it goes right of everything
    expect(placeMissing(some, g, laid)['fn:inference']).toEqual({ x: 1220, y: 90 });
  });

  it('adopting a snapshot drops the buffers that now equal the saved file', async () => {
    const f = fakeStudio({}, { snap: snapshot(), buffers: { 'functions/train.ts': TRAIN_SRC, 'functions/inference.ts': 'typed' } });
    await adopt(f.ctx, snapshot());
    expect(f.state().buffers).toEqual({ 'functions/inference.ts': 'typed' });
  });

  it('opening a project drops what belonged to the one before and asks the canvas to fit', async () => {
    const other = snapshot({ dir: '/p/other', name: 'other', workflow: { ...snapshot().workflow, name: 'other' } });
    const f = fakeStudio(
      { 'project.open': () => other },
      {
        snap: snapshot(),
        buffers: { 'functions/train.ts': 'x' },
        undo: [{ label: 'a', changes: [] }],
        deployGate: { unsaved: [], warnings: [], errors: [] },
        rt: { deploy: { train: { status: 'ready', node: 'edge-1', since: 0 } }, deploying: false, logs: [], runsVersion: 0, mode: 'changed' },
      },
    );
    const fit = f.state().fitRequest;
    await openProject(f.ctx, '/p/other');
    const s = f.state();
    expect(s.snap?.dir).toBe('/p/other');
    expect([s.buffers, s.undo, s.deployGate, s.rt.deploy]).toEqual([{}, [], undefined, {}]);
    expect(s.fitRequest).toBe(fit + 1);
    expect(s.openPath).toBe('functions/train.ts');
    expect(Object.keys(s.positions).sort()).toEqual(other.graph.nodes.map((n) => n.id).sort());
    expect(s.busy).toBeUndefined();
  });
});
