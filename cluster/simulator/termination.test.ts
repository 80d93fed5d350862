/**
 * The simulator always terminates (issue 15, item 1).
 *
 * A flow whose remaining transfer time is below the clock's floating-point resolution
 * (now + t === now: at t ≈ 86,400 s one ulp is ≈ 1.5e-11 s) used to reschedule its completion at
 * the same instant forever. These tests are written so that they fail, not hang, on such code:
 * the synchronous CLI path runs in a worker thread that is terminated at a deadline, the sliced
 * path is aborted at a deadline, and the engine and network runs are given an event budget.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { loadProject } from '../project/index';
import { topologyByName } from '../topology/scenarios';
import { Engine, SimulationError } from './engine';
import { FlowNetwork, GOODPUT, type Flow } from './network';
import { compareSchedulersAsync, type SimulationOptions, type SimulationReport } from './index';
import { resolveTopology, type Topology } from '../topology/model';

const mnistDir = fileURLToPath(new URL('../../samples/mnist', import.meta.url));
const H = 3600;
const DAY = 24 * H;
/** a run that takes longer than this is taken to hang (vitest's testTimeout is 60 s) */
const DEADLINE_MS = 45_000;

interface Repro {
  topology: string;
  durationS: number;
  rates?: Record<string, number>;
}

/** file URL of tsx's ESM API (what bin/edgeai.mjs registers), found from here rather than the cwd */
function tsxEsmApi(): string {
  const pkgPath = createRequire(import.meta.url).resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { exports: Record<string, { import: { default: string } }> };
  return new URL(pkg.exports['./esm/api'].import.default, pathToFileURL(pkgPath)).href;
}

/**
 * `compareSchedulers` from cluster/simulator/index (the CLI's code path: `edgeai simulate
 * samples/mnist --topology … --duration …`, profile edge-ai, seed 1) in a worker thread, so
 * that a hang (a synchronous loop) can be stopped: the worker is terminated at the deadline.
 */
