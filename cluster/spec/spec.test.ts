import { describe, expect, it } from 'vitest';
import { parseDuration, parsePredicate, testPredicate } from './predicate';
import { checkSelector, fillUrn, matchSelector, paramsFromUrn, urnMatches, urnPatternsOverlap } from './selector';
import { contractFromDecorators } from './function';
import { WorkflowSchema, workflowJsonSchema } from './workflow';
import { didYouMean, editDistance } from './names';

describe('predicates and durations', () => {
  it.each([
    ['>=0.88', '>=', 0.88],
    ['>0.5', '>', 0.5],
    ['<0.2', '<', 0.2],
    ['<= 3', '<=', 3],
    ['==1', '==', 1],
    ['!=-2.5e1', '!=', -25],
  ])('parses %s', (text, op, value) => {
    expect(parsePredicate(text)).toEqual({ op, value, text: text.trim() });
  });
  it.each(['0.88', '=>0.88', '>=', '>= abc', '>=0.8.8', ''])('rejects %j with a message that shows the form', (text) => {
    const p = parsePredicate(text);
    expect('error' in p && p.error).toMatch(/malformed predicate .*e\.g\. '>=0\.88'/);
  });
  it('evaluates every operator', () => {
    expect(testPredicate({ op: '>=', value: 1 }, 1)).toBe(true);
    expect(testPredicate({ op: '>', value: 1 }, 1)).toBe(false);
    expect(testPredicate({ op: '<', value: 1 }, 0.5)).toBe(true);
    expect(testPredicate({ op: '<=', value: 1 }, 2)).toBe(false);
    expect(testPredicate({ op: '==', value: 1 }, 1)).toBe(true);
    expect(testPredicate({ op: '!=', value: 1 }, 1)).toBe(false);
  });
  it('parses durations into milliseconds', () => {
    expect(parseDuration('150ms')).toBe(150);
    expect(parseDuration('2s')).toBe(2000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('1m')).toBe(60_000);
    expect(parseDuration('24h')).toBe(86_400_000);
    expect(parseDuration('2 sec')).toEqual({ error: expect.stringMatching(/malformed duration '2 sec'/) });
    expect(parseDuration('0s')).toEqual({ error: expect.stringMatching(/greater than zero/) });
  });
});

describe('selectors', () => {
  it('accepts known clauses and metric predicates', () => {
    expect(checkSelector({ type: 'classifier', data_tags: ['mnist'], accuracy: '>=0.88' })).toEqual([]);
    expect(checkSelector({ urn: 'model:user:{usr}' })).toEqual([]);
  });
  it('names an unknown clause with a suggestion, and a malformed predicate', () => {
    expect(checkSelector({ tpye: 'classifier' })[0]).toMatchObject({ clause: 'tpye', message: expect.stringMatching(/unknown selector clause 'tpye' \(did you mean 'type'\?\)/) });
    expect(checkSelector({ accuracy: 'high' })[0]).toMatchObject({ clause: 'accuracy', message: expect.stringMatching(/malformed predicate 'high'/) });
    expect(checkSelector({ urn: 'a:{b' })[0].message).toMatch(/unclosed/);
    expect(checkSelector({ tags: 'x' })[0].message).toMatch(/list of non-empty strings/);
    expect(checkSelector([])[0].clause).toBe('(selector)');
  });
  it('matches urns exactly, by glob and by template', () => {
    expect(urnMatches('mnist:data', 'mnist:data')).toBe(true);
    expect(urnMatches('mnist:*', 'mnist:data')).toBe(true);
    expect(urnMatches('mnist:*', 'other:data')).toBe(false);
    expect(urnMatches('model:user:{usr}', 'model:user:alice')).toBe(true);
    expect(urnMatches('model:user:{usr}', 'model:user:a:b')).toBe(false);
    expect(urnMatches('a.b', 'axb')).toBe(false);
    expect(fillUrn('model:user:{usr}', { usr: 'alice' })).toEqual({ urn: 'model:user:alice', missing: [] });
    expect(fillUrn('model:{a}:{b}', { a: 'x' })).toEqual({ urn: 'model:x:{b}', missing: ['b'] });
    expect(urnPatternsOverlap('model:user:*', 'model:user:{usr}')).toBe(true);
    expect(urnPatternsOverlap('model:base', 'model:user:{usr}')).toBe(false);
    expect(paramsFromUrn('mnist:user:{usr}', 'mnist:user:alice')).toEqual({ usr: 'alice' });
    expect(paramsFromUrn('m.{a}:*:{b}', 'm.x:any:thing:y')).toEqual({ a: 'x', b: 'y' });
    expect(paramsFromUrn('mnist:user:{usr}', 'mnist:data')).toEqual({});
  });
  it('explains the first failing clause', () => {
    const cand = { kind: 'model' as const, urn: 'mnist:model', type: 'classifier', data_tags: ['mnist'], metrics: { accuracy: 0.85 } };
    expect(matchSelector({ type: 'classifier', data_tags: ['mnist'], accuracy: '>=0.8' }, cand)).toEqual({ ok: true });
    expect(matchSelector({ type: 'regressor' }, cand)).toMatchObject({ ok: false, clause: 'type' });
    expect(matchSelector({ data_tags: ['mnist', 'user'] }, cand)).toMatchObject({ ok: false, clause: 'data_tags', reason: 'data_tags lack user' });
    expect(matchSelector({ accuracy: '>=0.88' }, cand)).toMatchObject({ ok: false, clause: 'accuracy', reason: 'accuracy is 0.85, not >=0.88' });
    expect(matchSelector({ loss: '<1' }, cand)).toMatchObject({ ok: false, clause: 'loss', reason: 'has no loss metric' });
    expect(matchSelector({ urn: 'model:user:{usr}' }, { ...cand, urn: 'model:user:bob' }, { params: { usr: 'alice' } })).toMatchObject({ ok: false, clause: 'urn' });
  });
});

