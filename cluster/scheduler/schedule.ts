/**
 * The scheduling loop (docs/reference.md §1, after skippy-core / Kubernetes 1.14): search feasible
 * nodes round-robin from the last index, score them plugin by plugin (map, reduce, add
 * weight × score), pick the highest total (first wins ties), reserve CPU and memory and record
 * the images on the chosen node. Pure and synchronous over a ClusterSnapshot: the snapshot is
 * the only state it reads and changes.
 */
import { compile, type CompiledFunction } from './compile';
import type { Profile } from './profiles';
import type { FunctionRequirements } from './requirements';
import type { ClusterSnapshot } from './snapshot';

export interface ScoreDetail {
  plugin: string;
  raw: number;
  normalised: number;
  weight: number;
  weighted: number;
}

export interface NodeExplanation {
  node: string;
  /** chosen: the placement; feasible: scored, lost; filtered: removed by `filter`; not-examined: beyond the percentage of nodes scored */
  status: 'chosen' | 'feasible' | 'filtered' | 'not-examined';
  filter?: string;
  reason?: string;
  scores?: ScoreDetail[];
  total?: number;
}

export interface FilterSummary {
  filter: string;
  removed: number;
  hint?: string;
}

export interface Explanation {
  function: string;
  profile: string;
  /** every node of the topology, in topology order */
  nodes: NodeExplanation[];
  filters: FilterSummary[];
}

export interface Infeasibility {
  message: string;
  filters: FilterSummary[];
}

export interface ScheduleResult {
  function: string;
  profile: string;
  node: string | null;
  score: number | null;
  /** feasible nodes found (and scored) */
  feasible: number;
  /** images the chosen node must pull */
  neededImages: string[];
  infeasible?: Infeasibility;
  explanation?: Explanation;
  warnings: string[];
}

export interface ScheduleOptions {
  explain?: boolean;
  /** subtract the requests from the chosen node (default true) */
  reserve?: boolean;
}

/** Kubernetes' rule as skippy-core implements it (docs/reference.md §1). */
export function numFeasibleNodesToFind(n: number, percentage: number): number {
  if (n < 5 || percentage >= 100) return n;
  let p = percentage;
  if (p <= 0) {
    p = 50 - n / 125;
    if (p < 5) p = 5;
  }
  const k = Math.trunc((n * p) / 100);
  return k < 100 ? 100 : k;
}

