import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { loadProject } from '../project/index';
import { requirements, type FunctionRequirements } from '../scheduler/requirements';
import { topologyByName } from '../topology/scenarios';
import { scheduleProject } from '../cli/commands/schedule';
import { cloudCostOf, compareSchedulers, compareSchedulersAsync, gbSeconds, simulate, SimulationCancelled, type SimulationOptions } from './sim';
import type { ArrivalProcess, SimWorkflow } from './workflow';

const MiB = 1024 * 1024;
const GB = 1024 ** 3;
const mnistDir = fileURLToPath(new URL('../../samples/mnist', import.meta.url));
const local = topologyByName('local');

/** one function `f` with the given requirements, invoked by the given arrival processes */
function oneFunction(req: Partial<FunctionRequirements>, arrivals: Array<Omit<ArrivalProcess, 'function'>>): SimWorkflow {
  return {
    name: 't',
    functions: [{ id: 'f', base: requirements('f', req), inputs: [], outputs: [] }],
    artifacts: [],
    arrivals: arrivals.map((a) => ({ ...a, function: 'f' }) as ArrivalProcess),
    followUps: [],
    notes: [],
  };
}

function every(everyS: number, source = 'timer'): Omit<ArrivalProcess, 'function'> {
  return { kind: 'periodic', everyS, source } as Omit<ArrivalProcess, 'function'>;
}

const base: Omit<SimulationOptions, 'workflow' | 'durationS'> = { topology: local, profile: 'edge-ai', seed: 1, execSigma: 0 };

describe('simulate: lifecycle', () => {
  it('the first invocation is a cold start (startup 2 s on the laptop, docs/reference.md §4), the rest are warm', () => {
    const r = simulate({ ...base, durationS: 100, workflow: oneFunction({ nodeTypes: ['local'], referenceSeconds: 0.05 }, [every(10)]) });
    const f = r.functions[0];
    expect(r.deploy).toEqual([{ function: 'f', node: 'laptop' }]);
    expect(f.completed).toBe(9);
    expect(f.coldStarts).toBe(1);
    expect(f.replicasStarted).toBe(1);
    expect(f.wait.max).toBeCloseTo(2, 9); // the bundle was pulled at deploy; the worker starts on demand
    expect(f.wait.p50).toBe(0);
  });

  it('scales to zero after 300 s idle (reconciled every 30 s) and back from zero, pulling nothing for a bundle already on the node (docs/reference.md §3)', () => {
    // every 400 s: each invocation finds no replica (removed after 300 s idle) → 3 cold starts
    const sparse = simulate({ ...base, durationS: 1300, workflow: oneFunction({ nodeTypes: ['edge'] }, [every(400)]) });
    const f = sparse.functions[0];
    expect(f.completed).toBe(3);
    expect(f.coldStarts).toBe(3);
    expect(f.replicasStarted).toBe(4); // the deploy + 3 scale-ups from zero
    // laptop (registry) → edge node: 1 MiB at deploy; the re-placements land where the bundle is and pull nothing
    expect(new Set(sparse.nodeUsage.map((u) => u.node)).size).toBe(1);
    const up = sparse.links.find((l) => l.link === 'laptop → local')!;
    expect(up.upBytes).toBe(MiB);
    // every 200 s: never idle for 300 s → one cold start
    const dense = simulate({ ...base, durationS: 1300, workflow: oneFunction({ nodeTypes: ['edge'] }, [every(200)]) });
    expect(dense.functions[0].completed).toBe(6);
    expect(dense.functions[0].coldStarts).toBe(1);
    expect(dense.functions[0].replicasStarted).toBe(1);
  });

  it('a missing image costs 10% on a node that holds other images (shared layers), its full size on one without (faas-sim, docs/reference.md §3)', () => {
    const wf = oneFunction({ nodeTypes: ['edge'], images: [{ name: 'img', size: 100 * MiB }] }, [every(50)]);
    const pulled = (r: ReturnType<typeof simulate>) => r.links.find((l) => l.link === 'laptop → local')!.upBytes;
    const bare = simulate({ ...base, durationS: 100, workflow: wf });
    expect(pulled(bare)).toBe(100 * MiB);
    // both edge nodes hold another image: wherever it lands, 10%
    const shared = simulate({ ...base, durationS: 100, workflow: wf, images: [{ name: 'other', nodes: ['edge-1', 'edge-2'] }] });
    expect(pulled(shared)).toBe(Math.round(0.1 * 100 * MiB));
    // both already hold it: nothing to pull
    const present = simulate({ ...base, durationS: 100, workflow: wf, images: [{ name: 'img', nodes: ['edge-1', 'edge-2'] }] });
    expect(present.links.find((l) => l.link === 'laptop → local')).toBeUndefined();
    expect(present.functions[0].completed).toBe(1);
  });

  it('counts deadline misses', () => {
    // the cold start (2 s) misses a 1 s deadline; warm invocations (50 ms) meet it
    const r = simulate({ ...base, durationS: 100, workflow: oneFunction({ nodeTypes: ['local'], referenceSeconds: 0.05, deadlineMs: 1000 }, [every(10)]) });
    expect(r.functions[0].deadlineMs).toBe(1000);
    expect(r.functions[0].deadlineMisses).toBe(1);
    expect(r.totals.deadlineMisses).toBe(1);
  });

  it('4 workers per replica: execution × max(1, active / workers) at the replica limit (docs/reference.md §3)', () => {
    const arrivals = [every(100, 'a'), every(100, 'b'), every(100, 'c'), every(100, 'd')];
    const r = simulate({ ...base, durationS: 150, maxReplicas: 1, concurrency: { kind: 'workers', workers: 2 }, workflow: oneFunction({ nodeTypes: ['local'], referenceSeconds: 1 }, arrivals) });
    const f = r.functions[0];
    expect(f.completed).toBe(4);
    const b = f.execution.p50 / 1; // first two run at the base time
    expect(f.execution.max / b).toBeCloseTo(2, 9); // the 4th runs with 4 active on 2 workers
    expect(f.execution.mean / b).toBeCloseTo((1 + 1 + 1.5 + 2) / 4, 9);
  });
  it('a node keeps each input version it fetched, as the controller does (mover.ts moves bytes only to a node without them): the model crosses the links once, not once per invocation; keepInputs: false moves it every time', () => {
    const MODEL = 4 * MiB;
    const wf: SimWorkflow = {
      ...oneFunction({ nodeTypes: ['edge'], referenceSeconds: 0.05 }, [every(10)]),
      artifacts: [{ urn: 'urn:model:m', kind: 'model', size: MODEL, locations: ['cloud-1'] }],
    };
    wf.functions[0].inputs = ['urn:model:m'];
    const downTo = (r: ReturnType<typeof simulate>, node: string) => r.links.find((l) => l.from === node)?.downBytes;
    const kept = simulate({ ...base, durationS: 100, workflow: wf });
    const f = kept.functions[0];
    expect(f.completed).toBe(9);
    const node = kept.deploy[0].node!;
    // what reaches the node without the model: its bundle
    const bundle = downTo(simulate({ ...base, durationS: 100, workflow: { ...wf, functions: [{ ...wf.functions[0], inputs: [] }] } }), node)!;
    expect(downTo(kept, node)).toBe(bundle + MODEL);
    // only the first run waited for it
    expect(f.transfer.max).toBeGreaterThan(0);
    expect(f.transfer.p50).toBe(0);
    const moved = simulate({ ...base, durationS: 100, workflow: wf, keepInputs: false });
    expect(downTo(moved, node)).toBe(bundle + 9 * MODEL);
    expect(moved.functions[0].transfer.p50).toBeGreaterThan(0);
  });
});