describe('decorator contracts', () => {
  it('builds a contract in source order', () => {
    const { contract, issues } = contractFromDecorators([
      { name: 'consumes.data', args: [{ selector: { urn: 'mnist:data' }, holdout: 0.2 }] },
      { name: 'produces.model', args: [{ type: 'classifier', urn: 'mnist:model' }] },
      { name: 'policy.deadline', args: ['2s'] },
      { name: 'policy.fn', args: [{ node: 'edge', capability: ['tpu', 'vpu'] }] },
      { name: 'policy.data', args: [{ network: 'local', strict: true }] },
      { name: 'gate.bias', args: [{ attribute: 'gender', predicate: '>=0.8' }] },
      { name: 'gate.drift', args: [{ metric: 'confidence', predicate: '<0.2' }] },
    ]);
    expect(issues).toEqual([]);
    expect(contract).toEqual({
      consumes: [{ kind: 'data', selector: { urn: 'mnist:data' }, holdout: 0.2 }],
      produces: [{ kind: 'model', type: 'classifier', urn: 'mnist:model' }],
      policies: { deadline: { text: '2s', ms: 2000 }, fn: { node: ['edge'], capability: ['tpu', 'vpu'] }, data: { network: ['local'], strict: true } },
      gates: [
        { kind: 'bias', attribute: 'gender', predicate: '>=0.8', metric: 'disparate_impact' },
        { kind: 'drift', metric: 'confidence', predicate: '<0.2' },
      ],
    });
  });
  it.each([
    [{ name: 'consumes.data', args: [{ selector: { urn: 'x' }, holdout: 1.2 }] }, 'holdout-range'],
    [{ name: 'consumes.data', args: [{ selector: { urn: 'x' }, holdot: 0.2 }] }, 'unknown-option'],
    [{ name: 'produces.model', args: [{ type: 'classifier' }] }, 'produces-without-urn'],
    [{ name: 'gate.drift', args: [{ metric: 'confidence' }] }, 'gate-without-predicate'],
    [{ name: 'gate.bias', args: [{ attribute: 'a', predicate: 'big' }] }, 'malformed-predicate'],
    [{ name: 'policy.deadline', args: ['2 seconds'] }, 'malformed-duration'],
    [{ name: 'policy.fn', args: [{ node: 'fog' }] }, 'unknown-node-type'],
    [{ name: 'policy.fn', args: [{ capability: 'tpuu' }] }, 'unknown-capability'],
    [{ name: 'policy.fn', args: [{}] }, 'missing-option'],
    [{ name: 'consume.data', args: [{}] }, 'unknown-decorator'],
    [{ name: 'consumes.model', args: [{ selector: { accuracy: 'good' } }] }, 'malformed-predicate'],
  ])('reports %j as %s', (use, code) => {
    const { issues } = contractFromDecorators([use]);
    expect(issues.map((i) => i.code)).toContain(code);
  });
  it('refuses a second deadline', () => {
    const { issues } = contractFromDecorators([
      { name: 'policy.deadline', args: ['1s'] },
      { name: 'policy.deadline', args: ['2s'] },
    ]);
    expect(issues).toMatchObject([{ code: 'duplicate-decorator', decorator: 1 }]);
  });
});

describe('workflow.json', () => {
  it('fills defaults and keeps schema key order', () => {
    const w = WorkflowSchema.parse({ name: 'w', dataSources: [{ urn: 'a:b', format: 'csv', source: { kind: 'file', path: 'data/a.csv' } }] });
    expect(Object.keys(w)).toEqual(['name', 'version', 'dataSources', 'triggers']);
    expect(w.dataSources[0].tags).toEqual([]);
  });
  it('rejects duplicate data sources, template urns and unknown keys', () => {
    const r = WorkflowSchema.safeParse({
      name: 'w',
      dataSources: [
        { urn: 'a:b', format: 'csv', source: { kind: 'file', path: 'x' } },
        { urn: 'a:b', format: 'csv', source: { kind: 'file', path: 'y' } },
        { urn: 'a:{x}', format: 'csv', source: { kind: 'file', path: 'z' } },
      ],
      extra: 1,
    });
    expect(r.success).toBe(false);
    const msgs = r.error!.issues.map((i) => i.message).join('\n');
    expect(msgs).toMatch(/declared twice/);
    expect(msgs).toMatch(/no \* and no \{param\}/);
  });
  it('exports a JSON Schema', () => {
    const s = workflowJsonSchema() as { type: string; properties: Record<string, unknown>; required: string[] };
    expect(s.type).toBe('object');
    expect(Object.keys(s.properties)).toEqual(expect.arrayContaining(['name', 'dataSources', 'triggers', 'target']));
    expect(s.required).toContain('name');
  });
});

describe('did you mean', () => {
  it('counts a transposition as one edit', () => {
    expect(editDistance('egde', 'edge')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(didYouMean('tpuu', ['gpu', 'tpu', 'vpu'])).toBe('tpu');
    expect(didYouMean('zzz', ['gpu', 'tpu'])).toBeUndefined();
  });
});
