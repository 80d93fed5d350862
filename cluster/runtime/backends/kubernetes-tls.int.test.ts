/**
 * The kubernetes backend over HTTPS with a kubeconfig as k3s writes one: the cluster's CA and a
 * client certificate (no token). The test API server checks the certificate; the backend starts an
 * agent pod, reaches it through the pod proxy over TLS, and tears down. Certificates are made with
 * the openssl command line for this test only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildAgent, type AgentBuild } from '../build';
import { FakeApiServer } from '../testing/fake-apiserver';
import { certificates } from '../testing/fake-apiserver-certs';
import { tempDirs } from '../testing/temp';
import { fakeNode } from './kubernetes-nodes';
import { KubernetesBackend } from './kubernetes';
import { KubeApi, KubeUnavailableError } from './kubernetes/api';
import { AgentClient } from '../agent/client';
import { newSecret } from '../agent/secret';

const tmp = tempDirs();
let fake: FakeApiServer | undefined;
let dir = '';
let build: AgentBuild;
let client: { cert: string; key: string };
let ca = '';

beforeAll(async () => {
  dir = tmp('edgeai-k8s-tls-');
  const c = certificates(dir);
  client = c.client;
  ca = c.ca;
  build = await buildAgent();
  fake = await FakeApiServer.start({ nodes: [fakeNode('pi-1', 'arm64')], build, dir, tls: { key: c.server.key, cert: c.server.cert, ca: c.ca } });
}, 120_000);

afterAll(async () => {
  await fake?.close();
}, 60_000);

describe('the kubernetes backend over TLS with a client certificate (a k3s-style kubeconfig)', () => {
  it('starts an agent pod, reaches it through the proxy, tears down; a wrong token: 401 with what to do', async () => {
    const kubeconfig = fake!.writeKubeconfig(join(dir, 'k3s.yaml'), 'default', undefined, client);
    const b = new KubernetesBackend({ kubeconfig, namespace: 'edgeai-tls' });
    expect(b.target.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const secret = newSecret();
    const h = await b.start({ cluster: 'tls', name: 'pi-1', storeDir: '', cpuMillis: 1000, memoryBytes: 512 * 1024 * 1024, labels: {}, network: 'lan', secret }, build);
    const health = await new AgentClient(h.name, h.port, secret, h.host, h.via).healthOf('tls', { timeoutMs: 5000 });
    expect(health.node).toBe('pi-1');
    // the CA but neither the certificate nor a valid token: the API server refuses, and the error says what to do
    const wrong = join(dir, 'wrong-token.yaml');
    const cfg = JSON.parse(readFileSync(kubeconfig, 'utf8'));
    cfg.users[0].user = { token: 'not-the-token' };
    writeFileSync(wrong, JSON.stringify(cfg));
    const refused = await new KubernetesBackend({ kubeconfig: wrong }).nodes().catch((e: Error) => e);
    expect(refused).toMatchObject({ code: 'kubernetes-api-error', status: 401 });
    expect((refused as Error).message).toMatch(/GET \/api\/v1\/nodes on https:\/\/127\.0\.0\.1:\d+: 401 Unauthorized[\s\S]*credentials were refused/);
    await b.stop(h);
    await b.teardown('tls');
    expect(fake!.objects()).toEqual([]);
  }, 120_000);

  it("--kubeconfig in-cluster: the pod's service account token and CA (the exported controller's), and outside a pod it says so", async () => {
    const root = tmp('edgeai-k8s-sa-');
    const sa = join(root, 'var/run/secrets/kubernetes.io/serviceaccount');
    mkdirSync(sa, { recursive: true });
    writeFileSync(join(sa, 'token'), fake!.token);
    writeFileSync(join(sa, 'ca.crt'), ca);
    writeFileSync(join(sa, 'namespace'), 'edgeai-tls');
    const saved = { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT };
    try {
      delete process.env.KUBERNETES_SERVICE_HOST;
      delete process.env.KUBERNETES_SERVICE_PORT;
      expect(() => KubeApi.load({ kubeconfig: 'in-cluster', serviceAccountRoot: root })).toThrow(KubeUnavailableError);
      expect(() => KubeApi.load({ kubeconfig: 'in-cluster', serviceAccountRoot: root })).toThrow(/KUBERNETES_SERVICE_HOST\/KUBERNETES_SERVICE_PORT are not set: this is not a pod/);
      const u = new URL(fake!.url);
      process.env.KUBERNETES_SERVICE_HOST = u.hostname;
      process.env.KUBERNETES_SERVICE_PORT = u.port;
      expect(() => KubeApi.load({ kubeconfig: 'in-cluster', serviceAccountRoot: join(root, 'nowhere') })).toThrow(/the pod has no service account token at .*nowhere\/var\/run\/secrets\/kubernetes.io\/serviceaccount\/token/);
      const api = KubeApi.load({ kubeconfig: 'in-cluster', serviceAccountRoot: root, namespace: 'edgeai-tls' });
      expect(api.target).toEqual({ kubeconfig: 'in-cluster', context: 'inClusterContext', namespace: 'edgeai-tls', server: fake!.url });
      const nodes = await api.json<{ items: Array<{ metadata: { name: string } }> }>('GET', '/api/v1/nodes');
      expect(nodes.items.map((n) => n.metadata.name)).toEqual(['pi-1']);
    } finally {
      for (const [k, v] of [['KUBERNETES_SERVICE_HOST', saved.host], ['KUBERNETES_SERVICE_PORT', saved.port]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  }, 30_000);
});
