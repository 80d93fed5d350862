/**
 * Filter and score plugins. Each works on a whole candidate list at once (a tight loop over
 * typed arrays), so a placement over 1,000 nodes costs a few passes of simple arithmetic.
 *
 * Filters compact the candidate list in place (keeping order) and mark each removed node with
 * their id in `removedBy`. Scores `map` each candidate to a raw value and `normalise` the raw
 * values of all candidates to 0..10 (docs/reference.md §1: map, then reduce), or `add` the
 * weighted normalised values straight to the totals. Every plugin says whether it is node-local
 * (a node's answer depends on that node's state alone), which lets scheduleReplicas look again at
 * just the node a replica took.
 *
 * Why one file of ~650 lines: the filters and scores of docs/reference.md §1 with their explanations, each a small object; to be one file per plugin with a registry by name.
 */
import { CAPABILITIES } from '../spec/function';
import { fmtMiB } from '../common/units';
import { transferSeconds } from '../common/network-cost';
import type { CompiledFunction } from './compile';
import type { ClusterSnapshot } from './snapshot';
import { missingEdgeTpu, runsOnEdgeTpu } from '../planning/exec-model';

const MiB = 1024 * 1024;
/** Kubernetes max priority (docs/reference.md §1: integer scores 0..10). */
export const MAX_PRIORITY = 10;
export { CONNECTION_SETUP_RTTS } from '../common/network-cost';

export interface FilterPlugin {
  name: string;
  /**
   * Whether it keeps or removes node v by v's own state (its free resources, its images) and facts
   * fixed for the snapshot alone, never by another node's state: after a placement only the chosen
   * node's answer can change (scheduleReplicas relies on it).
   */
  nodeLocal: boolean;
  run(snap: ClusterSnapshot, fn: CompiledFunction, cand: Int32Array, count: number, removedBy: Int16Array, id: number): number;
  /** why node v was removed */
  reason(snap: ClusterSnapshot, fn: CompiledFunction, v: number): string;
  /**
   * what to do when this filter removed `removed` nodes and nothing is left; `removedBy[v] === id`
   * for exactly the nodes this filter removed (every node was a candidate and was removed by one filter)
   */
  hint(snap: ClusterSnapshot, fn: CompiledFunction, removed: number, removedBy: Int16Array, id: number): string;
}

export interface ScorePlugin extends Normalisation {
  name: string;
  /**
   * Whether node v's raw score depends on v's own state and facts fixed for the snapshot alone
   * (false: ImageLocality, which weighs an image by how many nodes hold it): after a placement
   * only the chosen node's raw score can change (scheduleReplicas relies on it).
   */
  nodeLocal: boolean;
  map(snap: ClusterSnapshot, fn: CompiledFunction, cand: Int32Array, count: number, raw: Float64Array): void;
}

/**
 * The reduce step of a score (docs/reference.md §1): `normalise` writes each candidate's 0..10
 * score; `add` adds weight × that same score to a running total (the scheduler's path when no
 * explanation is asked for: one pass instead of a pass to write the scores and one to add them).
 * Both loops of a normalisation call the one function that holds its formula.
 */
export interface Normalisation {
  normalise(raw: Float64Array, count: number, out: Float64Array): void;
  add(raw: Float64Array, count: number, total: Float64Array, weight: number): void;
  /** whether a candidate's score depends on the other candidates (through the least and the greatest raw value among them all), or on its raw value alone */
  byRange: boolean;
  /** the score of raw value x when the candidates' raw values range over [min, max]: what normalise and add compute for it */
  value(x: number, min: number, max: number): number;
}

/** the least and greatest of raw[0 .. count), left in rangeMin / rangeMax (no allocation per placement) */
let rangeMin = 0;
let rangeMax = 0;
function range(raw: Float64Array, count: number): void {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < count; i++) {
    if (raw[i] < min) min = raw[i];
    if (raw[i] > max) max = raw[i];
  }
  rangeMin = min;
  rangeMax = max;
}

const IDENTITY: Normalisation = {
  byRange: false,
  value: (x) => x,
  normalise(raw, count, out) {
    for (let i = 0; i < count; i++) out[i] = raw[i];
  },
  add(raw, count, total, weight) {
    for (let i = 0; i < count; i++) total[i] += raw[i] * weight;
  },
};

