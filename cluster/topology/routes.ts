/**
 * Routes over a topology (after edgerun/ether, docs/reference.md §5): a route is the shortest path
 * (fewest hops; among equal paths the first found in link order), its bandwidth per direction
 * is the bottleneck of its links in that direction, and RTT = 2 · Σ link latency.
 *
 * Routes are computed per source by one breadth-first search and cached as rows of typed arrays,
 * so a scheduler can read the bandwidth from a data location to every node in O(1) per node.
 * Both directions between a and b use the path of the tree rooted at the row's source.
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

  /** The vertices on the route from the row's source to v (source first); empty if unreachable. */
  pathTo(row: RouteRow, v: number): number[] {
    if (row.hops[v] < 0) return [];
    const out: number[] = [];
    for (let x = v; x !== -1; x = row.parent[x]) out.push(x);
    return out.reverse();
  }

  route(from: string, to: string): Route {
    const a = this.vertex(from);
    const b = this.vertex(to);
    const row = this.routesFrom(a);
    const path = this.pathTo(row, b);
    return {
      from,
      to,
      path: path.map((v) => this.names[v]),
      networks: path.filter((v) => this.isNetwork(v)).map((v) => this.names[v]),
      bandwidthBps: row.bwFrom[b],
      reverseBandwidthBps: row.bwTo[b],
      rttMs: 2 * row.latencyMs[b],
    };
  }
}
