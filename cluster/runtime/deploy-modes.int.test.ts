/**
 * Deploy modes and the revision check on a real cluster (process backend): samples/mnist,
 * copied to a temp folder with one small extra function (`probe`, which answers with a version
 * constant and its worker's pid, so a test can call it without training a model), deployed
 * full, then changed-only with no edit / one edited file / one removed file, restarted, and
 * refused on a stale expectedRevision — from this controller and from a second one (a studio
 * window's service) on the same cluster state. Worker pids come from the agents' /health.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Controller, type ClusterEvent, type DeployResult } from './controller';
import { HealthSchema } from './agent/protocol';
import { bearer, readClusterSecret } from './agent/secret';
import { MNIST, OPS } from './runtime-suite';
import { rejects } from './testing/rejects';
import { StudioService } from '../server/service';
import { newProject } from '../project/template';
import { DeployResultSchema, type ApiResult } from '../api/contract';

const probeSource = (version: number) => `import { policy, type Request } from 'edge-ai-studio/sdk';

/** Answers with its code's version and its worker's pid. */
export class Probe {
  @policy.fn({ node: 'edge' })
  async probe(request: Request) {
    return { version: ${version}, pid: process.pid, input: request.input ?? null };
  }
}
`;

function value<T>(r: ApiResult<T>): T {
  if (!r.ok) throw new Error(`expected ok, got ${r.error.code}: ${r.error.message}`);
  return r.value;
}

describe('deploy modes and the revision check (process backend)', () => {
  let home: string;
  let dir: string;
  let c: Controller;
  const cluster = `modes-${process.pid}`;
  const events: Extract<ClusterEvent, { type: 'deploy' }>[] = [];
  /** the agent requests each deploy made: method and path */
  let requests: string[] = [];
  const realFetch = globalThis.fetch;

  /** every worker pid per function, read from the agents now (not the last heartbeat) */
  async function workerPids(): Promise<Record<string, number[]>> {
    const out: Record<string, number[]> = {};
    for (const n of c.status().nodes) {
      if (!n.port) continue;
      const h = HealthSchema.parse(await (await realFetch(`http://${n.host}:${n.port}/health`, { headers: { authorization: bearer(readClusterSecret(c.dir)!) } })).json());
      for (const f of h.functions) if (f.workers) out[f.id] = [...(out[f.id] ?? []), ...(f.pids ?? [])].sort((a, b) => a - b);
    }
    return out;
  }

  /** deploys with the agent requests and the deploy events of this call recorded */
  async function deploy(opts: Parameters<Controller['deploy']>[1]): Promise<DeployResult> {
    requests = [];
    events.length = 0;
    const spy = vi.spyOn(globalThis, 'fetch').mockImplementation((input, init) => {
      const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
      if (url.pathname !== '/health') requests.push(`${init?.method ?? 'GET'} ${url.pathname.replace(/[0-9a-f]{64}/, '<sha>')}`);
      return realFetch(input, init);
    });
    try {
      const r = await c.deploy(dir, opts);
      expect(DeployResultSchema.safeParse(r).success).toBe(true);
      return r;
    } finally {
      spy.mockRestore();
    }
  }

  const byId = (r: DeployResult) => Object.fromEntries(r.functions.map((f) => [f.id, f]));
  const eventsOf = (id: string) => events.filter((e) => e.function === id).map((e) => `${e.status}${e.action ? `:${e.action}` : ''}`);

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'edgeai-modes-'));
    dir = mkdtempSync(join(tmpdir(), 'edgeai-modes-mnist-'));
    cpSync(MNIST, dir, { recursive: true });
    writeFileSync(join(dir, 'functions/probe.ts'), probeSource(1));
    c = await Controller.open({ home, cluster });
    c.on('event', (e: ClusterEvent) => {
      if (e.type === 'deploy') events.push(e);
    });
    await c.up({ backend: 'process', topology: 'local' });
  }, 120_000);

  afterAll(async () => {
    if (c) {
      await c.down().catch(() => undefined);
      c.close();
    }
    rmSync(home, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  let pids: Record<string, number[]>;
  const ALL = ['inference', 'probe', 'refine', 'train', 'trainFair'];

  it('full: places and ships every function, one warm worker each, revision 1', async () => {
    const r = await deploy({});
    expect(r).toMatchObject({ workflow: 'mnist', revision: 1, previousRevision: 0, mode: 'full', nothingChanged: false, removed: [] });
    expect(r.functions.map((f) => `${f.id}:${f.status}:${f.action}`).sort()).toEqual(ALL.map((id) => `${id}:ready:deployed`));
    expect(requests.filter((q) => q === 'PUT /bundles/<sha>')).toHaveLength(ALL.length);
    for (const id of ALL) expect(eventsOf(id)).toEqual(['scheduled', 'shipped', 'started', 'ready']);
    pids = await workerPids();
    expect(Object.keys(pids).sort()).toEqual(ALL);
    for (const id of ALL) expect(pids[id]).toHaveLength(1);
  }, 60_000);

  it('changed with no edit: every function unchanged, no bundle moves, same workers, still the same revision', async () => {
    const links = JSON.stringify(c.status().links);
    const r = await deploy({ mode: 'changed', expectedRevision: 1 });
    expect(r).toMatchObject({ revision: 1, previousRevision: 1, mode: 'changed', nothingChanged: true, removed: [] });
    expect(r.summary).toBe('nothing changed in mnist since revision 1: all 5 functions unchanged, kept running on their nodes, still revision 1');
    expect(r.functions.map((f) => `${f.id}:${f.status}:${f.action}`).sort()).toEqual(ALL.map((id) => `${id}:ready:unchanged`));
    expect(requests.filter((q) => q.startsWith('PUT /bundles') || q === 'POST /retire')).toEqual([]);
    // one event each, and it ends ready: a panel never shows an unchanged function in progress
    for (const id of ALL) expect(eventsOf(id)).toEqual(['ready:unchanged']);
    expect(await workerPids()).toEqual(pids);
    expect(JSON.stringify(c.status().links)).toBe(links);
    const dep = c.status().deployments.find((d) => d.workflow === 'mnist')!;
    expect(dep).toMatchObject({ revision: 1, status: 'ready' });
    expect(c.state.placements('mnist').map((p) => p.revision)).toEqual(ALL.map(() => 1));
    // so a window that saw revision 1 deploys without a conflict
    expect((await deploy({ mode: 'changed', expectedRevision: 1 })).revision).toBe(1);
  }, 60_000);

  it('changed after editing one file: only that function is shipped and restarted; the others keep their workers', async () => {
    const before = await c.invoke('mnist', 'probe');
    expect(before.output).toMatchObject({ version: 1 });
    // where each function ran before this deploy (after it, the status says whatever the deploy did)
    const nodesBefore = Object.fromEntries(c.state.placements('mnist').map((p) => [p.function, p.node]));
    writeFileSync(join(dir, 'functions/probe.ts'), probeSource(2));
    const r = await deploy({ mode: 'changed' });
    expect(r).toMatchObject({ revision: 2, nothingChanged: false, removed: [] });
    const f = byId(r);
    expect(f.probe).toMatchObject({ status: 'ready', action: 'deployed' });
    for (const id of ALL.filter((x) => x !== 'probe')) expect(f[id]).toMatchObject({ status: 'ready', action: 'unchanged', node: nodesBefore[id] });
    expect(r.summary).toMatch(/1 deployed, 4 unchanged/);
    expect(requests.filter((q) => q === 'PUT /bundles/<sha>')).toHaveLength(1);
    expect(eventsOf('probe').at(-1)).toBe('ready');
    const now = await workerPids();
    for (const id of ALL.filter((x) => x !== 'probe')) expect(now[id]).toEqual(pids[id]);
    expect(now.probe).not.toEqual(pids.probe);
    const after = await c.invoke('mnist', 'probe', { input: { n: 1 } });
    expect(after.output).toMatchObject({ version: 2, input: { n: 1 } });
    expect(now.probe).toContain((after.output as { pid: number }).pid);
    pids = now;
  }, 60_000);

  it('changed after removing a file: that function is undeployed and its workers retired', async () => {
    const node = c.state.placement('mnist', 'trainFair')!.node;
    const [victim] = pids.trainFair;
    rmSync(join(dir, 'functions/train_fair.ts'));
    const r = await deploy({ mode: 'changed' });
    expect(r).toMatchObject({ revision: 3, removed: [{ id: 'trainFair', node }], nothingChanged: false });
    expect(r.functions.map((f) => `${f.id}:${f.action}`).sort()).toEqual(['inference:unchanged', 'probe:unchanged', 'refine:unchanged', 'train:unchanged']);
    expect(r.summary).toMatch(/1 removed \(trainFair\)/);
    expect(requests).toContain('POST /retire');
    expect(c.state.placement('mnist', 'trainFair')).toBeUndefined();
    expect(c.status().nodes.find((n) => n.name === node)!.functions).not.toContain('mnist/trainFair');
    const now = await workerPids();
    expect(now.trainFair).toBeUndefined();
    const { trainFair: _gone, ...kept } = pids;
    expect(now).toEqual(kept);
    // the retired worker exits (SIGTERM)
    for (let i = 0; i < 100 && alive(victim); i++) await new Promise((res) => setTimeout(res, 50));
    expect(alive(victim)).toBe(false);
    pids = now;
  }, 60_000);

  it('restart: fresh workers for every deployed function from the bundles already there, same revision', async () => {
    // code edited on disk is not what a restart runs
    writeFileSync(join(dir, 'functions/probe.ts'), probeSource(3));
    const r = await deploy({ mode: 'restart', expectedRevision: 3 });
    expect(r).toMatchObject({ revision: 3, previousRevision: 3, mode: 'restart', removed: [], nothingChanged: false });
    expect(r.functions.map((f) => `${f.id}:${f.status}:${f.action}`).sort()).toEqual(['inference', 'probe', 'refine', 'train'].map((id) => `${id}:ready:restarted`));
    expect(requests.filter((q) => q.startsWith('PUT /bundles'))).toEqual([]);
    expect(requests.filter((q) => q === 'POST /retire')).toHaveLength(4);
    for (const id of Object.keys(pids)) expect(eventsOf(id)).toEqual(['scheduled:restarted', 'started:restarted', 'ready:restarted']);
    const now = await workerPids();
    expect(Object.keys(now).sort()).toEqual(Object.keys(pids).sort());
    for (const id of Object.keys(pids)) {
      expect(now[id]).toHaveLength(1);
      expect(now[id]).not.toContain(pids[id][0]);
    }
    expect(c.status().deployments.find((d) => d.workflow === 'mnist')).toMatchObject({ revision: 3, status: 'ready' });
    const answer = await c.invoke('mnist', 'probe');
    expect(answer.output).toMatchObject({ version: 2, pid: now.probe[0] });
    expect(answer.cold).toBe(false);
    pids = now;
  }, 60_000);

  it('refuses a deploy that expects another revision, in every mode, and changes nothing', async () => {
    const before = JSON.stringify({ deployments: c.status().deployments, placements: c.state.placements() });
    for (const mode of ['full', 'changed', 'restart'] as const) {
      events.length = 0;
      const e = await rejects(c.deploy(dir, { mode, expectedRevision: 2 }));
      expect(e.code).toBe('revision-conflict');
      expect(e.message).toMatch(/mnist is at revision 3 on cluster '.*', not the expected revision 2; nothing was deployed/);
      expect(e.hint).toMatch(/another window or `edgeai deploy` deployed it meanwhile: look at the Deploy panel \/ `edgeai cluster status`, then deploy again/);
      expect(events).toEqual([]);
    }
    expect(JSON.stringify({ deployments: c.status().deployments, placements: c.state.placements() })).toBe(before);
    expect(await workerPids()).toEqual(pids);
  }, 60_000);

  it('a second window (the studio service on the same cluster) is refused when this one deployed after it looked', async () => {
    const svc = new StudioService({ runtime: { home, cluster } });
    const seen: Array<{ function: string; status: string; action?: string }> = [];
    svc.on('deploy.function', (e) => seen.push(e));
    try {
      value(await svc.call('project.open', { dir }));
      const bad = await svc.call('deploy', { project: dir, mode: 'sideways' as never });
      expect(!bad.ok && bad.error).toMatchObject({ code: 'invalid-request', message: expect.stringMatching(/deploy: mode: /) });
      // the window saw revision 3; this controller deploys revision 4 meanwhile
      const mine = await deploy({ mode: 'changed', expectedRevision: 3 });
      expect(mine.revision).toBe(4);
      expect(byId(mine).probe.action).toBe('deployed');
      const stale = await svc.call('deploy', { project: dir, acceptWarnings: true, mode: 'changed', expectedRevision: 3 });
      expect(!stale.ok && stale.error).toMatchObject({ code: 'revision-conflict', message: expect.stringMatching(/mnist is at revision 4 .*not the expected revision 3/), hint: expect.stringMatching(/another window/) });
      expect(seen).toEqual([]);
      const fresh = value(await svc.call('deploy', { project: dir, acceptWarnings: true, mode: 'changed', expectedRevision: 4 }));
      expect(fresh).toMatchObject({ revision: 4, mode: 'changed', nothingChanged: true });
      expect(seen.map((e) => `${e.function}:${e.status}:${e.action}`).sort()).toEqual(['inference', 'probe', 'refine', 'train'].map((id) => `${id}:ready:unchanged`));
    } finally {
      await svc.close();
    }
  }, 60_000);

  it('two workflows with a function of the same name on one node keep their own workers', async () => {
    // the agent used to key workers by function id alone: invoking one workflow's `echo` killed the other's
    const make = (name: string, version: number) => {
      const d = mkdtempSync(join(tmpdir(), `edgeai-${name}-`));
      writeFileSync(join(d, 'workflow.json'), JSON.stringify({ name, version: 1, dataSources: [], triggers: [] }));
      mkdirSync(join(d, 'functions'));
      writeFileSync(join(d, 'functions', 'echo.ts'), probeSource(version).replace('class Probe', 'class Echo').replace('async probe(', 'async echo(').replace("node: 'edge'", "node: 'local'"));
      return d;
    };
    const a = make('twin-a', 10);
    const b = make('twin-b', 20);
    const echoPids = async () => {
      const out: Record<string, number[]> = {};
      for (const n of c.status().nodes) {
        if (!n.port) continue;
        const h = HealthSchema.parse(await (await realFetch(`http://${n.host}:${n.port}/health`, { headers: { authorization: bearer(readClusterSecret(c.dir)!) } })).json());
        for (const f of h.functions) if (f.id === 'echo' && f.workers) out[`${f.workflow}@${n.name}`] = f.pids ?? [];
      }
      return out;
    };
    try {
      for (const d of [a, b]) expect((await c.deploy(d, {})).functions.map((f) => `${f.id}:${f.status}`)).toEqual(['echo:ready']);
      expect(c.state.placement('twin-a', 'echo')!.node).toBe('laptop');
      expect(c.state.placement('twin-b', 'echo')!.node).toBe('laptop');
      const first = await echoPids();
      expect(Object.keys(first).sort()).toEqual(['twin-a@laptop', 'twin-b@laptop']);
      const ra = await c.invoke('twin-a', 'echo');
      const rb = await c.invoke('twin-b', 'echo');
      expect(ra.output).toMatchObject({ version: 10, pid: first['twin-a@laptop'][0] });
      expect(rb.output).toMatchObject({ version: 20, pid: first['twin-b@laptop'][0] });
      // warm, on the same workers, after the other workflow's function ran
      const again = await c.invoke('twin-a', 'echo');
      expect(again).toMatchObject({ cold: false, output: { version: 10, pid: first['twin-a@laptop'][0] } });
      expect(await echoPids()).toEqual(first);
      // restarting one workflow retires its worker only
      await c.deploy(a, { mode: 'restart' });
      const after = await echoPids();
      expect(after['twin-b@laptop']).toEqual(first['twin-b@laptop']);
      expect(after['twin-a@laptop']).toHaveLength(1);
      expect(after['twin-a@laptop']).not.toEqual(first['twin-a@laptop']);
      expect((await c.invoke('twin-b', 'echo')).output).toMatchObject({ version: 20, pid: first['twin-b@laptop'][0] });
    } finally {
      rmSync(a, { recursive: true, force: true });
      rmSync(b, { recursive: true, force: true });
    }
  }, 90_000);

  it('a project made from the template (`edgeai new`, the studio\'s New project) deploys and answers from its CSV', async () => {
    const root = mkdtempSync(join(tmpdir(), 'edgeai-template-'));
    try {
      const { dir: d } = newProject(join(root, 'fresh'));
      const r = await c.deploy(d, {});
      expect(r.functions.map((f) => `${f.id}:${f.status}`)).toEqual(['summarize:ready']);
      const a = await c.invoke('fresh', 'summarize');
      expect(a.output).toEqual({ count: 5, mean: 21.3, max: 23.4, min: 19.8 });
      expect(a).toMatchObject({ inputs: ['sensor:readings@1'], produced: ['sensor:summary@1'], logs: ['summarised 5 readings'] });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 60_000);

  it('a restart of a workflow that is not deployed says to deploy it first', async () => {
    const e = await rejects(c.deploy(OPS, { mode: 'restart' }));
    expect(e.code).toBe('not-deployed');
    expect(e.message).toMatch(/ops is not deployed on cluster '.*': there is nothing to restart/);
    expect(e.hint).toMatch(/deploy it first/);
    expect(c.state.deployment('ops')).toBeUndefined();
  }, 30_000);
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
