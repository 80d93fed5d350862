/**
 * What the workflow does (issue 15 item 4): a producer's failures and gate blocks reach its
 * consumers, gates are evaluated on modelled values, and gate triggers fire (drift → retrain).
 * samples/mnist: train (nightly) and trainFair (@gate.bias) produce classifiers; inference
 * (@gate.drift on 'confidence', retrain-on-drift → train) reads one; refine reads model:base.
 */
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { loadProject } from '../project/index';
import { topologyByName } from '../topology/scenarios';
import { simulate, workflowOf, type SimulationOptions } from './sim';
import { FunctionGates, gateTriggersFired } from './gates';

const mnist = loadProject(fileURLToPath(new URL('../../samples/mnist', import.meta.url)));
const local = topologyByName('local');
const base: SimulationOptions = { project: mnist, topology: local, profile: 'edge-ai', seed: 1, durationS: 3600, rates: { inference: 1 } };
const fn = (r: ReturnType<typeof simulate>, id: string) => r.functions.find((f) => f.function === id)!;
/** more memory than any node has: the function cannot be placed */
const HUGE = 1e15;

describe("a producer's failures reach its consumers", () => {
  it('the workflow knows what each @consumes can read and which gate triggers there are', () => {
    const wf = workflowOf(base);
    expect(wf.needs!.refine).toEqual([['model:base'], ['mnist:user:alice']]);
    // a selector on data_tags matches only at run time (lineage): never reported missing
    expect(wf.needs!.inference).toEqual([[]]);
    expect(wf.gateTriggers).toEqual([{ id: 'retrain-on-drift', function: 'train', source: 'inference', gate: 'drift' }]);
    expect(wf.notes.join('\n')).not.toMatch(/not simulated/);
  });

  const refining: SimulationOptions = { ...base, rates: { refine: 1 / 60 } };

  it('by default a placed producer’s output is taken to exist from before: refine runs though trainFair never did', () => {
    const r = simulate(refining);
    expect(fn(r, 'trainFair').invocations).toBe(0);
    expect(fn(r, 'refine').completed).toBe(fn(r, 'refine').invocations);
    expect(fn(r, 'refine').completed).toBeGreaterThan(50);
  });

  it('when its producer cannot be placed, every refine fails and says why (it used to succeed)', () => {
    const r = simulate({ ...refining, memoryBytes: { trainFair: HUGE } });
    const refine = fn(r, 'refine');
    expect(refine.invocations).toBeGreaterThan(50);
    expect(refine.failed).toBe(refine.invocations);
    expect(refine.failures).toHaveLength(1);
    expect(refine.failures[0]).toMatch(/^no version of model:base to read: trainFair has not published one \(it cannot be placed: .+\)$/);
  });

  it('fresh: nothing produced exists at t = 0; refine fails until trainFair publishes a model, then succeeds', () => {
    const r = simulate({ ...refining, fresh: true, rates: { refine: 1 / 60, trainFair: 1 / 900 } });
    const refine = fn(r, 'refine');
    expect(fn(r, 'trainFair').completed).toBeGreaterThan(0);
    expect(refine.failed).toBeGreaterThan(0);
    expect(refine.completed).toBeGreaterThan(0);
    expect(refine.failed + refine.completed + refine.unfinished).toBe(refine.invocations);
    expect(refine.failures).toEqual(['no version of model:base to read: trainFair has not published one']);
  });
});

