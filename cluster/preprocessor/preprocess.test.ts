import { describe, expect, it } from 'vitest';
import { preprocessFiles, preprocessSource } from './preprocess';
import { readFileSync } from 'node:fs';

const HEADER = "import { consumes, produces, policy, gate, type Data, type Model, type Request } from 'edge-ai-studio/sdk';\n";

function one(body: string) {
  return preprocessSource('functions/f.ts', HEADER + body);
}

/** line:column of the first occurrence of `needle` in HEADER + body (1-based). */
function posOf(body: string, needle: string): { line: number; column: number } {
  const text = HEADER + body;
  const i = text.indexOf(needle);
  const before = text.slice(0, i);
  return { line: before.split('\n').length, column: i - before.lastIndexOf('\n') };
}

describe('preprocessSource', () => {
  it('reads a full contract', () => {
    const body = `export class Mnist {
  @consumes.data({ selector: { urn: 'mnist:data' }, holdout: 0.2 })
  @produces.model({ type: 'classifier', urn: 'mnist:model' })
  async train(data: Data, request: Request) {}

  @consumes.model({ selector: { type: 'classifier', data_tags: ['mnist'], accuracy: '>=0.88' } })
  @policy.deadline('2s')
  @policy.fn({ node: 'edge', capability: 'tpu' })
  @gate.drift({ metric: 'confidence', predicate: '<0.2' })
  async inference(model: Model, request: Request) {}
}
`;
    const r = one(body);
    expect(r.diagnostics).toEqual([]);
    expect(r.functions.map((f) => f.id)).toEqual(['train', 'inference']);
    const inf = r.functions[1];
    expect(inf).toMatchObject({
      className: 'Mnist',
      method: 'inference',
      file: 'functions/f.ts',
      ...posOf(body, 'inference('),
      consumes: [{ kind: 'model', selector: { type: 'classifier', data_tags: ['mnist'], accuracy: '>=0.88' } }],
      policies: { deadline: { text: '2s', ms: 2000 }, fn: { node: ['edge'], capability: ['tpu'] } },
      gates: [{ kind: 'drift', metric: 'confidence', predicate: '<0.2' }],
      params: [
        { name: 'model', type: 'Model' },
        { name: 'request', type: 'Request' },
      ],
    });
  });

  it('accepts `as const`, parentheses, negative numbers and namespace imports', () => {
    const r = preprocessSource(
      'f.ts',
      `import * as sdk from 'edge-ai-studio/sdk';
export class A {
  @sdk.consumes.data({ selector: { urn: 'a:b' } as const, batch: (10) })
  @sdk.gate.drift({ metric: 'm', predicate: '>-1' })
  run(d: sdk.Data) {}
}`,
    );
    expect(r.diagnostics).toEqual([]);
    expect(r.functions[0].consumes[0]).toEqual({ kind: 'data', selector: { urn: 'a:b' }, batch: 10 });
  });

  const cases: Array<[string, string, string, string]> = [
    // [what, body, expected code, where (needle)]
    ['syntax error', `export class A {\n  @consumes.data({ selector: { urn: 'x' } )\n  run(d: Data) {}\n}`, 'syntax-error', ')\n  run'],
    ['non-literal selector', `const SEL = { urn: 'x' };\nexport class A {\n  @consumes.data({ selector: SEL })\n  run(d: Data) {}\n}`, 'non-literal-argument', 'SEL })'],
    ['call in an argument', `export class A {\n  @policy.deadline(String(2) + 's')\n  run() {}\n}`, 'non-literal-argument', "String(2) + 's'"],
    ['template with substitution', 'const u = 1;\nexport class A {\n  @produces.data({ urn: `x:${u}` })\n  run() {}\n}', 'non-literal-argument', '`x:${u}`'],
    ['unknown decorator', `export class A {\n  @policy.dedline('2s')\n  run() {}\n}`, 'unknown-decorator', "@policy.dedline"],
    ['misspelt root', `export class A {\n  @consume.data({ selector: { urn: 'x' } })\n  run(d: Data) {}\n}`, 'unknown-decorator', '@consume.data'],
    ['unknown option', `export class A {\n  @consumes.data({ selector: { urn: 'x' }, holdot: 0.2 })\n  run(d: Data) {}\n}`, 'unknown-option', 'holdot'],
    ['malformed predicate', `export class A {\n  @gate.drift({ metric: 'confidence', predicate: '0.2' })\n  run() {}\n}`, 'malformed-predicate', "predicate: '0.2'"],
    ['malformed predicate in selector', `export class A {\n  @consumes.model({ selector: { accuracy: 'good' } })\n  run(m: Model) {}\n}`, 'malformed-predicate', 'selector:'],
    ['malformed duration', `export class A {\n  @policy.deadline('2 seconds')\n  run() {}\n}`, 'malformed-duration', '@policy.deadline'],
    ['unknown node type', `export class A {\n  @policy.fn({ node: 'fog' })\n  run() {}\n}`, 'unknown-node-type', "node: 'fog'"],
    ['unknown capability', `export class A {\n  @policy.fn({ capability: ['gpu', 'tpuu'] })\n  run() {}\n}`, 'unknown-capability', 'capability:'],
    ['holdout outside (0,1)', `export class A {\n  @consumes.data({ selector: { urn: 'x' }, holdout: 1 })\n  run(d: Data) {}\n}`, 'holdout-range', 'holdout: 1'],
    ['produces.model without urn', `export class A {\n  @produces.model({ type: 'classifier' })\n  run() {}\n}`, 'produces-without-urn', '@produces.model'],
    ['gate without predicate', `export class A {\n  @gate.bias({ attribute: 'gender' })\n  run() {}\n}`, 'gate-without-predicate', '@gate.bias'],
    ['too few parameters', `export class A {\n  @consumes.data({ selector: { urn: 'x' } })\n  @consumes.model({ selector: { urn: 'y' } })\n  run(d: Data) {}\n}`, 'parameter-mismatch', 'run('],
    ['too many parameters', `export class A {\n  @consumes.data({ selector: { urn: 'x' } })\n  run(d: Data, r: Request, extra: number) {}\n}`, 'parameter-mismatch', 'run('],
    ['parameter of the wrong type', `export class A {\n  @consumes.data({ selector: { urn: 'x' } })\n  @consumes.model({ selector: { urn: 'y' } })\n  run(m: Model, d: Data) {}\n}`, 'parameter-mismatch', 'm: Model'],
    ['duplicate function id in one file', `export class A {\n  @policy.deadline('1s')\n  run() {}\n}\nexport class B {\n  @policy.deadline('1s')\n  run() {}\n}`, 'duplicate-function-id', 'run() {}\n}\n'],
    ['bad decorator argument shape', `export class A {\n  @policy.fn('edge')\n  run() {}\n}`, 'bad-argument', '@policy.fn'],
    ['decorator not called', `export class A {\n  @policy.deadline\n  run() {}\n}`, 'bad-argument', '@policy.deadline'],
  ];

  it.each(cases)('reports %s with file:line:col', (_what, body, code, needle) => {
    const r = one(body);
    const d = r.diagnostics.find((x) => x.code === code);
    expect(d, JSON.stringify(r.diagnostics)).toBeDefined();
    expect(d!.severity).toBe('error');
    expect(d!.file).toBe('functions/f.ts');
    expect(d!.message.length).toBeGreaterThan(10);
    if (code !== 'duplicate-function-id') expect({ line: d!.line, column: d!.column }).toEqual(posOf(body, needle));
  });

  it('points the duplicate at the second method', () => {
    const body = `export class A {\n  @policy.deadline('1s')\n  run() {}\n}\nexport class B {\n  @policy.deadline('1s')\n  run() {}\n}`;
    const d = one(body).diagnostics.find((x) => x.code === 'duplicate-function-id')!;
    expect(d.line).toBe(8);
    expect(d.message).toMatch(/already used by A\.run at functions\/f\.ts:4:3/);
  });

  it('suggests the closest name', () => {
    const r = one(`export class A {\n  @policy.fn({ node: 'egde' })\n  @policy.dedline('2s')\n  run() {}\n}`);
    const all = r.diagnostics.map((d) => d.message).join('\n');
    expect(all).toMatch(/unknown node type 'egde' \(did you mean 'edge'\?\)/);
    expect(all).toMatch(/unknown decorator @policy.dedline \(did you mean 'policy.deadline'\?\)/);
  });

  it('warns about foreign decorators and unexported classes, and still reads the function', () => {
    const r = one(`function log(v: unknown, c: unknown) {}\nclass A {\n  @log\n  @policy.deadline('1s')\n  run() {}\n}`);
    expect(r.diagnostics.map((d) => [d.severity, d.code])).toEqual([
      ['warning', 'foreign-decorator'],
      ['warning', 'class-not-exported'],
    ]);
    expect(r.functions).toHaveLength(1);
  });

  it('does not cascade a parameter error from an unreadable input', () => {
    const r = one(`export class A {\n  @consumes.data({ selector: SEL })\n  run(d: Data, r: Request) {}\n}`);
    expect(r.diagnostics.map((d) => d.code)).toEqual(['non-literal-argument']);
  });

  it('finds duplicate ids across files', () => {
    const src = (cls: string) => `${HEADER}export class ${cls} {\n  @policy.deadline('1s')\n  run() {}\n}\n`;
    const r = preprocessFiles([
      { file: 'functions/a.ts', source: src('A') },
      { file: 'functions/b.ts', source: src('B') },
    ]);
    expect(r.functions).toHaveLength(1);
    expect(r.diagnostics).toMatchObject([{ code: 'duplicate-function-id', file: 'functions/b.ts', line: 4, column: 3 }]);
    expect(r.declared).toEqual(['run']);
  });

  it('never throws on garbage', () => {
    for (const s of ['', '@', '@@@', 'class {', '\u0000\uffff', 'export class A { @consumes.data(', '}'.repeat(100)]) {
      expect(() => preprocessSource('x.ts', s)).not.toThrow();
    }
  });
});

