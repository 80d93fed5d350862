import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ClusterStatusDto } from '../../cluster/api/contract';
import { fakeStudio, snapshot } from '../commands/fake-studio';
import { bindRuntime, runtimeActions, STATUS_POLL_MS, STOPPED_POLL_MS } from './runtime-state';

/** A StudioClient's `on` with a way to emit. */
function events() {
  const ls = new Map<string, Set<(p: unknown) => void>>();
  return {
    on: ((e: string, l: (p: unknown) => void) => {
      if (!ls.has(e)) ls.set(e, new Set());
      ls.get(e)!.add(l);
      return () => ls.get(e)!.delete(l);
    }) as never,
    emit: (e: string, p: unknown) => ls.get(e)?.forEach((l) => l(p)),
  };
}

const status = (up: boolean): ClusterStatusDto =>
  ({ cluster: 'c', up, backend: up ? 'process' : null, topology: up ? 'local' : null, nodes: [], links: [], unavailable: [], deployments: up ? [{ workflow: 'mnist', revision: 1, project: '/p/mnist', status: 'ready', functions: [{ id: 'train', node: 'cloud-1', status: 'ready', reason: null }] }] : [] }) as unknown as ClusterStatusDto;

describe('the runtime slice', () => {
  it('log lines carry the workflow of their run; deploy steps of another workflow are ignored', () => {
    const f = fakeStudio({}, { snap: snapshot() });
    const ev = events();
    const off = bindRuntime(f.ctx, ev);
    ev.emit('run', { run: 'r1', workflow: 'other', function: 'summarize', status: 'running' });
    ev.emit('log', { run: 'r1', line: 'hello' });
    ev.emit('deploy.function', { workflow: 'other', function: 'summarize', status: 'ready', node: 'edge-1' });
    ev.emit('deploy.function', { workflow: 'mnist', function: 'train', status: 'scheduled', node: 'cloud-1' });
    const rt = f.state().rt;
    expect(rt.logs.map((l) => [l.workflow, l.fn, l.line])).toEqual([['other', 'summarize', 'hello']]);
    expect(Object.keys(rt.deploy)).toEqual(['train']);
    off();
  });

  it("a status fills the open workflow's placements; a stopped cluster clears them, unless a deploy is running", () => {
    const f = fakeStudio({}, { snap: snapshot() });
    const rt = runtimeActions(f.ctx);
    rt.setStatus(status(true));
    expect(f.state().rt.deploy.train).toMatchObject({ status: 'ready', node: 'cloud-1' });
    rt.setStatus(status(false));
    expect(f.state().rt.deploy).toEqual({});
    rt.setDeploying(true);
    rt.setDeploy({ train: { status: 'queued', node: null, since: 0 } });
    rt.setStatus(status(false));
    expect(f.state().rt.deploy.train.status).toBe('queued');
  });
});

describe('a cluster started or stopped from elsewhere (another window, the CLI: no event reaches this one)', () => {
  afterEach(() => vi.useRealTimers());

  it('is learnt from the status asked for again: every few seconds while up, and while stopped too', async () => {
    vi.useFakeTimers();
    let up = false;
    const f = fakeStudio({ 'cluster.status': () => status(up) }, { snap: snapshot() });
    const changes: boolean[] = [];
    const off = bindRuntime(f.ctx, events(), { onUpChanged: (u) => changes.push(u) });
    try {
      await runtimeActions(f.ctx).refresh();
      expect(f.state().rt.status?.up).toBe(false);
      // `edgeai cluster up` in a terminal
      up = true;
      await vi.advanceTimersByTimeAsync(STOPPED_POLL_MS + 10);
      expect(f.state().rt.status?.up).toBe(true);
      expect(changes).toEqual([true]);
      // `edgeai cluster down` in a terminal
      up = false;
      await vi.advanceTimersByTimeAsync(STATUS_POLL_MS + 10);
      expect(f.state().rt.status?.up).toBe(false);
      expect(changes).toEqual([true, false]);
      expect(f.state().rt.deploy).toEqual({});
    } finally {
      off();
    }
  });
});
