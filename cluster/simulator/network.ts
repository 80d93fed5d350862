/**
 * Network flows after edgerun/ether (docs/reference.md §5): a flow follows the route (shortest path)
 * between two vertices; it first pays a connection setup of 1.5 · RTT, then shares the
 * bandwidth of every link it crosses max-min fairly with the other active flows (recomputed
 * at every instant a flow starts or ends); its payload moves at goodput = allocation · 0.97. The active
 * flows that the filling cannot tell apart (the same links that may bind with other flows, the
 * same cap: `FlowClass`) are one class with one rate and a lazy count of bytes, and a start or end
 * refills (maxmin.ts) only the classes of the components of the class–link graph it touches: its
 * cost grows with the classes there, not with the flows in flight. The starts and ends of one
 * instant are refilled together (`settleSoon`). The next completion is the top of a heap of the
 * classes' due times, so classes elsewhere cost nothing either.
 *
 * Each topology link is two resources: up (from → to, `upMbps`) and down (to → from,
 * `downMbps`). Bytes are counted per link and direction. A transfer within one node uses the
 * node's loopback (the topology's `loopbackMbps`); callers may add virtual links (e.g. a fixed
 * registry bandwidth, docs/reference.md §2) and per-flow rate caps.
 *
 * Why one file of ~930 lines: the flow, its class and the network keep one set of bookkeeping
 * (list slots, visit stamps, the classes' heaps and byte clocks) that every start, end and
 * re-classing changes together; the filling itself is maxmin.ts, and its exactness is checked
 * against a full recomputation in network-classes.test.ts.
 */
import { CONNECTION_SETUP_RTTS, GOODPUT } from '../common/network-cost';
import type { Topology } from '../topology/model';
import { MBPS_TO_BPS, NetworkGraph } from '../topology/routes';
import type { Engine, SimEvent } from './engine';
import { DueHeap } from './due-heap';
import { fill, FillScratch, type FillFlow } from './maxmin';
import { ScratchList } from './scratch-list';

/** the network cost of common/network-cost.ts (docs/reference.md §5): setup 1.5 · RTT, goodput = allocation · 0.97 */
export { CONNECTION_SETUP_RTTS, GOODPUT };
/** GOODPUT read once (a module namespace's binding costs a lookup in the hot loops) */
const G: number = GOODPUT;

/**
 * A transfer. While active it belongs to a class (`FlowClass`): its rate is its class's, and its
 * remaining bytes are its finish key less the bytes its class has moved per member since.
 */
export class Flow {
  /** current allocation, bytes/s (payload moves at rate · GOODPUT); 0 in setup and when done */
  get rate(): number {
    return this.state === 'active' ? this.cls!.rate : 0;
  }
  /** payload bytes still to move (now) */
  get remaining(): number {
    return this.state === 'active' ? this.cls!.remainingOf(this, this.net.engine.now) : this.state === 'done' ? 0 : this.bytes;
  }
  /** when it was requested / when its setup ended / when it finished */
  activeAt = NaN;
  doneAt = NaN;
  state: 'setup' | 'active' | 'done' = 'setup';
  /** internal: its index in the flow list of each of its links (parallel to `links`) */
  slots: number[] = [];
  /** internal: the most it can get, alone on its links (min of its cap and its links' capacities) */
  ub: number;
  /** internal: its class while active, its finish key in it (bytes per member), and which stay in a class this is */
  cls: FlowClass | undefined = undefined;
  key = 0;
  stint = 0;
  /** internal: the SLACK links it is counted on in its class (`FlowNetwork.count`) */
  slackLinks: number[] = [];
  /** internal: the order it became active in; the stamp of the last re-projection that listed it */
  seq = 0;
  mark = 0;
  /** internal: its index in FlowNetwork's list of active flows */
  activeIndex = -1;

  constructor(
    private readonly net: { readonly engine: Engine },
    readonly id: number,
    readonly bytes: number,
    /** resource ids the flow crosses */
    readonly links: number[],
    /** its own rate limit, bytes/s (Infinity = none) */
    readonly capBps: number,
    readonly startedAt: number,
    readonly onDone: (f: Flow) => void,
  ) {
    this.ub = capBps;
  }
}

