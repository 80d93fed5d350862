import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { editDecorators, toLiteralText, type DecoratorPatch } from './edit';
import { preprocessSource } from './preprocess';

const SRC = `import { consumes, produces, policy, gate, type Data, type Model, type Request } from 'edge-ai-studio/sdk';

// a comment the edit must not touch
export class Mnist {
  @consumes.data({ selector: { urn: 'mnist:data' }, holdout: 0.2 })
  @produces.model({ type: 'classifier', urn: 'mnist:model' })
  async train(data: Data, request: Request) {
    return   1 ;   // odd spacing stays odd
  }

  @consumes.model({
    selector: { type: 'classifier', accuracy: '>=0.88' },
  })
  @policy.fn({ node: 'edge' })
  async inference(model: Model, request: Request) {}
}
`;

function edit(source: string, id: string, patch: DecoratorPatch): string {
  const r = editDecorators(source, id, patch);
  if (!r.ok) throw new Error(r.error);
  // every byte outside the edited span is unchanged
  expect(r.source.slice(0, r.change.start)).toBe(source.slice(0, r.change.start));
  expect(r.source.slice(r.change.start + r.change.text.length)).toBe(source.slice(r.change.end));
  return r.source;
}

function spec(source: string, id: string) {
  const r = preprocessSource('f.ts', source);
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return r.functions.find((f) => f.id === id)!;
}

