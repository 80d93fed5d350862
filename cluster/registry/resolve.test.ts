import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { matchSelector, type Selector } from '../spec/selector';
import { openRegistry, type Registry } from './registry';
import { SelectorError } from './errors';
import { tempDir } from './testing/tmpdir';

const enc = (s: string) => new TextEncoder().encode(s);

function seed(reg: Registry): void {
  reg.put({ kind: 'data', urn: 'mnist:data', format: 'mnist', tags: ['mnist'] }, enc('d1'));
  reg.put({ kind: 'model', urn: 'mnist:model', type: 'classifier', format: 'tfjs', data_tags: ['mnist'], metrics: { accuracy: 0.8 } }, enc('m1'));
  reg.put({ kind: 'model', urn: 'mnist:model', type: 'classifier', format: 'tfjs', data_tags: ['mnist'], metrics: { accuracy: 0.93 } }, enc('m2'));
  reg.put({ kind: 'model', urn: 'mnist:model', type: 'classifier', format: 'tfjs', data_tags: ['mnist'], metrics: { accuracy: 0.9 } }, enc('m3'));
  reg.put({ kind: 'model', urn: 'fashion:model', type: 'classifier', format: 'tfjs', data_tags: ['fashion'], metrics: { accuracy: 0.95 } }, enc('f1'));
  reg.put({ kind: 'model', urn: 'model:user:alice', type: 'classifier', format: 'tfjs', data_tags: ['mnist'], metrics: { accuracy: 0.91 } }, enc('u1'));
  reg.put({ kind: 'model', urn: 'model:user:bob', type: 'classifier', format: 'tfjs', data_tags: ['mnist'], metrics: { accuracy: 0.7 } }, enc('u2'));
  reg.put({ kind: 'model', urn: 'mnist:regressor', type: 'regressor', format: 'tfjs', data_tags: ['mnist'], metrics: { mae: 0.1 } }, enc('r1'));
}

describe('resolve', () => {
  const reg = openRegistry(tempDir());
  seed(reg);

  it('exact urn: newest version first', () => {
    const r = reg.resolve({ urn: 'mnist:model' });
    expect(r.candidates.map((a) => a.version)).toEqual([3, 2, 1]);
    expect(r.rejected).toEqual([]);
    expect(r.anchor).toEqual({ clause: 'urn', value: 'mnist:model' });
  });

  it('type + data_tags + metric predicate, with the failing clause per rejected candidate', () => {
    const r = reg.resolve({ type: 'classifier', data_tags: ['mnist'], accuracy: '>=0.88' });
    expect(r.candidates.map((a) => `${a.urn}@${a.version}`)).toEqual(['model:user:alice@1', 'mnist:model@3', 'mnist:model@2']);
    const why = Object.fromEntries(r.rejected.map((x) => [`${x.artifact.urn}@${x.artifact.version}`, x.clause]));
    expect(why['mnist:model@1']).toBe('accuracy');
    expect(why['model:user:bob@1']).toBe('accuracy');
    // every artifact is either a candidate, rejected with a clause, or skipped for failing the anchor clause
    expect(r.candidates.length + r.rejected.length + r.skipped).toBe(reg.count());
    const all = reg.resolve({ type: 'classifier', data_tags: ['mnist'], accuracy: '>=0.88' }, {}, { explainAll: true });
    const allWhy = Object.fromEntries(all.rejected.map((x) => [`${x.artifact.urn}@${x.artifact.version}`, x.clause]));
    expect(allWhy['fashion:model@1']).toBe('data_tags');
    expect(allWhy['mnist:regressor@1']).toBe('type');
    expect(allWhy['mnist:data@1']).toBe('type');
    expect(all.candidates).toEqual(r.candidates);
  });

  it('best by a named metric', () => {
    const r = reg.resolve({ type: 'classifier' }, {}, { best: 'accuracy' });
    expect(r.candidates.map((a) => a.metrics.accuracy)).toEqual([0.95, 0.93, 0.91, 0.9, 0.8, 0.7]);
    const low = reg.resolve({ type: 'classifier' }, {}, { best: 'accuracy', order: 'asc' });
    expect(low.candidates[0].metrics.accuracy).toBe(0.7);
  });

  it('urn templates and globs', () => {
    expect(reg.resolve({ urn: 'model:user:{usr}' }, { usr: 'alice' }).candidates.map((a) => a.urn)).toEqual(['model:user:alice']);
    expect(reg.resolve({ urn: 'model:user:*' }).candidates.map((a) => a.urn)).toEqual(['model:user:bob', 'model:user:alice']);
    expect(reg.resolve({ urn: 'mnist:*', kind: 'model' }).candidates.map((a) => a.urn)).toEqual(['mnist:regressor', 'mnist:model', 'mnist:model', 'mnist:model']);
    expect(reg.resolve({ urn: '*:model' }).candidates).toHaveLength(4);
    expect(() => reg.resolve({ urn: 'model:user:{usr}' })).toThrow(/'\{usr\}'.*--param usr=/);
  });

  it('an unknown clause or a malformed predicate is an error naming it', () => {
    expect(() => reg.resolve({ typ: ['classifier'] } as unknown as Selector)).toThrow(SelectorError);
    expect(() => reg.resolve({ typ: ['classifier'] } as unknown as Selector)).toThrow(/unknown selector clause 'typ'/);
    expect(() => reg.resolve({ type: 'classifier', accuracy: '>>0.9' })).toThrow(/accuracy.*malformed predicate '>>0.9'/);
    expect(() => reg.resolve({})).toThrow(/empty selector/);
  });

  it('agrees with matchSelector on random selectors (index anchors never lose a match)', () => {
    const all = reg.list();
    const sel = fc.record(
      {
        urn: fc.constantFrom('mnist:model', 'mnist:*', 'model:user:*', '*', 'nope', '*:model'),
        kind: fc.constantFrom('data' as const, 'model' as const),
        type: fc.constantFrom('classifier', 'regressor', 'x'),
        data_tags: fc.subarray(['mnist', 'fashion', 'zzz']),
        tags: fc.subarray(['mnist']),
        accuracy: fc.constantFrom('>=0.9', '<0.85', '!=0.7'),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(sel, (s) => {
        if (Object.keys(s).length === 0) return;
        const r = reg.resolve(s);
        const got = r.candidates.map((a) => `${a.urn}@${a.version}`).sort();
        const want = all.filter((a) => matchSelector(s, a).ok).map((a) => `${a.urn}@${a.version}`).sort();
        expect(got).toEqual(want);
        expect(r.candidates.length + r.rejected.length).toBe(r.considered);
        for (const x of r.rejected) {
          const v = matchSelector(s, x.artifact);
          expect(v).toEqual({ ok: false, clause: x.clause, reason: x.reason });
        }
      }),
      // a fixed seed: the same 300 selectors every run; fast-check prints seed and path on a failure
      { numRuns: 300, seed: 1201 },
    );
  });
});