/**
 * The active flows that the filling cannot tell apart: the same links that may bind with another
 * flow (`links`: a link crossed by two or more flows whose capacity they could exceed; `FlowNetwork`
 * `project`) and the same cap (`capBps`: the flow's own cap and the capacities of the links only it
 * crosses). The filling gives each of its `m` members the same rate. Its members' bytes are kept
 * lazily: `v` is the bytes each member moved from the class's creation to `at` (moved on whenever
 * the rate changes), a member's finish key is `v` when it joined plus its remaining bytes then, and
 * its members' keys are in a min-heap: a rate change is O(1) and a completion O(log m), not O(m).
 */
class FlowClass implements FillFlow {
  m = 0;
  rate = 0;
  /** its rate before the current filling */
  prevRate = 0;
  /** per SLACK link: how many times its members cross it */
  readonly slack = new Map<number, number>();
  frozen = false;
  v = 0;
  at: number;
  /** the component search's visit stamp */
  mark = 0;
  /** its index in FlowNetwork's list of classes with members, or -1 */
  live = -1;
  /** when its first member finishes at its rate (absolute; Infinity: no rate), and its place in FlowNetwork's heap of dues (due-heap.ts; -1: not in it) */
  due = Infinity;
  qi = -1;
  /** the members' finish keys (a min-heap in parallel arrays; an entry whose flow left, `stint`, is stale) */
  private hk: number[] = [];
  private hf: Flow[] = [];
  private hs: number[] = [];
  /** entries in the heap: the arrays keep their store when the class empties and is taken up again (scratch-list.ts says why) */
  private hn = 0;

  constructor(
    /** its place in FlowNetwork's tree of projections */
    readonly node: ProjectionNode,
    readonly links: number[],
    readonly capBps: number,
    now: number,
  ) {
    this.at = now;
  }

  /** a class taken up again after it emptied: its bytes counted afresh from now, no rate yet */
  reset(now: number): void {
    this.v = 0;
    this.at = now;
    this.rate = 0;
    this.hn = 0;
  }

  /** moves `v` on to now at the current rate */
  sync(now: number): void {
    if (now > this.at) {
      this.v += this.rate * G * (now - this.at);
      this.at = now;
    }
  }

  vAt(now: number): number {
    return now > this.at ? this.v + this.rate * G * (now - this.at) : this.v;
  }

  remainingOf(f: Flow, now: number): number {
    return f.key - this.vAt(now);
  }

  add(f: Flow, remaining: number, now: number): void {
    this.sync(now);
    f.cls = this;
    f.key = this.v + remaining;
    f.stint++;
    this.m++;
    this.push(f.key, f, f.stint);
  }

  /** the member with the least finish key (stale entries dropped), or undefined */
  top(): Flow | undefined {
    while (this.hn) {
      const f = this.hf[0];
      if (f.cls === this && f.stint === this.hs[0]) return f;
      this.pop();
    }
    return undefined;
  }

  private push(key: number, f: Flow, stint: number): void {
    const K = this.hk;
    const F = this.hf;
    const S = this.hs;
    let i = this.hn++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!(key < K[p] || (key === K[p] && f.seq < F[p].seq))) break;
      K[i] = K[p];
      F[i] = F[p];
      S[i] = S[p];
      i = p;
    }
    K[i] = key;
    F[i] = f;
    S[i] = stint;
  }

  /** drops the top entry */
  pop(): void {
    const K = this.hk;
    const F = this.hf;
    const S = this.hs;
    const n = --this.hn;
    const key = K[n];
    const f = F[n];
    const stint = S[n];
    // the slot keeps no flow that left: it is written again by a later push
    F[n] = undefined!;
    if (n === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && (K[r] < K[l] || (K[r] === K[l] && F[r].seq < F[l].seq)) ? r : l;
      if (!(K[c] < key || (K[c] === key && F[c].seq < f.seq))) break;
      K[i] = K[c];
      F[i] = F[c];
      S[i] = S[c];
      i = c;
    }
    K[i] = key;
    F[i] = f;
    S[i] = stint;
  }
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