/**
 * scale(s) = int((x−min)/(max−min)·10) and scaleInverse(s) = int((x−max)/(min−max)·10) (the
 * smallest gets 10), all 0 if max = min (docs/reference.md §1): one formula, int((x−a)/d·10),
 * anchored at the minimum or at the maximum of the candidates' raw values.
 */
const anchored = (x: number, a: number, d: number): number => (d === 0 ? 0 : Math.trunc(((x - a) / d) * MAX_PRIORITY) + 0); // + 0: no -0
function byRange(inverse: boolean): Normalisation {
  const anchor = (): number => (inverse ? rangeMax : rangeMin);
  const span = (): number => (inverse ? rangeMin - rangeMax : rangeMax - rangeMin);
  return {
    byRange: true,
    value: (x, min, max) => (inverse ? anchored(x, max, min - max) : anchored(x, min, max - min)),
    normalise(raw, count, out) {
      range(raw, count);
      const a = anchor();
      const d = span();
      for (let i = 0; i < count; i++) out[i] = anchored(raw[i], a, d);
    },
    add(raw, count, total, weight) {
      range(raw, count);
      const a = anchor();
      const d = span();
      for (let i = 0; i < count; i++) total[i] += anchored(raw[i], a, d) * weight;
    },
  };
}
export const SCALE = byRange(false);
export const SCALE_INVERSE = byRange(true);

const mib = fmtMiB;

function fmtS(s: number): string {
  return s === Infinity ? '∞' : s >= 100 ? `${s.toFixed(0)} s` : `${s.toFixed(3)} s`;
}

// ---------------------------------------------------------------------------------------------
// Filters

/** Storage nodes never run functions; no-schedule nodes are skipped (docs/reference.md §1). */
export const NodeSchedulable: FilterPlugin = {
  name: 'NodeSchedulable',
  nodeLocal: true,
  run(snap, _fn, cand, count, removedBy, id) {
    const st = snap.s.storage;
    const ns = snap.s.noSchedule;
    let k = 0;
    for (let i = 0; i < count; i++) {
      const v = cand[i];
      if (st[v] | ns[v]) removedBy[v] = id;
      else cand[k++] = v;
    }
    return k;
  },
  reason: (snap, _fn, v) => (snap.s.storage[v] ? 'a storage node: it holds data and never runs functions' : 'marked no-schedule'),
  hint: (_s, _f, removed) => `${removed} storage or no-schedule node(s) never run functions: add compute nodes or clear their noSchedule flag`,
};

/** Σ requested CPU ≤ allocatable and Σ memory ≤ allocatable (docs/reference.md §1). */
export const PodFitsResources: FilterPlugin = {
  name: 'PodFitsResources',
  nodeLocal: true,
  run(snap, fn, cand, count, removedBy, id) {
    const cpu = snap.cpuFree;
    const mem = snap.memFree;
    const c = fn.cpu;
    const m = fn.mem;
    let k = 0;
    for (let i = 0; i < count; i++) {
      const v = cand[i];
      if (c <= cpu[v] && m <= mem[v]) cand[k++] = v;
      else removedBy[v] = id;
    }
    return k;
  },
  reason: (snap, fn, v) => `needs ${fn.cpu} m CPU and ${mib(fn.mem)}; free: ${Math.max(0, snap.cpuFree[v])} m and ${mib(Math.max(0, snap.memFree[v]))}`,
  hint(snap, fn) {
    let bc = 0;
    let bm = 0;
    let nc = '';
    let nm = '';
    for (let v = 0; v < snap.n; v++) {
      if (snap.s.storage[v] || snap.s.noSchedule[v]) continue;
      if (snap.cpuFree[v] > bc) ((bc = snap.cpuFree[v]), (nc = snap.s.names[v]));
      if (snap.memFree[v] > bm) ((bm = snap.memFree[v]), (nm = snap.s.names[v]));
    }
    return `the function asks for ${fn.cpu} m CPU and ${mib(fn.mem)}; the most free is ${bc} m CPU (${nc || 'none'}) and ${mib(bm)} (${nm || 'none'}): lower the requests, free capacity or add nodes`;
  },
};

