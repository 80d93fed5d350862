/**
 * The scheduling loop (docs/reference.md §1, after skippy-core / Kubernetes 1.14): search feasible
 * nodes round-robin from the last index, score them plugin by plugin (map, reduce, add
 * weight × score), pick the highest total (first wins ties), reserve CPU and memory and record
 * the images on the chosen node. Pure and synchronous over a ClusterSnapshot: the snapshot is
 * the only state it reads and changes. `scheduleReplicas` places several replicas of one function
 * as that many placements one after another would, with less work after the first.
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

/** The compiled form of req, with this snapshot tracking its images (the compiled form is shared by clones). */
function compiledOn(snap: ClusterSnapshot, req: FunctionRequirements): CompiledFunction {
  const fn = compile(snap, req);
  for (let i = 0; i < fn.imageIds.length; i++) if (!snap.imagePresent[fn.imageIds[i]]) snap.presence(fn.imageIds[i]);
  return fn;
}

/** The images of fn that node v must pull. */
function neededImagesOn(snap: ClusterSnapshot, fn: CompiledFunction, v: number): string[] {
  const needed: string[] = [];
  for (let i = 0; i < fn.imageIds.length; i++) if (!snap.imagePresent[fn.imageIds[i]]![v]) needed.push(fn.req.images[i].name);
  return needed;
}