/** a link's standing in the filling (`FlowNetwork.status`) */
const NONE = 0;
/** crossed once, by one flow: it acts as a cap on that flow */
const SINGLE = 1;
/** crossed twice or more, and it cannot bind (`canBind`): it never affects the filling */
const IDLE = 2;
/** crossed twice or more, and it may bind: a link of the classes of its flows */
const SHARED = 3;
/**
 * crossed twice or more, it could bind by Σ ub, but its load now is below its capacity with the
 * same margin as `canBind`'s: left out of the classes like an IDLE link, and its load checked after
 * every filling that may have raised it (`verify`); a link found fuller becomes SHARED
 */
const SLACK = 4;
/** A projection (`FlowNetwork.projection`): a cap, then SHARED links one by one; the class of flows that end here. */
interface ProjectionNode {
  cls: FlowClass | undefined;
  next: Map<number, ProjectionNode> | undefined;
}

/** what a link's status is to a flow's projection: SHARED, SINGLE, the rest (left out) */
const kind = (x: number) => (x === SHARED ? 2 : x === SINGLE ? 1 : 0);
const bySeq = (a: Flow, b: Flow) => a.seq - b.seq;

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
  /** the event that refills the rates after the starts and ends of one instant (`settleSoon`), and whether it is queued */
  private settleEvent: SimEvent | undefined;
  private settlePending = false;
  private readonly onSettle = () => {
    this.settlePending = false;
    this.settles++;
    this.reallocate();
  };
  /** refill events run (engine events of the network's own bookkeeping: a report's event count leaves them out) */
  settles = 0;
  /** the active flows (a flow's index in it: `activeIndex`) */
  private readonly active: Flow[] = [];
  /** the projections met so far, by cap then SHARED link after link; their classes (with members or emptied: taken up again as they were) */
  private readonly projections = new Map<number, ProjectionNode>();
  /** the classes with members */
  private readonly live: FlowClass[] = [];
  /** the classes with members and a rate, a min-heap on `due`: the next completion is its top, found without a scan of every class */
  private readonly dueHeap = new DueHeap<FlowClass>();
  private nextId = 0;
  private nextSeq = 0;
  private completion: SimEvent | undefined;
  /** per resource: the active flows crossing it (a flow crossing a link twice is listed twice) */
  private flowsOn: Flow[][] = [];
  /** per resource: the classes having it among their links (a class having it twice is listed twice) */
  private classesOn: FlowClass[][] = [];
  /** per resource: NONE, SINGLE, IDLE, SLACK or SHARED, as of the last start or end of a flow crossing it */
  private status = new Uint8Array(64);
  /** per SLACK resource: how many times the members of each class cross it */
  private onLink: Array<Map<FlowClass, number> | undefined> = [];
  /** per resource: the verification that last checked it */
  private checkStamp = new Uint32Array(64);
  /** after a filling: the classes whose rate rose, SLACK links that gained flows, SHARED links far from full */
  private readonly raised = new ScratchList<FlowClass>();
  private readonly recheck = new ScratchList<number>();
  private readonly demote = new ScratchList<number>();
  /** complete's scratch list: the classes due now */
  private readonly dueClasses = new ScratchList<FlowClass>();
  /** the component search's scratch lists */
  private readonly bfsLinks = new ScratchList<number>();
  private readonly bfsClasses = new ScratchList<FlowClass>();
  /** what a start or end touched: classes whose members changed, links of classes that emptied */
  private readonly touchedClasses = new ScratchList<FlowClass>();
  private readonly touchedLinks = new ScratchList<number>();
  /** the flows to project again (a link's status changed) */
  private readonly reproject = new ScratchList<Flow>();
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
   * tolerance of it: leaving it out of the filling gives the same rates, and lets flows that
   * differ only there share a class (a host link under a shared bottleneck, a LAN link of a few
   * flows). The margin (1e-6) is far above the rounding of Σ ub kept by additions and subtractions.
   */
  private canBind(l: number): boolean {
    return !(this.capacity[l] >= (1 + 1e-6) * this.sumUb[l]);
  }
  /** number of rate recomputations, and of flows recomputed over all of them (for benches) */
  recomputations = 0;
  recomputedFlows = 0;
  /** Σ over recomputations of the flows active then */
  activeAtRecomputations = 0;
  /** Σ over recomputations of the classes filled (each stands for its members) */
  recomputedClasses = 0;
  /** of those, the classes whose rate the filling changed (benches: how much of a refill was needed) */
  changedClasses = 0;
  /**
   * Work done on starts and ends, counted in steps (tests): classes and links the component
   * searches visit, classes the completions look at, flows projected, entries filled. It grows
   * with the classes a start or end touches, not with the flows in flight.
   */
  work = 0;
  /** link occurrences left out of projections because they could not bind (tests and benches) */
  private skipped = 0;
  /** flows moved to another class because a link's status changed (tests) */
  reprojected = 0;
  /** SLACK links found fuller than their margin (made SHARED), and SHARED links made SLACK (tests) */
  promoted = 0;
  demoted = 0;

  constructor(
    readonly engine: Engine,
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
    this.classesOn.push([]);
    this.onLink.push(undefined);
    const id = this.capacity.length - 1;
    if (id >= this.linkStamp.length) {
      const grown = new Uint32Array(this.linkStamp.length * 2);
      grown.set(this.linkStamp);
      this.linkStamp = grown;
      const sums = new Float64Array(this.sumUb.length * 2);
      sums.set(this.sumUb);
      this.sumUb = sums;
      const st = new Uint8Array(this.status.length * 2);
      st.set(this.status);
      this.status = st;
      const cs = new Uint32Array(this.checkStamp.length * 2);
      cs.set(this.checkStamp);
      this.checkStamp = cs;
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
    const f = new Flow(this, this.nextId++, bytes, links, capBps, this.engine.now, onDone);
    this.engine.after(CONNECTION_SETUP_RTTS * rttS, () => this.activate(f), 'flow setup');
    return f;
  }

  /**
   * The starts and ends of one instant are refilled together, by one event queued at that instant
   * after the first of them (it runs after the events queued before it, at that instant). No byte
   * moves in zero time, so the rates between them do not matter: what the filling gives once all
   * of them are in is what it would give after the last one, refilled one by one. A deploy's pulls,
   * a fan-out's transfers or the flows ending together cost one refill, not one each.
   */
  private settleSoon(): void {
    if (this.settlePending) return;
    this.settlePending = true;
    const now = this.engine.now;
    if (this.settleEvent) this.engine.rescheduleAt(this.settleEvent, now);
    else this.settleEvent = this.engine.at(now, this.onSettle, 'flow rates');
  }

  /** Whether rates are being refilled at this instant (a start or end is in, its refill not yet): they are the last instant's until it runs (tests). */
  get settling(): boolean {
    return this.settlePending;
  }

  get activeFlows(): number {
    return this.active.length;
  }

  /** The flows moving payload now, in the order they became active (tests and benches read their rates). */
  get flows(): readonly Flow[] {
    return [...this.active].sort(bySeq);
  }

  /** The number of classes with members now (tests and benches). */
  get classCount(): number {
    return this.live.length;
  }

  private activate(f: Flow): void {
    const now = this.engine.now;
    f.activeAt = now;
    if (!(f.bytes > 0)) {
      f.state = 'done';
      f.doneAt = now;
      f.onDone(f);
      return;
    }
    f.state = 'active';
    f.seq = this.nextSeq++;
    f.activeIndex = this.active.length;
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
    const stamp = ++this.stamp;
    f.mark = stamp;
    this.restatus(f, stamp);
    this.place(f, f.bytes, now);
    this.placeReprojected(now);
    this.settleSoon();
  }

  /**
   * After `f` started or ended: the status of each of its links now; where one changed, the other
   * flows on it are listed for projecting again (their classes depend on it). Marks them with `stamp`.
   */
  private restatus(f: Flow, stamp: number): void {
    for (const l of f.links) {
      const n = this.flowsOn[l].length;
      const old = this.status[l];
      this.setStatus(l, n === 0 ? NONE : n === 1 ? SINGLE : !this.canBind(l) ? IDLE : old === SHARED ? SHARED : SLACK, stamp);
    }
  }

  /**
   * Sets link l's status; the flows on it are counted on it (SLACK) or no longer, and, where their
   * projection may change (SHARED, SINGLE and the rest are three different things to it), listed for
   * projecting again, marked with `stamp`.
   */
  private setStatus(l: number, st: number, stamp: number): void {
    const old = this.status[l];
    if (st === old) return;
    this.status[l] = st;
    const on = this.flowsOn[l];
    if (old === SLACK) {
      for (const g of on) {
        if (!g.cls) continue;
        const k = g.slackLinks.indexOf(l);
        g.slackLinks[k] = g.slackLinks[g.slackLinks.length - 1];
        g.slackLinks.pop();
        this.count(l, g.cls, -1);
      }
    }
    if (st === SLACK) {
      for (const g of on) {
        if (!g.cls) continue;
        g.slackLinks.push(l);
        this.count(l, g.cls, 1);
      }
      this.recheck.push(l);
    }
    if (kind(st) === kind(old)) return;
    for (const g of on) {
      if (g.mark === stamp) continue;
      g.mark = stamp;
      this.reproject.push(g);
    }
  }

  /** Counts a crossing of SLACK link l by a member of class c (d = 1), or takes one off (d = -1). */
  private count(l: number, c: FlowClass, d: number): void {
    const m = (this.onLink[l] ??= new Map());
    const n = (m.get(c) ?? 0) + d;
    if (n) m.set(c, n);
    else m.delete(c);
    const k = (c.slack.get(l) ?? 0) + d;
    if (k) c.slack.set(l, k);
    else c.slack.delete(l);
  }

  /** Projects the listed flows again, moving those whose class changed (their remaining bytes kept). */
  private placeReprojected(now: number): void {
    const list = this.reproject;
    for (let i = 0; i < list.n; i++) {
      const g = list.items[i];
      const c = g.cls!;
      const node = this.projection(g);
      if (node === c.node) continue;
      this.reprojected++;
      const remaining = c.remainingOf(g, now);
      this.leave(g);
      this.place(g, remaining, now, node);
    }
    list.clear();
  }

  /**
   * A flow's projection: the links it crosses that may bind with other flows (SHARED, in order, a
   * link crossed twice twice) and its cap: its own, or the capacity of a link only it crosses
   * (SINGLE: such a link's share is its capacity until the flow's rate is fixed, the same test as
   * a cap's). Its IDLE links are left out: they cannot bind (`canBind`). Flows with the same
   * projection are the same to the filling, so they share a class and a rate.
   */
  private projection(f: Flow): ProjectionNode {
    this.work++;
    let cap = f.capBps;
    const st = this.status;
    for (const l of f.links) if (st[l] === SINGLE && this.capacity[l] < cap) cap = this.capacity[l];
    let node: ProjectionNode | undefined = this.projections.get(cap);
    if (!node) this.projections.set(cap, (node = { cls: undefined, next: undefined }));
    for (const l of f.links) {
      if (st[l] !== SHARED) continue;
      const next: Map<number, ProjectionNode> = (node.next ??= new Map());
      let n: ProjectionNode | undefined = next.get(l);
      if (!n) next.set(l, (n = { cls: undefined, next: undefined }));
      node = n;
    }
    return node;
  }

  /** Puts active `f` into the class of its projection (made if none has it), with `remaining` bytes to move. */
  private place(f: Flow, remaining: number, now: number, node = this.projection(f)): void {
    let c = node.cls;
    if (!c) {
      let cap = f.capBps;
      const links: number[] = [];
      for (const l of f.links) {
        const st = this.status[l];
        if (st === SHARED) links.push(l);
        else {
          if (st === SINGLE && this.capacity[l] < cap) cap = this.capacity[l];
          if (!this.canBind(l)) this.skipped++;
        }
      }
      c = node.cls = new FlowClass(node, links, cap, now);
    } else for (const l of f.links) if (this.status[l] !== SHARED && !this.canBind(l)) this.skipped++;
    if (c.m === 0) {
      c.reset(now);
      c.live = this.live.length;
      this.live.push(c);
      for (const l of c.links) this.classesOn[l].push(c);
    }
    c.add(f, remaining, now);
    // no SHARED link: what filling it alone gives, its cap (its SLACK links are checked, below)
    if (c.links.length === 0) c.rate = c.capBps;
    for (const l of f.links) {
      if (this.status[l] === SLACK) {
        f.slackLinks.push(l);
        this.count(l, c, 1);
        this.recheck.push(l);
      }
    }
    this.touchedClasses.push(c);
  }

  /** Takes active `f` out of its class; a class left empty is dropped (its links are recomputed). */
  private leave(f: Flow): void {
    const c = f.cls!;
    for (const l of f.slackLinks) this.count(l, c, -1);
    f.slackLinks.length = 0;
    f.cls = undefined;
    if (--c.m > 0) {
      this.touchedClasses.push(c);
      return;
    }
    const last = this.live.pop()!;
    if (last !== c) {
      this.live[c.live] = last;
      last.live = c.live;
    }
    c.live = -1;
    this.dueHeap.delete(c);
    for (const l of c.links) {
      const on = this.classesOn[l];
      // in place, order kept (the fill visits a link's classes in this order); splice made an array of the removed
      let k = on.indexOf(c);
      for (; k + 1 < on.length; k++) on[k] = on[k + 1];
      on.pop();
      this.touchedLinks.push(l);
    }
  }

  /**
   * Max-min fair allocation by progressive filling (`fill`) over the classes, recomputed only for
   * the classes whose bottleneck can change: the connected components of the class–link graph
   * (classes joined by the SHARED links they have) that hold a class whose members changed or a
   * link of a class that emptied. No constraint joins two components (their other links cannot
   * bind, or act as caps), so each is filled on its own and a class in a component nothing touched
   * keeps its rate, which is what filling its component again would give it. A class's bytes are
   * moved on to now before its rate changes.
   */
  private reallocate(): void {
    const now = this.engine.now;
    this.recomputations++;
    this.activeAtRecomputations += this.active.length;
    for (let round = 0; ; round++) {
      const stamp = ++this.stamp;
      const classes = this.touchedClasses;
      const links = this.touchedLinks;
      for (let i = 0; i < classes.n; i++) {
        const c = classes.items[i];
        if (c.m === 0 || c.mark === stamp) continue;
        // a class with no SHARED link is a component of its own, and its rate is its cap whatever its members
        if (c.links.length === 0 && c.rate === c.capBps) this.setDue(c, now);
        else this.fillComponent(this.componentOf(c, -1, stamp), now);
      }
      for (let i = 0; i < links.n; i++) {
        const l = links.items[i];
        if (this.linkStamp[l] !== stamp) this.fillComponent(this.componentOf(undefined, l, stamp), now);
      }
      classes.clear();
      links.clear();
      this.verify(round === 0);
      if (!this.reproject.n) break;
      this.placeReprojected(now);
    }
    this.scheduleCompletion();
  }

  /**
   * After a filling: every SLACK link whose load may have risen (a class on it got a higher rate,
   * or it gained flows) is checked: its capacity must exceed its load (Σ members crossing it ×
   * their class's rate) with `canBind`'s margin, else it becomes SHARED and its flows are projected
   * again (then the caller fills again). So after `reallocate` every SLACK link carries less than
   * capacity / (1 + 1e-6): the allocation, filled without those links, is feasible with them, and
   * each flow is at its cap or on a saturated link (of its class) where no flow gets more, which is
   * max-min fairness over all links; and progressive filling over all links would never have
   * reached such a link's share either (its remaining capacity per unfrozen flow stays above the
   * step's share by the margin), so the rates are the ones it gives. In the first round, SHARED
   * links filled at half their capacity or less become SLACK again (classes merge).
   */
  private check(l: number, s2: number): void {
    if (this.checkStamp[l] === s2 || this.status[l] !== SLACK) return;
    this.checkStamp[l] = s2;
    this.work++;
    let load = 0;
    // forEach, not for-of over entries: that made an [class, count] array per entry
    this.onLink[l]!.forEach((n, c) => {
      load += n * c.rate;
    });
    if (!(this.capacity[l] >= (1 + 1e-6) * load)) {
      this.promoted++;
      this.setStatus(l, SHARED, s2);
    }
  }

  private verify(demote: boolean): void {
    const s2 = ++this.stamp;
    for (let i = 0; i < this.raised.n; i++) for (const l of this.raised.items[i].slack.keys()) this.check(l, s2);
    for (let i = 0; i < this.recheck.n; i++) this.check(this.recheck.items[i], s2);
    this.raised.clear();
    this.recheck.clear();
    if (demote) {
      for (let i = 0; i < this.demote.n; i++) {
        const l = this.demote.items[i];
        if (this.status[l] === SHARED && this.flowsOn[l].length >= 2) {
          this.demoted++;
          this.setStatus(l, SLACK, s2);
        }
      }
    }
    this.demote.clear();
  }

  private fillComponent(component: ScratchList<FlowClass>, now: number): void {
    const classes = component.items;
    const count = component.n;
    if (!count) return;
    let members = 0;
    for (let i = 0; i < count; i++) {
      const c = classes[i];
      c.sync(now);
      c.prevRate = c.rate;
      members += c.m;
    }
    this.recomputedFlows += members;
    this.recomputedClasses += count;
    this.work += count;
    fill(classes, count, this.capacity, this.classesOn, this.scratch);
    for (let i = 0; i < count; i++) {
      const c = classes[i];
      if (c.rate !== c.prevRate) this.changedClasses++;
      if (c.rate > c.prevRate && c.slack.size) this.raised.push(c);
      this.setDue(c, now);
    }
    // the component's links (all SHARED): those left at least half free may leave the classes
    const rem = this.scratch.rem;
    const links = this.bfsLinks;
    for (let i = 0; i < links.n; i++) {
      const l = links.items[i];
      if (this.status[l] === SHARED && rem[l] >= 0.5 * this.capacity[l]) this.demote.push(l);
    }
  }

  /** The classes connected to class `start` or link `startLink` (breadth-first over SHARED links and the classes having them); marks what it visits with `stamp`. */
  private componentOf(start: FlowClass | undefined, startLink: number, stamp: number): ScratchList<FlowClass> {
    const out = this.bfsClasses;
    out.clear();
    const seen = this.linkStamp;
    const links = this.bfsLinks;
    links.clear();
    if (start) this.visit(start, stamp);
    else {
      seen[startLink] = stamp;
      links.push(startLink);
    }
    // links.n grows as visit adds the links of the classes found
    for (let i = 0; i < links.n; i++) {
      this.work++;
      for (const c of this.classesOn[links.items[i]]) if (c.mark !== stamp) this.visit(c, stamp);
    }
    return out;
  }

  private visit(c: FlowClass, stamp: number): void {
    c.mark = stamp;
    this.bfsClasses.push(c);
    const seen = this.linkStamp;
    for (const l of c.links) {
      if (seen[l] !== stamp) {
        seen[l] = stamp;
        this.bfsLinks.push(l);
      }
    }
  }

  /** The next completion: the least `due` of the classes (one event, moved as rates change). */
  private scheduleCompletion(): void {
    const t = this.dueHeap.top()?.due ?? Infinity;
    if (t < Infinity) {
      const at = Math.max(this.engine.now, t);
      if (this.completion) this.engine.rescheduleAt(this.completion, at);
      else this.completion = this.engine.at(at, this.onCompletion, 'flow completion');
    } else this.engine.cancel(this.completion);
  }

  /**
   * Class c's `due` after its rate or members changed: when its first member finishes at its rate
   * (now + remaining / speed, now if nothing remains; Infinity without members or rate), and its
   * place in the heap of dues. A class nothing touched keeps its due: its rate and bytes are as
   * they were, so the time its first member finishes is too.
   */
  private setDue(c: FlowClass, now: number): void {
    this.work++;
    const f = c.m > 0 && c.rate > 0 ? c.top() : undefined;
    if (!f) {
      this.dueHeap.delete(c);
      c.due = Infinity;
      return;
    }
    const rem = c.remainingOf(f, now);
    this.dueHeap.set(c, rem > 0 ? now + rem / (c.rate * G) : now);
  }

  /**
   * Ends the flows that are done now: in each class due now (the top of the heap of dues, so an
   * event costs the classes due, not a scan of every class), from the top of its heap of finish keys. Done:
   * the remaining bytes are within rounding of zero, or they would take less than the clock's
   * resolution at now (now + t === now: under half an ulp, 7e-12 s at t = 1 day, 0.01 byte at 10
   * Gbit/s). For such a flow the clock cannot advance, so its bytes would never move and its
   * completion would be rescheduled at this instant forever (issue 15); it finishes in this event
   * instead. The test is exact, not a tolerance: other flows and the max-min allocation are
   * untouched. The flows done in one event end in the order they became active.
   */
  private complete(): void {
    const now = this.engine.now;
    const done: Flow[] = [];
    const due = this.dueClasses;
    for (let c = this.dueHeap.top(); c && c.due <= now; c = this.dueHeap.top()) {
      this.dueHeap.delete(c);
      due.push(c);
    }
    for (let i = 0; i < due.n; i++) {
      const c = due.items[i];
      this.work++;
      const v = c.vAt(now);
      const speed = c.rate * G;
      const before = done.length;
      for (let f = c.top(); f; f = c.top()) {
        const rem = f.key - v;
        if (!(rem <= 1e-9 * f.bytes + 1e-6 || (speed > 0 && now + rem / speed === now))) break;
        c.pop();
        done.push(f);
      }
      // due by the clock, not yet by its bytes (rounding): due again when they say so
      if (done.length === before) this.setDue(c, now);
    }
    due.clear();
    if (done.length > 1) done.sort(bySeq);
    const stamp = ++this.stamp;
    for (const f of done) {
      f.state = 'done';
      f.doneAt = now;
      f.mark = stamp;
      for (const l of f.links) this.bytes[l] += f.bytes;
      this.unlist(f);
      const last = this.active.pop()!;
      if (last !== f) {
        this.active[f.activeIndex] = last;
        last.activeIndex = f.activeIndex;
      }
      this.leave(f);
    }
    for (const f of done) this.restatus(f, stamp);
    this.placeReprojected(now);
    this.settleSoon();
    for (const f of done) f.onDone(f);
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

  /** Bytes per topology link and direction, including the part of flows still in progress. */
  linkBytes(): LinkBytes[] {
    const extra = new Map<number, number>();
    const now = this.engine.now;
    for (const f of this.active) {
      const moved = f.bytes - Math.max(0, f.cls!.remainingOf(f, now));
      for (const l of f.links) extra.set(l, (extra.get(l) ?? 0) + moved);
    }
    const at = (l: number) => this.bytes[l] + (extra.get(l) ?? 0);
    return this.topology.links.map((l) => {
      const up = this.directed.get(`${l.from}\u0000${l.to}`)!;
      const down = this.directed.get(`${l.to}\u0000${l.from}`)!;
      return { link: `${l.from} → ${l.to}`, from: l.from, to: l.to, upBytes: at(up), downBytes: at(down) };
    });
  }

  /** Link occurrences left out of flows' classes because they could not bind, over the run (tests and benches). */
  get skippedLinks(): number {
    return this.skipped;
  }

  /** Name of a resource (links are "from → to" up, "from ← to" down). */
  resource(id: number): { name: string; capacityBps: number } {
    return { name: this.resourceName[id], capacityBps: this.capacity[id] };
  }
}
