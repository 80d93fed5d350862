/**
 * Routes over a topology (after edgerun/ether, docs/reference.md §5): a route is the shortest path
 * (fewest hops; among equal paths the first found in link order), its bandwidth per direction
 * is the bottleneck of its links in that direction, and RTT = 2 · Σ link latency.
 *
 * Routes are computed per source by one breadth-first search and cached as rows of typed arrays,
 * so a scheduler can read the bandwidth from a data location to every node in O(1) per node.
 * Both directions between a and b use the path of the tree rooted at the row's source.
 *
 * One route (`between`) is found by the same search stopped when it reaches the destination, which
 * gives the destination the same parent, so the same path, as the whole row; it is cached per pair
 * and keeps nothing per vertex; a source asked for more than a few destinations gets its row. A
 * simulator asks for the routes its flows use: many from a registry or a storage node, few from
 * most nodes, for which a row each would cost an array per vertex (urban sensing with 64 cells,
 * 1,449 nodes: ~560 rows of 1,579 vertices per simulated hour).
 */
import type { Topology } from './model';

/** 1 Mbit/s in bytes per second (docs/reference.md §1: bandwidth in bytes/s in every formula). */
export const MBPS_TO_BPS = 125_000;

export interface RouteRow {
  source: number;
  /** bytes/s along the route source → v (bottleneck) */
  bwFrom: Float64Array;
  /** bytes/s along the same route v → source */
  bwTo: Float64Array;
  /** one-way latency in ms, Σ over the route's links */
  latencyMs: Float64Array;
  /** previous vertex on the route from source to v; -1 at the source and for unreachable vertices */
  parent: Int32Array;
  hops: Int32Array;
}

export interface Route {
  from: string;
  to: string;
  /** vertices from `from` to `to`, inclusive (nodes and networks) */
  path: string[];
  /** networks the route crosses */
  networks: string[];
  /** bottleneck bandwidth from → to, bytes/s */
  bandwidthBps: number;
  /** bottleneck bandwidth to → from, bytes/s */
  reverseBandwidthBps: number;
  /** 2 · Σ link latency (docs/reference.md §5) */
  rttMs: number;
}

/** `between` searches this many pairs from one source, then computes the source's row. */
const ROW_AFTER_PAIRS = 4;

/** One route (`NetworkGraph.between`): the row's figures for a single destination, and its path. */
export interface PairRoute {
  /** bytes/s along the route a → b (bottleneck); 0 if b is unreachable */
  bwFrom: number;
  /** bytes/s along the same route b → a */
  bwTo: number;
  /** one-way latency in ms, Σ over the route's links */
  latencyMs: number;
  /** vertices from a to b, inclusive; empty if unreachable */
  path: number[];
}

export class NetworkGraph {
  /** nodes first (same order as topology.nodes), then networks */
  readonly names: string[];
  readonly index = new Map<string, number>();
  readonly nodeCount: number;
  readonly vertexCount: number;
  readonly loopbackBps: number;
  private readonly adjStart: Int32Array;
  private readonly adjTo: Int32Array;
  /** bytes/s from the vertex to the neighbour */
  private readonly adjBwOut: Float64Array;
  /** bytes/s from the neighbour to the vertex */
  private readonly adjBwIn: Float64Array;
  private readonly adjLat: Float64Array;
  private readonly rows = new Map<number, RouteRow>();
  private readonly pairs = new Map<number, PairRoute>();
  /** scratch of `between`'s searches: the search that last reached each vertex, its parent and the link taken */
  private seen: Int32Array | undefined;
  private via: Int32Array | undefined;
  private viaEdge: Int32Array | undefined;
  private searches = 0;
  /** per source: the pairs asked of `between` */
  private readonly askedFrom = new Map<number, number>();

  constructor(t: Topology) {
    this.names = [...t.nodes.map((n) => n.name), ...t.networks.map((n) => n.name)];
    this.names.forEach((n, i) => this.index.set(n, i));
    this.nodeCount = t.nodes.length;
    this.vertexCount = this.names.length;
    this.loopbackBps = t.loopbackMbps * MBPS_TO_BPS;
    const degree = new Int32Array(this.vertexCount + 1);
    const ends: Array<[number, number]> = [];
    for (const l of t.links) {
      const a = this.index.get(l.from);
      const b = this.index.get(l.to);
      if (a === undefined || b === undefined) throw new Error(`link ${l.from} → ${l.to} names an unknown endpoint`);
      ends.push([a, b]);
      degree[a]++;
      degree[b]++;
    }
    this.adjStart = new Int32Array(this.vertexCount + 1);
    for (let v = 0; v < this.vertexCount; v++) this.adjStart[v + 1] = this.adjStart[v] + degree[v];
    const m = this.adjStart[this.vertexCount];
    this.adjTo = new Int32Array(m);
    this.adjBwOut = new Float64Array(m);
    this.adjBwIn = new Float64Array(m);
    this.adjLat = new Float64Array(m);
    const fill = this.adjStart.slice(0, this.vertexCount);
    t.links.forEach((l, i) => {
      const [a, b] = ends[i];
      const up = l.upMbps * MBPS_TO_BPS;
      const down = l.downMbps * MBPS_TO_BPS;
      let k = fill[a]++;
      this.adjTo[k] = b;
      this.adjBwOut[k] = up; // from → to
      this.adjBwIn[k] = down;
      this.adjLat[k] = l.latencyMs;
      k = fill[b]++;
      this.adjTo[k] = a;
      this.adjBwOut[k] = down; // to → from
      this.adjBwIn[k] = up;
      this.adjLat[k] = l.latencyMs;
    });
  }

