/**
 * The kubernetes backend watches (kubernetes/watch.ts) instead of polling, against the test API
 * server: a node going NotReady reaches it from the watch event with no list after the first
 * (the server counts the requests, and sends bookmarks so time passes on the watch without a
 * timer of the test's), a dropped stream is resumed from its resourceVersion, a 410 Gone makes it
 * list again, and an agent pod's phase (Running, then Failed when its agent dies) reaches the
 * handle's transport from the pods' watch.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { FakeApiServer } from '../testing/fake-apiserver';
import { tempDirs } from '../testing/temp';
import { until } from '../testing/until';
import { fakeNode } from './kubernetes-nodes';
import { KubernetesBackend } from './kubernetes';
import { buildAgent, type AgentBuild } from '../build';

const tmp = tempDirs();
const NO_BUILD = { dir: '', agent: '', worker: '', hash: 'none' };
let fake: FakeApiServer | undefined;
let backend: KubernetesBackend | undefined;

afterEach(async () => {
  backend?.close();
  backend = undefined;
  await fake?.close();
  fake = undefined;
});

async function setup(build: AgentBuild = NO_BUILD): Promise<{ fake: FakeApiServer; backend: KubernetesBackend }> {
  const dir = tmp('edgeai-k8s-watch-');
  fake = await FakeApiServer.start({ nodes: [fakeNode('n1', 'amd64'), fakeNode('n2', 'arm64')], build, dir, bookmarkMs: 25 });
  backend = new KubernetesBackend({ kubeconfig: fake.writeKubeconfig(join(dir, 'kubeconfig')), namespace: 'watch', watchBackoffMs: { min: 20, max: 200 } });
  await backend.prepare(build, () => undefined);
  return { fake, backend };
}

const count = (f: FakeApiServer, what: string) => f.requests.filter((r) => r === what).length;

describe('the kubernetes backend watches the nodes', () => {
  it('a node going NotReady reaches it from the watch event: one list, one watch, no list after', async () => {
    const { fake, backend } = await setup();
    await until('the nodes watch to be open', () => fake.openWatches().includes('nodes'));
    expect(backend.notReadyReason('n2')).toBeUndefined();
    fake.setNodeReady('n2', false);
    const reason = await until('the NotReady of n2', () => backend.notReadyReason('n2'));
    expect(reason).toMatch(/^Kubernetes reports the node NotReady: Kubelet stopped posting node status \(Ready=Unknown, NodeStatusUnknown\)/);
    // time passes on the watch (bookmarks arrive) and still nothing lists the nodes again
    const marks = fake.bookmarksSent;
    await until('three more bookmarks', () => fake.bookmarksSent >= marks + 3);
    fake.setNodeReady('n2', true);
    await until('n2 Ready again', () => backend.notReadyReason('n2') === undefined);
    expect(count(fake, 'GET /api/v1/nodes')).toBe(1);
    expect(count(fake, 'GET /api/v1/nodes?watch')).toBe(1);
    expect(backend.watchStats().nodes).toMatchObject({ lists: 1, watches: 1, relists: 0, reconnects: 0 });
    // the bookmarks moved its resourceVersion to the server's
    await until('the bookmark resourceVersion', () => backend.watchStats().nodes?.resourceVersion === fake.resourceVersion);
  });

  it('a dropped stream is watched again from where it was: a change made while it was away arrives, without a list', async () => {
    const { fake, backend } = await setup();
    await until('the nodes watch to be open', () => fake.openWatches().includes('nodes'));
    fake.dropWatches();
    fake.setNodeReady('n1', false); // while the watch is away
    await until('the NotReady of n1', () => backend.notReadyReason('n1'));
    await until('the watch back', () => fake.openWatches().includes('nodes'));
    expect(count(fake, 'GET /api/v1/nodes')).toBe(1);
    expect(count(fake, 'GET /api/v1/nodes?watch')).toBe(2);
    expect(backend.watchStats().nodes).toMatchObject({ lists: 1, relists: 0, reconnects: 1, watches: 2 });
  });

  it('410 Gone (the resourceVersion compacted away while the stream was down): it lists again and sees the change', async () => {
    const { fake, backend } = await setup();
    await until('the nodes watch to be open', () => fake.openWatches().includes('nodes'));
    fake.dropWatches();
    fake.setNodeReady('n2', false);
    fake.compact(); // the event is gone: only a list shows it
    await until('the NotReady of n2', () => backend.notReadyReason('n2'));
    expect(count(fake, 'GET /api/v1/nodes')).toBe(2);
    expect(backend.watchStats().nodes).toMatchObject({ lists: 2, relists: 1 });
    // and it watches from the new list
    await until('the watch back', () => fake.openWatches().includes('nodes'));
    fake.setNodeReady('n2', true);
    await until('n2 Ready again', () => backend.notReadyReason('n2') === undefined);
    expect(count(fake, 'GET /api/v1/nodes')).toBe(2);
  });

  it('a server that goes away: the watch retries with its bounded backoff and stops with close()', async () => {
    const { fake: f, backend } = await setup();
    await until('the nodes watch to be open', () => f.openWatches().includes('nodes'));
    await f.close();
    fake = undefined;
    await until('a failed reconnect', () => backend.watchStats().nodes?.lastError);
    expect(backend.watchStats().nodes!.lastError).toMatch(/ECONNREFUSED|socket hang up|fetch failed|connect/);
    backend.close();
    expect(backend.watchStats()).toEqual({});
  });
});

describe('the kubernetes backend watches its agent pods', () => {
  let build: AgentBuild;
  beforeAll(async () => {
    build = await buildAgent();
  }, 120_000);

  it('start() waits for Running and Ready from the pods\' watch (no GET of the pod); a dead agent makes the pod Failed, which its handle sees from the event', async () => {
    const { fake, backend } = await setup(build);
    const h = await backend.start({ cluster: 'w', name: 'n1', storeDir: '', cpuMillis: 1000, memoryBytes: 512 * 1024 * 1024, labels: {}, network: 'lan', secret: 's'.repeat(43) }, build);
    expect(fake.requests.filter((r) => r === 'GET /api/v1/namespaces/{ns}/pods/{name}')).toEqual([]);
    expect(count(fake, 'GET /api/v1/namespaces/{ns}/pods?watch')).toBe(1);
    const ok = await h.via!.fetch(`${h.via!.base}/health`, { headers: { [h.via!.secretHeader!]: h.secret } });
    expect(ok.status).toBe(200);
    // the agent process dies: the test server's kubelet turns the pod Failed, a MODIFIED event
    const pid = fake.runningProcesses()[0];
    process.kill(pid, 'SIGKILL');
    const cause = await until('the handle to refuse from the pod event', async () => {
      try {
        await h.via!.fetch(`${h.via!.base}/health`, { headers: { [h.via!.secretHeader!]: h.secret } });
        return undefined;
      } catch (e) {
        const m = ((e as Error).cause as Error | undefined)?.message;
        return m && /is Failed/.test(m) ? m : undefined;
      }
    });
    expect(cause).toBe('pod watch/edgeai-w-n1 is Failed');
    await backend.teardown('w');
    expect(fake.objects()).toEqual([]);
    expect(backend.watchStats()).toEqual({});
  }, 120_000);
});
