/**
 * Selectors: how a function names the data or model it consumes, never a device or a path.
 *
 *   { urn: 'mnist:data' }                                   exact URN
 *   { urn: 'mnist:*' }                                      glob (`*` matches any run of characters)
 *   { urn: 'model:user:{usr}' }                             template, `{usr}` filled from request params
 *   { type: 'classifier', data_tags: ['mnist'], accuracy: '>=0.88' }
 *
 * Known clauses are urn, kind, type, tags, data_tags, format and version; every other key is a
 * metric clause whose value must be a predicate string (`>=0.88`, `<0.2`, `!=0`, …).
 */
import { z } from 'zod';
import { isPredicateError, parsePredicate, testPredicate, type Predicate } from './predicate';
import { didYouMeanSuffix } from './names';

export const ARTIFACT_KINDS = ['data', 'model'] as const;
export type ArtifactKind = (typeof ARTIFACT_KINDS)[number];

export const SELECTOR_CLAUSES = ['urn', 'kind', 'type', 'tags', 'data_tags', 'format', 'version'] as const;
/** Metric names the studio knows; any other metric name is allowed but gets a did-you-mean check. */
export const KNOWN_METRICS = ['accuracy', 'loss', 'precision', 'recall', 'f1', 'auc', 'mae', 'mse', 'rmse', 'confidence', 'latency_ms'] as const;

export interface Selector {
  urn?: string;
  kind?: ArtifactKind;
  type?: string;
  tags?: string[];
  data_tags?: string[];
  format?: string;
  version?: number;
  /** metric clauses, e.g. accuracy: '>=0.88' */
  [metric: string]: string | string[] | number | undefined;
}

export interface SelectorIssue {
  clause: string;
  message: string;
}

/** Checks a selector object clause by clause; returns every problem, naming the clause. */
export function checkSelector(value: unknown): SelectorIssue[] {
  const issues: SelectorIssue[] = [];
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return [{ clause: '(selector)', message: 'a selector must be an object such as { urn: "mnist:data" }' }];
  }
  const obj = value as Record<string, unknown>;
  if (Object.keys(obj).length === 0) {
    issues.push({ clause: '(selector)', message: 'an empty selector matches everything; name at least a urn or a type' });
  }
  for (const [key, v] of Object.entries(obj)) {
    switch (key) {
      case 'urn':
      case 'type':
      case 'format':
        if (typeof v !== 'string' || v.length === 0) issues.push({ clause: key, message: `'${key}' must be a non-empty string` });
        else if (key === 'urn') {
          const bad = checkUrnPattern(v);
          if (bad) issues.push({ clause: key, message: bad });
        }
        break;
      case 'kind':
        if (!ARTIFACT_KINDS.includes(v as ArtifactKind)) issues.push({ clause: key, message: `'kind' must be 'data' or 'model', got ${JSON.stringify(v)}` });
        break;
      case 'tags':
      case 'data_tags':
        if (!Array.isArray(v) || v.some((t) => typeof t !== 'string' || t.length === 0)) {
          issues.push({ clause: key, message: `'${key}' must be a list of non-empty strings, e.g. ['mnist']` });
        }
        break;
      case 'version':
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) issues.push({ clause: key, message: `'version' must be a whole number ≥ 1` });
        break;
      default: {
        if (typeof v !== 'string') {
          issues.push({
            clause: key,
            message: `unknown selector clause '${key}'${didYouMeanSuffix(key, [...SELECTOR_CLAUSES, ...KNOWN_METRICS])}: known clauses are ${SELECTOR_CLAUSES.join(', ')}; any other key is a metric and takes a predicate such as '>=0.88'`,
          });
          break;
        }
        const p = parsePredicate(v);
        if (isPredicateError(p)) {
          const near = didYouMeanSuffix(key, SELECTOR_CLAUSES);
          issues.push({
            clause: key,
            message: near
              ? `unknown selector clause '${key}'${near}`
              : `metric clause '${key}': ${p.error}`,
          });
        }
      }
    }
  }
  return issues;
}

function checkUrnPattern(urn: string): string | undefined {
  let depth = 0;
  for (const ch of urn) {
    if (ch === '{') {
      if (depth) return `urn '${urn}' has a nested '{'`;
      depth++;
    } else if (ch === '}') {
      if (!depth) return `urn '${urn}' has a '}' without '{'`;
      depth--;
    }
  }
  if (depth) return `urn '${urn}' has an unclosed '{'`;
  if (/\{\s*\}/.test(urn)) return `urn '${urn}' has an empty template parameter '{}'; name it, e.g. '{usr}'`;
  if (/\{[^}]*[^A-Za-z0-9_}][^}]*\}/.test(urn)) return `urn '${urn}': template parameters are names of letters, digits and '_', e.g. '{usr}'`;
  return undefined;
}

