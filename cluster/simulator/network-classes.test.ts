/**
 * FlowNetwork's classes of flows (issue 15, item 2): flows the filling cannot tell apart share a
 * class, its rate and a lazy count of bytes; a start or end costs the classes it touches, not the
 * flows in flight. These tests check the result against a reference that moves every flow's bytes
 * and fills every flow after every event (as FlowNetwork did before), and count the work.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { resolveTopology, type Topology } from '../topology/model';
import { Engine } from './engine';
import { CONNECTION_SETUP_RTTS, FlowNetwork, GOODPUT, type Flow } from './network';
import { referenceMaxMin } from './testing/reference-fill';

const MBPS = 125_000;

/** three LANs joined by a core, eight nodes on them; link speeds from `speeds` */
function randomTopology(speeds: number[], homes: number[]): Topology {
  const lans = ['lan0', 'lan1', 'lan2'];
  const pick = (i: number) => speeds[i % speeds.length];
  return resolveTopology({
    name: 'random',
    version: 1,
    loopbackMbps: 10000,
    networks: [{ name: 'core', kind: 'wan' }, ...lans.map((name) => ({ name, kind: 'lan' as const }))],
    nodes: homes.map((h, i) => ({ name: `n${i}`, device: 'nuc', type: 'edge' as const, network: lans[h % 3] })),
    links: [
      ...lans.map((lan, i) => ({ from: lan, to: 'core', upMbps: pick(2 * i), downMbps: pick(2 * i + 1), latencyMs: 1 })),
      ...homes.map((_, i) => ({ from: `n${i}`, to: lans[homes[i] % 3], upMbps: pick(6 + 2 * i), downMbps: pick(7 + 2 * i), latencyMs: 0.5 })),
    ],
    registry: { at: ['n0'] },
  });
}

interface RefFlow {
  links: number[];
  capBps: number;
  bytes: number;
  activeAt: number;
  remaining: number;
  rate: number;
  doneAt: number;
}

/**
 * The reference run: flows become active at `activeAt`; between events every active flow's bytes
 * move at its rate, and after every event all rates are filled again from scratch. A flow ends
 * when its remaining bytes are within 1e-9 · bytes + 1e-6 of zero (FlowNetwork's rule).
 */
function referenceRun(flows: RefFlow[], capacity: (l: number) => number): void {
  const pending = flows.filter((f) => f.bytes > 0).sort((a, b) => a.activeAt - b.activeAt);
  for (const f of flows) if (!(f.bytes > 0)) f.doneAt = f.activeAt;
  const active: RefFlow[] = [];
  let now = 0;
  let next = 0;
  for (let guard = 0; guard < 100_000 && (active.length || next < pending.length); guard++) {
    let dt = Infinity;
    for (const f of active) if (f.rate > 0) dt = Math.min(dt, f.remaining / (f.rate * GOODPUT));
    const tAct = next < pending.length ? pending[next].activeAt : Infinity;
    const t = Math.min(now + dt, tAct);
    for (const f of active) f.remaining -= f.rate * GOODPUT * (t - now);
    now = t;
    for (let i = active.length - 1; i >= 0; i--) {
      const f = active[i];
      if (f.remaining <= 1e-9 * f.bytes + 1e-6 || (f.rate > 0 && now + f.remaining / (f.rate * GOODPUT) === now)) {
        f.doneAt = now;
        active.splice(i, 1);
      }
    }
    while (next < pending.length && pending[next].activeAt <= now) active.push(pending[next++]);
    referenceMaxMin(active, capacity).forEach((r, i) => (active[i].rate = r ?? active[i].rate));
  }
}