const TYPE_NAMES: Array<[number, string]> = [
  [1, 'cloud'],
  [2, 'edge'],
  [4, 'user_device'],
  [8, 'local'],
];

/** policy.fn node: the node's type must be one of the allowed ones ('local' = user_device on network local). */
export const NodeType: FilterPlugin = {
  name: 'NodeType',
  nodeLocal: true,
  run(snap, fn, cand, count, removedBy, id) {
    const mask = fn.typeMask;
    if (mask === 0) return count;
    const tb = snap.s.typeBits;
    let k = 0;
    for (let i = 0; i < count; i++) {
      const v = cand[i];
      if (tb[v] & mask) cand[k++] = v;
      else removedBy[v] = id;
    }
    return k;
  },
  reason: (snap, fn, v) => `node type ${snap.s.topology.nodes[v].type}; policy.fn allows ${(fn.req.nodeTypes ?? []).join(', ')}`,
  hint(snap, fn) {
    const missing = TYPE_NAMES.filter(([bit]) => fn.typeMask & bit)
      .filter(([bit]) => !snap.s.typeBits.some((b) => (b & bit) !== 0))
      .map(([, name]) => name);
    const allowed = (fn.req.nodeTypes ?? []).join(' or ');
    if (missing.length === (fn.req.nodeTypes ?? []).length) {
      const local = missing.includes('local') ? " ('local' is a user_device node on network 'local')" : '';
      return `no node has type ${allowed}${local}: add one to the topology or relax policy.fn`;
    }
    return `the nodes of type ${allowed} were removed by other filters: relax policy.fn or free those nodes`;
  },
};

const CAP_ADVICE: Record<string, string> = {
  tpu: 'attach a Coral stick',
  vpu: 'attach an Intel Neural Compute Stick 2',
  gpu: 'add a GPU node (nano, tx2, nx, xeon-gpu)',
  cuda: 'add a CUDA node (nano, tx2, nx, xeon-gpu)',
  camera: 'add a node with a camera',
};

/** policy.fn capability: the node must offer every required capability (with the required value). */
export const CapabilityFilter: FilterPlugin = {
  name: 'Capability',
  nodeLocal: true,
  run(snap, fn, cand, count, removedBy, id) {
    const mask = fn.capMask;
    if (mask === 0) return count;
    const cb = snap.s.capBits;
    const vals = fn.capValues;
    const labels = snap.s.labels;
    let k = 0;
    for (let i = 0; i < count; i++) {
      const v = cand[i];
      let ok = (cb[v] & mask) === mask;
      if (ok && vals.length) for (const cv of vals) if (labels[v][cv.key] !== cv.value) ok = false;
      if (ok) cand[k++] = v;
      else removedBy[v] = id;
    }
    return k;
  },
  reason(snap, fn, v) {
    const node = snap.s.topology.nodes[v];
    const lacking = (fn.req.capabilities ?? []).filter((c) => !node.capabilities.includes(c));
    if (lacking.length) return `lacks capability ${lacking.join(', ')} (has ${node.capabilities.join(', ') || 'none'})`;
    const wrong = fn.capValues.filter((cv) => node.labels[cv.key] !== cv.value);
    return `capability value mismatch: ${wrong.map((w) => `${w.key}=${w.value} wanted, node has ${node.labels[w.key] ?? 'none'}`).join('; ')}`;
  },
  hint(snap, fn) {
    const parts: string[] = [];
    for (const cap of fn.req.capabilities ?? []) {
      const k = (CAPABILITIES as readonly string[]).indexOf(cap);
      const any = k >= 0 && snap.s.capBits.some((b) => (b & (1 << k)) !== 0);
      if (!any) parts.push(`no node has capability ${cap}: ${CAP_ADVICE[cap] ?? 'add a node that offers it'} or relax policy.fn`);
    }
    if (parts.length) return parts.join('; ');
    return `the nodes with capability ${(fn.req.capabilities ?? []).join(' and ')} were removed by other filters or lack a required value: relax policy.fn or free those nodes`;
  },
};

