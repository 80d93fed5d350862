import { describe, expect, it, onTestFinished } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadProject, saveLayout, saveWorkflow, projectPath, newProject } from './index';
import { connect, deriveGraph, disconnect } from './graph';
import { StudioError } from '../common/errors';

const MNIST = fileURLToPath(new URL('../../samples/mnist', import.meta.url));

function copyOf(dir: string): string {
  const tmp = mkdtempSync(join(tmpdir(), 'edgeai-project-'));
  cpSync(dir, tmp, { recursive: true });
  return tmp;
}

describe('samples/mnist', () => {
  const project = loadProject(MNIST);
  const graph = deriveGraph(project);
  const has = (s: string, t: string) => graph.edges.some((e) => e.source === s && e.target === t);

  it('loads clean with four functions', () => {
    expect(project.diagnostics).toEqual([]);
    expect(project.functions.map((f) => f.id).sort()).toEqual(['inference', 'refine', 'train', 'trainFair']);
  });

  it('uses every decorator of the programming model', () => {
    const fs = project.functions;
    expect(fs.some((f) => f.consumes.some((c) => c.kind === 'data' && c.holdout))).toBe(true);
    expect(fs.some((f) => f.consumes.some((c) => c.kind === 'data' && c.batch))).toBe(true);
    expect(fs.some((f) => f.consumes.some((c) => c.kind === 'model'))).toBe(true);
    expect(fs.some((f) => f.produces.some((p) => p.kind === 'model'))).toBe(true);
    expect(fs.some((f) => f.produces.some((p) => p.kind === 'data'))).toBe(true);
    expect(fs.some((f) => f.policies.deadline)).toBe(true);
    expect(fs.some((f) => f.policies.fn)).toBe(true);
    expect(fs.some((f) => f.policies.data?.strict)).toBe(true);
    expect(fs.some((f) => f.gates.some((g) => g.kind === 'bias'))).toBe(true);
    expect(fs.some((f) => f.gates.some((g) => g.kind === 'drift'))).toBe(true);
  });

  it('derives mnist:data → train → mnist:model → inference', () => {
    expect(has('source:mnist:data', 'fn:train')).toBe(true);
    expect(has('fn:train', 'model:mnist:model')).toBe(true);
    expect(has('model:mnist:model', 'fn:inference')).toBe(true);
    // the model's data_tags come from the data its producer consumes
    expect(graph.nodes.find((n) => n.id === 'model:mnist:model')?.detail.data_tags).toEqual(['mnist', 'digits']);
    // the template consumer matches the user's data; the base model feeds refine
    expect(has('source:mnist:user:alice', 'fn:refine')).toBe(true);
    expect(has('model:model:base', 'fn:refine')).toBe(true);
    expect(has('trigger:classify', 'fn:inference')).toBe(true);
    expect(has('gate:inference:0', 'trigger:retrain-on-drift')).toBe(true);
    expect(graph.warnings).toEqual([]);
  });
});

describe('graph warnings', () => {
  it('reports dangling inputs and cycles', () => {
    const dir = copyOf(MNIST);
    writeFileSync(
      join(dir, 'functions', 'loop.ts'),
      `import { consumes, produces, type Data, type Model } from 'edge-ai-studio/sdk';
export class Loop {
  @consumes.data({ selector: { urn: 'loop:b' } })
  @produces.data({ urn: 'loop:a' })
  a(d: Data) {}
  @consumes.data({ selector: { urn: 'loop:a' } })
  @produces.data({ urn: 'loop:b' })
  b(d: Data) {}
  @consumes.model({ selector: { urn: 'nothing:here' } })
  c(m: Model) {}
}
`,
    );
    const g = deriveGraph(loadProject(dir));
    expect(g.warnings.map((w) => w.code).sort()).toEqual(['cycle', 'dangling-input']);
    expect(g.warnings.find((w) => w.code === 'cycle')!.message).toMatch(/a → b → a|b → a → b/);
    expect(g.warnings.find((w) => w.code === 'dangling-input')).toMatchObject({ file: 'functions/loop.ts', line: 10 });
    rmSync(dir, { recursive: true });
  });
});

