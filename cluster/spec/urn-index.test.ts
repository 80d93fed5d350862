/**
 * UrnIndex: the candidates a selector is checked against hold every item it matches, in the
 * items' order — so filtering the candidates finds exactly what filtering every item finds.
 */
import { describe, expect, it } from 'vitest';
import { matchSelector, UrnIndex } from './selector';

describe('UrnIndex', () => {
  const items = ['m:a', 'm:b', 'm:u:{user}', 'm:a', 'x:*', 'm:c'].map((urn, i) => ({ i, candidate: { kind: 'data' as const, urn, tags: [] } }));
  const index = new UrnIndex(items, (x) => x.candidate.urn);
  const matching = (sel: { urn?: string; type?: string }, from: readonly (typeof items)[number][]) => from.filter((x) => matchSelector({ ...sel, kind: 'data' }, x.candidate, { candidateIsPattern: true, metricsUnknownPass: true }).ok).map((x) => x.i);

  it('an exact urn: the items of that urn and the patterned ones, in order; filtered, the same matches as all items', () => {
    expect(index.candidates({ urn: 'm:a' }).map((x) => x.i)).toEqual([0, 2, 3, 4]);
    for (const urn of ['m:a', 'm:b', 'm:u:alice', 'x:y', 'm:c', 'none']) expect(matching({ urn }, index.candidates({ urn })), urn).toEqual(matching({ urn }, items));
  });

  it('a pattern or no urn: every item', () => {
    for (const sel of [{ urn: 'm:*' }, { urn: 'm:u:{who}' }, { type: 'table' }]) expect(index.candidates(sel)).toBe(items);
  });
});
