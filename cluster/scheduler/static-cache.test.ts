/**
 * The per-node DataLocality times and Capability counts are shared between compiled functions
 * through the snapshot's caches (plugins.ts, staticPerNode: keyed by dataKey / capKey). A
 * randomized cross-check: a sequence of placements, each with a new requirements object (as the
 * simulator makes one per deployment), drawn from small pools so that data and capabilities
 * repeat, placed once with the caches and once with them emptied before every placement, gives
 * identical results, explanations (every node's raw and normalised scores) included.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MiB } from '../topology';
import { topologyByName } from '../topology/index';
import { buildSnapshot, profileByName, requirements, schedule, type FunctionRequirements, type ScheduleResult } from './index';

const topology = topologyByName('urban-sensing:cells=2');
const names = topology.nodes.map((n) => n.name);
const n = names.length;

const itemArb = fc.record({ size: fc.constantFrom(0, 1_000_000, 1_500_000, 300_000_000), locs: fc.array(fc.nat({ max: 7 }), { minLength: 1, maxLength: 2 }) });
const fnArb = fc.record({
  cpu: fc.constantFrom(100, 500, 1000),
  mem: fc.constantFrom(64, 256, 1024),
  caps: fc.subarray(['gpu', 'cuda', 'tpu']),
  cudaValue: fc.option(fc.constantFrom('10', '11')),
  image: fc.nat({ max: 3 }),
  inputs: fc.array(itemArb, { maxLength: 2 }),
  outputs: fc.array(itemArb, { maxLength: 1 }),
});
type FnGen = typeof fnArb extends fc.Arbitrary<infer T> ? T : never;

/** small location indices spread over the topology, so that different draws share nodes */
const node = (k: number) => names[(k * 37) % n];

function toReq(f: FnGen, i: number): FunctionRequirements {
  return requirements(`f${i}`, {
    cpuMillis: f.cpu,
    memoryBytes: f.mem * MiB,
    images: [{ name: `img-${f.image}`, size: (50 + 100 * f.image) * MiB }],
    ...(f.caps.length ? { capabilities: f.caps } : {}),
    ...(f.caps.includes('cuda') && f.cudaValue !== null ? { capabilityValues: { cuda: f.cudaValue } } : {}),
    inputs: f.inputs.map((d, j) => ({ urn: `in${i}-${j}`, size: d.size, locations: d.locs.map(node) })),
    outputs: f.outputs.map((d, j) => ({ urn: `out${i}-${j}`, size: d.size, locations: d.locs.map(node) })),
  });
}

function run(profileName: string, fns: FnGen[], uncached: boolean): { results: ScheduleResult[]; cached: number } {
  const snap = buildSnapshot(topology, { images: [{ name: 'img-1', nodes: [names[3], names[40]] }] });
  const profile = profileByName(profileName);
  const results = fns.map((f, i) => {
    if (uncached) {
      snap.s.dataTimeCache.clear();
      snap.s.capCountCache.clear();
    }
    return schedule(snap, profile, toReq(f, i), { explain: true });
  });
  return { results, cached: snap.s.dataTimeCache.size + snap.s.capCountCache.size };
}

describe('scheduler: the shared per-node DataLocality and Capability caches', () => {
  for (const profileName of ['edge-ai', 'skippy', 'skippy:urban-sensing']) {
    it(`${profileName}: placements with the caches equal those without, on random sequences of functions`, () => {
      fc.assert(
        fc.property(fc.array(fnArb, { minLength: 2, maxLength: 25 }), (fns) => {
          const cached = run(profileName, fns, false);
          const uncached = run(profileName, fns, true);
          expect(cached.results).toEqual(uncached.results);
          // the caches were used: at most one entry per distinct key, fewer than one per placement when keys repeat
          expect(cached.cached).toBeLessThanOrEqual(2 * fns.length);
        }),
        { numRuns: 150, seed: 15 },
      );
    });
  }

  it('shares the arrays between functions with the same data and capabilities', () => {
    const snap = buildSnapshot(topology);
    const profile = profileByName('edge-ai');
    const f: FnGen = { cpu: 100, mem: 64, caps: ['cuda'], cudaValue: '10', image: 0, inputs: [{ size: 1_000_000, locs: [1] }], outputs: [] };
    for (let i = 0; i < 10; i++) schedule(snap, profile, toReq(f, i));
    expect(snap.s.dataTimeCache.size).toBe(1);
    expect(snap.s.capCountCache.size).toBe(1);
  });
});