describe('gates', () => {
  it('a bias gate that fails keeps the model from being published: its consumer fails, naming the gate', () => {
    const opts: SimulationOptions = { ...base, fresh: true, rates: { trainFair: 1 / 300, refine: 1 / 60 }, gatePassRates: { trainFair: 0 } };
    const r = simulate(opts);
    const tf = fn(r, 'trainFair');
    expect(tf.completed).toBeGreaterThan(5);
    expect(tf.gates).toEqual({ evaluated: tf.completed, failed: tf.completed, blocked: tf.completed });
    const refine = fn(r, 'refine');
    expect(refine.failed).toBe(refine.invocations);
    // before trainFair's first run, and after its runs were blocked
    expect(refine.failures).toEqual(['no version of model:base to read: trainFair has not published one', 'no version of model:base to read: trainFair has not published one (its bias gate blocks its outputs)']);
    // with a pass rate of 1/2, about half are blocked, and refine runs once one got through
    const half = simulate({ ...opts, gatePassRates: { trainFair: 0.5 }, durationS: 4 * 3600 });
    const g = fn(half, 'trainFair').gates!;
    expect(g.blocked / g.evaluated).toBeGreaterThan(0.3);
    expect(g.blocked / g.evaluated).toBeLessThan(0.7);
    expect(fn(half, 'refine').completed).toBeGreaterThan(0);
  });

  it('a drift gate on a drifting metric fails and fires retrain-on-drift; the new model brings the metric back', () => {
    // confidence 0.9 falling 0.5 an hour from the model's publication: over a window of 50 the drift passes 0.2 after ~25 min
    const outputMetrics = { inference: { confidence: { mean: 0.9, sd: 0.01, driftPerHour: -0.5 } } };
    const r = simulate({ ...base, durationS: 2 * 3600, outputMetrics });
    const inf = fn(r, 'inference');
    const train = fn(r, 'train');
    expect(inf.gates!.evaluated).toBe(inf.completed);
    expect(inf.gates!.failed).toBeGreaterThan(0);
    expect(inf.gates!.blocked).toBe(0); // drift does not block
    // train has no arrivals of its own in 2 h (nightly): every run came from the gate trigger
    expect(train.arrivals).toBe(0);
    expect(train.invocations).toBeGreaterThan(0);
    expect(train.completed).toBeGreaterThan(0);
    // after a retraining the drift falls back: most evaluations pass
    expect(inf.gates!.failed).toBeLessThan(inf.gates!.evaluated / 2);
    // without a model of the metric the gate is not evaluated, and a note says how to model it
    const plain = simulate({ ...base, durationS: 600 });
    expect(fn(plain, 'inference').gates).toBeUndefined();
    expect(plain.notes).toContain("gate drift of inference ('confidence' <0.2) is not evaluated: give a model of the metric (outputMetrics.inference.confidence: mean, sd, driftPerHour)");
  });

  it('the same seed gives the same gate verdicts', () => {
    const opts: SimulationOptions = { ...base, gatePassRates: { trainFair: 0.5 }, rates: { inference: 1, trainFair: 1 / 120 }, outputMetrics: { inference: { confidence: { mean: 0.8, sd: 0.1, driftPerHour: -0.3 } } } };
    expect(JSON.stringify(simulate(opts))).toBe(JSON.stringify(simulate(opts)));
  });

  it('the drift rule is the runtime’s: a reference window, then |mean of the last window − reference| against the predicate', () => {
    const notes: string[] = [];
    const g = new FunctionGates('f', [{ kind: 'drift', metric: 'm', predicate: '<0.2', window: 3 }], 1, { m: { mean: 1, driftPerHour: -1 } }, undefined, notes);
    expect(notes).toEqual([]);
    const ages = [0, 0, 0, 3600 * 0.1, 3600 * 0.3, 3600 * 0.6, 3600 * 0.6];
    // values 1,1,1 (reference 1) → 0.9 (mean 0.967) → 0.7 (0.867) → 0.4 (0.667, drift 0.33: fails) → 0.4 (0.5)
    expect(ages.map((a) => g.evaluate(a).failed)).toEqual([[], [], [], [], [], ['drift'], ['drift']]);
    expect(gateTriggersFired([{ id: 't', function: 'train', source: 'f', gate: 'drift' }, { id: 'u', function: 'x', source: 'f', gate: 'bias' }, { id: 'v', function: 'y', source: 'f' }], 'f', ['drift']).map((t) => t.id)).toEqual(['t', 'v']);
  });
});
