/**
 * Sim vs real without a cluster (issue 15, item 6): profiles from recorded runs
 * (app/simulation.ts profilesFromRuns) and what the simulator does with them — measured
 * execution samples, measured worker starts, replayed arrival times, measured reads kept on the
 * node, the node agent's workers started on demand, and replicas warm at t = 0. The real
 * comparison on the process backend is cluster/cli/commands/load.int.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { requirements } from '../scheduler/requirements';
import { topologyByName } from '../topology/scenarios';
import { simulate } from './sim';
import type { SimWorkflow } from './workflow';
import { compareWithRuns, profilesFromRuns, type RecordedRun } from '../app/simulation';
import { empiricalFromNormal } from './engine';

const local = topologyByName('local');
const t0 = Date.parse('2026-01-01T00:00:00Z');
const run = (atS: number, t: Partial<Record<'queueMs' | 'transferMs' | 'coldStartMs' | 'execMs' | 'overheadMs', number>>, node = 'edge-1'): RecordedRun => {
  const full = { queueMs: 0, transferMs: 0, coldStartMs: 0, execMs: 0, overheadMs: 0, ...t };
  return { function: 'f', node, status: 'ok', started: new Date(t0 + atS * 1000).toISOString(), timings: JSON.stringify({ ...full, totalMs: Object.values(full).reduce((a, b) => a + b, 0) }) };
};
const wf: SimWorkflow = { name: 't', functions: [{ id: 'f', base: requirements('f', { nodeTypes: ['edge'] }), inputs: [], outputs: [] }], artifacts: [], arrivals: [{ kind: 'poisson', ratePerS: 5, source: 'http', function: 'f' }], followUps: [], notes: [] };

describe('profiles from recorded runs', () => {
  it('service = execution + overhead of warm runs; a worker start = a cold run less a warm median; arrivals from the first run', () => {
    const runs = [run(0, { coldStartMs: 500, execMs: 300, overheadMs: 20 }), run(1, { execMs: 40, overheadMs: 10 }), run(2.5, { execMs: 60, overheadMs: 10 }), run(4, { execMs: 50, overheadMs: 10, queueMs: 5 }), { ...run(5, { execMs: 1 }), status: 'failed' }];
    const p = profilesFromRuns(runs);
    expect(p.execProfiles.f['edge-1']).toEqual([0.05, 0.06, 0.07]);
    expect(p.startupS.f['edge-1']).toBeCloseTo(0.5 + 0.32 - 0.06, 9);
    expect(p.arrivalTimes.f).toEqual([0, 1, 2.5, 4]);
    // each arrival's own service (the cold one: the warm median)
    expect(p.serviceTimes.f).toEqual([0.06, 0.05, 0.07, 0.06]);
    expect(p.runs).toBe(4);
    expect(() => profilesFromRuns([])).toThrow(/no recorded run ended ok/);
  });

  it('an empirical draw is the sample at the normal quantile', () => {
    expect(empiricalFromNormal([1, 2, 3, 4], -3)).toBe(1);
    expect(empiricalFromNormal([1, 2, 3, 4], 0)).toBe(3);
    expect(empiricalFromNormal([1, 2, 3, 4], 3)).toBe(4);
  });
});

describe('the simulator with measured profiles', () => {
  const base = { topology: local, profile: 'edge-ai', seed: 1, durationS: 10, workflow: wf } as const;

  it('replays the arrival times, draws the measured samples, starts warm and keeps what it read on the node', () => {
    const arrivalTimes = { f: [0.5, 1.5, 2.5, 3.5] };
    const r = simulate({ ...base, arrivalTimes, execProfiles: { f: { 'edge-1': [0.05] } }, warmAtStart: true, concurrency: { kind: 'agent', workers: 4 }, maxReplicas: 1, reads: { f: [{ urn: 'm', kind: 'model', size: 200_000, at: 'cloud-1' }] }, keepInputs: true, images: [{ name: 'bundle:f', nodes: ['edge-1'] }] });
    const f = r.functions[0];
    expect(r.deploy).toEqual([{ function: 'f', node: 'edge-1' }]);
    expect([f.arrivals, f.completed, f.coldStarts]).toEqual([4, 4, 0]);
    expect(f.execution.max).toBeCloseTo(0.05, 9);
    // the model crossed each link once: the first run fetched it, the node kept it
    expect(r.links.find((l) => l.from === 'edge-1')).toMatchObject({ downBytes: 200_000 });
    expect(f.transfer.p50).toBe(0);
  });

  it('a replayed arrival runs for its own service time', () => {
    const r = simulate({ ...base, arrivalTimes: { f: [1, 3, 5] }, serviceTimes: { f: [0.2, 0.4, 0.3] }, execProfiles: { f: { 'edge-1': [9] } }, warmAtStart: true, concurrency: { kind: 'agent' }, maxReplicas: 1, images: [{ name: 'bundle:f', nodes: ['edge-1'] }] });
    const f = r.functions[0];
    expect([f.completed, f.execution.max, f.total.max]).toEqual([3, expect.closeTo(0.4, 9), expect.closeTo(0.4, 9)]);
    expect(f.execution.mean).toBeCloseTo(0.3, 9);
  });

  it("the agent's workers: an invocation finding every started worker busy starts one more (a cold start), up to the workers", () => {
    const arrivalTimes = { f: [0.1, 0.11, 0.12, 0.13, 0.14, 0.15] };
    const r = simulate({ ...base, arrivalTimes, execProfiles: { f: { 'edge-1': [1] } }, startupS: { f: { 'edge-1': 0.25 } }, warmAtStart: true, concurrency: { kind: 'agent', workers: 4 }, maxReplicas: 1, images: [{ name: 'bundle:f', nodes: ['edge-1'] }] });
    const f = r.functions[0];
    // one worker up at t = 0, three more started (cold), the last two wait for a free one
    expect([f.completed, f.coldStarts, f.replicasStarted]).toEqual([6, 3, 1]);
    expect(f.total.max).toBeGreaterThan(1.8);
  });

  it('compares the runs with the report per function', () => {
    const runs = [run(0, { execMs: 40 }), run(1, { execMs: 60 }), run(2, { execMs: 50, coldStartMs: 100 })];
    const report = simulate({ ...base, arrivalTimes: { f: [0, 1, 2] }, execProfiles: profilesFromRuns(runs).execProfiles, warmAtStart: true, concurrency: { kind: 'agent' }, maxReplicas: 1 });
    const [row] = compareWithRuns(runs, report);
    expect(row.real).toEqual({ runs: 3, p50: 0.06, p95: 0.15, coldStarts: 1 });
    expect(row.sim.runs).toBe(3);
  });
});