  vertex(name: string): number {
    const v = this.index.get(name);
    if (v === undefined) throw new Error(`'${name}' is neither a node nor a network of this topology`);
    return v;
  }

  isNetwork(v: number): boolean {
    return v >= this.nodeCount;
  }

  /** Routes from one vertex to all others (cached). Unreachable vertices get bandwidth 0. */
  routesFrom(source: number): RouteRow {
    const cached = this.rows.get(source);
    if (cached) return cached;
    const V = this.vertexCount;
    const row: RouteRow = {
      source,
      bwFrom: new Float64Array(V),
      bwTo: new Float64Array(V),
      latencyMs: new Float64Array(V),
      parent: new Int32Array(V).fill(-1),
      hops: new Int32Array(V).fill(-1),
    };
    const queue = new Int32Array(V);
    let head = 0;
    let tail = 0;
    queue[tail++] = source;
    row.hops[source] = 0;
    row.bwFrom[source] = this.loopbackBps;
    row.bwTo[source] = this.loopbackBps;
    while (head < tail) {
      const v = queue[head++];
      for (let k = this.adjStart[v]; k < this.adjStart[v + 1]; k++) {
        const w = this.adjTo[k];
        if (row.hops[w] !== -1) continue;
        row.hops[w] = row.hops[v] + 1;
        row.parent[w] = v;
        const first = v === source;
        row.bwFrom[w] = first ? this.adjBwOut[k] : Math.min(row.bwFrom[v], this.adjBwOut[k]);
        row.bwTo[w] = first ? this.adjBwIn[k] : Math.min(row.bwTo[v], this.adjBwIn[k]);
        row.latencyMs[w] = row.latencyMs[v] + this.adjLat[k];
        queue[tail++] = w;
      }
    }
    this.rows.set(source, row);
    return row;
  }

  /**
   * The route from vertex a to vertex b (cached per pair): the path, both bandwidths and the latency
   * that routesFrom(a) gives b, found without the row when there is none.
   */
  between(a: number, b: number): PairRoute {
    const key = a * this.vertexCount + b;
    const cached = this.pairs.get(key);
    if (cached) return cached;
    // a source asked for many destinations (a registry, a storage node) gets its row: one search for all of them
    const asked = (this.askedFrom.get(a) ?? 0) + 1;
    this.askedFrom.set(a, asked);
    const row = asked > ROW_AFTER_PAIRS ? this.routesFrom(a) : this.rows.get(a);
    const r = row ? { bwFrom: row.bwFrom[b], bwTo: row.bwTo[b], latencyMs: row.latencyMs[b], path: this.pathTo(row, b) } : this.search(a, b);
    this.pairs.set(key, r);
    return r;
  }

  /** routesFrom's breadth-first search from a, stopped when it reaches b; the figures along b's parents. */
  private search(a: number, b: number): PairRoute {
    if (a === b) return { bwFrom: this.loopbackBps, bwTo: this.loopbackBps, latencyMs: 0, path: [a] };
    const V = this.vertexCount;
    const seen = (this.seen ??= new Int32Array(V));
    const via = (this.via ??= new Int32Array(V));
    const viaEdge = (this.viaEdge ??= new Int32Array(V));
    const mark = ++this.searches;
    const queue: number[] = [a];
    seen[a] = mark;
    let found = false;
    for (let head = 0; head < queue.length && !found; head++) {
      const v = queue[head];
      for (let k = this.adjStart[v]; k < this.adjStart[v + 1]; k++) {
        const w = this.adjTo[k];
        if (seen[w] === mark) continue;
        seen[w] = mark;
        via[w] = v;
        viaEdge[w] = k;
        if (w === b) {
          found = true;
          break;
        }
        queue.push(w);
      }
    }
    if (!found) return { bwFrom: 0, bwTo: 0, latencyMs: 0, path: [] };
    const path: number[] = [b];
    for (let x = b; x !== a; x = via[x]) path.push(via[x]);
    path.reverse();
    // summed from a outwards, as the row sums them (the same floating-point result)
    let bwFrom = Infinity;
    let bwTo = Infinity;
    let latencyMs = 0;
    for (let i = 1; i < path.length; i++) {
      const k = viaEdge[path[i]];
      bwFrom = Math.min(bwFrom, this.adjBwOut[k]);
      bwTo = Math.min(bwTo, this.adjBwIn[k]);
      latencyMs += this.adjLat[k];
    }
    return { bwFrom, bwTo, latencyMs, path };
  }

  /** The vertices on the route from the row's source to v (source first); empty if unreachable. */
  pathTo(row: RouteRow, v: number): number[] {
    if (row.hops[v] < 0) return [];
    const out: number[] = [];
    for (let x = v; x !== -1; x = row.parent[x]) out.push(x);
    return out.reverse();
  }

  route(from: string, to: string): Route {
    const r = this.between(this.vertex(from), this.vertex(to));
    return {
      from,
      to,
      path: r.path.map((v) => this.names[v]),
      networks: r.path.filter((v) => this.isNetwork(v)).map((v) => this.names[v]),
      bandwidthBps: r.bwFrom,
      reverseBandwidthBps: r.bwTo,
      rttMs: 2 * r.latencyMs,
    };
  }
}
