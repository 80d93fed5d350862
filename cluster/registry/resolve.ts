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
import { checkSelector, fillUrn, isUrnPattern, matchSelector, urnMatches, type Selector, type SelectorCandidate } from '../spec/selector';
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
  /** artifacts considered that failed, each with the first clause that failed */
  rejected: Rejection[];
  /** the indexed clause that chose which artifacts were considered */
  anchor: { clause: string; value: string };
  considered: number;
  /** artifacts not considered: each of them fails the anchor clause */
  skipped: number;
}

export class ArtifactIndex {
  private readonly all = new Map<number, IndexEntry>();
  private readonly byUrn = new Map<string, IndexEntry[]>();
  private readonly byType = new Map<string, IndexEntry[]>();
  private readonly byKind = new Map<string, IndexEntry[]>();
  private readonly byTag = new Map<string, IndexEntry[]>();
  private readonly byDataTag = new Map<string, IndexEntry[]>();
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
    push(this.byKind, artifact.kind, e);
    if (artifact.type !== undefined) push(this.byType, artifact.type, e);
    for (const t of new Set(artifact.tags)) push(this.byTag, t, e);
    for (const t of new Set(artifact.data_tags)) push(this.byDataTag, t, e);
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
    pull(this.byKind, a.kind, e);
    if (a.type !== undefined) pull(this.byType, a.type, e);
    for (const t of new Set(a.tags)) pull(this.byTag, t, e);
    for (const t of new Set(a.data_tags)) pull(this.byDataTag, t, e);
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

    // choose the anchor: the smallest bucket a clause names
    let anchor: { clause: string; value: string } = { clause: '(all)', value: '*' };
    let pool: Iterable<IndexEntry> = this.all.values();
    let poolSize = this.all.size;
    const consider = (clause: string, value: string, size: number, get: () => Iterable<IndexEntry>) => {
      if (size < poolSize || (size === poolSize && anchor.clause === '(all)')) {
        anchor = { clause, value };
        pool = get();
        poolSize = size;
      }
    };
    if (!opts.explainAll) {
      if (urn !== undefined) {
        if (!isUrnPattern(urn)) {
          const list = this.byUrn.get(urn) ?? [];
          consider('urn', urn, list.length, () => list);
        } else {
          const urns = this.urnsMatching(urn);
          let n = 0;
          for (const u of urns) n += this.byUrn.get(u)?.length ?? 0;
          consider('urn', urn, n, () => urns.flatMap((u) => this.byUrn.get(u) ?? []));
        }
      }
      if (selector.type !== undefined) {
        const list = this.byType.get(selector.type) ?? [];
        consider('type', selector.type, list.length, () => list);
      }
      for (const [clause, map] of [
        ['tags', this.byTag],
        ['data_tags', this.byDataTag],
      ] as const) {
        for (const t of selector[clause] ?? []) {
          const list = map.get(t) ?? [];
          consider(clause, t, list.length, () => list);
        }
      }
      if (selector.kind !== undefined) {
        const list = this.byKind.get(selector.kind) ?? [];
        consider('kind', selector.kind, list.length, () => list);
      }
    }

    const matched: IndexEntry[] = [];
    const rejected: Rejection[] = [];
    const sel: Selector = urn === undefined ? selector : { ...selector, urn };
    let considered = 0;
    for (const e of pool) {
      considered++;
      const r = matchSelector(sel, candidateOf(e.artifact));
      if (r.ok) matched.push(e);
      else rejected.push({ artifact: e.artifact, clause: r.clause, reason: r.reason });
    }

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
    return {
      selector,
      urn,
      candidates: matched.map((e) => e.artifact),
      rejected,
      anchor,
      considered,
      skipped: this.all.size - considered,
    };
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
