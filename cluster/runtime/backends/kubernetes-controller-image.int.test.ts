/**
 * The controller image (kubernetes/controller-image.ts) is built offline and runs: the exported
 * headless controller's container is started as kubelet would run the Deployment's — its command
 * and environment, read-only root filesystem as user 65534 with no capabilities, the project
 * ConfigMap's files mounted read-only at /project-src as the Deployment mounts them, emptyDirs at
 * /project, /state and /tmp, the service account's token and ca.crt at
 * /var/run/secrets/kubernetes.io/serviceaccount, KUBERNETES_SERVICE_HOST/PORT naming the test API
 * server — and it deploys samples/mnist through that server (whose agent pods are real local
 * agents), trains, and its gateway answers a request with a classified digit.
 *
 * The test API server listens (HTTPS, a certificate for that address) only on the gateway address
 * of a Docker network this test creates; nothing is published. The network, the container and the
 * image carry edgeai.managed=true and this test's edgeai.cluster label, and only those are removed.
 * Without Docker it skips and says why (CI starts Docker, where a missing engine is a failure).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { loadAllYaml } from '@kubernetes/client-node';
import { dockerSkipReason } from '../testing/docker-skip';
import { execIn } from '../testing/docker-exec';
import { FakeApiServer } from '../testing/fake-apiserver';
import { certificates } from '../testing/fake-apiserver-certs';
import { tempDirs } from '../testing/temp';
import { until } from '../testing/until';
import { fakeNode } from './kubernetes-nodes';
import { buildAgent } from '../build';
import { LABEL_MANAGED } from './docker-image';
import { LABEL_CLUSTER } from './docker';
import { buildControllerImage, LABEL_CONTROLLER_INPUTS } from './kubernetes/controller-image';
import { currentCliBundle } from '../../cli/bundle';
import { command as exportCommand } from '../../cli/commands/export';
import { loadMnistSamples } from '../../registry/mnist';

const MNIST = fileURLToPath(new URL('../../../samples/mnist', import.meta.url));
const tmp = tempDirs();
const ID = `k8s-ctl-${process.pid}`;
const LABELS = { [LABEL_MANAGED]: 'true', [LABEL_CLUSTER]: ID };
const TAG = `edgeai-controller:test-${process.pid}`;
const NAMESPACE = 'edgeai-ctl';

const skip = await dockerSkipReason('kubernetes controller image');
const docker = new Docker();
let fake: FakeApiServer | undefined;
let network: Docker.Network | undefined;
let container: Docker.Container | undefined;

async function logsOf(c: Docker.Container): Promise<string> {
  const b = (await c.logs({ stdout: true, stderr: true, tail: 60 })) as unknown as Buffer;
  let out = '';
  for (let i = 0; i + 8 <= b.length; ) {
    const len = b.readUInt32BE(i + 4);
    out += b.subarray(i + 8, i + 8 + len).toString('utf8');
    i += 8 + len;
  }
  return out;
}

afterAll(async () => {
  // only what carries this test's labels
  for (const c of await docker.listContainers({ all: true, filters: { label: [`${LABEL_CLUSTER}=${ID}`] } }).catch(() => [])) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
  await fake?.close();
  for (const n of await docker.listNetworks({ filters: { label: [`${LABEL_CLUSTER}=${ID}`] } }).catch(() => [])) await docker.getNetwork(n.Id).remove().catch(() => undefined);
  for (const i of await docker.listImages({ filters: { label: [`${LABEL_CLUSTER}=${ID}`] } }).catch(() => [])) await docker.getImage(i.Id).remove({ force: true }).catch(() => undefined);
}, 120_000);

describe.skipIf(skip !== false)(`the controller image runs the exported Deployment's container${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let gateway = '';
  let deployment: any;
  let configMap: any;
  let dir = '';

  beforeAll(async () => {
    dir = tmp('edgeai-k8s-ctl-');
    network = await docker.createNetwork({ Name: `edgeai-${ID}`, Driver: 'bridge', Labels: LABELS, CheckDuplicate: true });
    gateway = (await network.inspect()).IPAM?.Config?.[0]?.Gateway ?? '';
    expect(gateway).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const c = certificates(dir, gateway);
    fake = await FakeApiServer.start({
      host: gateway,
      tls: { key: c.server.key, cert: c.server.cert, ca: c.ca },
      build: await buildAgent(),
      dir,
      nodes: [
        fakeNode('workstation', 'amd64', { 'edgeai.io/type': 'user_device', 'edgeai.io/device': 'laptop', 'edgeai.io/network': 'local' }, { cpu: '8', memory: '16Gi', pods: '110' }),
        fakeNode('pi-1', 'arm64', { 'locality.skippy.io/type': 'edge', 'edgeai.io/device': 'rpi4', 'edgeai.io/network': 'local' }, { cpu: '4', memory: '3782016Ki', pods: '110' }),
        fakeNode('pi-2', 'arm64', { 'locality.skippy.io/type': 'edge', 'edgeai.io/device': 'rpi4', 'edgeai.io/network': 'local' }, { cpu: '4', memory: '3782016Ki', pods: '110' }),
        fakeNode('vm-1', 'amd64', { 'locality.skippy.io/type': 'cloud', 'edgeai.io/device': 'xeon-cpu', 'edgeai.io/network': 'dc' }),
      ],
    });
    // the export, as a user writes it (the images named: nothing is built by the export here)
    const out = join(dir, 'k8s');
    const code = await exportCommand.run(['kubernetes', MNIST, '-o', out, '--image', 'edgeai-node:test', '--controller', '--controller-image', TAG, '--cluster', ID, '--namespace', NAMESPACE], { out: () => undefined, err: () => undefined });
    expect(code).toBe(0);
    const docs = loadAllYaml(readFileSync(join(out, 'edgeai.yaml'), 'utf8')) as any[];
    deployment = docs.find((d) => d.kind === 'Deployment');
    configMap = docs.find((d) => d.kind === 'ConfigMap');
    const r = await buildControllerImage(docker, TAG, currentCliBundle, () => undefined, { labels: LABELS });
    expect(r.built).toBe(true);
  }, 600_000);

  it('is built offline and labelled; a second build builds again only when what goes in changed', async () => {
    const info = await docker.getImage(TAG).inspect();
    expect(info.Config.Labels).toMatchObject({ ...LABELS, [LABEL_CONTROLLER_INPUTS]: expect.stringMatching(/^[0-9a-f]{24}$/) });
    expect(info.Config.User).toBe('65534');
    // it builds again exactly when what goes in changed (in a checkout others edit meanwhile, it may have)
    const again = await buildControllerImage(docker, TAG, currentCliBundle, () => undefined, { labels: LABELS });
    expect(again.built).toBe(again.inputs !== info.Config.Labels[LABEL_CONTROLLER_INPUTS]);
    expect((await docker.getImage(TAG).inspect()).Config.Labels[LABEL_CONTROLLER_INPUTS]).toBe(again.inputs);
  }, 300_000);

  it('started as kubelet runs the Deployment, it deploys samples/mnist through the API server, trains, and its gateway classifies a digit', async () => {
    const pod = deployment.spec.template.spec;
    const spec = pod.containers[0];
    // the ConfigMap volume: each item's key at its path, read-only
    const src = join(dir, 'project-src');
    for (const item of pod.volumes.find((v: any) => v.name === 'project-src').configMap.items as Array<{ key: string; path: string }>) {
      const file = join(src, item.path);
      mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
      writeFileSync(file, configMap.data?.[item.key] ?? Buffer.from(configMap.binaryData[item.key], 'base64'), { mode: 0o644 });
    }
    chmodSync(src, 0o755);
    // the service account's projected files
    const sa = join(dir, 'serviceaccount');
    mkdirSync(sa, { mode: 0o755 });
    chmodSync(sa, 0o755);
    writeFileSync(join(sa, 'token'), fake!.token, { mode: 0o644 });
    writeFileSync(join(sa, 'ca.crt'), readFileSync(join(dir, 'ca.crt')), { mode: 0o644 });
    writeFileSync(join(sa, 'namespace'), NAMESPACE, { mode: 0o644 });
    const mounts = spec.volumeMounts as Array<{ name: string; mountPath: string; readOnly?: boolean }>;
    expect(mounts.map((m) => m.mountPath).sort()).toEqual(['/project', '/project-src', '/state', '/tmp']);
    const emptyDirs = mounts.filter((m) => pod.volumes.find((v: any) => v.name === m.name).emptyDir).map((m) => m.mountPath);
    const u = new URL(fake!.url);
    container = await docker.createContainer({
      name: `edgeai-${ID}-controller`,
      Image: TAG,
      // Kubernetes' command replaces the image's entry point
      Entrypoint: spec.command,
      Cmd: [],
      Env: [...(spec.env as Array<{ name: string; value: string }>).map((e) => `${e.name}=${e.value}`), `KUBERNETES_SERVICE_HOST=${u.hostname}`, `KUBERNETES_SERVICE_PORT=${u.port}`],
      User: `${pod.securityContext.runAsUser}:${pod.securityContext.runAsGroup}`,
      Labels: LABELS,
      HostConfig: {
        NetworkMode: `edgeai-${ID}`,
        ReadonlyRootfs: spec.securityContext.readOnlyRootFilesystem,
        CapDrop: spec.securityContext.capabilities.drop,
        SecurityOpt: ['no-new-privileges'],
        Memory: 1024 * 1024 * 1024,
        Tmpfs: Object.fromEntries(emptyDirs.map((p) => [p, 'mode=1777'])),
        Binds: [`${src}:/project-src:ro`, `${sa}:/var/run/secrets/kubernetes.io/serviceaccount:ro`],
      },
    });
    await container.start();
    const c = container;
    // up, then deploy, then the gateway: its agent pods run and answer through the proxy
    await until(
      'the controller\'s gateway',
      async () => {
        const st = await c.inspect();
        if (!st.State.Running) throw new Error(`the controller exited ${st.State.ExitCode}:\n${await logsOf(c)}`);
        return /gateway on http:\/\/127\.0\.0\.1:8080/.test(await logsOf(c));
      },
      240_000,
    );
    expect(fake!.objects().filter((o) => o.startsWith(`pod ${NAMESPACE}/`)).sort()).toEqual(['pi-1', 'pi-2', 'vm-1', 'workstation'].map((n) => `pod ${NAMESPACE}/edgeai-${ID}-${n}`));
    // through its gateway, inside the pod (127.0.0.1:8080 there): train, then classify a real digit
    const post = async (path: string, body: unknown) => {
      const js = `fetch('http://127.0.0.1:8080${path}',{method:'POST',headers:{'content-type':'application/json'},body:process.argv[1]}).then(async r=>console.log(JSON.stringify({status:r.status,body:await r.text()})),e=>console.log(JSON.stringify({error:String(e)})))`;
      const out = await execIn(c, ['/usr/local/bin/node', '-e', js, JSON.stringify(body)]);
      return JSON.parse(out.trim().split('\n').at(-1)!) as { status: number; body: string };
    };
    // on a loaded machine a node may miss heartbeats and be NotReady for a while (the controller
    // says so with 503 and takes it back when it answers): asked again until it answers, bounded
    const answered = async (path: string, body: unknown) => {
      let last = { status: 0, body: '' };
      try {
        return await until(`an answer to POST ${path}`, async () => ((last = await post(path, body)).status === 503 ? undefined : last), 120_000);
      } catch (e) {
        throw new Error(`${(e as Error).message}; the last: ${last.status} ${last.body}\n${await logsOf(c)}`);
      }
    };
    const trained = await answered('/fn/mnist/train', { input: {} });
    expect(trained.status, trained.body).toBe(200);
    const { images, labels } = loadMnistSamples(10_000);
    const answer = await answered('/fn/mnist/inference', { input: { pixels: images[9999] } });
    expect(answer.status, answer.body).toBe(200);
    const body = JSON.parse(answer.body);
    expect(['pi-1', 'pi-2']).toContain(body.node);
    expect(body.output.digit).toBe(labels[9999]);
    expect(body.output.confidence).toBeGreaterThan(0);
  }, 600_000);
});
