import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAllYaml } from '@kubernetes/client-node';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Pod } from 'kubernetes-models/v1/Pod';
import { Secret } from 'kubernetes-models/v1/Secret';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { command } from './export';
import { tempDirs } from '../../runtime/testing/temp';
import { exportKubernetes } from '../../runtime/backends/kubernetes/export';
import { topologyByName } from '../../topology/index';
import { topologyFromNodes, USB_RESOURCE_LABEL, type KubeNode } from '../../topology/kubernetes';

const MNIST = fileURLToPath(new URL('../../../samples/mnist', import.meta.url));
const FACE = fileURLToPath(new URL('../../../samples/face-assist', import.meta.url));
const CORAL_TOPOLOGY = fileURLToPath(new URL('./export-golden/face-assist-coral.topology.json', import.meta.url));
const tmp = tempDirs();

async function run(...argv: string[]): Promise<{ code: number; out: string[] }> {
  const out: string[] = [];
  const code = await command.run(argv, { out: (s) => out.push(s), err: (s) => out.push(`[stderr] ${s}`) });
  return { code, out };
}

/** Every document parsed back and validated against the official schemas, independently of the exporter. */
function parsed(yaml: string): Array<Record<string, any>> {
  const docs = loadAllYaml(yaml) as Array<Record<string, any>>;
  for (const d of docs) {
    if (d.kind === 'Namespace') new Namespace(d).validate();
    else if (d.kind === 'Secret') new Secret(d).validate();
    else if (d.kind === 'Pod') new Pod(d).validate();
    else if (d.kind === 'ConfigMap') new ConfigMap(d).validate();
    else if (d.kind === 'ServiceAccount') new ServiceAccount(d).validate();
    else if (d.kind === 'Deployment') new Deployment(d).validate();
    else if (d.kind === 'ClusterRole') new ClusterRole(d).validate();
    else if (d.kind === 'ClusterRoleBinding') new ClusterRoleBinding(d as never).validate();
    else if (d.kind === 'Role') new Role(d).validate();
    else if (d.kind === 'RoleBinding') new RoleBinding(d as never).validate();
    else throw new Error(`unexpected kind ${d.kind}`);
  }
  return docs;
}

