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

describe('UrnIndex of selectors, asked with an artifact urn', () => {
  const selectors = [{ urn: 'm:a' }, { urn: 'm:b' }, { urn: 'm:u:{user}' }, {}, { urn: 'm:a' }, { urn: 'x:*' }, { type: 't' }].map((selector, i) => ({ i, selector: selector as { urn?: string; type?: string } }));
  const index = new UrnIndex(selectors, (x) => x.selector.urn);
  const firing = (urn: string, from: readonly (typeof selectors)[number][]) =>
    from.filter((x) => matchSelector({ ...x.selector, kind: 'data' }, { kind: 'data', urn, tags: [] }, { candidateIsPattern: true, metricsUnknownPass: true }).ok).map((x) => x.i);

  it("a concrete urn: the selectors of that urn, those with a pattern and those without a urn, in order; filtered, the same matches as every selector", () => {
    expect(index.candidates({ urn: 'm:a' }).map((x) => x.i)).toEqual([0, 2, 3, 4, 5, 6]);
    expect(index.candidates({ urn: 'q:z' }).map((x) => x.i)).toEqual([2, 3, 5, 6]);
    for (const urn of ['m:a', 'm:b', 'm:u:alice', 'x:y', 'm:c', 'none']) expect(firing(urn, index.candidates({ urn })), urn).toEqual(firing(urn, selectors));
  });

  it('a patterned urn: every selector (a pattern may overlap an exact urn)', () => {
    for (const urn of ['m:*', 'm:u:{who}']) {
      expect(index.candidates({ urn })).toBe(selectors);
      expect(firing(urn, selectors).length).toBeGreaterThan(0);
    }
  });
});
