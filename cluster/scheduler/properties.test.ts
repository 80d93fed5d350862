/**
 * Property tests over random topologies and functions: a strict data policy is never violated,
 * a capability or node-type requirement never, resources are never overcommitted, storage and
 * no-schedule nodes never run anything — and when edge-ai finds no node, none exists.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { TopologyFileInput } from '../spec/topology';
import { MiB, NetworkGraph, parseTopology, type Topology } from '../topology';
import { buildSnapshot, LocalityType, NodeSchedulable, PodFitsResources, profileByName, requirements, SCALE, SCALE_INVERSE, schedule, scheduleReplicas, type FunctionRequirements, type Profile, type ScorePlugin } from './index';

const DEVICE_IDS = ['rpi3', 'rpi4', 'coral', 'nano', 'tx2', 'nuc', 'xeon-cpu', 'xeon-gpu', 'laptop'];
const CAPS = ['gpu', 'tpu', 'vpu', 'cuda'];
const TYPES = ['cloud', 'edge', 'user_device'] as const;

const topologyArb = fc
  .record({
    nets: fc.array(fc.record({ parent: fc.nat(), up: fc.integer({ min: 1, max: 1000 }), down: fc.integer({ min: 1, max: 1000 }), local: fc.boolean() }), { minLength: 1, maxLength: 5 }),
    nodes: fc.array(
      fc.record({
        device: fc.constantFrom(...DEVICE_IDS),
        type: fc.constantFrom(...TYPES),
        net: fc.nat(),
        caps: fc.subarray(CAPS),
        cpu: fc.integer({ min: 100, max: 4000 }),
        mem: fc.integer({ min: 64, max: 4096 }),
        storage: fc.boolean(),
        noSchedule: fc.boolean(),
      }),
      { minLength: 1, maxLength: 12 },
    ),
  })
  .map(({ nets, nodes }): Topology => {
    const names = nets.map((n, i) => (i === 1 && n.local ? 'local' : `net-${i}`));
    const file: TopologyFileInput = {
      name: 'random',
      networks: names.map((name) => ({ name, kind: 'lan' as const })),
      nodes: nodes.map((n, i) => ({
        name: `n${i}`,
        device: n.device,
        type: n.type,
        network: names[n.net % names.length],
        capabilities: n.caps,
        cpuMillis: n.cpu,
        memoryMiB: n.mem,
        storage: n.storage && i % 3 === 0,
        noSchedule: n.noSchedule && i % 4 === 0,
      })),
      links: nets.slice(1).map((n, j) => ({ from: names[j + 1], to: names[n.parent % (j + 1)], upMbps: n.up, downMbps: n.down, latencyMs: 1 })),
      registry: { at: [names[0]] },
    };
    return parseTopology(file);
  });

const fnArb = fc.record({
  cpu: fc.integer({ min: 50, max: 2500 }),
  mem: fc.integer({ min: 16, max: 2048 }),
  caps: fc.subarray(CAPS, { maxLength: 2 }),
  types: fc.subarray(['cloud', 'edge', 'user_device', 'local'] as const),
  data: fc.option(fc.record({ nets: fc.array(fc.nat({ max: 4 }), { minLength: 1, maxLength: 3 }), strict: fc.boolean(), useLocal: fc.boolean() })),
  inputs: fc.array(fc.record({ size: fc.integer({ min: 0, max: 500e6 }), locs: fc.array(fc.nat(), { minLength: 1, maxLength: 2 }) }), { maxLength: 2 }),
  outputs: fc.array(fc.record({ size: fc.integer({ min: 0, max: 500e6 }), locs: fc.array(fc.nat(), { minLength: 1, maxLength: 2 }) }), { maxLength: 1 }),
});

type FnGen = typeof fnArb extends fc.Arbitrary<infer T> ? T : never;

function toReq(t: Topology, f: FnGen, i: number): FunctionRequirements {
  const netNames = t.networks.map((n) => n.name);
  const nodeNames = t.nodes.map((n) => n.name);
  return requirements(`f${i}`, {
    cpuMillis: f.cpu,
    memoryBytes: f.mem * MiB,
    ...(f.caps.length ? { capabilities: f.caps } : {}),
    ...(f.types.length ? { nodeTypes: [...f.types] } : {}),
    ...(f.data ? { data: { networks: [...new Set(f.data.nets.map((k) => (f.data!.useLocal ? 'local' : netNames[k % netNames.length])))], strict: f.data.strict } } : {}),
    inputs: f.inputs.map((d, j) => ({ urn: `in${j}`, size: d.size, locations: d.locs.map((l) => nodeNames[l % nodeNames.length]) })),
    outputs: f.outputs.map((d, j) => ({ urn: `out${j}`, size: d.size, locations: d.locs.map((l) => nodeNames[l % nodeNames.length]) })),
  });
}

/** An independent statement of the edge-ai constraints for node `name` (resources against `used`). */
function allowed(t: Topology, g: NetworkGraph, req: FunctionRequirements, name: string, used: Map<string, { cpu: number; mem: number }>): boolean {
  const node = t.nodes.find((n) => n.name === name)!;
  if (node.storage || node.noSchedule) return false;
  const u = used.get(name) ?? { cpu: 0, mem: 0 };
  if (u.cpu + req.cpuMillis > node.cpuMillis || u.mem + req.memoryBytes > node.memoryBytes) return false;
  if (req.capabilities && !req.capabilities.every((c) => node.capabilities.includes(c))) return false;
  if (req.nodeTypes) {
    const isLocal = node.type === 'user_device' && node.network === 'local';
    if (!req.nodeTypes.some((ty) => ty === node.type || (ty === 'local' && isLocal))) return false;
  }
  if (req.data?.strict) {
    const nets = req.data.networks;
    if (!nets.includes(node.network)) return false;
    for (const item of [...req.inputs, ...req.outputs]) {
      if (!item.locations.some((l) => g.route(l, name).networks.every((n) => nets.includes(n)))) return false;
    }
  }
  return true;
}

