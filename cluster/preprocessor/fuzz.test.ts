/**
 * The preprocessor never throws: ≥10,000 generated and mutated sources per run, each giving
 * well-formed results (specs that pass the schema, diagnostics with positions inside the file).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { preprocessSource } from './preprocess';
import { editDecorators } from './edit';
import { FunctionSpecSchema, DECORATOR_NAMES } from '../spec/function';
import { DiagnosticSchema } from './diagnostic';

const samplesDir = new URL('../../samples/mnist/functions/', import.meta.url);
const samples = readdirSync(samplesDir).map((f) => readFileSync(join(samplesDir.pathname, f), 'utf8'));

const literal: fc.Arbitrary<string> = fc.letrec<{ v: string }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom("'2s'", "'150ms'", "'>=0.88'", "'<0.2'", "'edge'", "'tpu'", "'mnist:data'", "'model:user:{usr}'", '0.2', '1.5', '-1', 'true', 'null', 'undefined', 'SEL', 'f()', '`x${y}`'),
    fc.string({ maxLength: 6 }).map((s) => JSON.stringify(s)),
    fc.array(tie('v'), { maxLength: 3 }).map((xs) => `[${xs.join(', ')}]`),
    fc
      .array(fc.tuple(fc.constantFrom('selector', 'urn', 'type', 'holdout', 'batch', 'node', 'capability', 'network', 'strict', 'metric', 'predicate', 'attribute', 'window', 'accuracy', 'tags', 'data_tags', 'holdot', '...x'), tie('v')), { maxLength: 4 })
      .map((kv) => `{ ${kv.map(([k, v]) => (k.startsWith('...') ? k : `${k}: ${v}`)).join(', ')} }`),
  ),
})).v;

const decorator = fc.tuple(fc.constantFrom(...DECORATOR_NAMES, 'consume.data', 'policy.dedline', 'gate', 'sdk.policy.fn', 'other'), fc.array(literal, { maxLength: 2 }), fc.boolean()).map(([name, args, called]) => (called ? `@${name}(${args.join(', ')})` : `@${name}`));

const method = fc
  .tuple(fc.array(decorator, { minLength: 1, maxLength: 5 }), fc.constantFrom('run', 'train', 'inference', 'a', 'b'), fc.array(fc.constantFrom('d: Data', 'm: Model', 'r: Request', 'x', 'y: number'), { maxLength: 4 }))
  .map(([decos, name, params]) => `  ${decos.join('\n  ')}\n  async ${name}(${params.join(', ')}) { return 1; }`);

const file = fc
  .tuple(fc.boolean(), fc.array(method, { minLength: 1, maxLength: 3 }))
  .map(([exported, methods]) => `import { consumes, produces, policy, gate } from 'edge-ai-studio/sdk';\n${exported ? 'export ' : ''}class A {\n${methods.join('\n\n')}\n}\n`);

/** Random character- and token-level damage to a valid source. */
const mutated = fc
  .tuple(fc.constantFrom(...samples), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 8 }), fc.constantFrom('', '(', ')', '{', '}', '@', "'", '"', ',', ':', '`', '/*', '\n', 'policy.', 'x', '\u0000', '0.5'), fc.constantFrom('insert', 'delete', 'replace', 'truncate')), { minLength: 1, maxLength: 4 }))
  .map(([src, ops]) => {
    let s = src;
    for (const [pos, len, text, op] of ops) {
      const p = s.length ? pos % s.length : 0;
      if (op === 'insert') s = s.slice(0, p) + text + s.slice(p);
      else if (op === 'delete') s = s.slice(0, p) + s.slice(p + len);
      else if (op === 'replace') s = s.slice(0, p) + text + s.slice(p + Math.max(1, len));
      else s = s.slice(0, p);
    }
    return s;
  });

function checkResult(source: string) {
  const r = preprocessSource('functions/fuzz.ts', source);
  const lines = source.split('\n').length;
  for (const d of r.diagnostics) {
    DiagnosticSchema.parse(d);
    expect(d.line).toBeGreaterThanOrEqual(1);
    expect(d.line).toBeLessThanOrEqual(lines);
    expect(d.column).toBeGreaterThanOrEqual(1);
    expect(d.code).not.toBe('internal-error');
  }
  for (const f of r.functions) FunctionSpecSchema.parse(f);
  return r;
}

describe('preprocessor fuzz', () => {
  it('survives 6,000 generated sources', () => {
    fc.assert(fc.property(file, (src) => void checkResult(src)), { numRuns: 6000, seed: 20261126 });
  });
  it('survives 4,000 mutated samples, and edits on them never throw', () => {
    fc.assert(
      fc.property(mutated, (src) => {
        const r = checkResult(src);
        for (const f of r.functions.slice(0, 1)) {
          const e = editDecorators(src, f.id, { op: 'set', decorator: 'policy.deadline', args: ['1s'] });
          if (e.ok) expect(preprocessSource('x.ts', e.source).functions.find((g) => g.id === f.id)?.policies.deadline?.text).toBe('1s');
        }
      }),
      { numRuns: 4000, seed: 11 },
    );
  });
});
