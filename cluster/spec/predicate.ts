/**
 * Metric predicates (`>=0.88`, `<0.2`, `!=1`) and durations (`150ms`, `2s`, `1m`).
 * Both are written as strings in decorator arguments and selectors; these parsers are the
 * one place that decides what is well-formed, so the preprocessor, the registry and the
 * runtime agree.
 */
export const PREDICATE_OPERATORS = ['>=', '<=', '==', '!=', '>', '<'] as const;
export type PredicateOperator = (typeof PREDICATE_OPERATORS)[number];

export interface Predicate {
  op: PredicateOperator;
  value: number;
  /** the text as written, e.g. `>=0.88` */
  text: string;
}

const PREDICATE_RE = /^\s*(>=|<=|==|!=|>|<)\s*(-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*$/;

/** Parses a predicate; returns an error message (what is wrong, what to write) on bad input. */
export function parsePredicate(text: string): Predicate | { error: string } {
  if (typeof text !== 'string') return { error: `a predicate must be a string such as '>=0.88', got ${typeof text}` };
  const m = PREDICATE_RE.exec(text);
  if (!m) {
    return {
      error: `malformed predicate '${text}': write an operator (${PREDICATE_OPERATORS.join(' ')}) followed by a number, e.g. '>=0.88' or '<0.2'`,
    };
  }
  return { op: m[1] as PredicateOperator, value: Number(m[2]), text: text.trim() };
}

export function isPredicateError(p: Predicate | { error: string }): p is { error: string } {
  return (p as { error?: string }).error !== undefined;
}

export function testPredicate(p: Pick<Predicate, 'op' | 'value'>, x: number): boolean {
  switch (p.op) {
    case '>=':
      return x >= p.value;
    case '<=':
      return x <= p.value;
    case '>':
      return x > p.value;
    case '<':
      return x < p.value;
    case '==':
      return x === p.value;
    case '!=':
      return x !== p.value;
  }
}

const DURATION_RE = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses `150ms`, `2s`, `1.5s`, `1m`, `1h` into milliseconds. */
export function parseDuration(text: string): number | { error: string } {
  if (typeof text !== 'string') return { error: `a duration must be a string such as '2s', got ${typeof text}` };
  const m = DURATION_RE.exec(text);
  if (!m) return { error: `malformed duration '${text}': write a number and a unit (ms, s, m, h), e.g. '150ms', '2s' or '1m'` };
  const ms = Number(m[1]) * UNIT_MS[m[2]];
  if (!(ms > 0)) return { error: `duration '${text}' must be greater than zero` };
  return ms;
}