describe('connect and disconnect', () => {
  it('rewrites the consumer selector so the edge appears, and removes it again', () => {
    const dir = copyOf(MNIST);
    writeFileSync(
      join(dir, 'functions', 'report.ts'),
      `import { consumes, type Data, type Request } from 'edge-ai-studio/sdk';
export class Report {
  @consumes.data({ selector: { urn: 'reports:none', format: 'jsonl' } })
  report(d: Data, r: Request) {}
}
`,
    );
    let project = loadProject(dir);
    expect(deriveGraph(project).edges.some((e) => e.target === 'fn:report' && e.kind === 'consumes')).toBe(false);
    const c = connect(project, 'fn:inference', 'fn:report');
    expect(c).toMatchObject({ ok: true, file: 'functions/report.ts' });
    if (!c.ok) return;
    // the clause the producer satisfies (format jsonl) stays
    expect(c.source).toContain("@consumes.data({ selector: { urn: 'mnist:predictions', format: 'jsonl' } })");
    writeFileSync(join(dir, c.file), c.source);
    project = loadProject(dir);
    const edge = deriveGraph(project).edges.find((e) => e.source === 'data:mnist:predictions' && e.target === 'fn:report');
    expect(edge).toBeDefined();
    expect(connect(project, 'fn:inference', 'fn:report')).toEqual({ ok: false, reason: 'report already consumes mnist:predictions' });

    const d = disconnect(project, edge!.id);
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    expect(d.source).not.toContain('@consumes.data');
    rmSync(dir, { recursive: true });
  });

  it('an edge onto a function whose one input of that kind is connected never replaces it silently: add another, or replace when asked (issue 13, item 9)', () => {
    const project = loadProject(MNIST);
    // train consumes mnist:data; a second data source drawn onto it
    const asked = connect(project, 'source:mnist:user:alice', 'fn:train');
    expect(asked).toMatchObject({ ok: false, choice: { replaces: 0 }, reason: expect.stringMatching(/^train already has a data input \(#1, .*mnist:data.*\): add mnist:user:alice as another input, or replace that one$/) });
    const added = connect(project, 'source:mnist:user:alice', 'fn:train', undefined, 'add');
    expect(added.ok).toBe(true);
    if (!added.ok) return;
    expect(added.source).toMatch(/@consumes\.data\(\{ selector: \{ urn: 'mnist:user:alice' \} \}\)/);
    expect(added.source).toContain("urn: 'mnist:data'");
    const replaced = connect(project, 'source:mnist:user:alice', 'fn:train', undefined, 'replace');
    expect(replaced.ok).toBe(true);
    if (!replaced.ok) return;
    expect(replaced.source).not.toContain("urn: 'mnist:data'");
  });

  it('refuses connections that make no sense, saying why', () => {
    const project = loadProject(MNIST);
    expect(connect(project, 'fn:train', 'fn:train')).toEqual({ ok: false, reason: 'train cannot consume its own output' });
    expect(connect(project, 'trigger:classify', 'fn:train')).toMatchObject({ ok: false, reason: expect.stringMatching(/trigger starts a function/) });
    expect(connect(project, 'fn:train', 'model:mnist:model')).toMatchObject({ ok: false, reason: expect.stringMatching(/only functions consume/) });
    expect(connect(project, 'model:model:base', 'fn:train', 0)).toMatchObject({ ok: false, reason: expect.stringMatching(/takes a data, but model:base is a model/) });
    expect(disconnect(project, 'fn:train->model:mnist:model')).toMatchObject({ ok: false, reason: expect.stringMatching(/produces edge/) });
  });
});

describe('files on disk', () => {
  it('writes workflow.json pretty with schema key order and layout.json sorted, byte-stable', () => {
    const dir = copyOf(MNIST);
    const p = loadProject(dir);
    saveWorkflow(dir, p.workflow);
    const first = readFileSync(join(dir, 'workflow.json'), 'utf8');
    saveWorkflow(dir, loadProject(dir).workflow);
    expect(readFileSync(join(dir, 'workflow.json'), 'utf8')).toBe(first);
    expect(first.startsWith('{\n  "name": "mnist",\n  "description"')).toBe(true);
    expect(first).not.toMatch(/"x":|position/);
    saveLayout(dir, { nodes: { 'fn:b': { x: 1.234, y: 2 }, 'fn:a': { x: 0, y: 0 } }, viewport: { x: 0, y: 0, zoom: 1 } });
    const layout = readFileSync(join(dir, 'layout.json'), 'utf8');
    expect(layout.indexOf('fn:a')).toBeLessThan(layout.indexOf('fn:b'));
    expect(layout).toContain('"x": 1.23');
    rmSync(dir, { recursive: true });
  });

  it('refuses to save an invalid workflow and leaves the file as it was', () => {
    const dir = copyOf(MNIST);
    const before = readFileSync(join(dir, 'workflow.json'), 'utf8');
    expect(() => saveWorkflow(dir, { name: '1 bad name' })).toThrow(StudioError);
    expect(readFileSync(join(dir, 'workflow.json'), 'utf8')).toBe(before);
    rmSync(dir, { recursive: true });
  });

  it('turns bad JSON and schema errors into diagnostics with positions', () => {
    const dir = copyOf(MNIST);
    writeFileSync(join(dir, 'layout.json'), '{ "nodes": { "a": { "x": 1, } } }');
    const wf = JSON.parse(readFileSync(join(dir, 'workflow.json'), 'utf8'));
    wf.triggers[0].function = 'inferense';
    wf.dataSources[1].format = 'xml';
    writeFileSync(join(dir, 'workflow.json'), JSON.stringify(wf, null, 2));
    const p = loadProject(dir);
    const codes = p.diagnostics.map((d) => `${d.file}:${d.code}`);
    expect(codes).toContain('layout.json:invalid-json');
    const fmt = p.diagnostics.find((d) => d.code === 'invalid-workflow')!;
    expect(fmt.message).toMatch(/dataSources\.1\.format/);
    const text = readFileSync(join(dir, 'workflow.json'), 'utf8').split('\n');
    expect(text[fmt.line - 1]).toContain('"format"');
    rmSync(dir, { recursive: true });
  });

  it('names a trigger that points at a missing function', () => {
    const dir = copyOf(MNIST);
    const wf = JSON.parse(readFileSync(join(dir, 'workflow.json'), 'utf8'));
    wf.triggers[0].function = 'inferense';
    writeFileSync(join(dir, 'workflow.json'), JSON.stringify(wf, null, 2));
    const d = loadProject(dir).diagnostics.find((x) => x.code === 'unknown-function')!;
    expect(d.message).toMatch(/'inferense'.*did you mean 'inference'/);
    rmSync(dir, { recursive: true });
  });

  it('keeps paths inside the project', () => {
    expect(() => projectPath(MNIST, '../../etc/passwd')).toThrow(/outside the project/);
    expect(projectPath(MNIST, 'functions/train.ts')).toBe(join(MNIST, 'functions/train.ts'));
  });

  it('creates a new project that loads clean and refuses a non-empty folder', () => {
    const parent = mkdtempSync(join(tmpdir(), 'edgeai-new-'));
    onTestFinished(() => rmSync(parent, { recursive: true, force: true }));
    const dir = join(parent, 'my-flow');
    newProject(dir);
    const p = loadProject(dir);
    expect(p.diagnostics).toEqual([]);
    expect(deriveGraph(p).warnings).toEqual([]);
    expect(() => newProject(dir)).toThrow(/not empty/);
    rmSync(dir, { recursive: true });
  });
});
