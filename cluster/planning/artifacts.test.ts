/**
 * placementOrder: producers before consumers, in source order among equals, cycles broken in
 * source order — checked against the plain definition (repeatedly the first unplaced function no
 * unplaced function feeds) on random workflows with exact, glob and template urns, types and tags.
 */
import { describe, expect, it } from 'vitest';
import type { FunctionSpec } from '../spec/function';
import { consumesArtifact, outputsOf, placementOrder } from './artifacts';

/** The definition, as it was written before it was indexed (cubic in the number of functions). */
function reference(fns: FunctionSpec[]): FunctionSpec[] {
  const feeds = (p: FunctionSpec, c: FunctionSpec) => p !== c && outputsOf(p).some((o) => consumesArtifact(c, o));
  const left = [...fns];
  const out: FunctionSpec[] = [];
  while (left.length) {
    const i = left.findIndex((c) => !left.some((p) => feeds(p, c)));
    out.push(...left.splice(i >= 0 ? i : 0, 1));
  }
  return out;
}

function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

function randomWorkflow(seed: number, n: number): FunctionSpec[] {
  const r = rng(seed);
  const pick = <T,>(xs: T[]) => xs[Math.floor(r() * xs.length)];
  const urns = Array.from({ length: Math.max(2, Math.floor(n / 2)) }, (_, i) => `w:a${i}`);
  const kinds = ['data', 'model'] as const;
  return Array.from({ length: n }, (_, i) => {
    const produces = Array.from({ length: Math.floor(r() * 3) }, () => ({ urn: r() < 0.15 ? `w:u:{user}` : pick(urns), kind: pick([...kinds]), ...(r() < 0.3 ? { type: pick(['table', 'classifier']) } : {}), ...(r() < 0.3 ? { tags: [pick(['a', 'b'])] } : {}) }));
    const consumes = Array.from({ length: Math.floor(r() * 3) }, () => {
      const x = r();
      const selector = x < 0.6 ? { urn: pick(urns) } : x < 0.75 ? { urn: 'w:a1*' } : x < 0.85 ? { urn: 'w:u:alice' } : x < 0.95 ? { type: pick(['table', 'classifier']) } : { tags: ['a'] };
      return { kind: pick([...kinds]), selector };
    });
    return { id: `f${i}`, produces, consumes } as unknown as FunctionSpec;
  });
}

describe('placementOrder', () => {
  it('matches the definition on 300 random workflows (1–40 functions, with cycles, globs, templates, types and tags)', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const fns = randomWorkflow(seed, 1 + (seed % 40));
      expect(placementOrder(fns).map((f) => f.id), `seed ${seed}`).toEqual(reference(fns).map((f) => f.id));
    }
  });

  it('a chain written backwards comes out producers first', () => {
    const fns = [2, 1, 0].map((i) => ({ id: `f${i}`, produces: [{ urn: `c:${i + 1}`, kind: 'data' }], consumes: i ? [{ kind: 'data', selector: { urn: `c:${i}` } }] : [] }) as unknown as FunctionSpec);
    expect(placementOrder(fns).map((f) => f.id)).toEqual(['f0', 'f1', 'f2']);
  });
});
