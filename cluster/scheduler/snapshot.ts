/**
 * A cluster snapshot: the scheduler's whole view of the cluster as typed arrays (one slot per
 * node, in topology order), so filters and scores are tight loops without allocation.
 *
 * Static facts (capacities, types, routes, registry bandwidth, per-workload execution times)
 * live in `SnapshotStatic` and are shared by clones; the mutable state is the free CPU and
 * memory per node, which images each node holds, and the round-robin index.
 */
import { CAPABILITIES } from '../spec/function';
import { ARCHES, LOCAL_NETWORK } from '../spec/topology';
import { DEVICES, type Workload } from '../topology/catalog';
import { workloadSeconds } from '../planning/exec-model';
import type { Topology } from '../topology/model';
import { MBPS_TO_BPS, NetworkGraph, type RouteRow } from '../topology/routes';

/** Node type bits; `local` = a user_device on network `local` (cluster/spec/topology.ts). */
export const TYPE_BIT = { cloud: 1, edge: 2, user_device: 4, local: 8 } as const;

export interface SnapshotStatic {
  topology: Topology;
  graph: NetworkGraph;
  n: number;
  names: string[];
  nodeIndex: Map<string, number>;
  cpuCap: Float64Array;
  memCap: Float64Array;
  /** index into ARCHES */
  arch: Uint8Array;
  typeBits: Uint8Array;
  isEdge: Uint8Array;
  storage: Uint8Array;
  noSchedule: Uint8Array;
  /** bit i = CAPABILITIES[i] */
  capBits: Int32Array;
  labels: Array<Record<string, string>>;
  /** graph vertex of each node's home network */
  homeNet: Int32Array;
  /** registry → node bandwidth, bytes/s, and RTT in ms (best registry location) */
  regBw: Float64Array;
  regRttMs: Float64Array;
  slowdown: Float64Array;
  imageIds: Map<string, number>;
  imageNames: string[];
  execCache: Map<Workload, Float64Array>;
  /** strict data-network feasibility per (networks, locations) key */
  networkOkCache: Map<string, Uint8Array>;
  /**
   * DataLocality's raw time and the Capability count per node, shared by every compiled function
   * with the same data (sizes and locations) or the same capabilities (plugins.ts, staticPerNode):
   * a simulation compiles a new requirements object per deployment, and computing these anew costs
   * a pass over every node each time.
   */
  dataTimeCache: Map<string, Float64Array>;
  capCountCache: Map<string, Float64Array>;
}

export interface SnapshotOptions {
  /** images already present on nodes */
  images?: Array<{ name: string; nodes: string[] }>;
}

export class ClusterSnapshot {
  readonly s: SnapshotStatic;
  cpuFree: Float64Array;
  memFree: Float64Array;
  /** per image id, 1 where the node holds it (allocated lazily) */
  imagePresent: Array<Uint8Array | undefined>;
  imageCount: number[];
  /** where the next search for feasible nodes starts (docs/reference.md §1: round-robin) */
  rrIndex = 0;
  /** scratch buffers reused by every placement */
  readonly scratch: { order: Int32Array; raw: Float64Array; norm: Float64Array; total: Float64Array; removedBy: Int16Array };

  constructor(s: SnapshotStatic, cpuFree: Float64Array, memFree: Float64Array, imagePresent: Array<Uint8Array | undefined>, imageCount: number[]) {
    this.s = s;
    this.cpuFree = cpuFree;
    this.memFree = memFree;
    this.imagePresent = imagePresent;
    this.imageCount = imageCount;
    const n = s.n;
    this.scratch = { order: new Int32Array(n), raw: new Float64Array(n), norm: new Float64Array(n), total: new Float64Array(n), removedBy: new Int16Array(n) };
  }

  get n(): number {
    return this.s.n;
  }

  private burst: { feasible: Uint8Array; total: Float64Array; raws: Float64Array[] } | undefined;

  /** per-node scratch of scheduleReplicas (schedule.ts): feasibility, totals and `scores` raw-score arrays, reused by every call */
  burstScratch(scores: number): { feasible: Uint8Array; total: Float64Array; raws: Float64Array[] } {
    const n = this.s.n;
    const b = (this.burst ??= { feasible: new Uint8Array(n), total: new Float64Array(n), raws: [] });
    while (b.raws.length < scores) b.raws.push(new Float64Array(n));
    return b;
  }

  nodeIndex(name: string): number {
    const i = this.s.nodeIndex.get(name);
    if (i === undefined) throw new Error(`no node named '${name}' in topology '${this.s.topology.name}'`);
    return i;
  }

  imageId(name: string): number {
    let id = this.s.imageIds.get(name);
    if (id === undefined) {
      id = this.s.imageNames.length;
      this.s.imageIds.set(name, id);
      this.s.imageNames.push(name);
    }
    return id;
  }

  /** the presence array of an image, created on first use */
  presence(id: number): Uint8Array {
    let p = this.imagePresent[id];
    if (!p) {
      p = new Uint8Array(this.s.n);
      this.imagePresent[id] = p;
      this.imageCount[id] = 0;
    }
    return p;
  }

  hasImage(node: number, imageName: string): boolean {
    const id = this.s.imageIds.get(imageName);
    return id !== undefined && this.imagePresent[id]?.[node] === 1;
  }

