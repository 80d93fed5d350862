/**
 * Selector resolution over an in-memory index of artifact metadata.
 *
 * The index keeps every artifact once, plus buckets by urn, type, kind, tag and data tag, and
 * a sorted urn list for glob prefixes. A resolve picks the smallest bucket some clause of the
 * selector names (its *anchor*), runs matchSelector (cluster/spec/selector.ts) on each artifact
 * in it, and returns the matches ranked plus, for every other artifact in the bucket, the
 * clause that failed. Artifacts outside the anchor bucket fail the anchor clause by
 * construction; the result says how many there were.
 */
import { checkSelector, fillUrn, isUrnPattern, matchSelector, metricClauses, urnMatches, type Selector, type SelectorCandidate } from '../spec/selector';
import { testPredicate } from '../spec/predicate';
import type { Artifact } from '../spec/artifact';
import { SelectorError } from './errors';

export interface IndexEntry {
  /** insertion order (the SQLite row id): larger is newer */
  seq: number;
  artifact: Artifact;
}

export interface ResolveOptions {
  /** rank by this metric, highest first, instead of newest first */
  best?: string;
  /** with `best`: 'asc' ranks the lowest value first (for losses) */
  order?: 'desc' | 'asc';
  /** evaluate every artifact in the registry, not only the anchor bucket (slow on big registries) */
  explainAll?: boolean;
}

export interface Rejection {
  artifact: Artifact;
  clause: string;
  reason: string;
}

export interface ResolveResult {
  /** the selector as given */
  selector: Selector;
  /** the urn clause after filling template parameters (undefined when the selector has none) */
  urn?: string;
  /** matches, best first */
  candidates: Artifact[];
  /** artifacts considered that failed, each with the first clause that failed (computed on first read) */
  readonly rejected: Rejection[];
  /** the indexed clause that chose which artifacts were considered */
  anchor: { clause: string; value: string };
  considered: number;
  /** artifacts not considered: each of them fails the anchor clause */
  skipped: number;
}

export class ArtifactIndex {
  private readonly all = new Map<number, IndexEntry>();
  private readonly byUrn = new Map<string, IndexEntry[]>();
  private readonly byType = new Map<string, Set<IndexEntry>>();
  private readonly byKind = new Map<string, Set<IndexEntry>>();
  private readonly byTag = new Map<string, Set<IndexEntry>>();
  private readonly byDataTag = new Map<string, Set<IndexEntry>>();
  private sortedUrns: string[] | undefined;

  get size(): number {
    return this.all.size;
  }

  add(seq: number, artifact: Artifact): void {
    const e: IndexEntry = { seq, artifact };
    const prev = this.all.get(seq);
    if (prev) this.remove(seq);
    this.all.set(seq, e);
    if (!this.byUrn.has(artifact.urn)) this.sortedUrns = undefined;
    push(this.byUrn, artifact.urn, e);
    add(this.byKind, artifact.kind, e);
    if (artifact.type !== undefined) add(this.byType, artifact.type, e);
    for (const t of artifact.tags) add(this.byTag, t, e);
    for (const t of artifact.data_tags) add(this.byDataTag, t, e);
  }

  /** Replaces an entry's metadata in place (locations changed, say). */
  update(seq: number, artifact: Artifact): void {
    this.remove(seq);
    this.add(seq, artifact);
  }

  remove(seq: number): void {
    const e = this.all.get(seq);
    if (!e) return;
    this.all.delete(seq);
    const a = e.artifact;
    pull(this.byUrn, a.urn, e);
    if (!this.byUrn.has(a.urn)) this.sortedUrns = undefined;
    del(this.byKind, a.kind, e);
    if (a.type !== undefined) del(this.byType, a.type, e);
    for (const t of a.tags) del(this.byTag, t, e);
    for (const t of a.data_tags) del(this.byDataTag, t, e);
  }

  versionsOf(urn: string): readonly IndexEntry[] {
    return this.byUrn.get(urn) ?? [];
  }

  entries(): IterableIterator<IndexEntry> {
    return this.all.values();
  }

