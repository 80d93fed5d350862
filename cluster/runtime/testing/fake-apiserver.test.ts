/**
 * The test API server is strict where kube-apiserver is (its answers are what the kubernetes
 * backend's contract test relies on): auth, malformed bodies, schema-invalid objects, names and
 * labels, conflicts, missing objects, watch only where it is served; and the backend's errors say what and what to do.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { FakeApiServer } from './fake-apiserver';
import { tempDirs } from './temp';
import { rejects } from './rejects';
import { until } from './until';
import { fakeNode } from '../backends/kubernetes-nodes';
import { KubernetesBackend } from '../backends/kubernetes';
import { agentPod } from '../backends/kubernetes/manifests';

const tmp = tempDirs();
let fake: FakeApiServer;
let kubeconfig = '';

beforeAll(async () => {
  const dir = tmp('edgeai-fake-api-');
  // no pod here starts an agent: the build is never used
  fake = await FakeApiServer.start({ nodes: [fakeNode('n1', 'amd64')], build: { dir: '', agent: '', worker: '', hash: 'none' }, dir });
  kubeconfig = fake.writeKubeconfig(join(dir, 'kubeconfig'));
});

afterAll(async () => {
  await fake?.close();
});

async function call(method: string, path: string, body?: unknown, token: string | null = fake.token): Promise<{ status: number; body: any }> {
  const r = await fetch(fake.url + path, { method, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' }, ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}) });
  return { status: r.status, body: await r.json() };
}

const pod = (over: Record<string, unknown> = {}) => ({ ...agentPod({ cluster: 'c', name: 'n1', cpuMillis: 1000, memoryBytes: 0, labels: {}, network: 'lan' }, { namespace: 'ns1', image: 'edgeai-node:x' }), ...over });

describe('the test API server answers like kube-apiserver', () => {
  it('401 without the token, a Status object', async () => {
    const r = await call('GET', '/api/v1/nodes', undefined, null);
    expect(r).toMatchObject({ status: 401, body: { kind: 'Status', status: 'Failure', reason: 'Unauthorized', code: 401 } });
  });

  it('namespaces: 201, then 409 AlreadyExists; a bad name is 422 Invalid; a body that is not JSON is 400', async () => {
    expect((await call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns1' } })).status).toBe(201);
    expect(await call('POST', '/api/v1/namespaces', { metadata: { name: 'ns1' } })).toMatchObject({ status: 409, body: { reason: 'AlreadyExists' } });
    expect(await call('POST', '/api/v1/namespaces', { metadata: { name: 'Not_A_Label' } })).toMatchObject({ status: 422, body: { reason: 'Invalid' } });
    expect(await call('POST', '/api/v1/namespaces', '{"metadata": ')).toMatchObject({ status: 400, body: { reason: 'BadRequest' } });
  });

  it('pods: schema-invalid bodies and bad labels are 422, a missing namespace 404, the pod proxy 503 until it runs', async () => {
    const noContainers = pod();
    (noContainers.spec as Record<string, unknown>).containers = undefined;
    expect(await call('POST', '/api/v1/namespaces/ns1/pods', noContainers)).toMatchObject({ status: 422, body: { reason: 'Invalid', message: expect.stringMatching(/spec must have required property .?containers/) } });
    const badImage = structuredClone(pod()) as any;
    badImage.spec.containers[0].image = 7;
    expect((await call('POST', '/api/v1/namespaces/ns1/pods', badImage)).body.message).toMatch(/image must be string/);
    const badLabel = structuredClone(pod()) as any;
    badLabel.metadata.labels['edgeai.io/node'] = 'no spaces allowed';
    expect(await call('POST', '/api/v1/namespaces/ns1/pods', badLabel)).toMatchObject({ status: 422 });
    expect(await call('POST', '/api/v1/namespaces/nope/pods', pod())).toMatchObject({ status: 404, body: { reason: 'NotFound', message: 'namespaces "nope" not found' } });
    expect(await call('POST', '/api/v1/namespaces/ns1/pods', { ...pod(), metadata: { ...(pod().metadata as object), namespace: 'other' } })).toMatchObject({ status: 400 });
    // a valid pod whose Secret does not exist waits in CreateContainerConfigError, as the kubelet leaves it
    expect((await call('POST', '/api/v1/namespaces/ns1/pods', pod())).status).toBe(201);
    const got = await call('GET', '/api/v1/namespaces/ns1/pods/edgeai-c-n1');
    expect(got.body.status.phase).toBe('Pending');
    expect(got.body.status.containerStatuses[0].state.waiting).toMatchObject({ reason: 'CreateContainerConfigError', message: 'secret "edgeai-c-agent" not found' });
    expect(await call('GET', '/api/v1/namespaces/ns1/pods/edgeai-c-n1:7070/proxy/health')).toMatchObject({ status: 503, body: { reason: 'ServiceUnavailable' } });
    expect(await call('POST', '/api/v1/namespaces/ns1/pods', pod())).toMatchObject({ status: 409 });
    expect(await call('GET', '/api/v1/namespaces/ns1/pods/ghost')).toMatchObject({ status: 404 });
    expect((await call('DELETE', '/api/v1/namespaces/ns1/pods/edgeai-c-n1?gracePeriodSeconds=0')).status).toBe(200);
  });

  it('secrets: data must be base64; label selectors filter lists; watch on secrets and unknown parameters are refused', async () => {
    expect(await call('POST', '/api/v1/namespaces/ns1/secrets', { metadata: { name: 's1' }, data: { k: 'not base64!' } })).toMatchObject({ status: 422 });
    expect((await call('POST', '/api/v1/namespaces/ns1/secrets', { metadata: { name: 's2', labels: { a: 'b' } }, data: { k: 'YWJj' } })).status).toBe(201);
    expect((await call('GET', '/api/v1/namespaces/ns1/secrets?labelSelector=a%3Db')).body.items.map((i: any) => i.metadata.name)).toEqual(['s2']);
    expect((await call('GET', '/api/v1/namespaces/ns1/secrets?labelSelector=a%3Dc')).body.items).toEqual([]);
    // watch is served for nodes and pods only; unknown query parameters are refused
    expect(await call('GET', '/api/v1/namespaces/ns1/secrets?watch=true')).toMatchObject({ status: 400, body: { reason: 'BadRequest' } });
    expect(await call('GET', '/api/v1/nodes?fieldSelector=metadata.name%3Dn1')).toMatchObject({ status: 400, body: { message: expect.stringMatching(/no query parameter "fieldSelector"/) } });
    expect(await call('GET', '/api/v1/nodes?allowWatchBookmarks=true')).toMatchObject({ status: 400 });
    expect(await call('GET', '/api/v1/persistentvolumes')).toMatchObject({ status: 404 });
  });
});

describe('the kubernetes backend says what is wrong', () => {
  it('no kubeconfig, an unknown context', () => {
    expect(() => new KubernetesBackend({ kubeconfig: join(tmp('edgeai-nokube-'), 'missing') })).toThrow(/no kubeconfig at .*missing[\s\S]*--kubeconfig/);
    expect(() => new KubernetesBackend({ kubeconfig, context: 'elsewhere' })).toThrow(/has no context "elsewhere"; it has fake/);
    expect(() => new KubernetesBackend({ kubeconfig, namespace: 'Bad_NS' })).toThrow(/is not a DNS label/);
  });

  it('a node the cluster does not have, and a node Kubernetes reports NotReady, refuse to start', async () => {
    const b = new KubernetesBackend({ kubeconfig, namespace: 'ns2' });
    const build = { dir: '', agent: '', worker: '', hash: 'none' };
    const launch = (name: string) => ({ cluster: 'c2', name, storeDir: '', cpuMillis: 1000, memoryBytes: 0, labels: {}, network: 'lan', secret: 'x'.repeat(43) });
    const unknown = await rejects(b.start(launch('ghost'), build));
    expect(unknown.code).toBe('unknown-cluster-node');
    expect(unknown.message).toMatch(/has no node ghost \(it has n1\)/);
    fake.setNodeReady('n1', false);
    try {
      // the backend learns it from the nodes' watch event
      await until('the NotReady of n1 to reach the backend', () => b.notReadyReason('n1'));
      const e = await rejects(b.start(launch('n1'), build));
      expect(e.code).toBe('cluster-node-not-ready');
      expect(e.message).toMatch(/Kubernetes reports node n1 NotReady \(Ready=Unknown, NodeStatusUnknown: Kubelet stopped posting node status.\)/);
    } finally {
      fake.setNodeReady('n1', true);
    }
    // what it made on the way (namespace ns2, the Secret) goes with teardown
    await b.teardown('c2');
    expect(fake.objects().filter((o) => o.includes('ns2'))).toEqual([]);
  });
});
