import { describe, expect, it, onTestFinished } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEVICES,
  GiB,
  MiB,
  NetworkGraph,
  TopologyError,
  loadTopology,
  parseTopology,
  resolveTopologyArg,
  saveTopology,
  topologyByName,
  ScenarioError,
} from './index';

const minimal = () => ({
  name: 't',
  networks: [
    { name: 'lan', kind: 'lan' },
    { name: 'wan', kind: 'wan' },
  ],
  nodes: [
    { name: 'a', device: 'rpi3', type: 'edge', network: 'lan' },
    { name: 'b', device: 'nuc', type: 'edge', network: 'wan', capabilities: ['gpu'] },
  ],
  links: [{ from: 'lan', to: 'wan', upMbps: 25, downMbps: 100, latencyMs: 10 }],
  registry: { at: ['wan'] },
});

describe('device catalog (docs/reference.md §4)', () => {
  it('has every device with its specs', () => {
    for (const id of ['rpi3', 'rpi4', 'rockpi', 'coral', 'nano', 'tx2', 'nx', 'nuc', 'xeon-cpu', 'xeon-gpu', 'cloudlet', 'laptop']) expect(DEVICES[id], id).toBeDefined();
    expect(DEVICES.rpi3).toMatchObject({ arch: 'arm', cores: 4, memoryBytes: 976 * MiB });
    expect(DEVICES.rockpi).toMatchObject({ arch: 'arm64', cores: 6, memoryBytes: 4 * GiB });
    expect(DEVICES.coral.capabilities).toContain('tpu');
    expect(DEVICES.nuc).toMatchObject({ arch: 'amd64', cores: 4, memoryBytes: 16 * GiB });
    expect(DEVICES.cloudlet.cores).toBe(88);
    expect(DEVICES.laptop.defaultType).toBe('user_device');
  });
  it('has the execution-time table, with gaps where §4 has –', () => {
    expect(DEVICES.rpi3.exec['resnet-inference-cpu']).toBe(5.095);
    expect(DEVICES.tx2.exec['resnet-training-gpu']).toBe(228.1);
    expect(DEVICES.coral.exec['mobilenet-inference-tpu']).toBe(0.548);
    expect(DEVICES.rpi3.exec['resnet-inference-gpu']).toBeUndefined();
    expect(DEVICES.nuc.exec['resnet-training-cpu']).toBe(197.4);
    expect(DEVICES['xeon-cpu'].slowdown).toBeCloseTo(1, 12);
    expect(DEVICES.rpi3.slowdown).toBeGreaterThan(DEVICES.nuc.slowdown);
  });
});

