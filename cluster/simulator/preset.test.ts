/**
 * The faas-sim compatibility preset (issue 15 item 5): each behaviour it changes, on the faas-sim
 * workload on urban sensing (faas-sim@9c6e1b3's UrbanSensingScenario, docs/reference.md §3).
 */
import { describe, expect, it } from 'vitest';
import { topologyByName } from '../topology/scenarios';
import { FAAS_SIM_DEPLOY_INTERVAL_S, presetDeployments, presetTopology } from './preset';
import { simulate, workflowOf } from './sim';
import { FaasSimOracles } from './faas-sim-oracles';
import { popularImageId } from './faas-sim';
import { Rng } from './engine';

const MiB = 1024 * 1024;
const us1 = topologyByName('urban-sensing:cells=1');

describe('the faas-sim preset', () => {
  const durationS = 3 * 3600;
  const r = simulate({ workload: 'faas-sim', preset: 'faas-sim', topology: us1, profile: 'edge-ai', seed: 1, durationS });
  const fn = (id: string) => r.functions.find((f) => f.function === id)!;

  it("has faas-sim's workload: 10 deployments per cell, deployment i placed at 255·i s and requested from 255·(i+1) s", () => {
    expect(presetDeployments(us1)).toBe(10);
    expect(presetDeployments(topologyByName('urban-sensing:cells=4'))).toBe(40);
    expect(r.functions).toHaveLength(30);
    expect(r.deploy).toHaveLength(30);
    const wf = workflowOf({ workload: 'faas-sim', preset: 'faas-sim', topology: us1, profile: 'edge-ai', seed: 1, durationS });
    expect(wf.lifecycle!['train-3'].deployAtS).toBe(3 * FAAS_SIM_DEPLOY_INTERVAL_S);
    expect(wf.arrivals.filter((a) => a.function === 'inference-3').map((a) => a.kind === 'periodic-exp' && a.startS)).toEqual([4 * 255]);
    // a run shorter than deployment 5's first request (1530 s) never invokes it; deployment 4 is invoked at once at 1275 s
    const short = simulate({ workload: 'faas-sim', preset: 'faas-sim', topology: us1, profile: 'edge-ai', seed: 1, durationS: 1300 });
    const s = (id: string) => short.functions.find((f) => f.function === id)!;
    expect(s('inference-4').arrivals).toBe(1);
    expect(s('preprocess-4').arrivals).toBe(1);
    expect(s('inference-5').arrivals).toBe(0);
    expect(s('preprocess-9').invocations).toBe(0);
  });

  it('keeps one replica per function, never scales up, and keeps inference warm (scale_min 1, no autoscaler, scale_zero for preprocess and train)', () => {
    for (const f of r.functions) {
      if (f.function.startsWith('inference')) expect(f.replicasStarted).toBe(1);
      else expect(f.replicasStarted).toBeGreaterThanOrEqual(1);
      expect(f.failed).toBe(0);
    }
    // preprocess runs every 200 s + Exp(100 s): often idle for 300 s, so it is placed again
    expect(r.functions.filter((f) => f.function.startsWith('preprocess')).some((f) => f.replicasStarted > 1)).toBe(true);
    // at most one replica: a queue forms instead of a second replica (waits beyond the startup)
    expect(Math.max(...r.functions.filter((f) => f.function.startsWith('inference')).map((f) => f.coldStarts))).toBeLessThanOrEqual(1);
  });

  it('an inference replica fetches its model once, at start: its invocations move nothing', () => {
    for (let i = 0; i < 10; i++) {
      const f = fn(`inference-${i}`);
      if (!f.completed) continue;
      expect(f.transfer.max).toBe(0);
    }
    // preprocess and train still move their inputs every invocation
    expect(fn('train-0').transfer.mean).toBeGreaterThan(0);
  });

  it("pulls from the registry on the internet, as faas-sim's: no pull crosses the cloud's link", () => {
    const t = presetTopology(us1, 1);
    expect(t.registry.at).toEqual(['internet']);
    const cloudLink = r.links.find((l) => l.link === 'cloud → internet');
    expect(cloudLink?.upBytes ?? 0).toBe(0);
    // the default run pulls through it
    const d = simulate({ workload: 'faas-sim', deployments: 10, topology: us1, profile: 'edge-ai', seed: 1, durationS: 600 });
    expect(d.links.find((l) => l.link === 'cloud → internet')!.upBytes).toBeGreaterThan(100 * MiB);
  });

  it("sees faas-sim's network: no latency, the cloud's WAN links at 1e10, cell node links at 1000, and faas-sim's node order for the seed", () => {
    const t = presetTopology(topologyByName('urban-sensing:cells=4'), 0);
    expect(t.links.every((l) => l.latencyMs === 0)).toBe(true);
    expect(t.links.find((l) => l.from === 'cloud' && l.to === 'internet')).toMatchObject({ upMbps: 1e10, downMbps: 1e10 });
    expect(t.links.find((l) => l.from === 'cell-2-box-0-rpi-0')).toMatchObject({ upMbps: 1000, downMbps: 1000 });
    // faas-sim@9c6e1b3 with stats.seed(0) lists edge_0_7_tegra, edge_0_6_tegra, edge_1_6_tegra, edge_2_storage_nuc, edge_0_3_comm_pi first
    expect(t.nodes.slice(0, 5).map((n) => n.name)).toEqual(['cloudlet-0-tx2-6', 'cloudlet-0-tx2-5', 'cloudlet-1-tx2-5', 'cloudlet-2-nuc-0', 'cell-0-box-3-rpi-1']);
    expect(t.nodes).toHaveLength(91);
  });

  it("draws execution and start times from faas-sim's fitted oracles, within their bounds", () => {
    const o = new FaasSimOracles(1);
    const train = [{ name: 'alexrashed/ml-wf-2-train:3' }];
    const xs = Array.from({ length: 2000 }, (_, i) => o.execution('train-0', train, 'tx2', (i % 7) - 3)!);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(17.641);
    expect(Math.max(...xs)).toBeLessThanOrEqual(20.333);
    expect(xs.reduce((a, b) => a + b, 0) / xs.length).toBeCloseTo(18.9, 0);
    expect(o.execution('x', [{ name: 'bundle:x' }], 'tx2', 0)).toBeUndefined();
    expect(o.execution('x', train, 'nano', 0)).toBeUndefined();
    // a start with the image missing has the 100 Mbit/s download of it taken off
    const pi = o.startup('p', [{ name: 'alexrashed/ml-wf-1-pre:0', bytes: 465830200, pulled: true }], 'rpi3')!;
    expect(pi).toBeGreaterThanOrEqual(673.43 - 465830200 / 1.25e7);
    expect(pi).toBeLessThanOrEqual(1628.76 - 465830200 / 1.25e7);
    // the preset's train runs are those
    const t = fn('train-0');
    expect(t.execution.p50).toBeGreaterThan(17.6);
    expect(t.execution.max).toBeLessThan(20.4);
  });

  it("draws image tags as faas-sim's ScaledParetoSampler: 80% below a fifth of the tags, 28% the first", () => {
    const rng = new Rng(7);
    const ids = Array.from({ length: 100_000 }, () => popularImageId(40, rng.uniform()));
    expect(ids.filter((i) => i < 8).length / ids.length).toBeCloseTo(0.806, 1);
    expect(ids.filter((i) => i === 0).length / ids.length).toBeCloseTo(0.284, 1);
    expect(Math.max(...ids)).toBeLessThan(40);
  });

  it('is refused when unknown, and gives the same report for the same seed', () => {
    expect(() => simulate({ workload: 'faas-sim', preset: 'nope' as 'faas-sim', topology: us1, profile: 'edge-ai', seed: 1, durationS: 60 })).toThrow(/only preset is faas-sim/);
    const again = simulate({ workload: 'faas-sim', preset: 'faas-sim', topology: us1, profile: 'edge-ai', seed: 1, durationS });
    expect(JSON.stringify(again)).toBe(JSON.stringify(r));
  });
});