/** policy.data with strict: true — data may cross only the listed networks. */
export const DataNetworkStrict: FilterPlugin = {
  name: 'DataNetwork',
  nodeLocal: true,
  run(snap, fn, cand, count, removedBy, id) {
    const ok = fn.networkOk;
    if (!ok || !fn.req.data?.strict) return count;
    let k = 0;
    for (let i = 0; i < count; i++) {
      const v = cand[i];
      if (ok[v]) cand[k++] = v;
      else removedBy[v] = id;
    }
    return k;
  },
  reason(snap, fn, v) {
    const nets = fn.req.data?.networks ?? [];
    const node = snap.s.topology.nodes[v];
    if (!nets.includes(node.network)) return `on network ${node.network}; policy.data allows ${nets.join(', ')}`;
    return `its input or output data would cross a network outside ${nets.join(', ')}`;
  },
  hint(snap, fn) {
    const nets = fn.req.data?.networks ?? [];
    if (fn.unknownNetworks.length) {
      const known = snap.s.topology.networks.map((n) => n.name);
      return `policy.data names network(s) ${fn.unknownNetworks.join(', ')} that topology '${snap.s.topology.name}' does not have (networks: ${known.join(', ')}): use one of those or another topology`;
    }
    // name the data and where it lives: the user's fix is moving it (or the policy)
    const outside = (items: typeof fn.req.inputs) =>
      items
        .filter((it) => it.locations.length && !it.locations.some((l) => nets.includes(snap.s.topology.nodes.find((n) => n.name === l)?.network ?? '')))
        .map((it) => `${it.urn} lives on ${it.locations.map((l) => `${l} (network ${snap.s.topology.nodes.find((n) => n.name === l)?.network ?? '?'})`).join(', ')}`);
    const where = [...outside(fn.req.inputs), ...outside(fn.req.outputs)];
    return `no node on network(s) ${nets.join(', ')} can get its data without leaving them${where.length ? ` (${where.join('; ')})` : ''}: move the data into ${nets.join(', ')}, or relax policy.data (strict: false)`;
  },
};

export interface Estimate {
  exec: number;
  transfer: number;
  pull: number;
  total: number;
}

/** seconds to run fn on v: execution on the device + input transfer over the route + image pull if missing */
export function estimate(snap: ClusterSnapshot, fn: CompiledFunction, v: number, out: Estimate): Estimate {
  const exec = fn.exec ? fn.exec[v] : 0;
  let transfer = 0;
  const inp = fn.inputs;
  for (let j = 0; j < inp.loc.length; j++) {
    const locs = inp.loc[j];
    if (!locs.length) continue;
    let best = Infinity;
    for (let l = 0; l < locs.length; l++) {
      if (locs[l] === v) {
        best = 0;
        break;
      }
      const row = inp.rows[j][l];
      // the network cost the runtime emulates and the simulator's flows pay (common/network-cost.ts)
      const t = transferSeconds(inp.size[j], row.bwFrom[v], 2 * row.latencyMs[v]);
      if (t < best) best = t;
    }
    transfer += best;
  }
  let missing = 0;
  const a = snap.s.arch[v];
  for (let i = 0; i < fn.imageIds.length; i++) if (!snap.imagePresent[fn.imageIds[i]]![v]) missing += fn.imageSizes[i * 3 + a];
  const pull = missing > 0 ? transferSeconds(missing, snap.s.regBw[v], snap.s.regRttMs[v]) : 0;
  out.exec = exec;
  out.transfer = transfer;
  out.pull = pull;
  out.total = exec + transfer + pull;
  return out;
}

const scratchEstimate: Estimate = { exec: 0, transfer: 0, pull: 0, total: 0 };

