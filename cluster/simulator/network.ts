/**
 * Network flows after edgerun/ether (docs/reference.md §5): a flow follows the route (shortest path)
 * between two vertices; it first pays a connection setup of 1.5 · RTT, then shares the
 * bandwidth of every link it crosses max-min fairly with the other active flows (recomputed
 * whenever a flow starts or ends, for the flows of the components of the flow–link graph it
 * touches: maxmin.ts fills each, leaving out the links that cannot bind: `canBind`); its payload
 * moves at goodput = allocation · 0.97.
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
import { fill, FillScratch, type FillFlow } from './maxmin';

/** the network cost of common/network-cost.ts (docs/reference.md §5): setup 1.5 · RTT, goodput = allocation · 0.97 */
export { CONNECTION_SETUP_RTTS, GOODPUT };
/** GOODPUT read once (a module namespace's binding costs a lookup in the hot loops) */
const G: number = GOODPUT;

export interface Flow extends FillFlow {
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
  /** the network's visit stamp (internal: which component search last reached it) */
  mark: number;
  /** internal: its index in the flow list of each of its links (parallel to `links`) */
  slots: number[];
  /** internal: the most it can get, alone on its links (min of its cap and its links' capacities) */
  ub: number;
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
  /** routes by from → to vertex pair (from · vertices + to) */
  private readonly routes = new Map<number, RouteLinks>();
  private readonly onCompletion = () => this.complete();
  private readonly active: Flow[] = [];
  private nextId = 0;
  private lastAdvance = 0;
  private completion: SimEvent | undefined;
  /** per resource: the active flows crossing it (a flow crossing a link twice is listed twice) */
  private flowsOn: Flow[][] = [];
  /** the component search's scratch lists */
  private readonly bfsLinks: number[] = [];
  private readonly bfsFlows: Flow[] = [];
  /** per resource: the component search that last reached it */
  private linkStamp = new Uint32Array(64);
  private stamp = 0;
  private readonly scratch = new FillScratch();
  /** per resource: Σ over the active flows crossing it of their `ub` (the most each can get) */
  private sumUb = new Float64Array(64);
  /**
   * Whether link l can bind in a filling: not when its capacity exceeds, with a margin, what its
   * flows could take all at once (Σ ub). Such a link's share stays above every unfrozen flow's
   * share (remaining capacity ≥ (1 + margin) · Σ ub of its unfrozen flows, each ub ≥ the share
   * the filling gives that flow), so it is never the least share nor within the filling's 1e-12
   * tolerance of it: leaving it out of the filling gives the same rates, bit for bit, and saves
   * the heap its entries (a host link under a shared bottleneck, a LAN link of a few flows).
   * The margin (1e-6) is far above the rounding of Σ ub kept by additions and subtractions.
   */
  private readonly canBind = (l: number): boolean => !(this.capacity[l] >= (1 + 1e-6) * this.sumUb[l]);
  /** number of rate recomputations, and of flows recomputed over all of them (for benches) */
  recomputations = 0;
  recomputedFlows = 0;
  /** Σ over recomputations of the flows active then */
  activeAtRecomputations = 0;

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
    this.flowsOn.push([]);
    const id = this.capacity.length - 1;
    if (id >= this.linkStamp.length) {
      const grown = new Uint32Array(this.linkStamp.length * 2);
      grown.set(this.linkStamp);
      this.linkStamp = grown;
      const sums = new Float64Array(this.sumUb.length * 2);
      sums.set(this.sumUb);
      this.sumUb = sums;
    }
    return id;
  }

  /** A link outside the topology (shared by the flows that name it). */
  addVirtualLink(name: string, capBps: number): number {
    return this.addResource(name, capBps);
  }

  /** Resources and RTT of the route from → to (node or network names); cached. */
  route(from: string, to: string): RouteLinks {
    const key = this.graph.vertex(from) * this.graph.vertexCount + this.graph.vertex(to);
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
    const f: Flow = { id: this.nextId++, bytes, remaining: bytes, links, capBps, rate: 0, startedAt: now, activeAt: NaN, doneAt: NaN, state: 'setup', onDone, mark: 0, frozen: false, slots: [], ub: capBps };
    this.engine.after(CONNECTION_SETUP_RTTS * rttS, () => this.activate(f), 'flow setup');
    return f;
  }

  get activeFlows(): number {
    return this.active.length;
  }

  /** The flows moving payload now, in the order they became active (tests and benches read their rates). */
  get flows(): readonly Flow[] {
    return this.active;
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
    let ub = f.capBps;
    for (const l of f.links) ub = Math.min(ub, this.capacity[l]);
    f.ub = ub;
    for (const l of f.links) {
      const on = this.flowsOn[l];
      f.slots.push(on.length);
      on.push(f);
      this.sumUb[l] += ub;
    }
    this.reallocate([f]);
  }

  /** moves every active flow's payload forward to now */
  private advance(): void {
    const now = this.engine.now;
    const dt = now - this.lastAdvance;
    this.lastAdvance = now;
    if (dt <= 0) return;
    for (const f of this.active) f.remaining -= f.rate * G * dt;
  }

  /**
   * Max-min fair allocation by progressive filling (`fill`), recomputed only for the flows whose
   * bottleneck can change: the connected components of the flow–link graph (flows joined by the
   * links they share) that hold a link of a flow that started or ended (`touched`). No constraint
   * joins two components, so each is filled on its own and a flow in a component nothing touched
   * keeps its rate, which is what filling its component again would give it. Each component is
   * filled separately, so the allocation is a function of the component alone (one progressive
   * filling over all flows at once, as before issue 15, let its 1e-12 tolerance freeze a link at
   * another component's share up to 1e-12 below its own).
   */
  private reallocate(touched: readonly Flow[]): void {
    this.recomputations++;
    this.activeAtRecomputations += this.active.length;
    const stamp = ++this.stamp;
    for (const f of touched) {
      for (const l of f.links) {
        if (this.linkStamp[l] === stamp) continue;
        const component = this.componentOf(l, stamp);
        this.recomputedFlows += component.length;
        fill(component, this.capacity, this.flowsOn, this.scratch, this.canBind);
      }
    }
    this.scheduleCompletion();
  }

  /** Takes `f` off the flow lists of its links (the last entry of a list moves into its slot). */
  private unlist(f: Flow): void {
    for (let k = 0; k < f.links.length; k++) {
      const on = this.flowsOn[f.links[k]];
      const slot = f.slots[k];
      const last = on.pop()!;
      // Σ ub from scratch when the link empties, so its rounding does not build up
      this.sumUb[f.links[k]] = on.length ? this.sumUb[f.links[k]] - f.ub : 0;
      if (last === f && slot === on.length) continue;
      on[slot] = last;
      // the moved flow's slot for this link: the occurrence that pointed at the old last index
      const l = f.links[k];
      for (let j = 0; j < last.links.length; j++) {
        if (last.links[j] === l && last.slots[j] === on.length) {
          last.slots[j] = slot;
          break;
        }
      }
    }
    f.slots.length = 0;
  }

  /** The active flows connected to link `start` (breadth-first over links and the flows on them); marks what it visits with `stamp`. */
  private componentOf(start: number, stamp: number): Flow[] {
    const out = this.bfsFlows;
    out.length = 0;
    const seen = this.linkStamp;
    const links = this.bfsLinks;
    links.length = 0;
    links.push(start);
    seen[start] = stamp;
    for (let i = 0; i < links.length; i++) {
      for (const g of this.flowsOn[links[i]]) {
        if (g.mark === stamp) continue;
        g.mark = stamp;
        out.push(g);
        for (const l of g.links) {
          if (seen[l] !== stamp) {
            seen[l] = stamp;
            links.push(l);
          }
        }
      }
    }
    return out;
  }

  /** The next completion: when the first active flow finishes at its current rate (one event, moved as rates change). */
  private scheduleCompletion(): void {
    let t = Infinity;
    for (const f of this.active) if (f.rate > 0) t = Math.min(t, f.remaining / (f.rate * G));
    if (t < Infinity) {
      if (this.completion) this.engine.rescheduleAfter(this.completion, t);
      else this.completion = this.engine.after(t, this.onCompletion, 'flow completion');
    } else this.engine.cancel(this.completion);
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
    this.advance();
    const now = this.engine.now;
    const done: Flow[] = [];
    const active = this.active;
    let kept = 0;
    for (let i = 0; i < active.length; i++) {
      const f = active[i];
      if (f.remaining <= 1e-9 * f.bytes + 1e-6 || (f.rate > 0 && now + f.remaining / (f.rate * G) === now)) {
        f.remaining = 0;
        f.rate = 0;
        f.state = 'done';
        f.doneAt = now;
        for (const l of f.links) this.bytes[l] += f.bytes;
        this.unlist(f);
        done.push(f);
      } else active[kept++] = f;
    }
    active.length = kept;
    this.reallocate(done);
    for (const f of done) f.onDone(f);
  }

  /** Bytes per topology link and direction, including the part of flows still in progress. */
  linkBytes(): LinkBytes[] {
    const extra = new Map<number, number>();
    const now = this.engine.now;
    const dt = now - this.lastAdvance;
    for (const f of this.active) {
      const moved = f.bytes - Math.max(0, f.remaining - f.rate * G * dt);
      for (const l of f.links) extra.set(l, (extra.get(l) ?? 0) + moved);
    }
    const at = (l: number) => this.bytes[l] + (extra.get(l) ?? 0);
    return this.topology.links.map((l) => {
      const up = this.directed.get(`${l.from}\u0000${l.to}`)!;
      const down = this.directed.get(`${l.to}\u0000${l.from}`)!;
      return { link: `${l.from} → ${l.to}`, from: l.from, to: l.to, upBytes: at(up), downBytes: at(down) };
    });
  }

  /** Links the fillings left out because they could not bind, over the run (tests and benches). */
  get skippedLinks(): number {
    return this.scratch.skipped;
  }

  /** Name of a resource (links are "from → to" up, "from ← to" down). */
  resource(id: number): { name: string; capacityBps: number } {
    return { name: this.resourceName[id], capacityBps: this.capacity[id] };
  }
}
