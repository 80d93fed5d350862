/**
 * Skippy and kube-default against values computed by hand from the docs/reference.md §1 formulas on
 * the Skippy testbed (§2) with the three ML workflow images. Arithmetic is in the comments.
 */
import { describe, expect, it } from 'vitest';
import { ML_WORKFLOW_IMAGES as IMG, MiB, GiB, parseTopology, topologyByName } from '../topology';
import { buildSnapshot, numFeasibleNodesToFind, profileByName, requirements, schedule, type ScheduleResult } from './index';

const KiB = 1024;
// §2 pods; the data lives on nuc-0 (our choice for the test)
const preprocess = requirements('preprocess', {
  memoryBytes: 100 * MiB,
  images: [IMG.preprocess],
  inputs: [{ urn: 'raw', size: 12 * MiB, locations: ['nuc-0'] }],
  outputs: [{ urn: 'train-data', size: 209 * MiB, locations: ['nuc-0'] }],
});
const train = requirements('train', {
  memoryBytes: 1 * GiB,
  images: [IMG.train],
  capabilities: ['gpu', 'cuda'],
  capabilityValues: { cuda: '10' },
  inputs: [{ urn: 'train-data', size: 209 * MiB, locations: ['nuc-0'] }],
  outputs: [{ urn: 'model', size: 1500 * KiB, locations: ['nuc-0'] }],
});
const serve = requirements('serve', { images: [IMG.serve], inputs: [{ urn: 'model', size: 1500 * KiB, locations: ['nuc-0'] }] });

function scoresOf(r: ScheduleResult): Record<string, Record<string, [number, number]> & { total: number }> {
  const out: Record<string, Record<string, [number, number]> & { total: number }> = {};
  for (const n of r.explanation!.nodes) {
    if (!n.scores) continue;
    const row = { total: n.total! } as Record<string, [number, number]> & { total: number };
    for (const s of n.scores) row[s.plugin] = [s.raw, s.normalised];
    out[n.node] = row;
  }
  return out;
}