describe('a syntax error is reported once, where it is (issue 13, item 5)', () => {
  it('one missing ) on line 7 of samples/mnist train.ts: one report, at the ( it leaves open, not a cascade at later lines', () => {
    const source = readFileSync(new URL('../../samples/mnist/functions/train.ts', import.meta.url), 'utf8');
    const lines = source.split('\n');
    expect(lines[6]).toContain("@produces.model({ type: 'classifier', urn: 'mnist:model', tags: ['digits'] })");
    lines[6] = lines[6].replace('})', '}');
    const r = preprocessSource('functions/train.ts', lines.join('\n'));
    const syntax = r.diagnostics.filter((d) => d.code === 'syntax-error');
    expect(syntax).toHaveLength(1);
    expect(syntax[0]).toMatchObject({ line: 7, column: lines[6].indexOf('(') + 1 });
    expect(syntax[0].message).toMatch(/^'\(' is not closed: the parser expected more at 8:\d+ \(',' expected\); add '\)' where it ends \(\d+ more parse errors after it, most likely caused by this one\)$/);
  });

  it('an error that no open bracket explains stays where the parser found it', () => {
    const r = preprocessSource('functions/f.ts', 'export class A {\n  run() {\n    const x = ;\n  }\n}\n');
    const syntax = r.diagnostics.filter((d) => d.code === 'syntax-error');
    expect(syntax).toHaveLength(1);
    expect(syntax[0]).toMatchObject({ line: 3, column: 15, message: 'Expression expected.' });
  });
});