describe('editDecorators', () => {
  it('adds a deadline under the existing decorators with the same indentation', () => {
    const out = edit(SRC, 'inference', { op: 'set', decorator: 'policy.deadline', args: ['150ms'] });
    expect(out).toContain("  @policy.fn({ node: 'edge' })\n  @policy.deadline('150ms')\n  async inference");
    expect(spec(out, 'inference').policies.deadline).toEqual({ text: '150ms', ms: 150 });
  });

  it('changes only the argument of an existing decorator', () => {
    const once = edit(SRC, 'inference', { op: 'set', decorator: 'policy.deadline', args: ['150ms'] });
    const twice = edit(once, 'inference', { op: 'set', decorator: 'policy.deadline', args: ['2s'] });
    expect(twice).toBe(once.replace("'150ms'", "'2s'"));
  });

  it('sets, adds and removes options in one-line and multi-line objects', () => {
    let out = edit(SRC, 'train', { op: 'setOption', decorator: 'consumes.data', option: 'holdout', value: 0.3 });
    expect(out).toContain("holdout: 0.3 })");
    out = edit(out, 'train', { op: 'setOption', decorator: 'consumes.data', option: 'batch', value: 64 });
    expect(out).toContain("holdout: 0.3, batch: 64 })");
    out = edit(out, 'train', { op: 'removeOption', decorator: 'consumes.data', option: 'holdout' });
    expect(out).toContain("@consumes.data({ selector: { urn: 'mnist:data' }, batch: 64 })");
    out = edit(out, 'inference', { op: 'setOption', decorator: 'consumes.model', option: 'best', value: 'accuracy' });
    expect(out).toContain("    selector: { type: 'classifier', accuracy: '>=0.88' },\n    best: 'accuracy',\n  })");
    expect(spec(out, 'inference').consumes[0]).toEqual({ kind: 'model', selector: { type: 'classifier', accuracy: '>=0.88' }, best: 'accuracy' });
    out = edit(out, 'inference', { op: 'removeOption', decorator: 'consumes.model', option: 'best' });
    expect(out).toBe(SRC.replace("holdout: 0.2 })", "batch: 64 })"));
  });

  it('adds a decorator with one option when it is missing, and removes whole lines', () => {
    let out = edit(SRC, 'train', { op: 'setOption', decorator: 'policy.data', option: 'network', value: ['local', 'lan'] });
    expect(out).toContain("  @policy.data({ network: ['local', 'lan'] })\n  async train");
    out = edit(out, 'train', { op: 'setOption', decorator: 'policy.data', option: 'strict', value: true });
    expect(spec(out, 'train').policies.data).toEqual({ network: ['local', 'lan'], strict: true });
    out = edit(out, 'train', { op: 'remove', decorator: 'policy.data' });
    expect(out).toBe(SRC);
  });

  it('adds and removes repeatable decorators by index', () => {
    let out = edit(SRC, 'inference', { op: 'add', decorator: 'gate.drift', args: [{ metric: 'confidence', predicate: '<0.2' }] });
    out = edit(out, 'inference', { op: 'add', decorator: 'gate.bias', args: [{ attribute: 'gender', predicate: '>=0.8' }] });
    out = edit(out, 'inference', { op: 'add', decorator: 'gate.drift', args: [{ metric: 'loss', predicate: '>1' }] });
    expect(spec(out, 'inference').gates.map((g) => g.kind)).toEqual(['drift', 'bias', 'drift']);
    out = edit(out, 'inference', { op: 'remove', decorator: 'gate.drift', index: 1 });
    expect(spec(out, 'inference').gates).toEqual([
      { kind: 'drift', metric: 'confidence', predicate: '<0.2' },
      { kind: 'bias', attribute: 'gender', predicate: '>=0.8', metric: 'disparate_impact' },
    ]);
  });

  it('refuses what it cannot do, with a reason', () => {
    expect(editDecorators(SRC, 'nope', { op: 'remove', decorator: 'policy.fn' })).toEqual({ ok: false, error: "no decorated function 'nope' in this file" });
    expect(editDecorators(SRC, 'train', { op: 'remove', decorator: 'policy.fn' })).toMatchObject({ ok: false, error: expect.stringMatching(/has no @policy.fn/) });
    expect(editDecorators(SRC, 'train', { op: 'add', decorator: 'policy.deadline', args: ['1s'] })).toMatchObject({ ok: true });
    expect(editDecorators(SRC, 'inference', { op: 'add', decorator: 'policy.fn', args: [{}] })).toMatchObject({ ok: false, error: expect.stringMatching(/only once/) });
    expect(editDecorators(SRC, 'train', { op: 'setOption', decorator: 'consumes.data', option: 'holdot', value: 1 })).toMatchObject({ ok: false, error: expect.stringMatching(/no option 'holdot'/) });
    expect(editDecorators(SRC + '{', 'train', { op: 'remove', decorator: 'policy.fn' })).toMatchObject({ ok: false, error: expect.stringMatching(/syntax errors/) });
    expect(editDecorators(SRC, 'train', { op: 'set', decorator: 'nope.x', args: [] })).toMatchObject({ ok: false });
  });

  it('writes literals the way a person would', () => {
    expect(toLiteralText({ urn: "it's", tags: ['a', 'b'], 'data-x': 1, ok: true })).toBe("{ urn: 'it\\'s', tags: ['a', 'b'], 'data-x': 1, ok: true }");
    expect(() => toLiteralText(NaN)).toThrow(/cannot write NaN/);
  });

  // Round trip over random patches: edit, preprocess, and the spec is the patched spec.
  it('round-trips random option edits on the sample functions', () => {
    const sample = readFileSync(new URL('../../samples/mnist/functions/inference.ts', import.meta.url), 'utf8');
    const deadline = fc.tuple(fc.integer({ min: 1, max: 5000 }), fc.constantFrom('ms', 's', 'm')).map(([n, u]) => `${n}${u}`);
    const predicate = fc.tuple(fc.constantFrom('>=', '<=', '<', '>', '==', '!='), fc.double({ min: -10, max: 10, noNaN: true }).map((x) => Math.round(x * 1000) / 1000)).map(([op, v]) => `${op}${v}`);
    const patch = fc.oneof(
      deadline.map((d) => ({ patch: { op: 'set', decorator: 'policy.deadline', args: [d] } as DecoratorPatch, check: (s: ReturnType<typeof spec>) => expect(s.policies.deadline?.text).toBe(d) })),
      fc.subarray(['cloud', 'edge', 'user_device', 'local'] as const, { minLength: 1 }).map((node) => ({
        patch: { op: 'setOption', decorator: 'policy.fn', option: 'node', value: node } as DecoratorPatch,
        check: (s: ReturnType<typeof spec>) => expect(s.policies.fn?.node).toEqual(node),
      })),
      predicate.map((p) => ({
        patch: { op: 'setOption', decorator: 'gate.drift', option: 'predicate', value: p } as DecoratorPatch,
        check: (s: ReturnType<typeof spec>) => expect(s.gates.find((g) => g.kind === 'drift')?.predicate).toBe(p),
      })),
      fc.array(fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/), { minLength: 1, maxLength: 3 }).map((tags) => ({
        patch: { op: 'setOption', decorator: 'consumes.model', option: 'selector', value: { type: 'classifier', data_tags: tags } } as DecoratorPatch,
        check: (s: ReturnType<typeof spec>) => expect(s.consumes[0].selector).toEqual({ type: 'classifier', data_tags: tags }),
      })),
    );
    fc.assert(
      fc.property(fc.array(patch, { minLength: 1, maxLength: 4 }), (patches) => {
        let src = sample;
        for (const p of patches) {
          src = edit(src, 'inference', p.patch);
          p.check(spec(src, 'inference'));
        }
      }),
      { numRuns: 150, seed: 7 },
    );
  });
});