describe('simulate: cost and report', () => {
  it('cloud cost with the Lambda-like formula (docs/reference.md §1), by hand', () => {
    expect(gbSeconds(200 * MiB, 0.25)).toBeCloseTo((200 / 1024) * 0.3, 12); // 250 ms billed as 300 ms
    expect(gbSeconds(GB, 0.3)).toBeCloseTo(0.3, 12);
    const c = cloudCostOf(2.7, 9, 2 * GB);
    expect(c.compute).toBeCloseTo(2.7 * 0.000016667, 15);
    expect(c.requests).toBeCloseTo(9 * 0.2e-6, 15);
    expect(c.egress).toBeCloseTo(0.14, 12);
    expect(c.total).toBeCloseTo(2.7 * 0.000016667 + 9 * 0.2e-6 + 0.14, 12);
    // a 1 GiB function on the cloud VM (xeon-cpu: slowdown 1) for 0.25 s, 9 times
    const r = simulate({ ...base, durationS: 100, workflow: oneFunction({ nodeTypes: ['cloud'], memoryBytes: GB, referenceSeconds: 0.25 }, [every(10)]) });
    expect(r.deploy[0].node).toBe('cloud-1');
    expect(r.cloudCost.cloudInvocations).toBe(9);
    expect(r.cloudCost.gbSeconds).toBeCloseTo(9 * 0.3, 9);
    expect(r.cloudCost.total).toBeCloseTo(9 * 0.3 * 0.000016667 + 9 * 0.2e-6, 12);
    expect(r.edgeUtilisation).toBe(0);
  });

  it('the same seed gives a byte-identical report; another seed a different one', () => {
    const project = loadProject(mnistDir);
    const opts = { project, topology: local, profile: 'edge-ai', durationS: 600 };
    const a = JSON.stringify(simulate({ ...opts, seed: 7 }));
    const b = JSON.stringify(simulate({ ...opts, seed: 7 }));
    const c = JSON.stringify(simulate({ ...opts, seed: 8 }));
    expect(a).toBe(b);
    expect(c).not.toBe(a);
  });
});

