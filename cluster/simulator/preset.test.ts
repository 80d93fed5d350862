/**
 * The faas-sim compatibility preset (issue 15 item 5): each behaviour it changes, on the faas-sim
 * workload on urban sensing (faas-sim@9c6e1b3's UrbanSensingScenario, docs/reference.md §3).
 */
import { describe, expect, it } from 'vitest';
import { topologyByName } from '../topology/scenarios';
import { FAAS_SIM_DEPLOY_INTERVAL_S, presetDeployments, presetTopology } from './preset';
import { simulate, workflowOf } from './sim';

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

  it('is refused when unknown, and gives the same report for the same seed', () => {
    expect(() => simulate({ workload: 'faas-sim', preset: 'nope' as 'faas-sim', topology: us1, profile: 'edge-ai', seed: 1, durationS: 60 })).toThrow(/only preset is faas-sim/);
    const again = simulate({ workload: 'faas-sim', preset: 'faas-sim', topology: us1, profile: 'edge-ai', seed: 1, durationS });
    expect(JSON.stringify(again)).toBe(JSON.stringify(r));
  });
});
