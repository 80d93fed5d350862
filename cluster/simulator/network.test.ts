import { describe, expect, it } from 'vitest';
import { resolveTopology, type Topology } from '../topology/model';
import { Engine, EventQueue, Rng } from './engine';
import { FlowNetwork, GOODPUT, type Flow } from './network';

const MBPS = 125_000;

/** a, b, c on one switch `hub`; a and c with 100 Mbit/s host links, b with 10 Mbit/s up / 100 down. */
function star(latencyMs = 0): Topology {
  return resolveTopology({
    name: 'star',
    version: 1,
    loopbackMbps: 10000,
    networks: [{ name: 'hub', kind: 'lan' }],
    nodes: ['a', 'b', 'c'].map((name) => ({ name, device: 'nuc', type: 'edge' as const, network: 'hub' })),
    links: [
      { from: 'a', to: 'hub', upMbps: 100, downMbps: 100, latencyMs },
      { from: 'b', to: 'hub', upMbps: 10, downMbps: 100, latencyMs },
      { from: 'c', to: 'hub', upMbps: 100, downMbps: 100, latencyMs },
    ],
    registry: { at: ['a'] },
  });
}

function run(t: Topology, flows: Array<{ from: string; to: string; bytes: number; at?: number }>) {
  const engine = new Engine();
  const net = new FlowNetwork(engine, t);
  const out: Flow[] = [];
  const rates: number[][] = [];
  for (const spec of flows) {
    engine.at(spec.at ?? 0, () => {
      out.push(net.transfer(spec.from, spec.to, spec.bytes, () => {}));
    });
  }
  // sample the allocations just after everything has started
  engine.at(1e-9 + Math.max(...flows.map((f) => f.at ?? 0)), () => rates.push(out.map((f) => f.rate)));
  engine.run();
  return { out, rates: rates[0], net, engine };
}

describe('event queue and random numbers', () => {
  it('pops in time order and keeps insertion order for equal times', () => {
    const q = new EventQueue();
    const seen: string[] = [];
    for (const [t, name] of [[3, 'c'], [1, 'a1'], [2, 'b'], [1, 'a2'], [0, 'z'], [1, 'a3']] as Array<[number, string]>) q.push(t, () => seen.push(name));
    while (q.size) q.pop()!.run();
    expect(seen).toEqual(['z', 'a1', 'a2', 'a3', 'b', 'c']);
  });

  it('cancelled events do not run', () => {
    const e = new Engine();
    const seen: number[] = [];
    e.at(1, () => seen.push(1));
    const x = e.at(2, () => seen.push(2));
    e.at(3, () => seen.push(3));
    e.cancel(x);
    e.run();
    expect(seen).toEqual([1, 3]);
    expect(e.processed).toBe(2);
  });

  it('a seeded stream repeats; a different seed or name differs; exponential mean is right', () => {
    const a = Rng.stream(7, 'x');
    const b = Rng.stream(7, 'x');
    const c = Rng.stream(8, 'x');
    const d = Rng.stream(7, 'y');
    const sa = Array.from({ length: 5 }, () => a.uniform());
    expect(Array.from({ length: 5 }, () => b.uniform())).toEqual(sa);
    expect(Array.from({ length: 5 }, () => c.uniform())).not.toEqual(sa);
    expect(Array.from({ length: 5 }, () => d.uniform())).not.toEqual(sa);
    const r = new Rng(1);
    let sum = 0;
    let lsum = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) {
      sum += r.exponential(50);
      lsum += r.lognormal(2, 0.3);
    }
    expect(sum / n).toBeGreaterThan(48);
    expect(sum / n).toBeLessThan(52);
    expect(lsum / n).toBeGreaterThan(1.95);
    expect(lsum / n).toBeLessThan(2.05);
  });
});