describe('skippy profile on the Skippy testbed (docs/reference.md §1, §2)', () => {
  const snap = buildSnapshot(topologyByName('skippy-testbed'));
  const skippy = profileByName('skippy');

  it('places preprocess: every plugin value by hand', () => {
    const r = schedule(snap, skippy, preprocess, { explain: true });
    const s = scoresOf(r);
    // BalancedResource rpi3: cf = 100/4000 = .025, mf = 100/976 = .1025 → int((1−.0775)·10) = 9
    // cloud: mf = 100/7987.2 = .0125 → int(9.87) = 9
    for (const n of Object.keys(s)) expect(s[n].BalancedResource, n).toEqual([9, 9]);
    // LatencyAwareImageLocality: t = int(size/1.25e7): arm 465830200 → 37, arm64 540391110 → 43, amd64 533323136 → 42
    // reduce: max 43, min 37: int(10·(43−t+37)/43): 37 → 10, 42 → 8, 43 → 8
    expect(s['rpi3-0'].LatencyAwareImageLocality).toEqual([37, 10]);
    expect(s.tx2.LatencyAwareImageLocality).toEqual([43, 8]);
    expect(s['nuc-1'].LatencyAwareImageLocality).toEqual([42, 8]);
    expect(s['cloud-vm'].LatencyAwareImageLocality).toEqual([42, 8]);
    // LocalityType: edge 10, cloud 0
    expect(s['cloud-vm'].LocalityType).toEqual([0, 0]);
    expect(s.tx2.LocalityType).toEqual([10, 10]);
    // DataLocality: receive 12 MiB = 12582912 B, send 209 MiB = 219152384 B, both nuc-0
    // edge: int(12582912/1.25e7)=1 + int(219152384/1.25e7)=17 → 18; cloud: 10 + 175 = 185; nuc-0: 0
    // scaleInverse (min 0, max 185): 18 → int(167/185·10) = 9, 185 → 0, 0 → 10
    expect(s['rpi3-2'].DataLocality).toEqual([18, 9]);
    expect(s['cloud-vm'].DataLocality).toEqual([185, 0]);
    expect(s['nuc-0'].DataLocality).toEqual([0, 10]);
    // Capability: the pod carries none → all 0
    expect(s.tx2.Capability).toEqual([0, 0]);
    // totals: rpi3 9+10+10+9 = 38, nuc-0 9+8+10+10 = 37, tx2 9+8+10+9 = 36, cloud 9+8 = 17
    expect(s['rpi3-0'].total).toBe(38);
    expect(s['rpi3-3'].total).toBe(38);
    expect(s['nuc-0'].total).toBe(37);
    expect(s.tx2.total).toBe(36);
    expect(s['cloud-vm'].total).toBe(17);
    // four rpi3 tie at 38: the first in iteration order (round-robin start 0) wins
    expect(r.node).toBe('rpi3-0');
    expect(r.score).toBe(38);
    expect(r.neededImages).toEqual([IMG.preprocess.name]);
    // reservation: 100 m and 100 MiB off rpi3-0, image recorded
    const v = snap.nodeIndex('rpi3-0');
    expect(snap.cpuFree[v]).toBe(3900);
    expect(snap.memFree[v]).toBe(876 * MiB);
    expect(snap.hasImage(v, IMG.preprocess.name)).toBe(true);
    // last feasible node is nuc-1 (index 7) → next start (7 + 1) % 8 = 0
    expect(snap.rrIndex).toBe(0);
  });

  it('places train on the TX2', () => {
    const r = schedule(snap, skippy, train, { explain: true });
    // PodFitsResources: 1 GiB > 976 MiB (876 MiB on rpi3-0) removes the four rpi3
    const filtered = r.explanation!.nodes.filter((n) => n.status === 'filtered');
    expect(filtered.map((n) => n.node)).toEqual(['rpi3-0', 'rpi3-1', 'rpi3-2', 'rpi3-3']);
    expect(filtered.every((n) => n.filter === 'PodFitsResources')).toBe(true);
    const s = scoresOf(r);
    // Balanced: cf .025; mf cloud 1024/7987.2 = .128 → 8; tx2 1024/7884.8 = .130 → 8; nuc 1024/16384 = .0625 → 9
    expect(s['cloud-vm'].BalancedResource[1]).toBe(8);
    expect(s.tx2.BalancedResource[1]).toBe(8);
    expect(s['nuc-0'].BalancedResource[1]).toBe(9);
    // LatencyAware: amd64 550683347/1.25e7 → 44, arm64 594174340/1.25e7 → 47; max 47 min 44:
    // 44 → int(10·47/47) = 10, 47 → int(10·44/47) = 9
    expect(s['cloud-vm'].LatencyAwareImageLocality).toEqual([44, 10]);
    expect(s.tx2.LatencyAwareImageLocality).toEqual([47, 9]);
    // DataLocality: cloud int(219152384/1.25e6)=175 + int(1536000/1.25e6)=1 → 176; tx2 17 + 0 = 17; nuc-0 0
    // scaleInverse max 176: 17 → int(159/176·10) = 9
    expect(s['cloud-vm'].DataLocality).toEqual([176, 0]);
    expect(s.tx2.DataLocality).toEqual([17, 9]);
    expect(s['nuc-1'].DataLocality).toEqual([17, 9]);
    expect(s['nuc-0'].DataLocality).toEqual([0, 10]);
    // Capability: tx2 has gpu and cuda=10 → 2, others 0; scale → 10 / 0
    expect(s.tx2.Capability).toEqual([2, 10]);
    expect(s['nuc-0'].Capability).toEqual([0, 0]);
    // totals: cloud 8+10+0+0+0 = 18, tx2 8+9+10+9+10 = 46, nuc-0 9+10+10+10 = 39, nuc-1 9+10+10+9 = 38
    expect([s['cloud-vm'].total, s.tx2.total, s['nuc-0'].total, s['nuc-1'].total]).toEqual([18, 46, 39, 38]);
    expect(r.node).toBe('tx2');
  });

  it('places serve on an rpi3 that still has memory to spare', () => {
    const r = schedule(snap, skippy, serve, { explain: true });
    const s = scoresOf(r);
    // Balanced: rpi3-0 (876 MiB left): cf 100/3900 = .0256, mf 200/876 = .2283 → int(7.97) = 7
    // rpi3-1: mf 200/976 = .2049 → int(8.20) = 8; tx2 (6860.8 MiB left) → 9; nuc/cloud → 9
    expect(s['rpi3-0'].BalancedResource[1]).toBe(7);
    expect(s['rpi3-1'].BalancedResource[1]).toBe(8);
    expect(s.tx2.BalancedResource[1]).toBe(9);
    // LatencyAware: arm 511888808 → 40, arm64 590989596 → 47, amd64 589680790 → 47; rpi 10, others int(400/47) = 8
    expect(s['rpi3-1'].LatencyAwareImageLocality).toEqual([40, 10]);
    expect(s['nuc-1'].LatencyAwareImageLocality).toEqual([47, 8]);
    // DataLocality: 1536000 B: edge int(.12) = 0, cloud int(1.23) = 1 → edge 10, cloud 0
    expect(s['cloud-vm'].DataLocality).toEqual([1, 0]);
    // totals: rpi3-0 7+10+10+10 = 37, rpi3-1 8+10+10+10 = 38, tx2 9+8+10+10 = 37, nuc 37, cloud 9+8 = 17
    expect(s['rpi3-0'].total).toBe(37);
    expect(s['rpi3-1'].total).toBe(38);
    expect(s.tx2.total).toBe(37);
    expect(s['cloud-vm'].total).toBe(17);
    expect(r.node).toBe('rpi3-1');
  });

  it('uses the scenario-tuned weights for skippy:<scenario>', () => {
    const p = profileByName('skippy:urban-sensing');
    expect(p.scores.map((x) => x.weight)).toEqual([6.66109, 2.77657, 6.69114, 8.47306, 1.06714]);
    const r = schedule(buildSnapshot(topologyByName('skippy-testbed')), p, preprocess, { explain: true });
    // rpi3:  6.66109·9 + 2.77657·10 + 6.69114·10 + 8.47306·9  = 59.94981 + 27.7657 + 66.9114 + 76.25754 = 230.88445
    // nuc-0: 6.66109·9 + 2.77657·8  + 6.69114·10 + 8.47306·10 = 59.94981 + 22.21256 + 66.9114 + 84.7306 = 233.80437
    // the heavy DataLocality weight moves preprocess next to its data
    expect(r.node).toBe('nuc-0');
    expect(r.score).toBeCloseTo(233.80437, 9);
  });
});