describe('simulate: samples/mnist', () => {
  const project = loadProject(mnistDir);
  for (const name of ['local', 'urban-sensing']) {
    it(`on ${name}: runs, and deploys every function where the real scheduler places it`, () => {
      const topology = topologyByName(name);
      for (const profile of ['edge-ai', 'skippy', 'kube-default']) {
        const r = simulate({ project, topology, profile, seed: 3, durationS: 900, rates: { inference: 2 } });
        const expected = scheduleProject(project, topology, profile, false).placements.map((p) => ({ function: p.function, node: p.node }));
        expect(r.deploy.map((d) => ({ function: d.function, node: d.node }))).toEqual(expected);
        const inf = r.functions.find((f) => f.function === 'inference')!;
        expect(inf.arrivals).toBeGreaterThan(1500);
        expect(inf.completed + inf.failed + inf.unfinished).toBe(inf.invocations);
        expect(inf.completed).toBe(inf.invocations);
        expect(inf.coldStarts).toBeGreaterThan(0);
        // bundles cross links unless everything runs on the registry's own node (the laptop)
        const allOnRegistry = r.deploy.every((d) => d.node === 'laptop');
        expect(r.links.length > 0).toBe(!allOnRegistry);
      }
    });
  }

  it('a function that cannot be placed is reported with the scheduler\'s reason', () => {
    const r = simulate({ project, topology: topologyByName('urban-sensing'), profile: 'edge-ai', seed: 1, durationS: 60, rates: { refine: 1 } });
    const refine = r.functions.find((f) => f.function === 'refine')!;
    expect(r.deploy.find((d) => d.function === 'refine')!.node).toBeNull();
    expect(refine.failed).toBe(refine.invocations);
    expect(refine.failures[0]).toMatch(/no node can run refine/);
  });
});

describe('compareSchedulers', () => {
  it('runs each profile on the same arrivals (faas-sim workload, urban sensing)', () => {
    const topology = topologyByName('urban-sensing');
    const reports = compareSchedulers({ workload: 'faas-sim', topology, seed: 5, durationS: 1800 }, ['edge-ai', 'skippy', 'kube-default']);
    expect(reports.map((r) => r.profile)).toEqual(['edge-ai', 'skippy', 'kube-default']);
    for (const fn of ['preprocess', 'inference']) {
      const sums = reports.map((r) => r.functions.find((f) => f.function === fn)!).map((f) => `${f.arrivals}:${f.arrivalsChecksum}`);
      expect(new Set(sums).size).toBe(1);
      expect(Number(sums[0].split(':')[0])).toBeGreaterThan(0);
    }
    // the profiles decide differently, so the figures differ
    const placements = reports.map((r) => JSON.stringify(r.deploy));
    expect(new Set(placements).size).toBeGreaterThan(1);
    // edge-ai honours the GPU + CUDA 10 requirement of training (docs/reference.md §2), so it never lands on a device without a GPU time (§4)
    const edge = reports[0].functions.find((f) => f.function === 'train')!;
    expect(edge.completed).toBeGreaterThan(0);
    expect(edge.failed).toBe(0);
  });
});

describe('compareSchedulersAsync (the studio runs it in its main process)', () => {
  const project = loadProject(mnistDir);
  const topology = topologyByName('urban-sensing');
  const opts = { project, topology, seed: 4, durationS: 1200, rates: { inference: 3 } };

  it('gives the same reports as compareSchedulers, whatever the slice size, with progress per profile', async () => {
    const sync = JSON.stringify(compareSchedulers(opts, ['edge-ai', 'kube-default']));
    const progress: Array<{ index: number; profile: string; fraction: number }> = [];
    const sliced = await compareSchedulersAsync(opts, ['edge-ai', 'kube-default'], { eventsPerStep: 500, onProgress: (p) => progress.push(p) });
    expect(JSON.stringify(sliced)).toBe(sync);
    expect(JSON.stringify(await compareSchedulersAsync(opts, ['edge-ai', 'kube-default'], { eventsPerStep: 1 }))).toBe(sync);
    // many slices, fractions rising to 1 for each profile in turn
    for (const [index, profile] of ['edge-ai', 'kube-default'].entries()) {
      const mine = progress.filter((p) => p.index === index);
      expect(mine.every((p) => p.profile === profile)).toBe(true);
      expect(mine.length).toBeGreaterThan(10);
      expect(mine[0].fraction).toBe(0);
      expect(mine.at(-1)!.fraction).toBe(1);
      for (let i = 1; i < mine.length; i++) expect(mine[i].fraction).toBeGreaterThanOrEqual(mine[i - 1].fraction);
    }
  });

  it('lets the event loop run between slices, and stops when cancelled', async () => {
    const ac = new AbortController();
    let ticks = 0;
    const timer = setInterval(() => {
      ticks++;
    }, 0);
    const run = compareSchedulersAsync(opts, ['edge-ai', 'skippy'], {
      eventsPerStep: 200,
      onProgress: (p) => {
        if (p.index === 1 && p.fraction > 0.2) ac.abort();
      },
      signal: ac.signal,
    });
    await expect(run).rejects.toThrow(SimulationCancelled);
    await expect(run).rejects.toThrow(/cancelled \(skippy, profile 2 of 2\)/);
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(0);
  });
});