describe('topology.json', () => {
  it('fills node fields from the device profile and implies host links', () => {
    const t = parseTopology(minimal());
    expect(t.nodes[0]).toMatchObject({ arch: 'arm', cpuMillis: 4000, memoryBytes: 976 * MiB, capabilities: [], storage: false, noSchedule: false });
    expect(t.nodes[1].capabilities).toEqual(['gpu']);
    expect(t.links.filter((l) => l.implied)).toHaveLength(2);
  });

  it('names the offending node, network and link in every error', () => {
    const raw = minimal();
    raw.nodes[0].device = 'rpi5';
    raw.nodes[1].network = 'wna';
    (raw.nodes[1] as { capabilities: string[] }).capabilities = ['tpux'];
    raw.links.push({ from: 'lan', to: 'internet', upMbps: 1, downMbps: 1, latencyMs: 1 });
    raw.registry.at = ['nowhere'];
    let err: TopologyError | undefined;
    try {
      parseTopology(raw, 'topology.json');
    } catch (e) {
      err = e as TopologyError;
    }
    expect(err).toBeInstanceOf(TopologyError);
    const m = err!.message;
    expect(m).toContain("topology.json");
    expect(m).toContain("node 'a': unknown device 'rpi5' (did you mean 'rpi3'?)");
    expect(m).toContain("node 'b': home network 'wna' is not declared (did you mean 'wan'?)");
    expect(m).toContain("unknown capability 'tpux' (did you mean 'tpu'?)");
    expect(m).toContain("link lan → internet (links[1]): unknown endpoint 'internet'");
    expect(m).toContain("registry: registry location 'nowhere'");
  });

  it('reports schema errors by node name and field', () => {
    const raw = minimal() as unknown as { nodes: Array<Record<string, unknown>> };
    raw.nodes[1].cpuMillis = -5;
    raw.nodes[1].type = 'fog';
    expect(() => parseTopology(raw)).toThrow(/node 'b' field 'cpuMillis'/);
    expect(() => parseTopology(raw)).toThrow(/node 'b' field 'type'/);
  });

  it('rejects duplicate names, self links and disconnected nodes', () => {
    const dup = minimal();
    dup.nodes.push({ name: 'lan', device: 'nuc', type: 'edge', network: 'lan' });
    expect(() => parseTopology(dup)).toThrow(/node 'lan': the name 'lan' is used twice/);
    const self = minimal();
    self.links.push({ from: 'wan', to: 'wan', upMbps: 1, downMbps: 1, latencyMs: 0 });
    expect(() => parseTopology(self)).toThrow(/link wan → wan \(links\[1\]\): a link cannot join/);
    const apart = minimal();
    apart.links = [];
    expect(() => parseTopology(apart)).toThrow(/node 'b': cannot reach node 'a'/);
  });

  it('saves and loads back the same topology', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'topo-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const t = topologyByName('industrial-iot:sites=2');
    const path = join(dir, 'topology.json');
    await saveTopology(path, t);
    const back = await loadTopology(path);
    expect(back).toEqual(t);
    expect(readFileSync(path, 'utf8')).not.toContain('"implied"');
    writeFileSync(join(dir, 'bad.json'), '{ nope');
    await expect(loadTopology(join(dir, 'bad.json'))).rejects.toThrow(/bad.json: invalid topology:\n {2}\(file\): not valid JSON/);
    await expect(resolveTopologyArg(path)).resolves.toEqual(t);
  });
});

describe('routes (docs/reference.md §5)', () => {
  it('takes the bottleneck per direction and RTT = 2·Σ latency', () => {
    const g = new NetworkGraph(parseTopology(minimal()));
    const r = g.route('a', 'b');
    expect(r.path).toEqual(['a', 'lan', 'wan', 'b']);
    expect(r.networks).toEqual(['lan', 'wan']);
    expect(r.bandwidthBps).toBe(25 * 125_000); // uplink lan → wan 25 Mbit/s
    expect(r.reverseBandwidthBps).toBe(100 * 125_000); // downlink 100 Mbit/s
    expect(r.rttMs).toBeCloseTo(2 * (0.52 + 10 + 0.52), 10);
    expect(g.route('a', 'a')).toMatchObject({ bandwidthBps: 10000 * 125_000, rttMs: 0 });
  });

  it('finds one route (between) exactly as the whole row from its source does, on random meshes with equal-length paths', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 9 }), fc.array(fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 })), { maxLength: 14 }), fc.array(fc.nat(), { minLength: 1, maxLength: 8 }), (nets, extra, at) => {
        const networks = Array.from({ length: nets }, (_, i) => ({ name: `n${i}`, kind: 'lan' }));
        // a chain keeps every network reachable; the extra links make cycles and ties between equal paths
        const links = networks.slice(1).map((n, i) => ({ from: `n${i}`, to: n.name, upMbps: 100 * (1 + (i % 3)), downMbps: 50, latencyMs: 1 + i }));
        const joined = new Set(links.map((l) => [l.from, l.to].sort().join()));
        for (const [a, b, up, down] of extra) if (a % nets !== b % nets && !joined.has([`n${a % nets}`, `n${b % nets}`].sort().join()) && joined.add([`n${a % nets}`, `n${b % nets}`].sort().join())) links.push({ from: `n${a % nets}`, to: `n${b % nets}`, upMbps: 10 * up, downMbps: 10 * down, latencyMs: up + down });
        const nodes = at.map((x, i) => ({ name: `v${i}`, device: 'rpi3', type: 'edge', network: `n${x % nets}` }));
        const t = parseTopology({ name: 'mesh', networks, nodes, links, registry: { at: ['n0'] } });
        const whole = new NetworkGraph(t);
        const single = new NetworkGraph(t);
        for (let a = 0; a < whole.vertexCount; a++) {
          const row = whole.routesFrom(a);
          for (let b = 0; b < whole.vertexCount; b++) {
            expect(single.between(a, b)).toEqual({ bwFrom: row.bwFrom[b], bwTo: row.bwTo[b], latencyMs: row.latencyMs[b], path: whole.pathTo(row, b) });
            // from the row, once it exists, the same answer
            expect(whole.between(a, b)).toEqual(single.between(a, b));
          }
        }
      }),
      { numRuns: 150, seed: 15 },
    );
  });

  it('reproduces the Skippy testbed bandwidths (docs/reference.md §2)', () => {
    const g = new NetworkGraph(topologyByName('skippy-testbed'));
    expect(g.route('rpi3-0', 'nuc-1').bandwidthBps).toBe(1.25e7);
    expect(g.route('cloud-vm', 'tx2').bandwidthBps).toBe(1.25e6);
    expect(g.route('tx2', 'cloud-vm').bandwidthBps).toBe(1.25e6);
    expect(g.route('nuc-0', 'nuc-0').bandwidthBps).toBe(1.25e9);
  });
});

