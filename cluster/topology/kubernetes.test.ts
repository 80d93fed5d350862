import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bytesOf, cpuMillisOf, describeMapping, topologyFromNodes, USB_RESOURCE_LABEL, type KubeNode } from './kubernetes';
import { MiB } from './catalog';

/** A recorded `kubectl get nodes -o json` of each kind of cluster (kubernetes-fixtures/). */
const nodes = (f: string): KubeNode[] => JSON.parse(readFileSync(fileURLToPath(new URL(`./kubernetes-fixtures/${f}`, import.meta.url)), 'utf8')).items;

describe('topology from a Kubernetes node list', () => {
  it('reads quantities as Kubernetes writes them', () => {
    expect(cpuMillisOf('3500m')).toBe(3500);
    expect(cpuMillisOf('4')).toBe(4000);
    expect(bytesOf('8129880Ki')).toBe(8129880 * 1024);
    expect(bytesOf('16Gi')).toBe(16 * 1024 ** 3);
    expect(bytesOf('1G')).toBe(1e9);
    expect(bytesOf('59537112337')).toBe(59537112337);
    expect(bytesOf('lots')).toBeUndefined();
  });

  it('k3s: our labels, Skippy locality and capability labels, nvidia.com/gpu, allocatable, a NotReady node', () => {
    const m = topologyFromNodes(nodes('k3s-nodes.json'));
    const t = m.topology;
    const n = (name: string) => t.nodes.find((x) => x.name === name)!;
    expect(t.nodes.map((x) => [x.name, x.device, x.type, x.network])).toEqual([
      ['k3s-server', 'xeon-cpu', 'cloud', 'dc'],
      ['rpi4-kitchen', 'rockpi', 'edge', 'home'],
      ['jetson-nano-1', 'nano', 'edge', 'home'],
      ['rpi3-garage', 'rpi3', 'edge', 'edge'],
    ]);
    // allocatable, not capacity
    expect(n('jetson-nano-1').cpuMillis).toBe(3500);
    expect(n('jetson-nano-1').memoryBytes).toBe(3846216 * 1024);
    expect(n('jetson-nano-1').capabilities).toEqual(['cuda', 'gpu']);
    expect(n('rpi4-kitchen').capabilities).toEqual(['camera']);
    expect(n('rpi3-garage').arch).toBe('arm');
    // bandwidths from labels where given, assumed (and said) where not
    expect(t.links.filter((l) => !l.implied).map((l) => [l.from, l.to, l.upMbps, l.downMbps, l.latencyMs])).toEqual([
      ['dc', 'internet', 1000, 1000, 0.52],
      ['home', 'internet', 40, 250, 9],
      ['edge', 'internet', 50, 500, 7.72],
    ]);
    expect(t.networks.find((x) => x.name === 'dc')!.kind).toBe('datacenter');
    expect(m.assumed).toEqual(expect.arrayContaining([
      expect.stringMatching(/^node rpi4-kitchen: device rockpi \(guessed from arm64, 3793 MiB\)/),
      expect.stringMatching(/^node rpi3-garage: type edge \(no edgeai.io\/type/),
      expect.stringMatching(/^link edge → internet: up 50 Mbit\/s, down 500 Mbit\/s, 7.72 ms/),
      expect.stringMatching(/^node rpi3-garage: network edge/),
    ]));
    expect(m.missing).toEqual([expect.stringMatching(/^node rpi3-garage: not Ready in Kubernetes \(NodeStatusUnknown\)/)]);
    expect(m.nodes.find((r) => r.node === 'rpi3-garage')!.ready).toBe(false);
    expect(m.nodes.find((r) => r.node === 'k3s-server')!.from).toMatchObject({ device: 'label edgeai.io/device', type: 'label locality.skippy.io/type', network: 'label edgeai.io/network', cpuMillis: 'allocatable' });
  });

  it('KubeEdge: edge nodes by node-role.kubernetes.io/edge, networks from zones, an unknown capability label reported', () => {
    const m = topologyFromNodes(nodes('kubeedge-nodes.json'));
    const t = m.topology;
    expect(t.nodes.map((x) => [x.name, x.device, x.type, x.network, x.capabilities.join(',')])).toEqual([
      ['cloudcore-0', 'nuc', 'edge', 'edge', ''],
      ['edge-rpi-01', 'rpi4', 'edge', 'plant-a', ''],
      ['edge-nx-02', 'nx', 'edge', 'plant-a', 'cuda,gpu'],
    ]);
    expect(m.nodes.find((r) => r.node === 'edge-rpi-01')!.from.type).toBe('label node-role.kubernetes.io/edge');
    // the control plane's NoSchedule taint: the scheduler skips it; KubeEdge's edge taint does not count
    expect(t.nodes.find((x) => x.name === 'cloudcore-0')!.noSchedule).toBe(true);
    expect(t.nodes.find((x) => x.name === 'edge-rpi-01')!.noSchedule).toBe(false);
    expect(m.missing).toEqual([expect.stringMatching(/^node edge-nx-02: label edgeai.io\/capability.quantum names no capability we know/)]);
    expect(m.assumed).toEqual(expect.arrayContaining([expect.stringMatching(/^node cloudcore-0: type edge \(no /), expect.stringMatching(/^node edge-nx-02: device nx \(guessed from arm64, a GPU, 7657 MiB\)/)]));
  });

  it("the generic device plugin's squat.ai/coral: tpu, and the resource the backend asks for", () => {
    const m = topologyFromNodes(nodes('coral-device-plugin-nodes.json'));
    const pi = m.topology.nodes.find((x) => x.name === 'lab-pi-coral')!;
    expect(pi.capabilities).toEqual(['tpu']);
    expect(pi.labels[USB_RESOURCE_LABEL]).toBe('squat.ai/coral');
    expect(m.nodes.find((r) => r.node === 'lab-pi-coral')!.from.capabilities).toMatch(/resource squat.ai\/coral/);
    expect(m.topology.nodes.find((x) => x.name === 'lab-storage')!.storage).toBe(true);
    expect(m.topology.nodes.find((x) => x.name === 'lab-nuc')!.capabilities).toEqual([]);
    expect(describeMapping(m).join('\n')).toMatch(/lab-pi-coral .*tpu,usb:squat.ai\/coral/);
  });

  it('a topology file naming the nodes wins for them; unlisted nodes are skipped; an unknown name is refused', () => {
    const list = nodes('coral-device-plugin-nodes.json');
    const file = {
      name: 'lab',
      networks: [{ name: 'bench', kind: 'lan' as const }],
      nodes: [
        { name: 'lab-nuc', device: 'nuc', type: 'user_device' as const, network: 'bench' },
        { name: 'lab-pi-coral', device: 'rpi4', type: 'edge' as const, network: 'bench' },
      ],
      registry: { at: ['lab-nuc'] },
    };
    const m = topologyFromNodes(list, { file, fileSource: 'lab.json' });
    expect(m.topology.nodes.map((n) => [n.name, n.type, n.cpuMillis, n.memoryBytes])).toEqual([
      ['lab-nuc', 'user_device', 4000, 16303288 * 1024],
      ['lab-pi-coral', 'edge', 4000, 3782016 * 1024],
    ]);
    expect(m.topology.nodes[1].labels[USB_RESOURCE_LABEL]).toBe('squat.ai/coral');
    expect(m.nodes.find((r) => r.node === 'lab-storage')!.skipped).toBe('not in lab.json');
    expect(() => topologyFromNodes(list, { file: { ...file, nodes: [...file.nodes, { name: 'lab-ghost', device: 'nuc', type: 'edge' as const, network: 'bench' }] }, fileSource: 'lab.json' })).toThrow(/lab.json names node lab-ghost that the cluster does not have/);
    expect(MiB).toBe(1048576);
  });
});