/** Schedules one function on the snapshot with a profile. */
export function schedule(snap: ClusterSnapshot, profile: Profile, req: FunctionRequirements, opts: ScheduleOptions = {}): ScheduleResult {
  const fn = compile(snap, req);
  // the compiled form is shared by clones; make sure this snapshot tracks the function's images
  for (let i = 0; i < fn.imageIds.length; i++) if (!snap.imagePresent[fn.imageIds[i]]) snap.presence(fn.imageIds[i]);
  const n = snap.n;
  const { order: cand, raw, norm, total, removedBy } = snap.scratch;
  const explain = opts.explain === true;
  const start = n ? snap.rrIndex % n : 0;
  for (let i = 0; i < n; i++) {
    const v = start + i;
    cand[i] = v < n ? v : v - n;
  }
  if (explain) removedBy.fill(-1);
  let count = n;
  const removed = new Array<number>(profile.filters.length);
  for (let f = 0; f < profile.filters.length; f++) {
    const before = count;
    count = profile.filters[f].run(snap, fn, cand, count, removedBy, f);
    removed[f] = before - count;
  }
  const k = numFeasibleNodesToFind(n, profile.percentageOfNodesToScore);
  // skippy-core stops examining nodes at the k-th feasible one
  let lastExamined = -1;
  if (count > k) {
    count = k;
    lastExamined = cand[count - 1];
  }
  if (count > 0) snap.rrIndex = (cand[count - 1] + 1) % n;

  if (count === 0) {
    const filters = profile.filters.map((f, i) => ({ filter: f.name, removed: removed[i], ...(removed[i] > 0 ? { hint: f.hint(snap, fn, removed[i], removedBy, i) } : {}) }));
    const used = filters.filter((f) => f.removed > 0);
    const message = n === 0
      ? `no node can run ${req.id}: the topology has no nodes`
      : `no node can run ${req.id} (${n} node${n === 1 ? '' : 's'} examined): ${used.map((f) => `${f.filter} removed ${f.removed}${f.hint ? ` — ${f.hint}` : ''}`).join('; ')}`;
    return {
      function: req.id,
      profile: profile.name,
      node: null,
      score: null,
      feasible: 0,
      neededImages: [],
      infeasible: { message, filters },
      ...(explain ? { explanation: explainAll(snap, profile, fn, filters, removedBy, -1, start, lastExamined, [], [], 0) } : {}),
      warnings: [...fn.warnings],
    };
  }

  for (let i = 0; i < count; i++) total[i] = 0;
  const details: Array<{ raw: Float64Array; norm: Float64Array }> = [];
  for (const { plugin, weight } of profile.scores) {
    if (weight === 0 && !explain) continue;
    plugin.map(snap, fn, cand, count, raw);
    if (!explain) {
      // the same sum as below, without writing the scores out first
      plugin.add(raw, count, total, weight);
      continue;
    }
    plugin.normalise(raw, count, norm);
    for (let i = 0; i < count; i++) total[i] += norm[i] * weight;
    details.push({ raw: raw.slice(0, count), norm: norm.slice(0, count) });
  }
  let best = 0;
  for (let i = 1; i < count; i++) if (total[i] > total[best]) best = i;
  const v = cand[best];
  const score = total[best];
  const neededImages: string[] = [];
  for (let i = 0; i < fn.imageIds.length; i++) if (!snap.imagePresent[fn.imageIds[i]]![v]) neededImages.push(req.images[i].name);
  const explanation = explain
    ? explainAll(snap, profile, fn, profile.filters.map((f, i) => ({ filter: f.name, removed: removed[i] })), removedBy, v, start, lastExamined, details, Array.from(cand.subarray(0, count)), count, total)
    : undefined;
  if (opts.reserve !== false) snap.reserve(v, fn.cpu, fn.mem, neededImages);
  return {
    function: req.id,
    profile: profile.name,
    node: snap.s.names[v],
    score,
    feasible: count,
    neededImages,
    ...(explanation ? { explanation } : {}),
    warnings: [...fn.warnings],
  };
}

function explainAll(
  snap: ClusterSnapshot,
  profile: Profile,
  fn: CompiledFunction,
  filters: FilterSummary[],
  removedBy: Int16Array,
  chosen: number,
  start: number,
  lastExamined: number,
  details: Array<{ raw: Float64Array; norm: Float64Array }>,
  scored: number[],
  count: number,
  total?: Float64Array,
): Explanation {
  const n = snap.n;
  const pos = new Map<number, number>();
  scored.forEach((v, i) => pos.set(v, i));
  const examinedUpTo = lastExamined < 0 ? n : ((lastExamined - start + n) % n) + 1;
  const nodes: NodeExplanation[] = [];
  const weighted = profile.scores.filter((s) => s.weight !== 0 || details.length === profile.scores.length);
  for (let v = 0; v < n; v++) {
    const name = snap.s.names[v];
    const i = pos.get(v);
    if (i !== undefined && i < count) {
      nodes.push({
        node: name,
        status: v === chosen ? 'chosen' : 'feasible',
        scores: weighted.map((s, j) => ({ plugin: s.plugin.name, raw: details[j].raw[i], normalised: details[j].norm[i], weight: s.weight, weighted: details[j].norm[i] * s.weight })),
        total: total ? total[i] : 0,
      });
      continue;
    }
    const f = removedBy[v];
    if (((v - start + n) % n) >= examinedUpTo || f < 0) {
      nodes.push({ node: name, status: 'not-examined', reason: `beyond the ${profile.percentageOfNodesToScore}% of nodes scored` });
      continue;
    }
    const plugin = profile.filters[f];
    nodes.push({ node: name, status: 'filtered', filter: plugin.name, reason: plugin.reason(snap, fn, v) });
  }
  return { function: fn.req.id, profile: profile.name, nodes, filters };
}

/** Schedules functions one after another on the same snapshot (each placement reserves its node). */
export function scheduleAll(snap: ClusterSnapshot, profile: Profile, reqs: FunctionRequirements[], opts: ScheduleOptions = {}): ScheduleResult[] {
  return reqs.map((r) => schedule(snap, profile, r, opts));
}
