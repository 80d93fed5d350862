/**
 * A Kubernetes node's agent follows its stick (issue 14), as a docker node's does
 * (docker-sticks.int.test.ts): the laptop of a kubernetes cluster has the Coral of a fake sysfs
 * tree (this machine has no USB bus). Its agent pod gets the tree `up` attached the stick from —
 * a hostPath volume of that path mounted read-only at it, and EDGEAI_SYSFS_ROOT (backend.ts
 * sysfsTreeToMount; with /sys a pod's own /sys is its node's) — so it reports the stick present;
 * unplugged, the laptop loses tpu and `cluster status` says so. Against the test API server
 * (testing/fake-apiserver.ts) whose pods are real local agents: its kubelet gives a container
 * EDGEAI_SYSFS_ROOT only where that hostPath is mounted, as a real one would.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Controller } from '../controller';
import { buildAgent } from '../build';
import { FakeApiServer } from '../testing/fake-apiserver';
import { tempDirs } from '../testing/temp';
import { until } from '../testing/until';
import { fakeNode } from './kubernetes-nodes';
import { agentPod } from './kubernetes/manifests';
import { coralReady, FakeSysfs } from '../../accelerators/testing/fake-sysfs';
import { discoverAccelerators } from '../../accelerators/discover';
import { withAccelerators } from '../../accelerators/attach';
import { localCluster } from '../../topology/scenarios';

const tmp = tempDirs();

describe('the agent pod of an accelerator node', () => {
  const launch = { cluster: 'c1', name: 'laptop', cpuMillis: 1000, memoryBytes: 1 << 30, labels: {}, network: 'lan', usb: true };
  const containerOf = (pod: Record<string, unknown>) => (pod as { spec: { containers: Array<{ env: Array<{ name: string; value?: string }>; volumeMounts: Array<{ name: string; mountPath: string; readOnly?: boolean }> }>; volumes: Array<{ name: string; hostPath?: { path: string; type?: string } }> } }).spec;

  it('mounts a sysfs tree other than /sys read-only at its own path and names it in EDGEAI_SYSFS_ROOT; /sys and nodes without sticks get nothing', () => {
    const spec = containerOf(agentPod({ ...launch, sysfsRoot: '/tmp/fake/sys' }, { namespace: 'edgeai', image: 'edgeai-agent:x' }));
    expect(spec.containers[0].env).toContainEqual({ name: 'EDGEAI_SYSFS_ROOT', value: '/tmp/fake/sys' });
    expect(spec.containers[0].volumeMounts).toContainEqual({ name: 'sysfs', mountPath: '/tmp/fake/sys', readOnly: true });
    expect(spec.volumes).toContainEqual({ name: 'sysfs', hostPath: { path: '/tmp/fake/sys', type: 'Directory' } });
    for (const other of [{ ...launch, sysfsRoot: '/sys' }, { ...launch, sysfsRoot: '/sys/' }, { ...launch, usb: false, sysfsRoot: '/tmp/fake/sys' }]) {
      const s = containerOf(agentPod(other, { namespace: 'edgeai', image: 'edgeai-agent:x' }));
      expect(s.containers[0].env.map((e) => e.name)).not.toContain('EDGEAI_SYSFS_ROOT');
      expect(s.volumes.map((v) => v.name)).not.toContain('sysfs');
    }
  });
});

describe('a kubernetes node\'s agent follows its stick', () => {
  const fs = new FakeSysfs();
  let fake: FakeApiServer | undefined;
  let c: Controller | undefined;
  const saved = process.env.KUBECONFIG;
  const laptop = () => c!.status().nodes.find((n) => n.name === 'laptop')!;

  beforeAll(async () => {
    fs.plug(coralReady('1-1.2', 6));
    execFileSync('chmod', ['-R', 'a+rX', fs.root]);
    const dir = tmp('edgeai-k8s-sticks-');
    fake = await FakeApiServer.start({ nodes: [fakeNode('laptop', 'amd64'), fakeNode('edge-1', 'arm64'), fakeNode('edge-2', 'arm64'), fakeNode('cloud-1', 'amd64')], build: await buildAgent(), dir });
    process.env.KUBECONFIG = fake.writeKubeconfig(join(dir, 'kubeconfig'));
    c = await Controller.open({ home: tmp('edgeai-k8s-sticks-home-'), cluster: `ksticks-${process.pid}`, heartbeatMs: 300, notReadyAfterMs: 5000 });
    // as the studio's service does with its own tree (a fake one here)
    c.sticksUnder(fs.sysfsRoot);
    await c.up({ backend: 'kubernetes', topology: withAccelerators(localCluster(), discoverAccelerators({ sysfsRoot: fs.sysfsRoot, devRoot: fs.devRoot }), 'laptop') });
  }, 180_000);

  afterAll(async () => {
    await c?.down().catch((e: Error) => console.warn('[kubernetes-sticks] down:', e.message));
    c?.close();
    if (saved === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = saved;
    await fake?.close();
    fs.dispose();
  }, 60_000);

  it('the pod\'s agent sees the stick in the tree it was attached from; unplugged, the laptop loses tpu', async () => {
    await c!.heartbeat();
    expect(laptop().capabilities).toContain('tpu');
    const seen = await until('the laptop agent to report its sticks', async () => (await c!.heartbeat()).nodes.find((n) => n.name === 'laptop')!.accelerators?.seen, 20_000);
    expect(seen).toEqual([expect.objectContaining({ kind: 'coral', port: '1-1.2', state: 'ready' })]);
    expect((laptop().health as { accelerators?: { sysfsRoot: string } }).accelerators!.sysfsRoot).toBe(fs.sysfsRoot);
    fs.unplug('1-1.2');
    await until('the laptop to lose tpu', async () => ((await c!.heartbeat()).nodes.find((n) => n.name === 'laptop')!.capabilities.includes('tpu') ? undefined : true), 20_000);
    expect(laptop().accelerators!.lines[0]).toMatch(/^tpu: lost since .*\(its Coral USB Accelerator is unplugged \(its node agent saw it leave\)\)/);
  }, 60_000);
});