/** policy.deadline: execution + input transfer + image pull ≤ deadline. */
export const DeadlineFeasible: FilterPlugin = {
  name: 'Deadline',
  nodeLocal: true,
  run(snap, fn, cand, count, removedBy, id) {
    const d = fn.req.deadlineMs;
    if (d === undefined) return count;
    const limit = d / 1000;
    let st = fn.staticEstimate;
    if (!st) {
      st = new Float64Array(snap.n);
      for (let v = 0; v < snap.n; v++) st[v] = estimate(snap, fn, v, scratchEstimate).exec + scratchEstimate.transfer;
      fn.staticEstimate = st;
    }
    const ids = fn.imageIds;
    const sizes = fn.imageSizes;
    const arch = snap.s.arch;
    const regBw = snap.s.regBw;
    const regRtt = snap.s.regRttMs;
    let k = 0;
    for (let i = 0; i < count; i++) {
      const v = cand[i];
      let t = st[v];
      if (t <= limit) {
        let missing = 0;
        for (let j = 0; j < ids.length; j++) if (!snap.imagePresent[ids[j]]![v]) missing += sizes[j * 3 + arch[v]];
        if (missing > 0) t += transferSeconds(missing, regBw[v], regRtt[v]);
      }
      if (t <= limit) cand[k++] = v;
      else removedBy[v] = id;
    }
    return k;
  },
  reason(snap, fn, v) {
    const e = estimate(snap, fn, v, { exec: 0, transfer: 0, pull: 0, total: 0 });
    const node = snap.s.topology.nodes[v];
    const w = fn.req.workload;
    const noTpu = w && e.exec === Infinity ? missingEdgeTpu(node, w) : undefined;
    const noProfile = e.exec === Infinity ? ` (${noTpu ? `${node.device}: ${noTpu}` : `device ${node.device} has no execution time for ${w}`})` : '';
    const onTpu = w && e.exec !== Infinity && runsOnEdgeTpu(node, w) ? ' on the Edge TPU' : '';
    return `estimated ${fmtS(e.total)} (execution ${fmtS(e.exec)}${onTpu}${noProfile} + input transfer ${fmtS(e.transfer)} + image pull ${fmtS(e.pull)}) > deadline ${fmtS((fn.req.deadlineMs ?? 0) / 1000)}`;
  },
  hint(snap, fn, _removed, removedBy, id) {
    // the estimate on the nodes that were still candidates when the deadline was checked: a node
    // another filter removed (wrong type, no capability) is no way out of the deadline
    let best = Infinity;
    let bestV = -1;
    const e: Estimate = { exec: 0, transfer: 0, pull: 0, total: 0 };
    for (let v = 0; v < snap.n; v++) {
      if (removedBy[v] !== id) continue;
      if (estimate(snap, fn, v, e).total < best) ((best = e.total), (bestV = v));
    }
    if (bestV < 0) return 'no node can run it: relax policy.deadline';
    const b = estimate(snap, fn, bestV, e);
    return `the fastest estimate among the nodes left by the other filters is ${fmtS(b.total)} on ${snap.s.names[bestV]} (execution ${fmtS(b.exec)} + input transfer ${fmtS(b.transfer)} + image pull ${fmtS(b.pull)}) against a deadline of ${fmtS((fn.req.deadlineMs ?? 0) / 1000)}: relax policy.deadline, move the data closer, pre-pull the image or add a faster node`;
  },
};

// ---------------------------------------------------------------------------------------------
// Scores (docs/reference.md §1)

/** cf = request CPU / remaining CPU, mf likewise; 0 if either ≥ 1, else int((1 − |cf − mf|)·10). No reduce. */
export const BalancedResource: ScorePlugin = {
  name: 'BalancedResource',
  nodeLocal: true,
  map(snap, fn, cand, count, raw) {
    const cpu = snap.cpuFree;
    const mem = snap.memFree;
    for (let i = 0; i < count; i++) {
      const v = cand[i];
      const cf = fn.cpu / (cpu[v] === 0 ? 1 : cpu[v]);
      const mf = fn.mem / (mem[v] === 0 ? 1 : mem[v]);
      raw[i] = cf >= 1 || mf >= 1 ? 0 : Math.trunc((1 - Math.abs(cf - mf)) * MAX_PRIORITY);
    }
  },
  ...IDENTITY,
};

const IMG_MIN = 23 * MiB;
const IMG_MAX = 1000 * MiB;