function compareInWorker(r: Repro, deadlineMs = DEADLINE_MS): Promise<{ ms: number; reports: SimulationReport[] }> {
  const url = (p: string) => new URL(p, import.meta.url).href;
  const workerData = {
    tsx: tsxEsmApi(),
    index: url('./index.ts'),
    project: url('../project/index.ts'),
    scenarios: url('../topology/scenarios.ts'),
    mnist: mnistDir,
    ...r,
  };
  const src = `
    const { parentPort, workerData: w } = require('node:worker_threads');
    (async () => {
      const { register } = await import(w.tsx);
      register();
      const [{ compareSchedulers }, { loadProject }, { topologyByName }] = await Promise.all([import(w.index), import(w.project), import(w.scenarios)]);
      const opts = { project: loadProject(w.mnist), topology: topologyByName(w.topology), seed: 1, durationS: w.durationS, rates: w.rates ?? {} };
      const t0 = performance.now();
      const reports = compareSchedulers(opts, ['edge-ai']);
      parentPort.postMessage({ ok: true, ms: performance.now() - t0, json: JSON.stringify(reports) });
    })().catch((e) => parentPort.postMessage({ ok: false, error: (e && e.stack) || String(e) }));
  `;
  return new Promise((resolve, reject) => {
    const worker = new Worker(src, { eval: true, workerData, execArgv: [] });
    const timer = setTimeout(() => {
      void worker.terminate();
      reject(new Error(`simulate ${r.topology} for ${r.durationS} s did not finish within ${deadlineMs / 1000} s: the simulator hangs`));
    }, deadlineMs);
    worker.once('message', (m: { ok: true; ms: number; json: string } | { ok: false; error: string }) => {
      clearTimeout(timer);
      void worker.terminate();
      if (m.ok) resolve({ ms: m.ms, reports: JSON.parse(m.json) as SimulationReport[] });
      else reject(new Error(m.error));
    });
    worker.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/** compareSchedulersAsync (the studio's sliced run), aborted at the deadline */
async function compareSliced(opts: Omit<SimulationOptions, 'profile'>, deadlineMs = DEADLINE_MS): Promise<{ reports: SimulationReport[]; fractions: number[] }> {
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), deadlineMs);
  const fractions: number[] = [];
  try {
    const reports = await compareSchedulersAsync(opts, ['edge-ai'], { signal: stop.signal, onProgress: (p) => fractions.push(p.fraction) });
    return { reports, fractions };
  } finally {
    clearTimeout(timer);
  }
}

function expectConsistent(r: SimulationReport, durationS: number): void {
  expect(r.durationS).toBe(durationS);
  expect(r.endS).toBeGreaterThanOrEqual(durationS);
  const t = r.totals;
  expect(t.completed + t.failed + t.unfinished).toBe(t.invocations);
}

describe('simulate terminates: the two repros of issue 15', () => {
  it('mnist on urban-sensing for 25 h (hung at t ≈ 86,400 s: the nightly training’s transfer)', async () => {
    const durationS = 25 * H;
    const { reports } = await compareInWorker({ topology: 'urban-sensing', durationS });
    expect(reports).toHaveLength(1);
    const r = reports[0];
    expectConsistent(r, durationS);
    // the training at 24 h ran: that is the one whose flow could not finish
    expect(r.functions.find((f) => f.function === 'train')!.completed).toBeGreaterThanOrEqual(1);
    expect(r.functions.find((f) => f.function === 'inference')!.completed).toBeGreaterThan(0);
    // the studio's sliced run gives the same report, and its progress reaches 1
    const sliced = await compareSliced({ project: loadProject(mnistDir), topology: topologyByName('urban-sensing'), seed: 1, durationS });
    expect(JSON.stringify(sliced.reports[0])).toBe(JSON.stringify(r));
    expect(sliced.fractions.at(-1)).toBe(1);
  });

  it('mnist on local with inference at 0.002/s for 24 h', async () => {
    const durationS = 24 * H;
    const rates = { inference: 0.002 };
    const { reports } = await compareInWorker({ topology: 'local', durationS, rates });
    const r = reports[0];
    expectConsistent(r, durationS);
    expect(r.functions.find((f) => f.function === 'inference')!.completed).toBeGreaterThan(0);
    const sliced = await compareSliced({ project: loadProject(mnistDir), topology: topologyByName('local'), seed: 1, durationS, rates });
    expect(JSON.stringify(sliced.reports[0])).toBe(JSON.stringify(r));
  });
});

describe('simulate terminates: property', () => {
  it('random small topologies, seeds, low rates and durations up to 30 days', async () => {
    const mnist = loadProject(mnistDir);
    const topologies = ['local', 'skippy-testbed', 'urban-sensing:cells=1', 'urban-sensing:cells=2', 'industrial-iot:sites=1', 'cloud-regions:regions=1,vms=2'];
    const prop = fc.asyncProperty(
      fc.constantFrom(...topologies),
      fc.nat(),
      // whole and fractional seconds, from a minute to 30 days
      fc.oneof(fc.integer({ min: 60, max: 30 * DAY }), fc.double({ min: 60, max: 30 * DAY, noNaN: true })),
      // at most ~300 inference arrivals, whatever the duration
      fc.double({ min: 1, max: 300, noNaN: true }),
      async (topology, seed, durationS, arrivals) => {
        const opts = { project: mnist, topology: topologyByName(topology), seed, durationS, rates: { inference: arrivals / durationS } };
        // bounded: a hang is aborted (SimulationCancelled) rather than waited for
        const { reports, fractions } = await compareSliced(opts, 4_000);
        expectConsistent(reports[0], durationS);
        expect(fractions.at(-1)).toBe(1);
      },
    );
    // a hang (on code without the fix) aborts each run after 4 s; stop shrinking in time to report it
    await fc.assert(prop, { seed: 42, numRuns: 25, interruptAfterTimeLimit: 40_000, markInterruptAsFailure: true });
  }, 60_000);

  it('flows on fast links started late in a long run all finish (the network alone)', () => {
    // one link of `gbps` each way; flows of random sizes start at random times up to 30 days, when
    // one ulp of the clock is up to 4.7e-10 s, i.e. up to ~0.6 byte at 10 Gbit/s
    const net = (gbps: number): Topology =>
      resolveTopology({
        name: 'pair',
        version: 1,
        loopbackMbps: 10000,
        networks: [{ name: 'hub', kind: 'lan' }],
        nodes: ['a', 'b'].map((name) => ({ name, device: 'nuc', type: 'edge' as const, network: 'hub' })),
        links: ['a', 'b'].map((from) => ({ from, to: 'hub', upMbps: gbps * 1000, downMbps: gbps * 1000, latencyMs: 0 })),
        registry: { at: ['a'] },
      });
    const prop = fc.property(
      fc.constantFrom(1, 10, 40, 100),
      fc.array(fc.record({ at: fc.double({ min: 0, max: 30 * DAY, noNaN: true }), bytes: fc.integer({ min: 1, max: 2 ** 31 }), dir: fc.boolean() }), { minLength: 1, maxLength: 12 }),
      (gbps, flows) => {
        const engine = new Engine();
        const fnet = new FlowNetwork(engine, net(gbps));
        const done: Flow[] = [];
        for (const f of flows) engine.at(f.at, () => fnet.transfer(f.dir ? 'a' : 'b', f.dir ? 'b' : 'a', f.bytes, (x) => done.push(x)), 'start a flow');
        engine.run(Infinity, 100_000); // an event budget: a hang fails the property instead
        expect(engine.doneUntil()).toBe(true);
        expect(done).toHaveLength(flows.length);
        const cap = gbps * 125e6 * GOODPUT;
        for (const f of done) {
          expect(f.state).toBe('done');
          // never faster than the link allows (a flow may finish up to one clock step early)
          expect(f.doneAt - f.activeAt).toBeGreaterThanOrEqual(f.bytes / cap - 2 * Number.EPSILON * f.doneAt);
        }
        // every byte crosses both host links
        const moved = fnet.linkBytes().reduce((s, l) => s + l.upBytes + l.downBytes, 0);
        expect(moved).toBe(2 * flows.reduce((s, f) => s + f.bytes, 0));
      },
    );
    fc.assert(prop, { seed: 42, numRuns: 300 });
  });
});

describe('engine guard: events that do not advance the clock', () => {
  it('a self-rescheduling zero-delay event throws a SimulationError naming the event and the time, not a hang', () => {
    const engine = new Engine();
    const tick = () => void engine.after(0, tick, 'self-rescheduling tick');
    engine.at(5, tick, 'self-rescheduling tick');
    let err: unknown;
    try {
      engine.run(Infinity, 5_000_000); // a budget above the guard, so that code without one fails instead of hanging
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SimulationError);
    expect((err as Error).message).toMatch(/'self-rescheduling tick'/);
    expect((err as Error).message).toMatch(/t = 5 s/);
    expect((err as Error).message).toMatch(/1,000,000 events/);
  });

  it('counts across slices (the studio runs the engine in slices) and only events at one instant', () => {
    const sliced = new Engine();
    sliced.maxEventsPerInstant = 1000;
    const tick = () => void sliced.after(0, tick, 'tick');
    sliced.at(1, tick, 'tick');
    expect(() => {
      for (let i = 0; i < 100; i++) sliced.run(Infinity, 30);
    }).toThrow(/1,000 events at t = 1 s without the clock advancing.*'tick'/);

    // 999 events at one instant, then 5,000 that each move the clock: fine
    const ok = new Engine();
    ok.maxEventsPerInstant = 1000;
    for (let i = 0; i < 999; i++) ok.at(7, () => {});
    let n = 0;
    const step = () => {
      if (++n < 5000) ok.after(1e-3, step, 'step');
    };
    ok.at(7, step, 'step');
    expect(ok.run()).toBe(1000 + 4999);
    expect(ok.now).toBeCloseTo(7 + 4.999, 9);
  });
});