describe('scenarios', () => {
  it('generates the docs/reference.md §2/§3 sizes', () => {
    expect(topologyByName('urban-sensing').nodes).toHaveLength(91); // "four cells ≈ 91 nodes"
    expect(topologyByName('urban-sensing:cells=8').nodes).toHaveLength(8 * 22 + Math.ceil(8 * 21 * 0.03));
    expect(topologyByName('industrial-iot').nodes).toHaveLength(120); // "ten sites ≈ 120 nodes"
    const cr = topologyByName('cloud-regions');
    expect(cr.nodes).toHaveLength(450);
    expect(cr.nodes.filter((n) => n.name.startsWith('region-0-'))).toHaveLength(225);
    expect(cr.nodes.filter((n) => n.name.startsWith('region-0-') && n.storage)).toHaveLength(23); // 10%
    expect(cr.nodes.filter((n) => n.name.startsWith('region-1-') && n.storage)).toHaveLength(6); // 5% of 112
    expect(cr.registry.at).toEqual(['region-0', 'region-1', 'region-2']);
    const tb = topologyByName('skippy-testbed');
    expect(tb.nodes.map((n) => n.device).sort()).toEqual(['nuc', 'nuc', 'rpi3', 'rpi3', 'rpi3', 'rpi3', 'tx2', 'xeon-cpu']);
  });

  it('models the local cluster for the samples: the laptop is the local user_device', () => {
    const t = topologyByName('local');
    const laptop = t.nodes.find((n) => n.name === 'laptop')!;
    expect(laptop).toMatchObject({ type: 'user_device', network: 'local' });
    expect(t.nodes.filter((n) => n.type === 'edge').every((n) => n.capabilities.length === 0 && n.network === 'local')).toBe(true);
    expect(t.nodes.some((n) => n.type === 'cloud')).toBe(true);
  });

  it('explains unknown scenarios and options', () => {
    expect(() => topologyByName('urban-sensin')).toThrow(/unknown topology scenario 'urban-sensin' \(did you mean 'urban-sensing'\?\)/);
    expect(() => topologyByName('urban-sensing:cell=3')).toThrow(/no option 'cell' \(did you mean 'cells'\?\)/);
    expect(() => topologyByName('urban-sensing:cells=0')).toThrow(ScenarioError);
    expect(() => topologyByName('local:x=1')).toThrow(/it takes no options/);
  });
});