/** Σ over present images of int(size(arch) · nodesWithImage/totalNodes); clamp [23, 1000] MiB; int(10·(sum−23)/(1000−23)). */
export const ImageLocality: ScorePlugin = {
  name: 'ImageLocality',
  // an image counts by the share of nodes holding it: a pull anywhere changes every node's score
  nodeLocal: false,
  map(snap, fn, cand, count, raw) {
    const total = snap.n;
    const ids = fn.imageIds;
    const arch = snap.s.arch;
    for (let i = 0; i < count; i++) raw[i] = 0;
    for (let j = 0; j < ids.length; j++) {
      const pres = snap.imagePresent[ids[j]]!;
      const spread = snap.imageCount[ids[j]] / total;
      for (let i = 0; i < count; i++) {
        const v = cand[i];
        if (pres[v]) raw[i] += Math.trunc(fn.imageSizes[j * 3 + arch[v]] * spread);
      }
    }
  },
  byRange: false,
  value: (x) => imageScore(x),
  normalise(raw, count, out) {
    for (let i = 0; i < count; i++) out[i] = imageScore(raw[i]);
  },
  add(raw, count, total, weight) {
    for (let i = 0; i < count; i++) total[i] += imageScore(raw[i]) * weight;
  },
};

/** ImageLocality's reduce: the sum clamped to [23, 1000] MiB, then int(10·(sum−23)/(1000−23)) */
function imageScore(x: number): number {
  const s = x < IMG_MIN ? IMG_MIN : x > IMG_MAX ? IMG_MAX : x;
  return Math.trunc((MAX_PRIORITY * (s - IMG_MIN)) / (IMG_MAX - IMG_MIN));
}

/** t = int(Σ missing image sizes / bandwidth(registry → node)); all 0 if max = 0, else int(10·(max − t + min)/max). */
export const LatencyAwareImageLocality: ScorePlugin = {
  name: 'LatencyAwareImageLocality',
  nodeLocal: true,
  map(snap, fn, cand, count, raw) {
    const ids = fn.imageIds;
    const arch = snap.s.arch;
    const bw = snap.s.regBw;
    const sizes = fn.imageSizes;
    for (let i = 0; i < count; i++) raw[i] = 0;
    for (let j = 0; j < ids.length; j++) {
      const pres = snap.imagePresent[ids[j]]!;
      const base = j * 3;
      for (let i = 0; i < count; i++) {
        const v = cand[i];
        if (!pres[v]) raw[i] += sizes[base + arch[v]];
      }
    }
    for (let i = 0; i < count; i++) raw[i] = Math.trunc(raw[i] / bw[cand[i]]);
  },
  byRange: true,
  value: (x, min, max) => pullScore(x, min, max),
  normalise(raw, count, out) {
    range(raw, count);
    const min = rangeMin;
    const max = rangeMax;
    for (let i = 0; i < count; i++) out[i] = pullScore(raw[i], min, max);
  },
  add(raw, count, total, weight) {
    range(raw, count);
    const min = rangeMin;
    const max = rangeMax;
    for (let i = 0; i < count; i++) total[i] += pullScore(raw[i], min, max) * weight;
  },
};

/** LatencyAwareImageLocality's reduce: all 0 if max = 0, else int(10·(max − t + min)/max) */
const pullScore = (t: number, min: number, max: number): number => (max === 0 ? 0 : Math.trunc((MAX_PRIORITY * (max - t + min)) / max));

/** 10 if the node's locality type is edge, else 0. */
export const LocalityType: ScorePlugin = {
  name: 'LocalityType',
  nodeLocal: true,
  map(snap, _fn, cand, count, raw) {
    const e = snap.s.isEdge;
    for (let i = 0; i < count; i++) raw[i] = e[cand[i]] ? MAX_PRIORITY : 0;
  },
  ...IDENTITY,
};

/**
 * t = receive + send; receive = 0 if the node stores the item, else int(size / the minimum
 * bandwidth from the nodes holding it); send likewise towards the output's nodes. Reduce: scaleInverse.
 */
export const DataLocality: ScorePlugin = {
  name: 'DataLocality',
  nodeLocal: true,
  map(snap, fn, cand, count, raw) {
    let dt = fn.dataTime;
    if (!dt) {
      dt = staticPerNode(snap.s.dataTimeCache, dataKey(fn), snap.n, (out) => dataTimes(fn, out));
      fn.dataTime = dt;
    }
    for (let i = 0; i < count; i++) raw[i] = dt[cand[i]];
  },
  ...SCALE_INVERSE,
};

/** Entries kept per cache before it starts afresh (each is one Float64Array of the node count). */
export const STATIC_CACHE_ENTRIES = 512;

