import { describe, expect, it, vi } from 'vitest';
import { fakeStudio, snapshot, TRAIN_SRC } from './fake-studio';
import { adopt, gateAfter, hasSavedViewport, openProject, placeMissing, VIEWPORT_SAVE_MS, viewportMoved } from './project';

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

describe('the viewport saved to layout.json', () => {
  const placed = () => snapshot({ layout: { nodes: { 'fn:train': { x: 1, y: 2 } }, viewport: { x: 0, y: 0, zoom: 1 } } });
  const saves = (calls: Array<{ method: string; params: unknown }>) => calls.filter((c) => c.method === 'layout.save').map((c) => (c.params as { project: string }).project);

  it('once the view rests, to the project it was moved in', async () => {
    vi.useFakeTimers();
    try {
      const f = fakeStudio({ 'layout.save': () => ({}) as never }, { snap: placed(), positions: { 'fn:train': { x: 1, y: 2 } } });
      viewportMoved(f.ctx);
      viewportMoved(f.ctx);
      await vi.advanceTimersByTimeAsync(VIEWPORT_SAVE_MS - 1);
      expect(saves(f.calls)).toEqual([]);
      await vi.advanceTimersByTimeAsync(1);
      expect(saves(f.calls)).toEqual(['/p/mnist']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a zoom made just before another project opens is saved to its own project first, not lost, not written into the next', async () => {
    vi.useFakeTimers();
    try {
      const other = snapshot({ dir: '/p/other', name: 'other', layout: { nodes: { 'fn:train': { x: 5, y: 5 } }, viewport: { x: 0, y: 0, zoom: 1 } } });
      const f = fakeStudio({ 'layout.save': () => ({}) as never, 'project.open': () => other }, { snap: placed(), positions: { 'fn:train': { x: 1, y: 2 } } });
      viewportMoved(f.ctx);
      await openProject(f.ctx, '/p/other');
      expect(f.calls.map((c) => c.method)).toEqual(['layout.save', 'project.open']);
      expect(saves(f.calls)).toEqual(['/p/mnist']);
      await vi.advanceTimersByTimeAsync(VIEWPORT_SAVE_MS * 2);
      expect(saves(f.calls)).toEqual(['/p/mnist']);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('the deploy gate after a change', () => {
  const error = { file: 'functions/train.ts', line: 4, column: 1, severity: 'error' as const, code: 'syntax', message: "')' expected" };
  const broken = snapshot({ diagnostics: [error] });
  it('goes once the errors it listed are fixed; stays while one is left, or for what only the deploy check finds', () => {
    const gate = { unsaved: [], warnings: [], errors: [error] };
    expect(gateAfter(gate, broken, snapshot())).toBeUndefined();
    // the same error on another line is the same error
    expect(gateAfter(gate, broken, snapshot({ diagnostics: [{ ...error, line: 9 }] }))).toBe(gate);
    const preflightOnly = { ...error, file: 'workflow.json', code: 'data-file-missing', message: 'data/x.csv does not exist' };
    expect(gateAfter({ ...gate, errors: [error, preflightOnly] }, broken, snapshot())).toEqual({ ...gate, errors: [preflightOnly] });
    // a gate that asks about unsaved files or warnings is left to its buttons
    const unsaved = { unsaved: ['functions/train.ts'], warnings: [], errors: [] };
    expect(gateAfter(unsaved, broken, snapshot())).toBe(unsaved);
  });

  it('adopting the fixed project closes the banner', async () => {
    const f = fakeStudio({}, { snap: broken, deployGate: { unsaved: [], warnings: [], errors: [error] } });
    await adopt(f.ctx, snapshot());
    expect(f.state().deployGate).toBeUndefined();
  });
});