describe('edgeai export kubernetes', () => {
  it('samples/mnist on the local topology: golden YAML and label commands, every object valid', async () => {
    const dir = tmp('edgeai-export-');
    const r = await run('kubernetes', MNIST, '-o', dir, '--image', 'edgeai-node:golden');
    expect(r.code).toBe(0);
    expect(r.out[0]).toMatch(/^wrote 6 objects \(1 Namespace, 1 Secret, 4 Pod\) for topology 'local'/);
    const yaml = readFileSync(join(dir, 'edgeai.yaml'), 'utf8');
    const labels = readFileSync(join(dir, 'label-nodes.sh'), 'utf8');
    await expect(yaml).toMatchFileSnapshot('./export-golden/mnist-local.yaml');
    await expect(labels).toMatchFileSnapshot('./export-golden/mnist-local-label-nodes.sh');
    const docs = parsed(yaml);
    expect(docs.map((d) => `${d.kind} ${d.metadata.name}`)).toEqual(['Namespace edgeai', 'Secret edgeai-mnist-agent', 'Pod edgeai-mnist-laptop', 'Pod edgeai-mnist-edge-1', 'Pod edgeai-mnist-edge-2', 'Pod edgeai-mnist-cloud-1']);
    // a secret never goes into a file: a placeholder to fill in
    expect(docs[1].stringData.secret).toMatch(/^REPLACE/);
    expect(docs[1].data).toBeUndefined();
    for (const d of docs) expect(d.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'edgeai-studio', 'edgeai.io/cluster': 'mnist' });
    const pods = docs.filter((d) => d.kind === 'Pod');
    expect(pods.map((p) => p.spec.nodeName)).toEqual(['laptop', 'edge-1', 'edge-2', 'cloud-1']);
    // the agent's secret comes from the Secret, not from the manifest
    expect(pods[0].spec.containers[0].env).toEqual([{ name: 'EDGEAI_AGENT_SECRET', valueFrom: { secretKeyRef: { name: 'edgeai-mnist-agent', key: 'secret' } } }]);
    expect(labels).toContain('kubectl label node cloud-1 --overwrite edgeai.io/device=xeon-cpu edgeai.io/type=cloud edgeai.io/network=cloud');
  });

  it('samples/face-assist with a Coral on edge-1 (device plugin resource): golden YAML and label commands, every object valid', async () => {
    const dir = tmp('edgeai-export-');
    const r = await run('kubernetes', FACE, '--topology', CORAL_TOPOLOGY, '-o', dir, '--image', 'edgeai-node:golden');
    expect(r.code).toBe(0);
    expect(r.out[0]).toMatch(/^wrote 6 objects \(1 Namespace, 1 Secret, 4 Pod\) for topology 'local-coral'/);
    const yaml = readFileSync(join(dir, 'edgeai.yaml'), 'utf8');
    const labels = readFileSync(join(dir, 'label-nodes.sh'), 'utf8');
    await expect(yaml).toMatchFileSnapshot('./export-golden/face-assist-coral.yaml');
    await expect(labels).toMatchFileSnapshot('./export-golden/face-assist-coral-label-nodes.sh');
    const docs = parsed(yaml);
    expect(docs.map((d) => `${d.kind} ${d.metadata.name}`)).toEqual(['Namespace edgeai', 'Secret edgeai-face-assist-agent', 'Pod edgeai-face-assist-laptop', 'Pod edgeai-face-assist-edge-1', 'Pod edgeai-face-assist-edge-2', 'Pod edgeai-face-assist-cloud-1']);
    expect(docs[1].stringData.secret).toMatch(/^REPLACE/);
    expect(docs[1].data).toBeUndefined();
    for (const d of docs) expect(d.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'edgeai-studio', 'edgeai.io/cluster': 'face-assist' });
    const pods = docs.filter((d) => d.kind === 'Pod');
    expect(pods.map((p) => p.spec.nodeName)).toEqual(['laptop', 'edge-1', 'edge-2', 'cloud-1']);
    // the stick: the device plugin's resource on edge-1, no privileged container anywhere
    expect(pods[1].spec.containers[0].resources.limits['squat.ai/coral']).toBe('1');
    for (const p of pods) expect(p.spec.containers.every((c: any) => c.securityContext?.privileged !== true)).toBe(true);
    for (const p of [pods[0], pods[2], pods[3]]) expect(p.spec.containers[0].resources.limits['squat.ai/coral']).toBeUndefined();
    // the capability the catalog's nuc lacks is a label, so cluster inspect maps edge-1 back with its tpu
    expect(labels).toMatch(/kubectl label node edge-1 --overwrite .*edgeai\.io\/capability\.tpu=true/);
  });

  it('--controller with this checkout\'s own images and no Docker: the controller image is not built, and it says how to build it elsewhere', async () => {
    const saved = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = `unix://${join(tmp('edgeai-nodocker-'), 'docker.sock')}`;
    try {
      const r = await run('kubernetes', MNIST, '-o', tmp('edgeai-export-'), '--controller');
      expect(r.code, r.out.join('\n')).toBe(0);
      const line = r.out.find((l) => l.startsWith('controller image '));
      expect(line).toMatch(/^controller image edgeai-controller:[0-9a-f]{24} not built: Docker is not running \(nothing answers at unix:\/\/.*docker\.sock\).*Run this export again where Docker runs to build it, then `docker save edgeai-controller:[0-9a-f]{24} \| sudo k3s ctr images import -`/);
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved;
    }
  }, 120_000);

  it('--controller: the headless controller (service account, RBAC, the project in a ConfigMap, a Deployment running the CLI in-cluster), golden, every object valid', async () => {
    const dir = tmp('edgeai-export-');
    const r = await run('kubernetes', MNIST, '-o', dir, '--image', 'edgeai-node:golden', '--controller');
    expect(r.code, r.out.join('\n')).toBe(0);
    expect(r.out[0]).toMatch(/^wrote 8 objects \(1 Namespace, 1 ServiceAccount, 1 ClusterRole, 1 ClusterRoleBinding, 1 Role, 1 RoleBinding, 1 ConfigMap, 1 Deployment\) for topology 'local'/);
    expect(r.out[1]).toMatch(/load edgeai-node:golden on every node and edgeai-controller:golden where the controller runs/);
    const yaml = readFileSync(join(dir, 'edgeai.yaml'), 'utf8');
    await expect(yaml).toMatchFileSnapshot('./export-golden/mnist-controller.yaml');
    const docs = parsed(yaml);
    // the controller creates the Secret and the agent pods itself: none in the file
    expect(docs.map((d) => `${d.kind} ${d.metadata.name}`)).toEqual(['Namespace edgeai', 'ServiceAccount edgeai-mnist-controller', 'ClusterRole edgeai-mnist-controller', 'ClusterRoleBinding edgeai-mnist-controller', 'Role edgeai-mnist-controller', 'RoleBinding edgeai-mnist-controller', 'ConfigMap edgeai-mnist-project', 'Deployment edgeai-mnist-controller']);
    // nothing here carries the cluster's label: `cluster down` deletes by it and must not take the controller or its namespace
    for (const d of docs) expect(d.metadata.labels['edgeai.io/cluster']).toBeUndefined();
    const by = (kind: string) => docs.find((d) => d.kind === kind)!;
    const dep = by('Deployment');
    expect(dep.spec.strategy.type).toBe('Recreate');
    expect(dep.spec.replicas).toBe(1);
    const pod = dep.spec.template.spec;
    expect(pod.serviceAccountName).toBe('edgeai-mnist-controller');
    expect(pod.containers[0].image).toBe('edgeai-controller:golden');
    // the controller builds no agent: it names the node image its pods run
    expect(pod.containers[0].env).toEqual([{ name: 'EDGEAI_NODE_IMAGE', value: 'edgeai-node:golden' }]);
    // images named by the user: the export builds none (it says nothing of building)
    expect(r.out.some((l) => /controller image .* (not built|built|found)/.test(l))).toBe(false);
    const script: string = pod.containers[0].command[2];
    expect(script.split('\n')).toEqual([
      'set -e',
      'find /state -mindepth 1 -delete',
      'cp -RL /project-src/* /project/',
      'edgeai cluster up --backend kubernetes --kubeconfig in-cluster --namespace edgeai --home /state --cluster mnist',
      'edgeai deploy /project --home /state --cluster mnist',
      'exec edgeai gateway --port 8080 --home /state --cluster mnist',
    ]);
    // the project's files, back at their paths, byte for byte (tests left out)
    const cm = by('ConfigMap');
    const items: Array<{ key: string; path: string }> = pod.volumes.find((v: any) => v.name === 'project-src').configMap.items;
    expect(items.map((i) => i.path)).toEqual(['functions/inference.ts', 'functions/refine.ts', 'functions/train_fair.ts', 'functions/train.ts', 'layout.json', 'workflow.json'].sort((a, b) => a.localeCompare(b)));
    for (const i of items) expect(cm.data[i.key]).toBe(readFileSync(join(MNIST, i.path), 'utf8'));
    // RBAC: the endpoints the backend uses (kubernetes-cli.int.test.ts lists them), no more
    expect(by('ClusterRole').rules).toEqual([
      { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'create', 'delete'] },
    ]);
    expect(by('Role').rules.map((x: any) => `${x.resources[0]}: ${x.verbs.join(',')}`)).toEqual(['pods: get,list,watch,create,delete', 'pods/proxy: get,create,update', 'secrets: get,list,create,delete']);
    for (const b of [by('RoleBinding'), by('ClusterRoleBinding')]) expect(b.subjects).toEqual([{ kind: 'ServiceAccount', name: 'edgeai-mnist-controller', namespace: 'edgeai' }]);
    await expect(run('kubernetes', MNIST, '-o', dir, '--controller-image', 'x')).rejects.toThrow(/--controller-image goes with --controller/);
  });

  it('the labels it writes map back to the same nodes (cluster inspect reads them)', () => {
    const t = topologyByName('local');
    const out = exportKubernetes({ cluster: 'c', namespace: 'edgeai', image: 'i', topology: t });
    const script = out.labels.split('\n').filter((l) => l.startsWith('kubectl label node '));
    const nodes: KubeNode[] = script.map((l) => {
      const [, name, rest] = /^kubectl label node (\S+) --overwrite (.*)$/.exec(l)!;
      const pairs = rest.split(' ').map((p) => p.split('='));
      const n = t.nodes.find((x) => x.name === name)!;
      return { metadata: { name, labels: Object.fromEntries(pairs) }, status: { allocatable: { cpu: `${n.cpuMillis}m`, memory: String(n.memoryBytes) }, conditions: [{ type: 'Ready', status: 'True' }] } };
    });
    const back = topologyFromNodes(nodes).topology;
    expect(back.nodes.map((n) => [n.name, n.device, n.type, n.network])).toEqual(t.nodes.map((n) => [n.name, n.device, n.type, n.network]));
  });

  it('a Coral node: the device plugin resource when the node has one, else privileged only on opt-in', () => {
    const base = topologyByName('local');
    const t = { ...base, nodes: base.nodes.map((n) => (n.name === 'edge-1' ? { ...n, capabilities: [...n.capabilities, 'tpu'] } : n)) };
    const pod = (tt: typeof t, privilegedUsb = false) => (parsed(exportKubernetes({ cluster: 'c', namespace: 'edgeai', image: 'i', topology: tt, privilegedUsb }).yaml) as any[]).find((d) => d.kind === 'Pod' && d.spec.nodeName === 'edge-1');
    const without = pod(t);
    expect(without.metadata.annotations['edgeai.io/usb']).toMatch(/runs without the stick/);
    expect(without.spec.containers[0].securityContext.privileged).toBeUndefined();
    const privileged = pod(t, true);
    expect(privileged.spec.containers[0].securityContext.privileged).toBe(true);
    expect(privileged.spec.volumes.find((v: any) => v.name === 'usb').hostPath.path).toBe('/dev/bus/usb');
    const withPlugin = { ...t, nodes: t.nodes.map((n) => (n.name === 'edge-1' ? { ...n, labels: { ...n.labels, [USB_RESOURCE_LABEL]: 'squat.ai/coral' } } : n)) };
    const plugged = pod(withPlugin, true);
    expect(plugged.spec.containers[0].resources.limits['squat.ai/coral']).toBe('1');
    expect(plugged.spec.containers[0].securityContext.privileged).toBeUndefined();
  });

  it('refuses what it cannot do, saying how to call it', async () => {
    await expect(run('helm', MNIST, '-o', tmp('edgeai-export-'))).rejects.toThrow(/expected 'kubernetes'/);
    await expect(run('kubernetes', MNIST)).rejects.toThrow(/expected -o <dir>/);
  });
});