  /** Concrete urns matching a glob or unfilled template, using the sorted urn list for the literal prefix. */
  urnsMatching(pattern: string): string[] {
    const cut = pattern.search(/[*{]/);
    const prefix = cut < 0 ? pattern : pattern.slice(0, cut);
    const urns = this.urnList();
    let lo = lowerBound(urns, prefix);
    const out: string[] = [];
    for (; lo < urns.length && urns[lo].startsWith(prefix); lo++) if (urnMatches(pattern, urns[lo])) out.push(urns[lo]);
    return out;
  }

  private urnList(): string[] {
    if (!this.sortedUrns) this.sortedUrns = [...this.byUrn.keys()].sort(compareStrings);
    return this.sortedUrns;
  }

  /** Resolves a selector; throws SelectorError on an invalid selector or a template parameter without a value. */
  resolve(selector: Selector, params: Record<string, string | number | boolean | undefined> = {}, opts: ResolveOptions = {}): ResolveResult {
    const issues = checkSelector(selector);
    if (issues.length) throw new SelectorError(issues);
    let urn: string | undefined;
    if (selector.urn !== undefined) {
      const filled = fillUrn(selector.urn, params);
      if (filled.missing.length) {
        throw new SelectorError(
          filled.missing.map((p) => ({ clause: 'urn', message: `template parameter '{${p}}' in '${selector.urn}' has no value; pass it as a request parameter (CLI: --param ${p}=…)` })),
        );
      }
      urn = filled.urn;
    }

    // Index buckets named by the selector's clauses. Membership in a bucket is exactly what the
    // clause tests (urn match, type equality, tag containment, kind equality), so an artifact
    // missing from any bucket is certainly rejected; matchSelector stays the one judge of what
    // matches (format, version, metrics too) and of every explanation.
    const buckets: Array<{ clause: string; value: string; size: number; has: (e: IndexEntry) => boolean; list: () => Iterable<IndexEntry> }> = [];
    if (urn !== undefined) {
      if (!isUrnPattern(urn)) {
        const list = this.byUrn.get(urn) ?? [];
        const u = urn;
        buckets.push({ clause: 'urn', value: urn, size: list.length, has: (e) => e.artifact.urn === u, list: () => list });
      } else {
        const urns = this.urnsMatching(urn);
        const set = new Set(urns);
        let n = 0;
        for (const u of urns) n += this.byUrn.get(u)?.length ?? 0;
        buckets.push({ clause: 'urn', value: urn, size: n, has: (e) => set.has(e.artifact.urn), list: () => urns.flatMap((u) => this.byUrn.get(u) ?? []) });
      }
    }
    const setBucket = (clause: string, value: string, set: Set<IndexEntry> | undefined) => {
      const s = set ?? new Set<IndexEntry>();
      buckets.push({ clause, value, size: s.size, has: (e) => s.has(e), list: () => s });
    };
    if (selector.type !== undefined) setBucket('type', selector.type, this.byType.get(selector.type));
    for (const t of selector.tags ?? []) setBucket('tags', t, this.byTag.get(t));
    for (const t of selector.data_tags ?? []) setBucket('data_tags', t, this.byDataTag.get(t));
    if (selector.kind !== undefined) setBucket('kind', selector.kind, this.byKind.get(selector.kind));
    // metric clauses filter (never anchor): the predicates parsed once per query by the spec's own parser
    const metricFilters = metricClauses(selector).map(({ metric, predicate }) => (e: IndexEntry) => {
      const v = e.artifact.metrics[metric];
      return v !== undefined && testPredicate(predicate, v);
    });

    // the anchor: the smallest bucket (or everything, with explainAll or no indexed clause)
    let anchor: { clause: string; value: string } = { clause: '(all)', value: '*' };
    let pool: () => Iterable<IndexEntry> = () => this.all.values();
    let anchorIdx = -1;
    if (!opts.explainAll) {
      buckets.forEach((b, i) => {
        if (anchorIdx < 0 || b.size < buckets[anchorIdx].size) anchorIdx = i;
      });
      if (anchorIdx >= 0) {
        const b = buckets[anchorIdx];
        anchor = { clause: b.clause, value: b.value };
        pool = b.list;
      }
    }
    const others = buckets.filter((_, i) => i !== anchorIdx).sort((a, b) => a.size - b.size);

    const matched: IndexEntry[] = [];
    const sel: Selector = urn === undefined ? selector : { ...selector, urn };
    const filters = [...others.map((b) => b.has), ...metricFilters];
    let considered = 0;
    outer: for (const e of pool()) {
      considered++;
      for (const f of filters) if (!f(e)) continue outer;
      if (matchSelector(sel, candidateOf(e.artifact)).ok) matched.push(e);
    }
    // explanations are worked out when first read (the runtime resolving per invocation rarely needs them)
    let rejected: Rejection[] | undefined;
    const explain = (): Rejection[] => {
      if (!rejected) {
        const ok = new Set(matched);
        rejected = [];
        for (const e of pool()) {
          if (ok.has(e)) continue;
          const v = matchSelector(sel, candidateOf(e.artifact));
          if (v.ok) throw new Error(`internal: index buckets and matchSelector disagree on ${e.artifact.urn}@${e.artifact.version}`);
          rejected.push({ artifact: e.artifact, clause: v.clause, reason: v.reason });
        }
      }
      return rejected;
    };

    if (opts.best) {
      const m = opts.best;
      const sign = opts.order === 'asc' ? 1 : -1;
      matched.sort((a, b) => {
        const va = a.artifact.metrics[m];
        const vb = b.artifact.metrics[m];
        if (va === undefined || vb === undefined) {
          if (va !== vb) return va === undefined ? 1 : -1;
          return b.seq - a.seq;
        }
        return va !== vb ? sign * (va - vb) : b.seq - a.seq;
      });
    } else {
      matched.sort((a, b) => b.seq - a.seq);
    }
    const result = {
      selector,
      urn,
      candidates: matched.map((e) => e.artifact),
      rejected: [] as Rejection[],
      anchor,
      considered,
      skipped: this.all.size - considered,
    };
    Object.defineProperty(result, 'rejected', { get: explain, enumerable: true });
    return result;
  }
}

/** Artifacts carry exactly the fields matchSelector reads. */
function candidateOf(a: Artifact): SelectorCandidate {
  return a as SelectorCandidate & Artifact;
}

function push(map: Map<string, IndexEntry[]>, key: string, e: IndexEntry): void {
  const list = map.get(key);
  if (list) list.push(e);
  else map.set(key, [e]);
}

function add(map: Map<string, Set<IndexEntry>>, key: string, e: IndexEntry): void {
  const set = map.get(key);
  if (set) set.add(e);
  else map.set(key, new Set([e]));
}

function del(map: Map<string, Set<IndexEntry>>, key: string, e: IndexEntry): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(e);
  if (!set.size) map.delete(key);
}

function pull(map: Map<string, IndexEntry[]>, key: string, e: IndexEntry): void {
  const list = map.get(key);
  if (!list) return;
  const i = list.indexOf(e);
  if (i >= 0) list.splice(i, 1);
  if (!list.length) map.delete(key);
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function lowerBound(xs: string[], x: string): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