export const SelectorSchema = z
  .record(z.string(), z.unknown())
  .superRefine((v, ctx) => {
    for (const issue of checkSelector(v)) ctx.addIssue({ code: 'custom', path: [issue.clause], message: issue.message });
  })
  .transform((v) => v as Selector);

/** The metric clauses of a selector, parsed. */
export function metricClauses(sel: Selector): Array<{ metric: string; predicate: Predicate }> {
  const out: Array<{ metric: string; predicate: Predicate }> = [];
  for (const [k, v] of Object.entries(sel)) {
    if ((SELECTOR_CLAUSES as readonly string[]).includes(k) || typeof v !== 'string') continue;
    const p = parsePredicate(v);
    if (!isPredicateError(p)) out.push({ metric: k, predicate: p });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// URN patterns

/** Template parameter names in a URN, e.g. `model:user:{usr}` → ['usr']. */
export function urnParams(urn: string): string[] {
  return [...urn.matchAll(/\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]);
}

export function isUrnPattern(urn: string): boolean {
  return urn.includes('*') || /\{[A-Za-z0-9_]+\}/.test(urn);
}

/**
 * The items a selector can match, found by urn: for a selector with an exact urn, the items of
 * that urn and those whose urn is a pattern (or that have none: `urnOf` gives undefined); for any
 * other selector, every item. Always in the items' own order, so a caller that then checks each
 * with matchSelector finds the same matches, in the same order, as checking every item — without
 * a selector check per item. It works the other way round too, since an exact urn overlaps an
 * exact urn only when they are equal (urnMatches, urnPatternsOverlap): the items can be selectors
 * (of triggers, follow-ups) and the query an artifact's urn, `candidates({ urn })`.
 */
export class UrnIndex<T> {
  private readonly byUrn = new Map<string, number[]>();
  /** the items whose urn is a pattern or missing: candidates for every urn */
  private readonly patterned: number[] = [];

  constructor(
    private readonly items: readonly T[],
    urnOf: (item: T) => string | undefined,
  ) {
    items.forEach((item, i) => {
      const urn = urnOf(item);
      if (urn === undefined || isUrnPattern(urn)) this.patterned.push(i);
      else {
        const at = this.byUrn.get(urn);
        if (at) at.push(i);
        else this.byUrn.set(urn, [i]);
      }
    });
  }

  candidates(selector: { urn?: string }): readonly T[] {
    const urn = selector.urn;
    if (urn === undefined || isUrnPattern(urn)) return this.items;
    const exact = this.byUrn.get(urn) ?? [];
    if (!this.patterned.length) return exact.map((i) => this.items[i]);
    return [...exact, ...this.patterned].sort((a, b) => a - b).map((i) => this.items[i]);
  }
}

/**
 * Fills a URN template from params. Returns the filled URN, or the missing parameter names.
 * Glob stars are kept (a glob stays a glob).
 */
export function fillUrn(urn: string, params: Record<string, string | number | boolean | undefined> = {}): { urn: string; missing: string[] } {
  const missing: string[] = [];
  const filled = urn.replace(/\{([A-Za-z0-9_]+)\}/g, (whole, name: string) => {
    const v = params[name];
    if (v === undefined || v === '') {
      missing.push(name);
      return whole;
    }
    return String(v);
  });
  return { urn: filled, missing };
}

const regexCache = new Map<string, RegExp>();
/** `*` → any run of characters; an unfilled `{param}` → one URN segment (no ':'). */
export function urnPatternRegExp(pattern: string): RegExp {
  let re = regexCache.get(pattern);
  if (!re) {
    let src = '^';
    for (const part of pattern.split(/(\*|\{[A-Za-z0-9_]+\})/)) {
      if (part === '*') src += '.*';
      else if (/^\{[A-Za-z0-9_]+\}$/.test(part)) src += '[^:]+';
      else src += part.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
    }
    re = new RegExp(src + '$');
    if (regexCache.size > 10_000) regexCache.clear();
    regexCache.set(pattern, re);
  }
  return re;
}

/** Does a concrete URN match a pattern (exact, glob or unfilled template)? */
export function urnMatches(pattern: string, urn: string): boolean {
  if (!isUrnPattern(pattern)) return pattern === urn;
  return urnPatternRegExp(pattern).test(urn);
}

/** The template parameters a concrete URN gives a template: `model:user:{usr}` + `model:user:alice` → {usr: 'alice'}. */
export function paramsFromUrn(template: string, urn: string): Record<string, string> {
  const names = urnParams(template);
  if (!names.length) return {};
  let src = '^';
  for (const part of template.split(/(\*|\{[A-Za-z0-9_]+\})/)) {
    if (part === '*') src += '.*';
    else if (/^\{[A-Za-z0-9_]+\}$/.test(part)) src += '([^:]+)';
    else src += part.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  }
  const m = new RegExp(src + '$').exec(urn);
  if (!m) return {};
  const out: Record<string, string> = {};
  names.forEach((n, i) => (out[n] = m[i + 1]));
  return out;
}

/**
 * Can some URN match both patterns? Used to connect a producer (whose URN may be a template
 * such as `model:user:{usr}`) to a consumer's selector when neither is known concretely.
 */
export function urnPatternsOverlap(consumer: string, producer: string): boolean {
  if (!isUrnPattern(consumer)) return urnMatches(producer, consumer);
  if (!isUrnPattern(producer)) return urnMatches(consumer, producer);
  // instantiate the producer with one sample segment per parameter / star
  const sample = producer.replace(/\{[A-Za-z0-9_]+\}/g, 'x').replace(/\*/g, 'x');
  if (urnMatches(consumer, sample)) return true;
  const sampleC = consumer.replace(/\{[A-Za-z0-9_]+\}/g, 'x').replace(/\*/g, 'x');
  return urnMatches(producer, sampleC);
}

// ---------------------------------------------------------------------------------------------
// Matching

/** What a selector is matched against: an artifact in the registry, or something a workflow produces. */
export interface SelectorCandidate {
  kind: ArtifactKind;
  urn: string;
  type?: string;
  tags?: string[];
  data_tags?: string[];
  format?: string;
  version?: number;
  /** undefined when not known yet (a producer in the graph, before it has run) */
  metrics?: Record<string, number>;
}

export type ClauseResult = { clause: string; ok: true } | { clause: string; ok: false; reason: string };

export interface MatchOptions {
  params?: Record<string, string | number | boolean | undefined>;
  /** the candidate's URN is itself a pattern (a producer in the graph) */
  candidateIsPattern?: boolean;
  /** metrics not known yet count as a pass (graph derivation before anything ran) */
  metricsUnknownPass?: boolean;
}

/**
 * Matches one candidate; returns `{ok:true}` or the first failing clause with the reason.
 * Clauses are checked in a fixed order so explanations are stable.
 */
export function matchSelector(sel: Selector, cand: SelectorCandidate, opts: MatchOptions = {}): { ok: true } | { ok: false; clause: string; reason: string } {
  if (sel.kind !== undefined && sel.kind !== cand.kind) return { ok: false, clause: 'kind', reason: `kind is ${cand.kind}, not ${sel.kind}` };
  if (sel.urn !== undefined) {
    const { urn } = fillUrn(sel.urn, opts.params);
    const ok = opts.candidateIsPattern ? urnPatternsOverlap(urn, cand.urn) : urnMatches(urn, cand.urn);
    if (!ok) return { ok: false, clause: 'urn', reason: `urn ${cand.urn} does not match ${urn}` };
  }
  if (sel.type !== undefined && sel.type !== cand.type) return { ok: false, clause: 'type', reason: `type is ${cand.type ?? '(none)'}, not ${sel.type}` };
  for (const key of ['tags', 'data_tags'] as const) {
    const want = sel[key];
    if (want && want.length) {
      const have = new Set(cand[key] ?? []);
      const missing = want.filter((t) => !have.has(t));
      if (missing.length) return { ok: false, clause: key, reason: `${key} lack ${missing.join(', ')}` };
    }
  }
  if (sel.format !== undefined && sel.format !== cand.format) return { ok: false, clause: 'format', reason: `format is ${cand.format ?? '(none)'}, not ${sel.format}` };
  if (sel.version !== undefined && sel.version !== cand.version) return { ok: false, clause: 'version', reason: `version is ${cand.version ?? '(none)'}, not ${sel.version}` };
  for (const { metric, predicate } of metricClauses(sel)) {
    const v = cand.metrics?.[metric];
    if (v === undefined) {
      if (opts.metricsUnknownPass && cand.metrics === undefined) continue;
      return { ok: false, clause: metric, reason: `has no ${metric} metric` };
    }
    if (!testPredicate(predicate, v)) return { ok: false, clause: metric, reason: `${metric} is ${v}, not ${predicate.text}` };
  }
  return { ok: true };
}
