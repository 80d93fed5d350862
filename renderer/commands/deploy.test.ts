import { describe, expect, it } from 'vitest';
import type { ClusterStatusDto, DeployResultDto } from '../../cluster/api/contract';
import { clusterTarget, startDeploy } from './deploy';
import { fakeStudio, Refused, snapshot } from './fake-studio';

const down: ClusterStatusDto = { cluster: 'local', up: false, backend: null, topology: null, nodes: [], deployments: [], links: [], unavailable: [] } as unknown as ClusterStatusDto;
const up = { ...down, up: true, backend: 'process', topology: 'local' } as ClusterStatusDto;
const result = (over: Partial<DeployResultDto> = {}): DeployResultDto => ({
  workflow: 'mnist',
  revision: 1,
  functions: [
    { id: 'train', node: 'cloud-1', status: 'ready', action: 'deployed' },
    { id: 'inference', node: 'edge-1', status: 'ready', action: 'deployed' },
  ],
  warnings: [],
  summary: '2 deployed',
  ...over,
});
const check = { workflow: 'mnist', errors: [], warnings: [], functions: ['train', 'inference'] };

describe('deploy commands', () => {
  it('unsaved files stop a deploy at the gate: nothing is checked or deployed', async () => {
    const f = fakeStudio({}, { snap: snapshot(), buffers: { 'functions/train.ts': 'x' } });
    await startDeploy(f.ctx);
    expect(f.state().deployGate).toEqual({ unsaved: ['functions/train.ts'], warnings: [], errors: [] });
    expect(f.state().bottomTab).toBe('deploy');
    expect(f.calls).toEqual([]);
  });

  it('errors from the check stop it with the errors; warnings ask first', async () => {
    const error = { file: 'functions/train.ts', line: 1, column: 1, severity: 'error', code: 'x', message: 'bad' };
    const f = fakeStudio({ 'deploy.check': () => ({ ...check, errors: [error] }) as never }, { snap: snapshot() });
    await startDeploy(f.ctx);
    expect(f.state().deployGate?.errors).toEqual([error]);
    expect(f.calls.map((c) => c.method)).toEqual(['deploy.check']);
  });

  it('a cluster that is down is started with the workflow target, then every function ends as the deploy answered', async () => {
    let status = down;
    const f = fakeStudio(
      {
        'deploy.check': () => check as never,
        'cluster.status': () => status,
        'cluster.up': () => (status = up),
        deploy: () => result({ functions: [{ id: 'train', node: 'cloud-1', status: 'ready' }] }),
      },
      { snap: snapshot(), simPlacements: { profile: 'edge-ai', placements: {} } },
    );
    await startDeploy(f.ctx);
    expect(f.calls.map((c) => c.method)).toEqual(['deploy.check', 'cluster.status', 'cluster.up', 'deploy', 'cluster.status']);
    expect(f.calls[2].params).toEqual({ backend: 'process', topology: 'local' });
    expect(f.calls[3].params).toMatchObject({ mode: 'changed', expectedRevision: 0 });
    const d = f.state().rt.deploy;
    expect(d.train).toMatchObject({ status: 'ready', node: 'cloud-1' });
    // not in the answer: failed with the reason, never left "queued"
    expect(d.inference).toMatchObject({ status: 'failed', reason: /did not report this function/ });
    expect(f.state().rt.deploying).toBe(false);
    expect(f.state().simPlacements).toBeUndefined();
  });

  it('a deploy that throws fails every function still in progress with its reason', async () => {
    const f = fakeStudio(
      { 'deploy.check': () => check as never, 'cluster.status': () => up, deploy: () => Promise.reject(new Refused({ code: 'revision-conflict', message: 'deployed meanwhile' })) },
      { snap: snapshot() },
    );
    await startDeploy(f.ctx);
    expect(Object.values(f.state().rt.deploy).map((s) => s.reason)).toEqual(['the deploy stopped: deployed meanwhile', 'the deploy stopped: deployed meanwhile']);
    expect(f.state().toasts.at(-1)).toMatchObject({ kind: 'error', title: 'Deploy failed' });
  });

  it('restart mode redeploys the code on the nodes: no check', async () => {
    const f = fakeStudio({ 'cluster.status': () => up, deploy: () => result({ functions: [{ id: 'train', node: 'cloud-1', status: 'ready', action: 'restarted' }] }) }, { snap: snapshot() });
    f.ctx.store.setState((s) => ({ rt: { ...s.rt, mode: 'restart' } }));
    await startDeploy(f.ctx);
    expect(f.calls.map((c) => c.method)).toEqual(['cluster.status', 'deploy', 'cluster.status']);
    expect(f.calls[1].params).toMatchObject({ mode: 'restart' });
    expect(f.state().rt.deploy.train).toMatchObject({ status: 'ready', action: 'restarted' });
  });

  it('the cluster a workflow starts: its target, else process on local', () => {
    expect(clusterTarget(snapshot().workflow)).toEqual({ backend: 'process', topology: 'local' });
    expect(clusterTarget({ ...snapshot().workflow, target: { backend: 'docker', topology: 'city.json' } })).toEqual({ backend: 'docker', topology: 'city.json' });
  });
});