describe('max-min fair flows (docs/reference.md §5)', () => {
  it('a single flow takes 1.5·RTT + size / (bandwidth · 0.97)', () => {
    const t = star(5); // a → hub → c: 2 links of 5 ms, RTT = 2 · 10 ms
    const bytes = 50_000_000;
    const { out } = run(t, [{ from: 'a', to: 'c', bytes }]);
    const expected = 1.5 * 0.02 + bytes / (100 * MBPS * 0.97);
    expect(out[0].doneAt).toBeCloseTo(expected, 9);
    expect(out[0].activeAt).toBeCloseTo(0.03, 12);
  });

  it('two flows sharing a link get half each, and the survivor takes it all when one ends', () => {
    const C = 100 * MBPS;
    const s1 = 10_000_000;
    const s2 = 30_000_000;
    const { out, rates } = run(star(), [
      { from: 'a', to: 'c', bytes: s1 },
      { from: 'a', to: 'c', bytes: s2 },
    ]);
    expect(rates).toEqual([C / 2, C / 2]);
    const t1 = s1 / ((C / 2) * GOODPUT);
    const t2 = t1 + (s2 - s1) / (C * GOODPUT);
    expect(out[0].doneAt).toBeCloseTo(t1, 9);
    expect(out[1].doneAt).toBeCloseTo(t2, 9);
  });

  it('a flow bottlenecked elsewhere leaves its unused share to the others', () => {
    // b → c is held to 10 Mbit/s by b's uplink; a → c gets the remaining 90 of hub → c
    const { rates } = run(star(), [
      { from: 'a', to: 'c', bytes: 100_000_000 },
      { from: 'b', to: 'c', bytes: 100_000_000 },
    ]);
    expect(rates[1]).toBeCloseTo(10 * MBPS, 6);
    expect(rates[0]).toBeCloseTo(90 * MBPS, 6);
  });

  it('three flows: two through a bottleneck, the third fills what is left', () => {
    // b → a and b → c share b's 10 Mbit/s uplink (5 each); a → c is alone on a's uplink but shares hub → c with b → c
    const { rates } = run(star(), [
      { from: 'b', to: 'a', bytes: 1e9 },
      { from: 'b', to: 'c', bytes: 1e9 },
      { from: 'a', to: 'c', bytes: 1e9 },
    ]);
    expect(rates[0]).toBeCloseTo(5 * MBPS, 6);
    expect(rates[1]).toBeCloseTo(5 * MBPS, 6);
    expect(rates[2]).toBeCloseTo(95 * MBPS, 6);
  });

  it('counts bytes per link and direction, including a flow still in progress', () => {
    const t = star();
    const engine = new Engine();
    const net = new FlowNetwork(engine, t);
    engine.at(0, () => net.transfer('a', 'c', 1_000_000, () => {}));
    engine.at(0, () => net.transfer('b', 'a', 10 * MBPS * GOODPUT * 10, () => {})); // 10 s
    engine.run(5);
    const mid = Object.fromEntries(net.linkBytes().map((l) => [l.link, [l.upBytes, l.downBytes]]));
    expect(mid['a → hub'][0]).toBe(1_000_000);
    expect(mid['c → hub'][1]).toBe(1_000_000);
    expect(mid['b → hub'][0]).toBeCloseTo(10 * MBPS * GOODPUT * 5, 3);
    engine.run();
    const end = Object.fromEntries(net.linkBytes().map((l) => [l.link, [l.upBytes, l.downBytes]]));
    expect(end['b → hub']).toEqual([10 * MBPS * GOODPUT * 10, 0]);
    expect(end['a → hub']).toEqual([1_000_000, 10 * MBPS * GOODPUT * 10]);
  });

  it('a flow within one node uses the loopback bandwidth', () => {
    const { out } = run(star(), [{ from: 'a', to: 'a', bytes: 1.25e9 * GOODPUT }]);
    expect(out[0].doneAt).toBeCloseTo(1, 9); // 10000 Mbit/s = 1.25e9 B/s (docs/reference.md §2)
  });
});