/** Schedules one function on the snapshot with a profile. */
export function schedule(snap: ClusterSnapshot, profile: Profile, req: FunctionRequirements, opts: ScheduleOptions = {}): ScheduleResult {
  const fn = compiledOn(snap, req);
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
  const neededImages = neededImagesOn(snap, fn, v);
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

/**
 * Places `k` replicas of one function one after another (an autoscaler's scale-up), as k calls of
 * `schedule` would: each on the node `schedule` would choose then, reserving it, each search
 * starting where the last ended — the same nodes, scores and round-robin index. Stops after the
 * first replica no node can take (that result, with its infeasibility, is the last).
 *
 * After the first replica only the node the last one took is looked at again: every filter and
 * score of the profile is node-local (plugins.ts), so a reservation changes that node's answers
 * alone. Its feasibility and raw scores are recomputed; the totals of the others stay unless the
 * least or greatest raw value of a score normalised by range moved (then every total is summed
 * again from the kept raw values, in the profile's order, as `add` sums them). Choosing is then one
 * pass over the totals instead of every filter and score over every node. A profile with a
 * non-local plugin (kube-default's ImageLocality) or scoring less than every node places them by
 * calling `schedule` k times.
 */
export function scheduleReplicas(snap: ClusterSnapshot, profile: Profile, req: FunctionRequirements, k: number): ScheduleResult[] {
  const out: ScheduleResult[] = [];
  const scores = profile.scores.filter((s) => s.weight !== 0);
  const incremental = k > 1 && profile.percentageOfNodesToScore >= 100 && profile.filters.every((f) => f.nodeLocal) && scores.every((s) => s.plugin.nodeLocal);
  if (!incremental) {
    for (let j = 0; j < k; j++) {
      const r = schedule(snap, profile, req);
      out.push(r);
      if (r.node === null) break;
    }
    return out;
  }
  const fn = compiledOn(snap, req);
  const n = snap.n;
  const { order: cand, raw, norm: sums, removedBy } = snap.scratch;
  const { feasible, total, raws } = snap.burstScratch(scores.length);
  feasible.fill(0);
  const min = new Float64Array(scores.length);
  const max = new Float64Array(scores.length);
  let feasibleCount = 0;

  /**
   * Runs the filters on cand[0 .. count) and the scores on what passes, keeping the answers per
   * node; with `addTo`, also adds each score's weighted normalised values to addTo[0 .. passed) by
   * its own `add` (the first look, over every node: the totals as schedule sums them). Returns how
   * many passed.
   */
  const look = (count: number, addTo?: Float64Array): number => {
    for (let i = 0; i < count; i++) if (feasible[cand[i]]) ((feasible[cand[i]] = 0), feasibleCount--);
    for (let f = 0; f < profile.filters.length; f++) count = profile.filters[f].run(snap, fn, cand, count, removedBy, f);
    for (let i = 0; i < count; i++) ((feasible[cand[i]] = 1), feasibleCount++);
    if (addTo) for (let i = 0; i < count; i++) addTo[i] = 0;
    for (let p = 0; p < scores.length; p++) {
      scores[p].plugin.map(snap, fn, cand, count, raw);
      const r = raws[p];
      for (let i = 0; i < count; i++) r[cand[i]] = raw[i];
      if (addTo) scores[p].plugin.add(raw, count, addTo, scores[p].weight);
    }
    return count;
  };
  /** the least and greatest raw value of score p among the feasible nodes (its range, for a score normalised by range) */
  const rangeOf = (p: number): void => {
    const r = raws[p];
    let lo = Infinity;
    let hi = -Infinity;
    for (let v = 0; v < n; v++) {
      if (!feasible[v]) continue;
      if (r[v] < lo) lo = r[v];
      if (r[v] > hi) hi = r[v];
    }
    min[p] = lo;
    max[p] = hi;
  };
  /**
   * After node v was looked at again (it was feasible or not, with raw values `before`): whether the
   * range of a score normalised by range moved. Only v's value changed, so a range is searched again
   * only when v held one of its ends.
   */
  const rangesAfter = (v: number, wasFeasible: boolean, before: Float64Array): boolean => {
    let moved = false;
    for (let p = 0; p < scores.length; p++) {
      if (!scores[p].plugin.byRange) continue;
      const lo = min[p];
      const hi = max[p];
      // still among the feasible with the same value (a score of facts that do not change): the range stands
      if (wasFeasible && feasible[v] && raws[p][v] === before[p]) continue;
      if (wasFeasible && (before[p] === lo || before[p] === hi)) rangeOf(p);
      else if (feasible[v]) {
        const x = raws[p][v];
        if (x < lo) min[p] = x;
        if (x > hi) max[p] = x;
      }
      if (!(min[p] === lo && max[p] === hi)) moved = true;
    }
    return moved;
  };
  /** every feasible node's total, summed by the scores' own `add` (as schedule sums them) over the kept raw values */
  const sumAll = (): void => {
    let count = 0;
    for (let v = 0; v < n; v++) if (feasible[v]) cand[count++] = v;
    for (let i = 0; i < count; i++) sums[i] = 0;
    for (let p = 0; p < scores.length; p++) {
      const r = raws[p];
      for (let i = 0; i < count; i++) raw[i] = r[cand[i]];
      scores[p].plugin.add(raw, count, sums, scores[p].weight);
    }
    for (let i = 0; i < count; i++) total[cand[i]] = sums[i];
  };
  /** node v's total under the current ranges (what add gives it), the scores in the profile's order */
  const sumOne = (v: number): void => {
    let t = 0;
    for (let p = 0; p < scores.length; p++) t += scores[p].plugin.value(raws[p][v], min[p], max[p]) * scores[p].weight;
    total[v] = t;
  };

  for (let v = 0; v < n; v++) cand[v] = v;
  const passed = look(n, sums);
  for (let i = 0; i < passed; i++) total[cand[i]] = sums[i];
  for (let p = 0; p < scores.length; p++) if (scores[p].plugin.byRange) rangeOf(p);
  const before = new Float64Array(scores.length);
  for (let j = 0; j < k; j++) {
    if (feasibleCount === 0) {
      // the answer schedule gives, with what removed every node (it reserves nothing)
      out.push(schedule(snap, profile, req));
      break;
    }
    // the highest total; ties go to the first in round-robin order from where the last search ended
    const start = snap.rrIndex % n;
    let best = -1;
    let last = -1;
    for (let i = 0; i < n; i++) {
      const x = start + i;
      const v = x < n ? x : x - n;
      if (!feasible[v]) continue;
      if (best < 0 || total[v] > total[best]) best = v;
      last = v;
    }
    snap.rrIndex = (last + 1) % n;
    const neededImages = neededImagesOn(snap, fn, best);
    out.push({ function: req.id, profile: profile.name, node: snap.s.names[best], score: total[best], feasible: feasibleCount, neededImages, warnings: [...fn.warnings] });
    snap.reserve(best, fn.cpu, fn.mem, neededImages);
    if (j + 1 === k) break;
    const wasFeasible = feasible[best] === 1;
    for (let p = 0; p < scores.length; p++) before[p] = raws[p][best];
    cand[0] = best;
    look(1);
    if (rangesAfter(best, wasFeasible, before)) sumAll();
    else if (feasible[best]) sumOne(best);
  }
  return out;
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