describe('scheduler properties over random topologies', () => {
  it('edge-ai never violates a strict data policy, a capability, a node type or a resource limit — and finds a node whenever one exists', () => {
    fc.assert(
      fc.property(topologyArb, fc.array(fnArb, { minLength: 1, maxLength: 12 }), (t, fns) => {
        const g = new NetworkGraph(t);
        const snap = buildSnapshot(t);
        const used = new Map<string, { cpu: number; mem: number }>();
        const p = profileByName('edge-ai');
        fns.forEach((f, i) => {
          const req = toReq(t, f, i);
          const candidates = t.nodes.filter((n) => allowed(t, g, req, n.name, used)).map((n) => n.name);
          const r = schedule(snap, p, req);
          if (r.node === null) {
            expect(candidates).toEqual([]);
            expect(r.infeasible!.filters.reduce((a, x) => a + x.removed, 0)).toBe(t.nodes.length);
            return;
          }
          expect(candidates).toContain(r.node);
          const u = used.get(r.node) ?? { cpu: 0, mem: 0 };
          used.set(r.node, { cpu: u.cpu + req.cpuMillis, mem: u.mem + req.memoryBytes });
        });
        for (const n of t.nodes) {
          const u = used.get(n.name);
          if (!u) continue;
          expect(u.cpu).toBeLessThanOrEqual(n.cpuMillis);
          expect(u.mem).toBeLessThanOrEqual(n.memoryBytes);
        }
      }),
      { numRuns: 200, seed: 42 },
    );
  });

  it('skippy and kube-default never overcommit and never use storage or no-schedule nodes', () => {
    fc.assert(
      fc.property(topologyArb, fc.array(fnArb, { minLength: 1, maxLength: 12 }), fc.constantFrom('skippy', 'kube-default', 'skippy:industrial-iot'), (t, fns, profile) => {
        const snap = buildSnapshot(t);
        const used = new Map<string, { cpu: number; mem: number }>();
        fns.forEach((f, i) => {
          const req = toReq(t, f, i);
          const r = schedule(snap, profileByName(profile), req);
          if (!r.node) return;
          const node = t.nodes.find((n) => n.name === r.node)!;
          expect(node.storage || node.noSchedule).toBe(false);
          const u = used.get(r.node) ?? { cpu: 0, mem: 0 };
          used.set(r.node, { cpu: u.cpu + req.cpuMillis, mem: u.mem + req.memoryBytes });
          expect(u.cpu + req.cpuMillis).toBeLessThanOrEqual(node.cpuMillis);
          expect(u.mem + req.memoryBytes).toBeLessThanOrEqual(node.memoryBytes);
        });
      }),
      { numRuns: 150, seed: 7 },
    );
  });

  it('a placement without an explanation (scores added as they are normalised) is the explained one: node, score, feasible count, next round-robin start', () => {
    fc.assert(
      fc.property(topologyArb, fc.array(fnArb, { minLength: 1, maxLength: 12 }), fc.constantFrom('skippy', 'skippy:urban-sensing', 'kube-default', 'edge-ai'), (t, fns, profile) => {
        const fast = buildSnapshot(t);
        const explained = buildSnapshot(t);
        const p = profileByName(profile);
        fns.forEach((f, i) => {
          const req = toReq(t, f, i);
          const a = schedule(fast, p, req);
          const b = schedule(explained, p, req, { explain: true });
          expect({ node: a.node, score: a.score, feasible: a.feasible, images: a.neededImages }).toEqual({ node: b.node, score: b.score, feasible: b.feasible, images: b.neededImages });
          expect(fast.rrIndex).toBe(explained.rrIndex);
        });
      }),
      { numRuns: 150, seed: 11 },
    );
  });

  it('k replicas placed at once land where k placements one after another do: nodes, scores, feasible counts, images, round-robin start, free resources', () => {
    fc.assert(
      fc.property(
        topologyArb,
        fc.array(fc.record({ f: fnArb, k: fc.integer({ min: 1, max: 8 }) }), { minLength: 1, maxLength: 6 }),
        fc.constantFrom('skippy', 'skippy:urban-sensing', 'kube-default', 'kube-default:50', 'edge-ai'),
        (t, bursts, profile) => {
          const together = buildSnapshot(t);
          const oneByOne = buildSnapshot(t);
          const p = profileByName(profile);
          bursts.forEach(({ f, k }, i) => {
            // small requests, so that a burst fills nodes and moves the scores' ranges
            const req = toReq(t, { ...f, cpu: 50 + (f.cpu % 400), mem: 16 + (f.mem % 256) }, i);
            const got = scheduleReplicas(together, p, req, k).map((r) => ({ node: r.node, score: r.score, feasible: r.feasible, images: r.neededImages, infeasible: r.infeasible?.message }));
            const want: typeof got = [];
            for (let j = 0; j < k; j++) {
              const r = schedule(oneByOne, p, req);
              want.push({ node: r.node, score: r.score, feasible: r.feasible, images: r.neededImages, infeasible: r.infeasible?.message });
              if (r.node === null) break;
            }
            expect(got).toEqual(want);
            expect(together.rrIndex).toBe(oneByOne.rrIndex);
            expect(Array.from(together.cpuFree)).toEqual(Array.from(oneByOne.cpuFree));
            expect(Array.from(together.memFree)).toEqual(Array.from(oneByOne.memFree));
          });
        },
      ),
      { numRuns: 200, seed: 15 },
    );
  });

  it('k replicas at once, with scores whose raw value rises or falls on the node taken (a range grows at its top or its bottom, or loses an end), land where one by one does', () => {
    // what a node has given out (rises with each replica placed there) or has left (falls); weighed against LocalityType, so a node inside a range can win
    const cpu = (name: string, given: boolean, inverse: boolean): ScorePlugin => ({
      name,
      nodeLocal: true,
      ...(inverse ? SCALE_INVERSE : SCALE),
      map(snap, _fn, cand, count, raw) {
        for (let i = 0; i < count; i++) raw[i] = given ? snap.s.cpuCap[cand[i]] - snap.cpuFree[cand[i]] : snap.cpuFree[cand[i]];
      },
    });
    fc.assert(
      fc.property(topologyArb, fc.array(fnArb, { maxLength: 6 }), fnArb, fc.integer({ min: 2, max: 10 }), fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 5, maxLength: 5 }), (t, before, f, k, w) => {
        const scores = [cpu('Given', true, false), cpu('GivenInverse', true, true), cpu('Left', false, false), cpu('LeftInverse', false, true), LocalityType].map((plugin, i) => ({ plugin, weight: w[i] }));
        const p: Profile = { name: 'test', filters: [NodeSchedulable, PodFitsResources], scores, percentageOfNodesToScore: 100 };
        const req = toReq(t, { ...f, cpu: 50 + (f.cpu % 400), mem: 16 + (f.mem % 256) }, 0);
        const together = buildSnapshot(t);
        const oneByOne = buildSnapshot(t);
        // other functions first, so the nodes' CPU given out differs by more than this one's request
        before.forEach((g, i) => {
          const other = toReq(t, { ...g, cpu: 50 + (g.cpu % 700), mem: 16 }, i + 1);
          schedule(together, p, other);
          schedule(oneByOne, p, other);
        });
        const got = scheduleReplicas(together, p, req, k).map((r) => [r.node, r.score]);
        const want: typeof got = [];
        for (let j = 0; j < k; j++) {
          const r = schedule(oneByOne, p, req);
          want.push([r.node, r.score]);
          if (r.node === null) break;
        }
        expect(got).toEqual(want);
      }),
      { numRuns: 400, seed: 16 },
    );
  });

  it('every score is an integer 0..10 before weighting and explanations account for every node', () => {
    fc.assert(
      fc.property(topologyArb, fnArb, fc.constantFrom('skippy', 'kube-default', 'edge-ai'), (t, f, profile) => {
        const r = schedule(buildSnapshot(t), profileByName(profile), toReq(t, f, 0), { explain: true });
        expect(r.explanation!.nodes).toHaveLength(t.nodes.length);
        for (const n of r.explanation!.nodes) {
          if (n.status === 'filtered') expect(n.filter).toBeTruthy();
          for (const s of n.scores ?? []) {
            expect(Number.isInteger(s.normalised)).toBe(true);
            expect(s.normalised).toBeGreaterThanOrEqual(0);
            expect(s.normalised).toBeLessThanOrEqual(10);
          }
        }
        expect(r.explanation!.nodes.filter((n) => n.status === 'chosen').length).toBe(r.node ? 1 : 0);
      }),
      { numRuns: 150, seed: 3 },
    );
  });
});