describe('kube-default: BalancedResource + ImageLocality', () => {
  it('scores image locality by size · spread, clamped to [23, 1000] MiB', () => {
    const all = topologyByName('skippy-testbed').nodes.map((n) => n.name);
    const snap = buildSnapshot(topologyByName('skippy-testbed'), { images: [{ name: IMG.preprocess.name, nodes: all }] });
    const r = schedule(snap, profileByName('kube-default'), preprocess, { explain: true });
    const s = scoresOf(r);
    // spread 8/8 = 1: arm 465830200 → int(10·(465830200−24117248)/(1048576000−24117248)) = int(4.31) = 4
    // arm64 540391110 → int(5.04) = 5; amd64 533323136 → int(4.97) = 4
    expect(s['rpi3-0'].ImageLocality).toEqual([465830200, 4]);
    expect(s.tx2.ImageLocality).toEqual([540391110, 5]);
    expect(s['nuc-0'].ImageLocality).toEqual([533323136, 4]);
    // tx2: Balanced 9 + 5 = 14 beats the others' 9 + 4
    expect(r.node).toBe('tx2');
    expect(r.neededImages).toEqual([]);
  });

  it('halves the score with the spread and clamps small sums to 0', () => {
    const snap = buildSnapshot(topologyByName('skippy-testbed'), { images: [{ name: IMG.preprocess.name, nodes: ['tx2', 'nuc-0', 'nuc-1', 'cloud-vm'] }] });
    const r = schedule(snap, profileByName('kube-default'), preprocess, { explain: true });
    const s = scoresOf(r);
    // spread 4/8: tx2 int(540391110·.5) = 270195555 → int(10·246078307/1024458752) = int(2.40) = 2
    expect(s.tx2.ImageLocality).toEqual([270195555, 2]);
    expect(s['rpi3-0'].ImageLocality).toEqual([0, 0]);
  });
});

