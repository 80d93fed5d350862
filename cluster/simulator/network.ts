/**
 * Network flows after edgerun/ether (docs/reference.md §5): a flow follows the route (shortest path)
 * between two vertices; it first pays a connection setup of 1.5 · RTT, then shares the
 * bandwidth of every link it crosses max-min fairly with the other active flows (recomputed
 * whenever a flow starts or ends); its payload moves at goodput = allocation · 0.97.
 *
 * Each topology link is two resources: up (from → to, `upMbps`) and down (to → from,
 * `downMbps`). Bytes are counted per link and direction. A transfer within one node uses the
 * node's loopback (the topology's `loopbackMbps`); callers may add virtual links (e.g. a fixed
 * registry bandwidth, docs/reference.md §2) and per-flow rate caps.
 */
import { CONNECTION_SETUP_RTTS, GOODPUT } from '../common/network-cost';
import type { Topology } from '../topology/model';
import { MBPS_TO_BPS, NetworkGraph } from '../topology/routes';
import type { Engine, SimEvent } from './engine';

/** the network cost of common/network-cost.ts (docs/reference.md §5): setup 1.5 · RTT, goodput = allocation · 0.97 */
export { CONNECTION_SETUP_RTTS, GOODPUT };

export interface Flow {
  id: number;
  bytes: number;
  /** payload bytes still to move */
  remaining: number;
  /** resource ids the flow crosses */
  links: number[];
  /** its own rate limit, bytes/s (Infinity = none) */
  capBps: number;
  /** current allocation, bytes/s (payload moves at rate · GOODPUT) */
  rate: number;
  /** when it was requested / when its setup ended / when it finished */
  startedAt: number;
  activeAt: number;
  doneAt: number;
  state: 'setup' | 'active' | 'done';
  onDone: (f: Flow) => void;
}

export interface LinkBytes {
  /** "from → to" as in the topology */
  link: string;
  from: string;
  to: string;
  /** bytes moved from → to */
  upBytes: number;
  /** bytes moved to → from */
  downBytes: number;
}

export interface RouteLinks {
  links: number[];
  rttS: number;
}

export class FlowNetwork {
  readonly graph: NetworkGraph;
  /** per resource: capacity in bytes/s */
  private capacity: number[] = [];
  private resourceName: string[] = [];
  /** per resource: bytes of completed flows */
  private bytes: number[] = [];
  private readonly directed = new Map<string, number>();
  private readonly loopback = new Map<string, number>();
  private readonly routes = new Map<string, RouteLinks>();
  private readonly active: Flow[] = [];
  private nextId = 0;
  private lastAdvance = 0;
  private completion: SimEvent | undefined;
  /** number of rate recomputations (for benches) */
  recomputations = 0;

  constructor(
    private readonly engine: Engine,
    readonly topology: Topology,
    graph?: NetworkGraph,
  ) {
    this.graph = graph ?? new NetworkGraph(topology);
    topology.links.forEach((l) => {
      this.directed.set(`${l.from}\u0000${l.to}`, this.addResource(`${l.from} → ${l.to}`, l.upMbps * MBPS_TO_BPS));
      this.directed.set(`${l.to}\u0000${l.from}`, this.addResource(`${l.from} ← ${l.to}`, l.downMbps * MBPS_TO_BPS));
    });
  }

  private addResource(name: string, capBps: number): number {
    this.capacity.push(capBps);
    this.resourceName.push(name);
    this.bytes.push(0);
    return this.capacity.length - 1;
  }

  /** A link outside the topology (shared by the flows that name it). */
  addVirtualLink(name: string, capBps: number): number {
    return this.addResource(name, capBps);
  }

  /** Resources and RTT of the route from → to (node or network names); cached. */
  route(from: string, to: string): RouteLinks {
    const key = `${from}\u0000${to}`;
    let r = this.routes.get(key);
    if (r) return r;
    if (from === to) {
      let lb = this.loopback.get(from);
      if (lb === undefined) {
        lb = this.addResource(`loopback ${from}`, this.graph.loopbackBps);
        this.loopback.set(from, lb);
      }
      r = { links: [lb], rttS: 0 };
    } else {
      const rt = this.graph.route(from, to);
      if (!rt.path.length) throw new Error(`no route from '${from}' to '${to}'`);
      const links: number[] = [];
      for (let i = 0; i + 1 < rt.path.length; i++) links.push(this.directed.get(`${rt.path[i]}\u0000${rt.path[i + 1]}`)!);
      // RTT = 2 · Σ link latency (docs/reference.md §5)
      r = { links, rttS: rt.rttMs / 1000 };
    }
    this.routes.set(key, r);
    return r;
  }

  /** Moves `bytes` from → to along the route; `onDone` runs when the last byte arrived. */
  transfer(from: string, to: string, bytes: number, onDone: (f: Flow) => void, opts: { capBps?: number; extraLinks?: number[]; rttS?: number } = {}): Flow {
    const r = this.route(from, to);
    return this.start(opts.extraLinks ? [...r.links, ...opts.extraLinks] : r.links, opts.rttS ?? r.rttS, bytes, onDone, opts.capBps);
  }