describe('classes of flows: the same rates and completion times as moving and filling every flow', () => {
  it('random networks, caps and shared virtual links (links turning shared, single, slack and unable to bind as flows come and go): every completion within 1e-9 of the reference', () => {
    const flowSpec = fc.record({
      at: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 100 }), fc.double({ min: 0, max: 100, noNaN: true })),
      from: fc.nat({ max: 7 }),
      to: fc.nat({ max: 7 }),
      bytes: fc.oneof(fc.integer({ min: 0, max: 3e8 }), fc.constantFrom(1e6, 1e7, 1e8)),
      capMbps: fc.option(fc.constantFrom(1, 5, 20, 50.5), { freq: 3 }),
      virtual: fc.option(fc.nat({ max: 2 }), { freq: 3 }),
    });
    let moved = 0;
    let promoted = 0;
    let demoted = 0;
    let classes = 0;
    let flowsRun = 0;
    const prop = fc.property(
      fc.oneof(fc.array(fc.constantFrom(10, 25, 100, 1000), { minLength: 22, maxLength: 22 }), fc.array(fc.double({ min: 1, max: 2000, noNaN: true }), { minLength: 22, maxLength: 22 })),
      fc.array(fc.nat({ max: 2 }), { minLength: 8, maxLength: 8 }),
      fc.array(flowSpec, { minLength: 1, maxLength: 60 }),
      (speeds, homes, specs) => {
        const engine = new Engine();
        const net = new FlowNetwork(engine, randomTopology(speeds, homes));
        const virtual = [net.addVirtualLink('v0', 30 * MBPS), net.addVirtualLink('v1', 7 * MBPS)];
        const capacity = (l: number) => net.resource(l).capacityBps;
        const out: Flow[] = [];
        const ref: RefFlow[] = [];
        for (const [i, s] of specs.entries()) {
          const extra = s.virtual === null ? [] : s.virtual === 2 ? [virtual[0], virtual[0]] : [virtual[s.virtual]];
          const r = net.route(`n${s.from}`, `n${s.to}`);
          const capBps = s.capMbps === null ? Infinity : s.capMbps * MBPS;
          ref.push({ links: [...r.links, ...extra], capBps, bytes: s.bytes, activeAt: s.at + CONNECTION_SETUP_RTTS * r.rttS, remaining: s.bytes, rate: 0, doneAt: NaN });
          engine.at(s.at, () => (out[i] = net.transfer(`n${s.from}`, `n${s.to}`, s.bytes, () => {}, { capBps, ...(extra.length ? { extraLinks: extra } : {}) })));
        }
        let events = 0;
        while (engine.run(Infinity, 1) === 1) {
          expect(++events).toBeLessThan(20_000);
          classes = Math.max(classes, net.classCount);
        }
        referenceRun(ref, capacity);
        expect(out).toHaveLength(specs.length);
        out.forEach((f, i) => {
          expect(f.state).toBe('done');
          expect(Math.abs(f.doneAt - ref[i].doneAt)).toBeLessThanOrEqual(1e-9 * ref[i].doneAt + 1e-9);
        });
        moved += net.reprojected;
        promoted += net.promoted;
        demoted += net.demoted;
        flowsRun += specs.length;
      },
    );
    fc.assert(prop, { seed: 151, numRuns: 200 });
    // the runs moved flows between classes (a link's status changed under them) and shared classes
    expect(moved).toBeGreaterThan(100);
    // links left out while their load was below capacity, taken in when it was not, and left out again
    expect(promoted).toBeGreaterThan(50);
    expect(demoted).toBeGreaterThan(10);
    expect(classes).toBeGreaterThan(1);
    expect(flowsRun).toBeGreaterThan(1000);
  });

  /** `n` pulls from node s through its 100 Mbit/s uplink to n nodes with 1000 Mbit/s links, of sizes spread so that they end one by one */
  function pulls(n: number, capBps?: number) {
    const topology = resolveTopology({
      name: 'pulls',
      version: 1,
      loopbackMbps: 10000,
      networks: [{ name: 'hub', kind: 'lan' }],
      nodes: ['s', ...Array.from({ length: n }, (_, i) => `d${i}`)].map((name) => ({ name, device: 'nuc', type: 'edge' as const, network: 'hub' })),
      links: [{ from: 's', to: 'hub', upMbps: 100, downMbps: 100, latencyMs: 0 }, ...Array.from({ length: n }, (_, i) => ({ from: `d${i}`, to: 'hub', upMbps: 1000, downMbps: 1000, latencyMs: 0 }))],
      registry: { at: ['s'] },
    });
    const engine = new Engine();
    const net = new FlowNetwork(engine, topology);
    let done = 0;
    for (let i = 0; i < n; i++) engine.at(i * 1e-3, () => net.transfer('s', `d${i}`, 1e6 * (1 + i), () => done++, capBps ? { capBps } : {}));
    engine.run();
    expect(done).toBe(n);
    return { perEvent: net.work / net.recomputations, recomputed: net.recomputedFlows / net.recomputations, inFlight: net.activeAtRecomputations / net.recomputations };
  }

  it('a start or end costs the same work with 50 or 800 flows in flight that share one bottleneck (counted steps, not time)', () => {
    const small = pulls(50);
    const large = pulls(800);
    // the flows in flight grow 16×, and each start or end changes all their rates …
    expect(large.inFlight).toBeGreaterThan(10 * small.inFlight);
    expect(large.recomputed).toBeGreaterThan(10 * small.recomputed);
    // … but they are one class: the work per start or end does not grow
    expect(large.perEvent).toBeLessThanOrEqual(1.2 * small.perEvent);
    expect(large.perEvent).toBeLessThan(20);
    // the same under a per-flow cap (a link's status, not the cap, decides the class)
    expect(pulls(800, 50 * MBPS).perEvent).toBeLessThan(20);
  });

  /** `n` flows between their own pairs of nodes, each at its own link speed (so each is a class, and its own component), of sizes spread so that they end one by one */
  function pairs(n: number) {
    const names = Array.from({ length: n }, (_, i) => [`s${i}`, `d${i}`]).flat();
    const topology = resolveTopology({
      name: 'pairs',
      version: 1,
      loopbackMbps: 10000,
      networks: [{ name: 'hub', kind: 'lan' }],
      nodes: names.map((name) => ({ name, device: 'nuc', type: 'edge' as const, network: 'hub' })),
      links: names.map((name, k) => ({ from: name, to: 'hub', upMbps: 100 + (k >> 1), downMbps: 100 + (k >> 1), latencyMs: 0 })),
      registry: { at: ['s0'] },
    });
    const engine = new Engine();
    const net = new FlowNetwork(engine, topology);
    let done = 0;
    let classes = 0;
    for (let i = 0; i < n; i++) engine.at(0, () => net.transfer(`s${i}`, `d${i}`, 1e6 * (1 + i), () => done++));
    while (engine.run(Infinity, 1) === 1) classes = Math.max(classes, net.classCount);
    expect(done).toBe(n);
    return { perEvent: net.work / net.recomputations, classes };
  }

  it('a completion costs the same work with 50 or 800 classes in flight on separate links (the next one is the top of a heap, not a scan of every class)', () => {
    const small = pairs(50);
    const large = pairs(800);
    expect(small.classes).toBe(50);
    expect(large.classes).toBe(800);
    expect(large.perEvent).toBeLessThanOrEqual(1.2 * small.perEvent);
    expect(large.perEvent).toBeLessThan(20);
  });

  it('the starts of one instant are refilled once, and so are the ends of one instant; the rates are those of refilling after each', () => {
    const engine = new Engine();
    const topology = resolveTopology({
      name: 'fan-out',
      version: 1,
      loopbackMbps: 10000,
      networks: [{ name: 'hub', kind: 'lan' }],
      nodes: ['s', ...Array.from({ length: 40 }, (_, i) => `d${i}`)].map((name) => ({ name, device: 'nuc', type: 'edge' as const, network: 'hub' })),
      links: [{ from: 's', to: 'hub', upMbps: 100, downMbps: 100, latencyMs: 1 }, ...Array.from({ length: 40 }, (_, i) => ({ from: `d${i}`, to: 'hub', upMbps: i < 10 ? 1 : 1000, downMbps: i < 10 ? 1 : 1000, latencyMs: 1 }))],
      registry: { at: ['s'] },
    });
    const net = new FlowNetwork(engine, topology);
    const flows: Flow[] = [];
    // 40 transfers asked for at t = 1 (all become active at 1 + 1.5 · RTT, one instant); the last 30 end together
    engine.at(1, () => {
      for (let i = 0; i < 40; i++) flows.push(net.transfer('s', `d${i}`, i < 10 ? 1e8 : 1e6, () => {}));
    });
    engine.run(1 + CONNECTION_SETUP_RTTS * 0.004 + 1e-9);
    expect(net.activeFlows).toBe(40);
    expect(net.recomputations).toBe(1);
    // the ten on 1 Mbit/s links get their link; the thirty share what is left of the 100 Mbit/s uplink
    for (let i = 0; i < 10; i++) expect(flows[i].rate).toBeCloseTo(MBPS, 6);
    for (let i = 10; i < 40; i++) expect(flows[i].rate).toBeCloseTo((100 * MBPS - 10 * MBPS) / 30, 6);
    const before = net.recomputations;
    engine.run(100);
    expect(flows.slice(10).every((f) => f.state === 'done' && f.doneAt === flows[10].doneAt)).toBe(true);
    expect(net.recomputations).toBe(before + 1);
    for (let i = 0; i < 10; i++) expect(flows[i].rate).toBeCloseTo(MBPS, 6);
  });
});