describe('the scheduling loop', () => {
  it('computes the number of nodes to score as skippy-core does (docs/reference.md §1)', () => {
    expect(numFeasibleNodesToFind(4, 50)).toBe(4);
    expect(numFeasibleNodesToFind(1000, 100)).toBe(1000);
    expect(numFeasibleNodesToFind(200, 50)).toBe(100);
    expect(numFeasibleNodesToFind(300, 10)).toBe(100); // 30 → at least 100
    expect(numFeasibleNodesToFind(1000, 50)).toBe(500);
    expect(numFeasibleNodesToFind(1000, 0)).toBe(420); // 50 − 1000/125 = 42 %
    expect(numFeasibleNodesToFind(10000, 0)).toBe(500); // 50 − 80 < 5 → 5 %
  });

  it('continues round-robin after the last feasible node it scored', () => {
    // 200 VMs, the first 20 storage (10 %): kube-default:50 scores 100 nodes per placement
    const snap = buildSnapshot(topologyByName('cloud-regions:regions=1,vms=200'));
    const p = profileByName('kube-default:50');
    const a = schedule(snap, p, requirements('f'), { explain: true });
    expect(a.feasible).toBe(100);
    expect(a.node).toBe('region-0-vm-20'); // all tie; first of 20..119
    expect(snap.rrIndex).toBe(120);
    expect(a.explanation!.nodes.find((n) => n.node === 'region-0-vm-150')!.status).toBe('not-examined');
    const b = schedule(snap, p, requirements('g'));
    expect(b.node).toBe('region-0-vm-120'); // 120..199, then 20..39
    expect(snap.rrIndex).toBe(40);
  });

  it('never overcommits: the next placement goes elsewhere when a node is full', () => {
    const t = parseTopology({
      name: 'two',
      networks: [{ name: 'lan', kind: 'lan' }],
      nodes: [
        { name: 'small', device: 'rpi3', type: 'edge', network: 'lan', cpuMillis: 150 },
        { name: 'big', device: 'rpi3', type: 'edge', network: 'lan', cpuMillis: 120 },
      ],
      registry: { at: ['lan'] },
    });
    const snap = buildSnapshot(t);
    const p = profileByName('skippy');
    expect(schedule(snap, p, requirements('a')).node).toBe('small');
    expect(schedule(snap, p, requirements('b')).node).toBe('big');
    const c = schedule(snap, p, requirements('c'));
    expect(c.node).toBeNull();
    expect(c.infeasible!.filters.find((f) => f.filter === 'PodFitsResources')!.removed).toBe(2);
    expect(c.infeasible!.message).toMatch(/PodFitsResources removed 2 — the function asks for 100 m CPU and 200 MiB; the most free is 50 m CPU \(small\)/);
  });
});

describe('snapshots', () => {
  it('clones independently and schedules on clones made before a function was first seen', () => {
    const base = buildSnapshot(topologyByName('skippy-testbed'));
    const early = base.clone();
    const p = profileByName('skippy');
    const a = schedule(base, p, preprocess);
    const b = schedule(early, p, preprocess);
    expect(b.node).toBe(a.node);
    expect(b.neededImages).toEqual([IMG.preprocess.name]);
    const late = base.clone();
    schedule(late, p, preprocess);
    expect(base.cpuFree[base.nodeIndex(a.node!)]).toBe(3900);
    expect(late.cpuFree[late.nodeIndex(a.node!)]).toBeLessThan(3900);
  });
});
