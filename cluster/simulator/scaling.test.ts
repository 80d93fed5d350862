/**
 * The scale-up rule (scaling.ts, after Knative's KPA): a light load does not start a replica per
 * request queued behind the first cold start, and an overload still scales out.
 */
import { describe, expect, it } from 'vitest';
import { requirements, type FunctionRequirements } from '../scheduler/requirements';
import { topologyByName } from '../topology/scenarios';
import { simulate, type SimulationOptions } from './sim';
import type { SimWorkflow } from './workflow';
import { FunctionScaler, KPA_PANIC_WINDOW_S, KPA_STABLE_WINDOW_S, KPA_TARGET_UTILISATION, KPA_TICK_S } from './scaling';

const local = topologyByName('local');
function oneFunction(req: Partial<FunctionRequirements>, ratePerS: number): SimWorkflow {
  return { name: 't', functions: [{ id: 'f', base: requirements('f', req), inputs: [], outputs: [] }], artifacts: [], arrivals: [{ kind: 'poisson', ratePerS, source: 'http', function: 'f' }], followUps: [], notes: [] };
}
const base: Omit<SimulationOptions, 'workflow' | 'durationS'> = { topology: local, profile: 'edge-ai', seed: 7 };
// on the laptop (slowdown 0.96): 24 ms and 96 ms functions; its worker starts in 2 s
const fast = { nodeTypes: ['local'] as FunctionRequirements['nodeTypes'], referenceSeconds: 0.025 };
const slow = { nodeTypes: ['local'] as FunctionRequirements['nodeTypes'], referenceSeconds: 0.1 };

describe('the scale-up rule (Knative KPA)', () => {
  it('its constants are the KPA defaults', () => {
    expect([KPA_TICK_S, KPA_STABLE_WINDOW_S, KPA_PANIC_WINDOW_S, KPA_TARGET_UTILISATION]).toEqual([2, 60, 6, 0.7]);
  });

  it('24% load (10/s of a 24 ms function): one replica in the first 2 s, not one per request queued behind its cold start, and one for 10 minutes', () => {
    // the rule before started 14 replicas here (20 at the limit with a slower start): one per queued invocation beyond pending capacity
    const first = simulate({ ...base, durationS: 2, workflow: oneFunction(fast, 10) }).functions[0];
    expect(first.arrivals).toBeGreaterThan(10);
    expect(first.replicasStarted).toBe(1);
    const long = simulate({ ...base, durationS: 600, workflow: oneFunction(fast, 10) }).functions[0];
    expect(long.execution.mean * 10).toBeCloseTo(0.24, 1);
    expect(long.replicasStarted).toBe(1);
    expect(long.unfinished + long.failed).toBe(0);
  });

  it('an overload (20/s of a 96 ms function, ρ 1.9 for one replica) scales out, and the queue is served', () => {
    const r = simulate({ ...base, durationS: 600, workflow: oneFunction(slow, 20) }).functions[0];
    expect(r.replicasStarted).toBeGreaterThanOrEqual(Math.ceil((20 * r.execution.mean) / KPA_TARGET_UTILISATION));
    expect(r.replicasStarted).toBeLessThanOrEqual(20);
    expect(r.unfinished + r.failed).toBe(0);
    // once scaled, an invocation hardly waits: the median wait is nothing
    expect(r.wait.p50).toBe(0);
  });

  it('without cold starts an overload scales on the tick too, and a fixed maximum holds', () => {
    const r = simulate({ ...base, durationS: 300, coldStarts: false, maxReplicas: 3, workflow: oneFunction(slow, 20) }).functions[0];
    expect(r.replicasStarted).toBe(3);
    expect(r.unfinished + r.failed).toBe(0);
  });
});

describe('the concurrency average (FunctionScaler)', () => {
  it('is the exact time average over the window', () => {
    const s = new FunctionScaler();
    s.observe(0, 2); // 2 from t = 0 …
    s.observe(10, 0); // … to t = 10
    expect(s.average(10, KPA_STABLE_WINDOW_S)).toBeCloseTo(2, 9);
    s.observe(40, 0);
    expect(s.average(40, KPA_STABLE_WINDOW_S)).toBeCloseTo(20 / 40, 9);
    expect(s.average(40, KPA_PANIC_WINDOW_S)).toBe(0);
    s.observe(70, 3); // 3 from t = 70 …
    s.observe(73, 3);
    expect(s.average(73, KPA_PANIC_WINDOW_S)).toBeCloseTo(9 / 6, 9);
    expect(s.average(73, KPA_STABLE_WINDOW_S)).toBeCloseTo(9 / 60, 9);
    // 3 held until t = 1000 (past the checkpoints' ring), then 1: the window 970–1030 holds 3 × 30 + 1 × 30
    s.observe(1000, 1);
    s.observe(1030, 1);
    expect(s.average(1030, KPA_STABLE_WINDOW_S)).toBeCloseTo((3 * 30 + 30) / 60, 9);
  });
});