/**
 * A per-node array that depends only on the topology and what `key` spells out, computed once per
 * key and shared (read-only) by every compiled function with that key.
 */
function staticPerNode(cache: Map<string, Float64Array>, key: string, n: number, fill: (out: Float64Array) => void): Float64Array {
  let a = cache.get(key);
  if (!a) {
    a = new Float64Array(n);
    fill(a);
    if (cache.size >= STATIC_CACHE_ENTRIES) cache.clear();
    cache.set(key, a);
  }
  return a;
}

/**
 * Everything dataTimes reads from the compiled function: per input and output, its size and the
 * node indices holding it (the route rows are the topology's, rooted at those nodes).
 */
export function dataKey(fn: CompiledFunction): string {
  let key = '';
  for (const items of [fn.inputs, fn.outputs]) {
    for (let j = 0; j < items.loc.length; j++) key += `${items.size[j]}@${items.loc[j].join(',')};`;
    key += '|';
  }
  return key;
}

/** Everything capabilityCounts reads from the compiled function: the capability mask and the required values. */
export function capKey(fn: CompiledFunction): string {
  let key = `${fn.capMask}`;
  for (const cv of fn.capValues) key += `|${cv.bit}:${JSON.stringify(cv.key)}=${JSON.stringify(cv.value)}`;
  return key;
}

/** DataLocality's raw time for every node (the data's locations are fixed within a snapshot). */
function dataTimes(fn: CompiledFunction, raw: Float64Array): void {
  const count = raw.length;
  raw.fill(0);
  {
    for (let dir = 0; dir < 2; dir++) {
      const items = dir === 0 ? fn.inputs : fn.outputs;
      for (let j = 0; j < items.loc.length; j++) {
        const locs = items.loc[j];
        if (!locs.length) continue;
        const size = items.size[j];
        const rows = items.rows[j];
        for (let v = 0; v < count; v++) {
          const i = v;
          let min = Infinity;
          let here = false;
          for (let l = 0; l < locs.length; l++) {
            if (locs[l] === v) {
              here = true;
              break;
            }
            const bw = dir === 0 ? rows[l].bwFrom[v] : rows[l].bwTo[v];
            if (bw < min) min = bw;
          }
          if (!here) raw[i] += Math.trunc(size / min);
        }
      }
    }
  }
}

/** Number of the node's capabilities the function also carries (with an equal value). Reduce: scale. */
export const CapabilityScore: ScorePlugin = {
  name: 'Capability',
  nodeLocal: true,
  map(snap, fn, cand, count, raw) {
    let cc = fn.capCount;
    if (!cc) {
      cc = staticPerNode(snap.s.capCountCache, capKey(fn), snap.n, (out) => {
        const all = new Int32Array(snap.n);
        for (let v = 0; v < snap.n; v++) all[v] = v;
        capabilityCounts(snap, fn, all, snap.n, out);
      });
      fn.capCount = cc;
    }
    for (let i = 0; i < count; i++) raw[i] = cc[cand[i]];
  },
  ...SCALE,
};

function capabilityCounts(snap: ClusterSnapshot, fn: CompiledFunction, cand: Int32Array, count: number, raw: Float64Array): void {
  {
    const mask = fn.capMask;
    const cb = snap.s.capBits;
    const vals = fn.capValues;
    const labels = snap.s.labels;
    for (let i = 0; i < count; i++) {
      const v = cand[i];
      let x = cb[v] & mask;
      let c = 0;
      while (x) {
        x &= x - 1;
        c++;
      }
      if (vals.length) for (const cv of vals) if (cb[v] & cv.bit && labels[v][cv.key] !== cv.value) c--;
      raw[i] = c;
    }
  }
}

/** policy.data with strict: false — 10 where the data stays inside the listed networks, else 0. */
export const DataNetworkPreference: ScorePlugin = {
  name: 'DataNetworkPreference',
  nodeLocal: true,
  map(_snap, fn, cand, count, raw) {
    const ok = fn.networkOk;
    for (let i = 0; i < count; i++) raw[i] = ok && ok[cand[i]] ? MAX_PRIORITY : 0;
  },
  ...IDENTITY,
};