  addImage(node: number, imageName: string): void {
    const id = this.imageId(imageName);
    const p = this.presence(id);
    if (!p[node]) {
      p[node] = 1;
      this.imageCount[id]++;
    }
  }

  /** Subtract a placement's requests and record its images (docs/reference.md §1). */
  reserve(node: number, cpuMillis: number, memoryBytes: number, images: string[]): void {
    this.cpuFree[node] -= cpuMillis;
    this.memFree[node] -= memoryBytes;
    for (const im of images) this.addImage(node, im);
  }

  /** Give a placement's requests back (images stay). */
  release(node: number, cpuMillis: number, memoryBytes: number): void {
    this.cpuFree[node] = Math.min(this.s.cpuCap[node], this.cpuFree[node] + cpuMillis);
    this.memFree[node] = Math.min(this.s.memCap[node], this.memFree[node] + memoryBytes);
  }

  /** An independent copy of the mutable state; static facts and route caches are shared. */
  clone(): ClusterSnapshot {
    const c = new ClusterSnapshot(this.s, this.cpuFree.slice(), this.memFree.slice(), this.imagePresent.map((p) => p?.slice()), [...this.imageCount]);
    c.rrIndex = this.rrIndex;
    return c;
  }

  /** Route rows from a node or network (cached for the topology). */
  routesFrom(name: string): RouteRow {
    return this.s.graph.routesFrom(this.s.graph.vertex(name));
  }

  /**
   * Per-node mean execution seconds of a workload (Infinity where the node cannot run it, §4):
   * the one execution-time model of planning/exec-model.ts (an Edge TPU where the node has one).
   */
  execSeconds(w: Workload): Float64Array {
    let a = this.s.execCache.get(w);
    if (!a) {
      a = new Float64Array(this.s.n);
      this.s.topology.nodes.forEach((node, i) => {
        a![i] = workloadSeconds(node, w);
      });
      this.s.execCache.set(w, a);
    }
    return a;
  }
}

/** Builds the snapshot of a topology: every node empty (all allocatable free), no images unless given. */
export function buildSnapshot(t: Topology, opts: SnapshotOptions = {}): ClusterSnapshot {
  const graph = new NetworkGraph(t);
  const n = t.nodes.length;
  const s: SnapshotStatic = {
    topology: t,
    graph,
    n,
    names: t.nodes.map((x) => x.name),
    nodeIndex: new Map(t.nodes.map((x, i) => [x.name, i])),
    cpuCap: new Float64Array(n),
    memCap: new Float64Array(n),
    arch: new Uint8Array(n),
    typeBits: new Uint8Array(n),
    isEdge: new Uint8Array(n),
    storage: new Uint8Array(n),
    noSchedule: new Uint8Array(n),
    capBits: new Int32Array(n),
    labels: t.nodes.map((x) => x.labels),
    homeNet: new Int32Array(n),
    regBw: new Float64Array(n),
    regRttMs: new Float64Array(n),
    slowdown: new Float64Array(n),
    imageIds: new Map(),
    imageNames: [],
    execCache: new Map(),
    networkOkCache: new Map(),
    dataTimeCache: new Map(),
    capCountCache: new Map(),
  };
  t.nodes.forEach((node, i) => {
    s.cpuCap[i] = node.cpuMillis;
    s.memCap[i] = node.memoryBytes;
    s.arch[i] = ARCHES.indexOf(node.arch);
    s.typeBits[i] = TYPE_BIT[node.type] | (node.type === 'user_device' && node.network === LOCAL_NETWORK ? TYPE_BIT.local : 0);
    s.isEdge[i] = node.type === 'edge' ? 1 : 0;
    s.storage[i] = node.storage ? 1 : 0;
    s.noSchedule[i] = node.noSchedule ? 1 : 0;
    let bits = 0;
    for (const c of node.capabilities) {
      const k = (CAPABILITIES as readonly string[]).indexOf(c);
      if (k >= 0) bits |= 1 << k;
    }
    s.capBits[i] = bits;
    s.homeNet[i] = graph.vertex(node.network);
    s.slowdown[i] = DEVICES[node.device]?.slowdown ?? 1;
  });
  // registry → node: the best registry location's route, or the fixed bandwidth (docs/reference.md §2)
  s.regBw.fill(0);
  s.regRttMs.fill(Infinity);
  for (const at of t.registry.at) {
    const row = graph.routesFrom(graph.vertex(at));
    for (let i = 0; i < n; i++) {
      if (row.bwFrom[i] > s.regBw[i] || (row.bwFrom[i] === s.regBw[i] && 2 * row.latencyMs[i] < s.regRttMs[i])) {
        s.regBw[i] = row.bwFrom[i];
        s.regRttMs[i] = 2 * row.latencyMs[i];
      }
    }
  }
  if (t.registry.mbps !== undefined) s.regBw.fill(t.registry.mbps * MBPS_TO_BPS);
  const snap = new ClusterSnapshot(s, s.cpuCap.slice(), s.memCap.slice(), [], []);
  for (const im of opts.images ?? []) for (const node of im.nodes) snap.addImage(snap.nodeIndex(node), im.name);
  return snap;
}