  /** Starts a flow over the given resources: setup 1.5 · RTT (docs/reference.md §5), then fair sharing. */
  start(links: number[], rttS: number, bytes: number, onDone: (f: Flow) => void, capBps = Infinity): Flow {
    const now = this.engine.now;
    const f: Flow = { id: this.nextId++, bytes, remaining: bytes, links, capBps, rate: 0, startedAt: now, activeAt: NaN, doneAt: NaN, state: 'setup', onDone };
    this.engine.after(CONNECTION_SETUP_RTTS * rttS, () => this.activate(f), 'flow setup');
    return f;
  }

  get activeFlows(): number {
    return this.active.length;
  }

  private activate(f: Flow): void {
    f.activeAt = this.engine.now;
    if (f.remaining <= 0) {
      f.state = 'done';
      f.doneAt = this.engine.now;
      f.onDone(f);
      return;
    }
    this.advance();
    f.state = 'active';
    this.active.push(f);
    this.reallocate();
  }

  /** moves every active flow's payload forward to now */
  private advance(): void {
    const now = this.engine.now;
    const dt = now - this.lastAdvance;
    this.lastAdvance = now;
    if (dt <= 0) return;
    for (const f of this.active) f.remaining -= f.rate * GOODPUT * dt;
  }

  /**
   * Max-min fair allocation by progressive filling: repeatedly find the tightest constraint
   * (a link's remaining capacity split among its unfrozen flows, or a flow's own cap), give
   * that share to the flows it binds and take it off every link they cross.
   */
  private reallocate(): void {
    this.recomputations++;
    const flows = this.active;
    const remCap = new Map<number, number>();
    const count = new Map<number, number>();
    for (const f of flows) {
      for (const l of f.links) {
        if (!remCap.has(l)) remCap.set(l, this.capacity[l]);
        count.set(l, (count.get(l) ?? 0) + 1);
      }
    }
    let unfrozen = flows.slice();
    while (unfrozen.length) {
      let s = Infinity;
      for (const [l, c] of count) if (c > 0) s = Math.min(s, remCap.get(l)! / c);
      for (const f of unfrozen) s = Math.min(s, f.capBps);
      const tol = s * 1e-12;
      const binding = new Set<number>();
      for (const [l, c] of count) if (c > 0 && remCap.get(l)! / c <= s + tol) binding.add(l);
      const next: Flow[] = [];
      for (const f of unfrozen) {
        if (f.capBps <= s + tol || f.links.some((l) => binding.has(l))) {
          f.rate = s;
          for (const l of f.links) {
            remCap.set(l, Math.max(0, remCap.get(l)! - s));
            count.set(l, count.get(l)! - 1);
          }
        } else next.push(f);
      }
      if (next.length === unfrozen.length) break; // cannot happen; guards against a stuck loop
      unfrozen = next;
    }
    this.scheduleCompletion();
  }

  private scheduleCompletion(): void {
    this.engine.cancel(this.completion);
    this.completion = undefined;
    let t = Infinity;
    for (const f of this.active) if (f.rate > 0) t = Math.min(t, f.remaining / (f.rate * GOODPUT));
    if (t < Infinity) this.completion = this.engine.after(t, () => this.complete(), 'flow completion');
  }

  /**
   * Ends the flows that are done now. Done: the remaining bytes are within rounding of zero, or
   * they would take less than the clock's resolution at now (now + t === now: under half an ulp,
   * 7e-12 s at t = 1 day, 0.01 byte at 10 Gbit/s). For such a flow the clock cannot advance, so
   * advance() never moves its last bytes and its completion was rescheduled at this instant
   * forever (issue 15); it finishes in this event instead. The test is exact, not a tolerance:
   * other flows and the max-min allocation are untouched, and runs that ended before give the
   * same reports.
   */
  private complete(): void {
    this.completion = undefined;
    this.advance();
    const now = this.engine.now;
    const done: Flow[] = [];
    for (let i = 0; i < this.active.length; ) {
      const f = this.active[i];
      if (f.remaining <= 1e-9 * f.bytes + 1e-6 || (f.rate > 0 && now + f.remaining / (f.rate * GOODPUT) === now)) {
        this.active.splice(i, 1);
        f.remaining = 0;
        f.rate = 0;
        f.state = 'done';
        f.doneAt = this.engine.now;
        for (const l of f.links) this.bytes[l] += f.bytes;
        done.push(f);
      } else i++;
    }
    this.reallocate();
    for (const f of done) f.onDone(f);
  }

  /** Bytes per topology link and direction, including the part of flows still in progress. */
  linkBytes(): LinkBytes[] {
    const extra = new Map<number, number>();
    const now = this.engine.now;
    const dt = now - this.lastAdvance;
    for (const f of this.active) {
      const moved = f.bytes - Math.max(0, f.remaining - f.rate * GOODPUT * dt);
      for (const l of f.links) extra.set(l, (extra.get(l) ?? 0) + moved);
    }
    const at = (l: number) => this.bytes[l] + (extra.get(l) ?? 0);
    return this.topology.links.map((l) => {
      const up = this.directed.get(`${l.from}\u0000${l.to}`)!;
      const down = this.directed.get(`${l.to}\u0000${l.from}`)!;
      return { link: `${l.from} → ${l.to}`, from: l.from, to: l.to, upBytes: at(up), downBytes: at(down) };
    });
  }

  /** Name of a resource (links are "from → to" up, "from ← to" down). */
  resource(id: number): { name: string; capacityBps: number } {
    return { name: this.resourceName[id], capacityBps: this.capacity[id] };
  }
}
