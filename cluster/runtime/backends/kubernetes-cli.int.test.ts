/**
 * Issue 16's "done when", end to end through the CLI against the test API server
 * (testing/fake-apiserver.ts; its pods are real node agents): `edgeai cluster inspect` and `up
 * --backend kubernetes --kubeconfig f` map the cluster's nodes, `deploy samples/mnist` ships the
 * workflow through the pod proxy, `invoke mnist/train` trains, `invoke mnist/inference` classifies
 * a real digit, a node Kubernetes reports NotReady becomes NotReady here (`cluster status` gives
 * Kubernetes' reason: the node condition's message) and its function is rescheduled, and
 * `cluster down` leaves none of our objects in the API server. A contract test, not a real
 * cluster (docs/kubernetes.md).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../../cli/main';
import { buildAgent } from '../build';
import { FakeApiServer } from '../testing/fake-apiserver';
import { tempDirs } from '../testing/temp';
import { until } from '../testing/until';
import { fakeNode } from './kubernetes-nodes';
import { openCluster } from '../../app/cluster';
import { loadMnistSamples } from '../../registry/mnist';

const MNIST = fileURLToPath(new URL('../../../samples/mnist', import.meta.url));
const tmp = tempDirs();
const CLUSTER = `k8s-e2e-${process.pid}`;
let fake: FakeApiServer | undefined;
let home = '';
let kubeconfig = '';

/** edgeai <argv…> in this process; stdout and stderr lines, exit code. */
async function edgeai(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run([...argv, '--home', home, '--cluster', CLUSTER], { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

beforeAll(async () => {
  const dir = tmp('edgeai-k8s-e2e-');
  home = tmp('edgeai-k8s-home-');
  const notReady = fakeNode('pi-3', 'arm64', { 'locality.skippy.io/type': 'edge', 'edgeai.io/device': 'rpi4', 'edgeai.io/network': 'local' });
  notReady.status!.conditions = [{ type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' }];
  fake = await FakeApiServer.start({
    nodes: [
      fakeNode('workstation', 'amd64', { 'edgeai.io/type': 'user_device', 'edgeai.io/device': 'laptop', 'edgeai.io/network': 'local' }, { cpu: '8', memory: '16Gi', pods: '110' }),
      fakeNode('pi-1', 'arm64', { 'locality.skippy.io/type': 'edge', 'edgeai.io/device': 'rpi4', 'edgeai.io/network': 'local' }, { cpu: '4', memory: '3782016Ki', pods: '110' }),
      fakeNode('pi-2', 'arm64', { 'locality.skippy.io/type': 'edge', 'edgeai.io/device': 'rpi4', 'edgeai.io/network': 'local' }, { cpu: '4', memory: '3782016Ki', pods: '110' }),
      notReady,
      fakeNode('vm-1', 'amd64', { 'node-role.kubernetes.io/control-plane': 'true', 'locality.skippy.io/type': 'cloud', 'edgeai.io/device': 'xeon-cpu', 'edgeai.io/network': 'dc', 'edgeai.io/uplink-mbps': '1000', 'edgeai.io/downlink-mbps': '1000', 'edgeai.io/latency-ms': '5' }),
    ],
    build: await buildAgent(),
    dir,
  });
  kubeconfig = fake.writeKubeconfig(join(dir, 'kubeconfig'), 'lab', 'ignored-by-edgeai');
}, 120_000);

afterAll(async () => {
  // a failed test may leave the cluster up: down it (it deletes by label), then stop the server
  await edgeai('cluster', 'down').catch(() => undefined);
  await fake?.close();
}, 60_000);

describe('edgeai on the kubernetes backend, through the test API server', () => {
  it('cluster inspect prints the mapping and what is missing', async () => {
    const r = await edgeai('cluster', 'inspect', '--backend', 'kubernetes', '--kubeconfig', kubeconfig);
    expect(r.code, r.err + r.out).toBe(0);
    expect(r.out).toMatch(new RegExp(`^Kubernetes cluster ${fake!.url} \\(context lab\\): 5 node\\(s\\) mapped`));
    expect(r.out).toMatch(/vm-1\s+Ready\s+xeon-cpu\s+cloud\s+dc/);
    expect(r.out).toMatch(/pi-3\s+NotReady/);
    expect(r.out).toMatch(/missing:\n {2}- node pi-3: not Ready in Kubernetes \(NodeStatusUnknown\)/);
    expect(r.out).toMatch(/assumed:\n(.*\n)* {2}- link local → internet: up 50 Mbit\/s, down 500 Mbit\/s, 7.72 ms/);
  }, 30_000);

  it('cluster up maps the Ready nodes and starts one agent pod on each', async () => {
    const r = await edgeai('cluster', 'up', '--backend', 'kubernetes', '--kubeconfig', kubeconfig, '--context', 'lab', '--namespace', 'edgeai-e2e');
    expect(r.err).toMatch(/node pi-3 left out: not Ready in Kubernetes/);
    expect(r.code, r.err + r.out).toBe(0);
    expect(r.out).toMatch(/kubernetes backend, topology lab/);
    for (const n of ['workstation', 'pi-1', 'pi-2', 'vm-1']) expect(r.out).toMatch(new RegExp(`${n}\\s+Ready`));
    const pods = fake!.objects().filter((o) => o.startsWith('pod '));
    expect(pods.sort()).toEqual(['workstation', 'pi-1', 'pi-2', 'vm-1'].map((n) => `pod edgeai-e2e/edgeai-${CLUSTER}-${n}`).sort());
    expect(fake!.objects()).toEqual(expect.arrayContaining(['namespace edgeai-e2e', `secret edgeai-e2e/edgeai-${CLUSTER}-agent`]));
  }, 180_000);

  it('deploys samples/mnist, trains on the cloud node and classifies a real digit on an edge node', async () => {
    const d = await edgeai('deploy', MNIST);
    expect(d.code, d.err + d.out).toBe(0);
    const t = await edgeai('invoke', 'mnist/train', '--json');
    expect(t.code, t.err + t.out).toBe(0);
    expect(JSON.parse(t.out)).toMatchObject({ node: 'vm-1', produced: ['mnist:model@1'] });
    const { images, labels } = loadMnistSamples(10_000);
    let correct = 0;
    const nodes = new Set<string>();
    for (let i = 9995; i < 10_000; i++) {
      const r = await edgeai('invoke', 'mnist/inference', '--input', JSON.stringify({ pixels: images[i] }), '--json');
      expect(r.code, r.err + r.out).toBe(0);
      const a = JSON.parse(r.out) as { node: string; output: { digit: number } };
      nodes.add(a.node);
      if (a.output.digit === labels[i]) correct++;
    }
    expect([...nodes].every((n) => n === 'pi-1' || n === 'pi-2')).toBe(true);
    expect(correct).toBeGreaterThanOrEqual(3);
  }, 240_000);

  it('a node Kubernetes reports NotReady is NotReady here, and its function is rescheduled', async () => {
    const c = await openCluster({ home, cluster: CLUSTER, triggers: 'off' });
    let victim = '';
    try {
      const placed = () => c.status().deployments.find((d) => d.workflow === 'mnist')!.functions.find((f) => f.id === 'inference')!;
      victim = placed().node!;
      expect(['pi-1', 'pi-2']).toContain(victim);
      fake!.setNodeReady(victim, false);
      await until(`${victim} NotReady`, () => c.status().nodes.find((n) => n.name === victim)?.status === 'NotReady', 15_000);
      const moved = await until('inference rescheduled', () => (placed().node !== victim && placed().status === 'ready' ? placed().node : undefined), 30_000);
      expect(moved).not.toBe(victim);
      // Kubernetes' word for it, not the heartbeat count
      expect(c.status().nodes.find((n) => n.name === victim)!.reason).toBe(`Kubernetes reports the node NotReady: Kubelet stopped posting node status (Ready=Unknown, NodeStatusUnknown); its agent is not asked until Kubernetes reports it Ready (\`kubectl describe node ${victim}\` says why)`);
    } finally {
      c.close();
    }
    // a closed controller's backend follows nothing any more: its watches end with it
    await until('the closed controller’s watches ended', () => (fake!.openWatches().length === 0 ? true : undefined), 15_000);
    const st = await edgeai('cluster', 'status');
    expect(st.code, st.err + st.out).toBe(0);
    expect(st.out).toMatch(new RegExp(`${victim}\\s+NotReady`));
    expect(st.out).toContain(`  ${victim}: Kubernetes reports the node NotReady: Kubelet stopped posting node status (Ready=Unknown, NodeStatusUnknown)`);
    const { images } = loadMnistSamples(10_000);
    const r = await edgeai('invoke', 'mnist/inference', '--input', JSON.stringify({ pixels: images[9999] }), '--json');
    expect(r.code, r.err + r.out).toBe(0);
    expect(['pi-1', 'pi-2']).toContain(JSON.parse(r.out).node);
  }, 120_000);

  it('cluster down deletes everything it created: the API server holds none of our objects, no agent runs', async () => {
    const r = await edgeai('cluster', 'down');
    expect(r.code, r.err + r.out).toBe(0);
    expect(fake!.objects()).toEqual([]);
    expect(fake!.runningProcesses()).toEqual([]);
    // what the backend asked the API server for: exactly the endpoints the test server implements
    const used = [...new Set(fake!.requests)].sort();
    expect(used).toEqual(
      expect.arrayContaining(['GET /api/v1/nodes', 'POST /api/v1/namespaces', 'POST /api/v1/namespaces/{ns}/secrets', 'POST /api/v1/namespaces/{ns}/pods', 'GET /api/v1/nodes?watch', 'GET /api/v1/namespaces/{ns}/pods?watch', 'DELETE /api/v1/namespaces/{ns}/pods/{name}', 'DELETE /api/v1/namespaces/{ns}', 'GET /api/v1/namespaces/{ns}/pods/{name}:{port}/proxy/…', 'POST /api/v1/namespaces/{ns}/pods/{name}:{port}/proxy/…']),
    );
    expect(used.filter((u) => !/^(GET|POST|PUT|HEAD|DELETE) \/api\/v1\/(nodes|namespaces)/.test(u))).toEqual([]);
  }, 60_000);
});
