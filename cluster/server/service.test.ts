import { describe, expect, it, beforeEach, beforeAll, afterAll, vi } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StudioService } from './service';
import { METHODS, ProjectSnapshotSchema, type ApiResult, type EventPayload } from '../api/contract';
import { coralBootloader, coralReady, FakeSysfs, keyboard, ncs2Ready } from '../accelerators/testing/fake-sysfs';

const SAMPLE = join(import.meta.dirname, '..', '..', 'samples', 'mnist');

/** the temporary folders this file made, removed after it (a worker's process 'exit' never comes) */
const made: string[] = [];
afterAll(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tmp(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}

function value<T>(r: ApiResult<T>): T {
  if (!r.ok) throw new Error(`expected ok, got ${r.error.code}: ${r.error.message}`);
  return r.value;
}

describe('StudioService', () => {
  let dir: string;
  let svc: StudioService;
  beforeEach(() => {
    dir = tmp('studio-svc-');
    cpSync(SAMPLE, dir, { recursive: true });
    svc = new StudioService();
  });

  it('opens a project: snapshot conforms to the contract and holds the derived graph', async () => {
    const snap = value(await svc.call('project.open', { dir }));
    expect(ProjectSnapshotSchema.safeParse(snap).success).toBe(true);
    expect(snap.functions.map((f) => f.id).sort()).toEqual(['inference', 'refine', 'train', 'trainFair']);
    const ids = snap.graph.nodes.map((n) => n.id);
    expect(ids).toContain('fn:train');
    expect(ids).toContain('source:mnist:data');
    expect(snap.graph.edges.some((e) => e.source === 'source:mnist:data' && e.target === 'fn:train' && e.kind === 'consumes')).toBe(true);
    expect(snap.files.find((f) => f.path === 'functions/train.ts')?.revision).toBe(1);
    expect(snap.files.some((f) => f.path === 'workflow.json')).toBe(true);
  });

  it('the snapshot shows what a deploy would refuse before any deploy, on the node it is about (issue 13, item 6): a placement no node of the topology takes, a missing data file', async () => {
    const clean = value(await svc.call('project.open', { dir }));
    expect(clean.diagnostics).toEqual([]);
    const f = join(dir, 'functions/train.ts');
    writeFileSync(f, readFileSync(f, 'utf8').replace("@policy.fn({ node: 'cloud' })", "@policy.fn({ node: 'cloud', capability: 'gpu' })"));
    const wf = JSON.parse(readFileSync(join(dir, 'workflow.json'), 'utf8'));
    wf.dataSources.push({ urn: 'sensor:rows', type: 'rows', tags: ['sensor'], format: 'jsonl', source: { kind: 'file', path: 'data/rows.jsonl' } });
    writeFileSync(join(dir, 'workflow.json'), JSON.stringify(wf, null, 2));
    const snap = value(await svc.call('project.snapshot', { project: dir }));
    expect(snap.diagnostics.map((d) => [d.code, d.node])).toEqual([
      ['data-file-missing', 'source:sensor:rows'],
      ['placement-infeasible', 'fn:train'],
    ]);
    const placement = snap.diagnostics.find((d) => d.code === 'placement-infeasible')!;
    expect(placement.message).toMatch(/^on topology 'local': no node can run train .*capability gpu/);
    expect(placement.hint).toMatch(/explain placement/);
  });

  it('a file saved with a syntax error keeps its function on the canvas as it last parsed, marked, and a deploy refuses it (issue 13, item 4)', async () => {
    const snap = value(await svc.call('project.open', { dir }));
    const path = 'functions/inference.ts';
    const good = snap.files.find((f) => f.path === path)!;
    // a decorator left open: the class no longer parses, and its function is gone from the project
    const broken = good.source.replace("@policy.deadline('2s')", "@policy.deadline('2s'");
    expect(broken).not.toBe(good.source);
    const w = value(await svc.call('project.files.write', { project: dir, path, source: broken, expectedRevision: good.revision }));
    expect(w.snapshot.functions.map((f) => f.id)).not.toContain('inference');
    const node = w.snapshot.graph.nodes.find((n) => n.id === 'fn:inference');
    expect(node?.detail.unparsed).toMatch(/^functions\/inference\.ts:7:19: '\(' is not closed/);
    // its output, its gate and its trigger stay with it
    const ids = w.snapshot.graph.nodes.map((n) => n.id);
    expect(ids).toEqual(expect.arrayContaining(['data:mnist:predictions', 'gate:inference:0', 'trigger:classify']));
    expect(w.snapshot.graph.edges.some((e) => e.source === 'trigger:classify' && e.target === 'fn:inference')).toBe(true);
    // the syntax error is the problem, said once: the trigger naming inference is no unknown-function error
    expect(w.snapshot.diagnostics.filter((d) => d.code === 'unknown-function')).toEqual([]);
    const check = value(await svc.call('deploy.check', { project: dir }));
    expect(check.errors.map((e) => `${e.file}:${e.code}`)).toContain('functions/inference.ts:syntax-error');
    expect(check.errors.filter((e) => e.code === 'unknown-function')).toEqual([]);
    // fixed: the function is itself again
    const fixed = value(await svc.call('project.files.write', { project: dir, path, source: good.source, expectedRevision: w.revision }));
    expect(fixed.snapshot.graph.nodes.find((n) => n.id === 'fn:inference')?.detail.unparsed).toBeUndefined();
    expect(fixed.snapshot.functions.map((f) => f.id)).toContain('inference');
  });

  it('preprocesses an unsaved buffer: its diagnostics, and with the project the graph as if it were saved', async () => {
    value(await svc.call('project.open', { dir }));
    const path = 'functions/train.ts';
    const saved = readFileSync(join(dir, path), 'utf8');
    const buffer = saved.replace("urn: 'mnist:data'", "urn: 'mnist:user:alice'");
    expect(buffer).not.toBe(saved);
    const alone = value(await svc.call('preprocess', { path, source: buffer }));
    expect(alone.graph).toBeUndefined();
    expect(alone.functions.map((f) => f.id)).toEqual(['train']);
    const live = value(await svc.call('preprocess', { path, source: buffer, project: dir }));
    const edges = live.graph!.edges.map((e) => e.id);
    expect(edges).toContain('source:mnist:user:alice->fn:train#0');
    expect(edges).not.toContain('source:mnist:data->fn:train#0');
    // the other functions are still there, and nothing was written
    expect(live.graph!.nodes.map((n) => n.id)).toEqual(expect.arrayContaining(['fn:inference', 'fn:refine', 'fn:trainFair', 'fn:train']));
    expect(readFileSync(join(dir, path), 'utf8')).toBe(saved);
    // a buffer with a syntax error: diagnostics say where, and the graph simply lacks that file's functions
    const broken = value(await svc.call('preprocess', { path, source: saved.replace('async train(', 'async train((') , project: dir }));
    expect(broken.diagnostics.some((d) => d.severity === 'error' && d.file === path)).toBe(true);
  });

  it('turns bad requests and missing projects into error values', async () => {
    const bad = await svc.call('project.open', { dir: '' });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.code).toBe('invalid-request');
    const missing = await svc.call('project.open', { dir: join(dir, 'nope') });
    expect(missing.ok).toBe(false);
    if (!missing.ok) {
      expect(missing.error.code).toBe('project-not-found');
      expect(missing.error.hint).toMatch(/edgeai new/);
    }
    const unknown = await svc.call('no.such.method' as never, {});
    expect(unknown.ok).toBe(false);
    if (!unknown.ok) expect(unknown.error.code).toBe('unknown-method');
    const notOpen = await svc.call('graph.derive', { project: dir });
    expect(notOpen.ok).toBe(false);
    if (!notOpen.ok) expect(notOpen.error.code).toBe('project-not-open');
    value(await svc.call('project.open', { dir }));
    const outside = await svc.call('project.files.write', { project: dir, path: '../evil.ts', source: 'x', expectedRevision: 0 });
    expect(outside.ok).toBe(false);
    if (!outside.ok) expect(outside.error.code).toBe('invalid-request');
  });

  it('adds a deadline through decorators.edit with a minimal text edit, then refuses a stale revision', async () => {
    const snap = value(await svc.call('project.open', { dir }));
    const before = readFileSync(join(dir, 'functions/train.ts'), 'utf8');
    const rev = snap.files.find((f) => f.path === 'functions/train.ts')!.revision;
    const edit = value(await svc.call('decorators.edit', { project: dir, path: 'functions/train.ts', functionId: 'train', patch: { op: 'set', decorator: 'policy.deadline', args: ['5s'] }, expectedRevision: rev }));
    const after = readFileSync(join(dir, 'functions/train.ts'), 'utf8');
    expect(after).toContain("@policy.deadline('5s')");
    expect(edit.before).toBe(before);
    expect(edit.revision).toBe(rev + 1);
    expect(after.slice(0, edit.change.start)).toBe(before.slice(0, edit.change.start));
    expect(edit.snapshot.functions.find((f) => f.id === 'train')?.policies.deadline?.text).toBe('5s');

    const stale = await svc.call('decorators.edit', { project: dir, path: 'functions/train.ts', functionId: 'train', patch: { op: 'set', decorator: 'policy.deadline', args: ['9s'] }, expectedRevision: rev });
    expect(stale.ok).toBe(false);
    if (!stale.ok) {
      expect(stale.error.code).toBe('revision-conflict');
      expect(stale.error.conflict).toEqual({ path: 'functions/train.ts', revision: rev + 1 });
    }
    expect(readFileSync(join(dir, 'functions/train.ts'), 'utf8')).toBe(after);
  });

  it('notices a file changed on disk behind its back and refuses to overwrite it', async () => {
    const snap = value(await svc.call('project.open', { dir }));
    const rev = snap.files.find((f) => f.path === 'functions/train.ts')!.revision;
    writeFileSync(join(dir, 'functions/train.ts'), '// edited elsewhere\n');
    const r = await svc.call('project.files.write', { project: dir, path: 'functions/train.ts', source: '// mine\n', expectedRevision: rev });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('revision-conflict');
    expect(readFileSync(join(dir, 'functions/train.ts'), 'utf8')).toBe('// edited elsewhere\n');
    const read = value(await svc.call('project.files.read', { project: dir, path: 'functions/train.ts' }));
    expect(read.revision).toBe(rev + 1);
    value(await svc.call('project.files.write', { project: dir, path: 'functions/train.ts', source: '// mine\n', expectedRevision: read.revision }));
  });

  it('reports a refused edit without touching the file', async () => {
    const snap = value(await svc.call('project.open', { dir }));
    const rev = snap.files.find((f) => f.path === 'functions/train.ts')!.revision;
    const r = await svc.call('decorators.edit', { project: dir, path: 'functions/train.ts', functionId: 'nosuch', patch: { op: 'remove', decorator: 'policy.fn' }, expectedRevision: rev });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('edit-refused');
  });

  it('connects and disconnects edges by rewriting the consumer selector; refuses with a reason', async () => {
    value(await svc.call('project.open', { dir }));
    // train consumes mnist:data already: drawing another data input asks first (add or replace)
    const ask = await svc.call('graph.connect', { project: dir, producer: 'source:mnist:user:alice', consumer: 'fn:train' });
    expect(ask.ok).toBe(false);
    if (!ask.ok) expect(ask.error.code).toBe('connection-choice');
    expect(readFileSync(join(dir, 'functions/train.ts'), 'utf8')).not.toContain("selector: { urn: 'mnist:user:alice' }");
    // point it at the user's data instead
    const e = value(await svc.call('graph.connect', { project: dir, producer: 'source:mnist:user:alice', consumer: 'fn:train', mode: 'replace' }));
    expect(e.path).toBe('functions/train.ts');
    expect(readFileSync(join(dir, 'functions/train.ts'), 'utf8')).toContain("selector: { urn: 'mnist:user:alice' }");
    expect(e.snapshot.graph.edges.some((x) => x.source === 'source:mnist:user:alice' && x.target === 'fn:train')).toBe(true);
    expect(e.snapshot.graph.edges.some((x) => x.source === 'source:mnist:data' && x.target === 'fn:train')).toBe(false);

    const refused = await svc.call('graph.connect', { project: dir, producer: 'trigger:classify', consumer: 'fn:train' });
    expect(refused.ok).toBe(false);
    if (!refused.ok) {
      expect(refused.error.code).toBe('connection-refused');
      expect(refused.error.message).toMatch(/trigger/);
    }

    const edge = e.snapshot.graph.edges.find((x) => x.source === 'source:mnist:user:alice' && x.target === 'fn:train')!;
    const d = value(await svc.call('graph.disconnect', { project: dir, edgeId: edge.id }));
    expect(readFileSync(join(dir, 'functions/train.ts'), 'utf8')).not.toContain('@consumes.data');
    expect(d.snapshot.graph.edges.some((x) => x.target === 'fn:train' && x.kind === 'consumes')).toBe(false);
  });

  it('previews a selector: matches and the reason for each miss', async () => {
    value(await svc.call('project.open', { dir }));
    const p = value(await svc.call('selector.preview', { project: dir, kind: 'model', selector: { type: 'classifier', tags: ['base'] } }));
    expect(p.matches.map((m) => m.urn)).toEqual(['model:base']);
    const miss = p.misses.find((m) => m.urn === 'mnist:model');
    expect(miss?.clause).toBe('tags');
    expect(miss?.reason).toMatch(/base/);
    const bad = value(await svc.call('selector.preview', { project: dir, kind: 'model', selector: { acuracy: 0.9 } }));
    expect(bad.problems[0].message).toMatch(/accuracy/);
    expect(bad.matches).toEqual([]);
  });

  it('creates a function from a template, saves workflow and layout, and rejects an invalid workflow', async () => {
    const snap = value(await svc.call('project.open', { dir }));
    const c = value(await svc.call('project.functions.create', { project: dir, functionId: 'score', template: 'inference' }));
    expect(existsSync(join(dir, 'functions/score.ts'))).toBe(true);
    expect(c.snapshot.functions.some((f) => f.id === 'score')).toBe(true);
    expect(c.snapshot.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const dup = await svc.call('project.functions.create', { project: dir, functionId: 'score', template: 'inference' });
    expect(dup.ok).toBe(false);

    const wfRev = snap.files.find((f) => f.path === 'workflow.json')!.revision;
    const wf = { ...snap.workflow, triggers: [...snap.workflow.triggers, { kind: 'http', id: 'score-http', function: 'score', method: 'POST' }] };
    const saved = value(await svc.call('workflow.save', { project: dir, workflow: wf, expectedRevision: wfRev }));
    expect(saved.snapshot.graph.nodes.some((n) => n.id === 'trigger:score-http')).toBe(true);
    const invalid = await svc.call('workflow.save', { project: dir, workflow: { ...wf, name: '1bad' }, expectedRevision: saved.revision });
    expect(invalid.ok).toBe(false);
    if (!invalid.ok) expect(invalid.error.message).toMatch(/name/);

    const layout = value(await svc.call('layout.save', { project: dir, layout: { nodes: { 'fn:train': { x: 10.123, y: 20 } }, viewport: { x: 0, y: 0, zoom: 1 } } }));
    expect(layout.layout.nodes['fn:train']).toEqual({ x: 10.12, y: 20 });
    expect(JSON.parse(readFileSync(join(dir, 'layout.json'), 'utf8')).nodes['fn:train'].x).toBe(10.12);
  });

  it('emits project.changed with the origin client', async () => {
    const client = svc.client('window-1');
    const events: unknown[] = [];
    client.on('project.changed', (e) => events.push(e));
    const snap = value(await client.call('project.open', { dir }));
    const rev = snap.files.find((f) => f.path === 'functions/refine.ts')!.revision;
    value(await client.call('decorators.edit', { project: dir, path: 'functions/refine.ts', functionId: 'refine', patch: { op: 'set', decorator: 'policy.deadline', args: ['1s'] }, expectedRevision: rev }));
    expect(events).toEqual([{ project: dir, paths: ['functions/refine.ts'], origin: 'window-1' }]);
  });

  it('serves the SDK typings, the schema and its own method list', async () => {
    const t = value(await svc.call('sdk.typings', {}));
    expect(t.files.some((f) => f.path.endsWith('edge-ai-studio/sdk/index.ts'))).toBe(true);
    expect(t.files.find((f) => f.path.endsWith('sdk/decorators.ts'))?.content).toMatch(/export const consumes/);
    const s = value(await svc.call('schema', { name: 'workflow' }));
    expect(s.schema.title).toMatch(/workflow/);
    const info = value(await svc.call('studio.info', {}));
    expect(info.methods.sort()).toEqual(Object.keys(METHODS).sort());
    // features.runtime says the runtime's methods answer: they do (the file's own home, its cluster stopped)
    try {
      const status = await svc.call('cluster.status', {});
      expect(info.features.runtime).toBe(status.ok);
      expect(value(status)).toMatchObject({ cluster: 'local', up: false, nodes: [] });
      expect(value(await svc.call('runs.list', {}))).toEqual([]);
    } finally {
      await svc.close();
    }
  });
});

describe('StudioService project.create', () => {
  let root: string;
  const home = process.env.HOME;
  beforeAll(() => {
    root = tmp('studio-create-');
  });
  afterAll(() => {
    process.env.HOME = home;
    rmSync(root, { recursive: true, force: true });
  });

  it('creates a project from the template that inspects clean, and opens it', async () => {
    const svc = new StudioService();
    const snap = value(await svc.call('project.create', { dir: join(root, 'air-quality') }));
    expect(ProjectSnapshotSchema.safeParse(snap).success).toBe(true);
    expect(snap).toMatchObject({ name: 'air-quality', dir: join(root, 'air-quality') });
    expect(snap.functions.map((f) => f.id)).toEqual(['summarize']);
    expect(snap.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(snap.graph.edges.some((e) => e.source === 'source:sensor:readings' && e.target === 'fn:summarize')).toBe(true);
    // it is open: the next call on it works
    expect(value(await svc.call('project.snapshot', { project: snap.dir })).name).toBe('air-quality');
  });

  it('never writes into a folder that has files, and wants a full path (or ~)', async () => {
    const svc = new StudioService();
    cpSync(SAMPLE, join(root, 'taken'), { recursive: true });
    const before = readFileSync(join(root, 'taken', 'workflow.json'), 'utf8');
    const taken = await svc.call('project.create', { dir: join(root, 'taken') });
    expect(!taken.ok && taken.error).toMatchObject({ code: 'project-exists', hint: expect.stringMatching(/new folder name/) });
    expect(readFileSync(join(root, 'taken', 'workflow.json'), 'utf8')).toBe(before);
    const relative = await svc.call('project.create', { dir: 'my-flow' });
    expect(!relative.ok && relative.error).toMatchObject({ code: 'bad-path', message: "'my-flow' is a relative path", hint: expect.stringMatching(/full path/) });
    process.env.HOME = root;
    const tilde = value(await svc.call('project.create', { dir: '~/from-home', name: 'homely' }));
    expect(tilde).toMatchObject({ dir: join(root, 'from-home'), name: 'homely' });
  });
});

describe('StudioService file deletion', () => {
  it('deletes a function file with its revision and returns the content for undo', async () => {
    const dir = tmp('studio-svc-');
    cpSync(SAMPLE, dir, { recursive: true });
    const svc = new StudioService();
    const snap = value(await svc.call('project.open', { dir }));
    const f = snap.files.find((x) => x.path === 'functions/refine.ts')!;
    const stale = await svc.call('project.files.delete', { project: dir, path: f.path, expectedRevision: f.revision + 5 });
    expect(stale.ok).toBe(false);
    const d = value(await svc.call('project.files.delete', { project: dir, path: f.path, expectedRevision: f.revision }));
    expect(d.before).toBe(f.source);
    expect(existsSync(join(dir, f.path))).toBe(false);
    expect(d.snapshot.functions.some((x) => x.id === 'refine')).toBe(false);
    const back = value(await svc.call('project.files.write', { project: dir, path: f.path, source: d.before, expectedRevision: 0 }));
    expect(back.snapshot.functions.some((x) => x.id === 'refine')).toBe(true);
    expect((await svc.call('project.files.delete', { project: dir, path: 'workflow.json', expectedRevision: 1 })).ok).toBe(false);
  });
});

describe('StudioService runtime: errors as values without a cluster', () => {
  let home: string;
  let dir: string;
  let svc: StudioService;
  beforeAll(() => {
    home = tmp('studio-rt-home-');
    dir = tmp('studio-rt-');
    cpSync(SAMPLE, dir, { recursive: true });
    svc = new StudioService({ runtime: { home, cluster: `svc-down-${process.pid}` } });
  });
  afterAll(async () => {
    await svc.close({ down: true });
    rmSync(home, { recursive: true, force: true });
  });

  it('reports a stopped cluster, refuses to deploy to it with what to do, and validates requests', async () => {
    value(await svc.call('project.open', { dir }));
    const status = value(await svc.call('cluster.status', {}));
    expect(status.up).toBe(false);
    // a topology made for simulation is refused before anything starts, with what to do instead
    const big = await svc.call('cluster.up', { topology: 'urban-sensing' });
    expect(!big.ok && big.error).toMatchObject({
      code: 'topology-too-large',
      message: expect.stringMatching(/topology 'urban-sensing' has 91 nodes; .* at most 32; nothing was started/),
      hint: expect.stringMatching(/simulate it instead/),
    });
    expect(value(await svc.call('cluster.status', {})).up).toBe(false);
    const check = value(await svc.call('deploy.check', { project: dir }));
    expect(check).toMatchObject({ workflow: 'mnist', errors: [], warnings: [] });
    expect(check.functions.sort()).toEqual(['inference', 'refine', 'train', 'trainFair']);
    const events: string[] = [];
    svc.on('deploy.function', (e) => events.push(`${e.function}:${e.status}:${e.reason ?? ''}`));
    const down = await svc.call('deploy', { project: dir });
    expect(down.ok).toBe(false);
    if (!down.ok) {
      expect(down.error.code).toBe('cluster-down');
      expect(down.error.hint).toMatch(/Cluster panel|cluster up/);
    }
    // no function is left "in progress": each got a failed event with the reason
    expect(events.sort()).toEqual(['inference', 'refine', 'train', 'trainFair'].map((f) => expect.stringMatching(new RegExp(`^${f}:failed:the deploy stopped before ${f} was ready: .*not running`))));
    const bad = await svc.call('invoke', { workflow: '', function: 'train' });
    expect(!bad.ok && bad.error.code).toBe('invalid-request');
    const noRun = await svc.call('runs.get', { id: 'nope' });
    expect(!noRun.ok && noRun.error.code).toBe('run-not-found');
    const noArtifact = await svc.call('artifacts.lineage', { urn: 'mnist:nothing' });
    expect(!noArtifact.ok && noArtifact.error.code).toBe('artifact-not-found');
    const noFn = await svc.call('schedule.explain', { project: dir, function: 'nope' });
    expect(!noFn.ok && noFn.error.code).toBe('function-not-found');
  });

  it('refuses a deploy with errors, and one with warnings unless accepted', async () => {
    const d = tmp('studio-rt-warn-');
    cpSync(SAMPLE, d, { recursive: true });
    // a selector that matches nothing: a dangling input is a warning
    const f = join(d, 'functions/refine.ts');
    writeFileSync(f, readFileSync(f, 'utf8').replace("urn: 'model:base'", "urn: 'model:nothing'"));
    value(await svc.call('project.open', { dir: d }));
    const check = value(await svc.call('deploy.check', { project: d }));
    expect(check.errors).toEqual([]);
    expect(check.warnings.length).toBeGreaterThan(0);
    const r = await svc.call('deploy', { project: d });
    expect(!r.ok && r.error.code).toBe('deploy-warnings');
    if (!r.ok) expect(r.error.hint).toMatch(/Deploy anyway/);
    const anyway = await svc.call('deploy', { project: d, acceptWarnings: true });
    expect(!anyway.ok && anyway.error.code).toBe('cluster-down');
    writeFileSync(f, readFileSync(f, 'utf8').replace('@policy.fn(', '@policy.fn(42, '));
    const broken = await svc.call('deploy', { project: d, acceptWarnings: true });
    expect(!broken.ok && broken.error.code).toBe('deploy-invalid');
    if (!broken.ok) expect(broken.error.message).toMatch(/functions\/refine\.ts:\d+:\d+/);
  });

  it('explains a placement on the local topology, and serves real digits', async () => {
    const e = value(await svc.call('schedule.explain', { project: dir, function: 'inference' }));
    expect(e.topology).toBe('local');
    expect(e.profile).toBe('edge-ai');
    expect(['edge-1', 'edge-2']).toContain(e.node);
    expect(e.deployedOn).toBeNull();
    expect(e.nodes.find((n) => n.node === 'cloud-1')).toMatchObject({ status: 'filtered' });
    expect(e.nodes.find((n) => n.node === e.node)?.status).toBe('chosen');
    const digit = value(await svc.call('samples.digit', { digit: 7, index: 3 }));
    expect(digit.label).toBe(7);
    expect(digit.pixels).toHaveLength(784);
    expect(Math.max(...digit.pixels)).toBeGreaterThan(0.5);
    expect(Math.min(...digit.pixels)).toBeGreaterThanOrEqual(0);
  });
});

describe('StudioService runtime on the process backend', () => {
  let sysfs: FakeSysfs;
  let home: string;
  let dir: string;
  let svc: StudioService;
  const events: Array<{ function: string; status: string; reason?: string }> = [];
  beforeAll(async () => {
    home = tmp('studio-rt-home-');
    dir = tmp('studio-rt-');
    cpSync(SAMPLE, dir, { recursive: true });
    // an empty USB tree: a stick plugged into the machine running the tests must not change them
    sysfs = new FakeSysfs();
    svc = new StudioService({ runtime: { home, cluster: `svc-${process.pid}` }, accelerators: { sysfsRoot: sysfs.sysfsRoot, devRoot: sysfs.devRoot } });
    svc.on('deploy.function', (e) => events.push(e));
    value(await svc.call('project.open', { dir }));
  }, 180_000);
  afterAll(async () => {
    await svc?.close({ down: true });
    rmSync(home, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
    sysfs?.dispose();
  }, 120_000);

  const steps = async () => value(await svc.call('project.nextSteps', { project: dir })).steps;
  const doneOf = (ss: Awaited<ReturnType<typeof steps>>) => Object.fromEntries(ss.map((x) => [x.id, x.done]));

  it('next steps on a stopped cluster (issue 13, item 2): start it, deploy, run train for the model inference needs, try classify', async () => {
    const ss = await steps();
    // the model classify needs comes right before trying it; refine's (no request triggers it) after
    expect(ss.map((x) => x.id)).toEqual(['cluster', 'deploy', 'model:inference:0', 'try:classify', 'model:refine:0']);
    expect(ss.every((x) => !x.done)).toBe(true);
    expect(ss[0].action).toEqual({ kind: 'cluster-up' });
    expect(ss[2]).toMatchObject({ title: 'Run train: it makes the model inference needs', action: { kind: 'run', function: 'train' }, detail: expect.stringMatching(/train produces mnist:model/) });
    expect(ss[3]).toMatchObject({ title: 'Try classify: invoke inference', action: { kind: 'try', function: 'inference' } });
    expect(ss[4]).toMatchObject({ action: { kind: 'run', function: 'trainFair' } });
  });

  it('one cluster operation at a time: of two starts of a stopped cluster, one starts it and the other is refused as busy', async () => {
    expect(value(await svc.call('cluster.status', {})).up).toBe(false);
    const [a, b] = await Promise.all([svc.call('cluster.up', { backend: 'process', topology: 'local' }), svc.call('cluster.up', { backend: 'process', topology: 'local' })]);
    const started = [a, b].filter((r) => r.ok);
    const refused = [a, b].filter((r) => !r.ok);
    expect(started).toHaveLength(1);
    expect(refused.map((r) => !r.ok && r.error)).toEqual([expect.objectContaining({ code: 'cluster-busy', message: 'the cluster is already starting or stopping' })]);
    // the one that ran started every node once
    const s = value(await svc.call('cluster.status', {}));
    expect(s.up).toBe(true);
    expect(s.nodes.map((n) => `${n.name}:${n.status}`)).toEqual(['laptop:Ready', 'edge-1:Ready', 'edge-2:Ready', 'cloud-1:Ready']);
    expect(new Set(s.nodes.map((n) => n.pid)).size).toBe(4);
  }, 180_000);

  it('deploys: every function ends ready, and the last event of each says so', async () => {
    const r = value(await svc.call('deploy', { project: dir }));
    expect(r.functions.map((f) => `${f.id}:${f.status}`).sort()).toEqual(['inference:ready', 'refine:ready', 'train:ready', 'trainFair:ready']);
    for (const f of ['inference', 'refine', 'train', 'trainFair']) expect(events.filter((e) => e.function === f).at(-1)?.status).toBe('ready');
    expect(events.filter((e) => e.function === 'train').map((e) => e.status)).toEqual(['scheduled', 'shipped', 'started', 'ready']);
    const s = value(await svc.call('cluster.status', {}));
    expect(s.up).toBe(true);
    expect(s.nodes.find((n) => n.name === 'cloud-1')?.functions).toContain('mnist/train');
  }, 180_000);

  it('user errors are not studio bugs: a model not trained yet and the function\'s own throw say what happened and what to do (issue 13, item 7)', async () => {
    // inference needs a classifier with accuracy >= 0.88: none is trained yet
    const noModel = await svc.call('invoke', { workflow: 'mnist', function: 'inference', input: { pixels: Array(784).fill(0) } });
    expect(noModel.ok).toBe(false);
    if (!noModel.ok) {
      expect(noModel.error.code).not.toBe('internal-error');
      expect(`${noModel.error.message} ${noModel.error.hint ?? ''}`).not.toMatch(/please report|studio service failed/);
      expect(noModel.error.message).toMatch(/classifier|model/);
      expect(noModel.error.hint).toMatch(/train|publish|run/i);
    }
    // the function throws on a bad input: its own message, not the studio's
    await svc.call('invoke', { workflow: 'mnist', function: 'train', input: {} });
    const threw = await svc.call('invoke', { workflow: 'mnist', function: 'inference', input: { pixels: [1, 2] } });
    expect(threw.ok).toBe(false);
    if (!threw.ok) {
      expect(threw.error.code).not.toBe('internal-error');
      expect(threw.error.message).toMatch(/input must be \{ "pixels": \[784 numbers between 0 and 1\] \}/);
      expect(`${threw.error.message} ${threw.error.hint ?? ''}`).not.toMatch(/please report|studio service failed/);
    }
  }, 180_000);

  it('next steps follow the state: the cluster up, the workflow deployed, the model trained; classify is done once inference answered', async () => {
    // here: deployed, train ran, inference failed twice (the test above)
    expect(doneOf(await steps())).toEqual({ cluster: true, deploy: true, 'model:inference:0': true, 'model:refine:0': false, 'try:classify': false });
    const digit = value(await svc.call('samples.digit', { digit: 3 }));
    value(await svc.call('invoke', { workflow: 'mnist', function: 'inference', input: { pixels: digit.pixels } }));
    expect(doneOf(await steps())['try:classify']).toBe(true);
    // trainFair's bias gate keeps its model back when its base model is unfair across digits (it
    // usually is: disparate impact ~0.7 against >=0.8); training is not seeded, so either way the step says what happened
    const fair = value(await svc.call('invoke', { workflow: 'mnist', function: 'trainFair', input: {} }));
    const refine = (await steps()).find((x) => x.id === 'model:refine:0')!;
    if (fair.gates.some((g) => !g.pass)) expect(refine, JSON.stringify(refine)).toMatchObject({ done: false, detail: expect.stringMatching(/^trainFair ran, but its gate kept the model back \(bias disparate_impact 0\.\d{3}, needs >=0\.8\)/) });
    else expect(refine).toMatchObject({ done: true, detail: "the registry has a model that matches refine's selector" });
    // an error in the project comes first
    const f = join(dir, 'functions/refine.ts');
    const before = readFileSync(f, 'utf8');
    writeFileSync(f, before.replace('@consumes.model(', '@consumes.model(42, '));
    try {
      const ss = await steps();
      expect(ss[0]).toMatchObject({ id: 'fix', done: false, action: { kind: 'problems' } });
    } finally {
      writeFileSync(f, before);
    }
  }, 180_000);

  it('a function that cannot be placed is a problem before any deploy (issue 13, item 6), and deployed anyway ends failed with the scheduler’s reason', async () => {
    const f = join(dir, 'functions/inference.ts');
    writeFileSync(f, readFileSync(f, 'utf8').replace("@policy.fn({ node: 'edge' })", "@policy.fn({ node: 'edge', capability: 'tpu' })"));
    // checked where the deploy would place it: the running cluster's nodes (none has a tpu)
    const snap = value(await svc.call('project.snapshot', { project: dir }));
    expect(snap.diagnostics.filter((d) => d.code === 'placement-infeasible')).toEqual([
      expect.objectContaining({ severity: 'warning', node: 'fn:inference', file: 'functions/inference.ts', message: expect.stringMatching(/no node can run inference.*capability tpu/s) }),
    ]);
    const check = value(await svc.call('deploy.check', { project: dir }));
    expect(check.warnings.map((w) => w.code)).toContain('placement-infeasible');
    const refused = await svc.call('deploy', { project: dir });
    expect(refused.ok ? undefined : refused.error).toMatchObject({ code: 'deploy-warnings', message: expect.stringMatching(/no node can run inference/) });
    events.length = 0;
    const r = value(await svc.call('deploy', { project: dir, acceptWarnings: true }));
    const inf = r.functions.find((x) => x.id === 'inference')!;
    expect(inf.status).toBe('failed');
    expect(inf.reason).toMatch(/tpu/);
    expect(events.filter((e) => e.function === 'inference').at(-1)).toMatchObject({ status: 'failed', reason: expect.stringMatching(/tpu/) });
  }, 180_000);

  it('one cluster operation at a time: of a stop and a start sent together, the stop runs and the start is refused as busy', async () => {
    const pids = value(await svc.call('cluster.status', {})).nodes.map((n) => n.pid!);
    const [down, up] = await Promise.all([svc.call('cluster.down', {}), svc.call('cluster.up', { backend: 'process', topology: 'local' })]);
    expect(down.ok).toBe(true);
    expect(!up.ok && up.error).toMatchObject({ code: 'cluster-busy', message: 'the cluster is already starting or stopping' });
    // the stop ran alone: the cluster is down, its node processes are gone, none started
    const s = value(await svc.call('cluster.status', {}));
    expect(s.up).toBe(false);
    expect(s.nodes.map((n) => n.status)).toEqual(['Stopped', 'Stopped', 'Stopped', 'Stopped']);
    for (const pid of pids) expect(alive(pid), `node process ${pid}`).toBe(false);
  }, 120_000);
});

/** Running: answers kill 0 and is no zombie (an exited child not reaped yet still answers kill 0). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return !existsSync('/proc/self'); // gone meanwhile; without /proc, kill 0 is all there is
  }
}

describe('StudioService simulation', () => {
  let dir: string;
  let svc: StudioService;
  beforeAll(async () => {
    dir = tmp('studio-sim-');
    cpSync(SAMPLE, dir, { recursive: true });
    svc = new StudioService();
    value(await svc.call('project.open', { dir }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('simulates the saved project on a scenario, once per profile on the same arrivals, with progress', async () => {
    const progress: Array<{ done: number; total?: number; finished?: boolean; message?: string }> = [];
    const off = svc.on('progress', (p) => {
      if (p.id === 'simulate') progress.push(p);
    });
    const r = value(await svc.call('simulate.run', { project: dir, topology: 'urban-sensing', profiles: ['edge-ai', 'kube-default'], duration: '10m', seed: 2, rates: { inference: 2 } }));
    off();
    expect(METHODS['simulate.run'].response.safeParse(r).success).toBe(true);
    expect(r.topology).toEqual({ name: 'urban-sensing', nodes: 91, source: 'scenario' });
    expect(r.reports.map((x) => x.profile)).toEqual(['edge-ai', 'kube-default']);
    // the comparison line of each, as the CLI prints it
    expect(r.summaries.map((x) => x.profile)).toEqual(['edge-ai', 'kube-default']);
    expect(r.summaries[1]).toMatchObject({ completed: r.reports[1].totals.completed, wanUpBytes: 0, edgeUtilisation: 0 });
    expect(r.summaries[0].edgeUtilisation).toBeGreaterThan(0.5);
    const inf = r.reports.map((x) => x.functions.find((f) => f.function === 'inference')!);
    // the same arrivals for both profiles, about 2/s for 600 s
    expect(inf[0].arrivals).toBe(inf[1].arrivals);
    expect(inf[0].arrivalsChecksum).toBe(inf[1].arrivalsChecksum);
    expect(inf[0].arrivals).toBeGreaterThan(1000);
    expect(inf[0].arrivals).toBeLessThan(1400);
    // kube-default ignores the edge policy: everything lands in the cloud
    expect(r.reports[1].deploy.find((d) => d.function === 'inference')!.node).toMatch(/^cloud-vm-/);
    expect(r.reports[0].deploy.find((d) => d.function === 'inference')!.node).not.toMatch(/^cloud-vm-/);
    // progress: rising, across both profiles, then finished
    expect(progress.length).toBeGreaterThan(2);
    expect(progress.at(-1)).toMatchObject({ done: 200, total: 200, finished: true });
    expect(progress.some((p) => /kube-default: \d+% of 10m simulated/.test(p.message ?? ''))).toBe(true);
  });

  it('simulates a function with an execution-time profile of docs/reference.md §4 instead of the small default', async () => {
    const small = value(await svc.call('simulate.run', { project: dir, duration: '5m', seed: 5 }));
    const tflite = value(await svc.call('simulate.run', { project: dir, duration: '5m', seed: 5, workloads: { inference: 'mobilenet-inference-tflite' } }));
    const exec = (r: typeof small) => r.reports[0].functions.find((f) => f.function === 'inference')!.execution.p50;
    // on the local topology's edge boxes: a NUC runs mobilenet in ~0.3 s, the small default in well under 0.1 s
    expect(exec(small)).toBeLessThan(0.1);
    expect(exec(tflite)).toBeGreaterThan(0.2);
    const bad = await svc.call('simulate.run', { project: dir, workloads: { inference: 'gpt-inference' } });
    expect(!bad.ok && bad.error).toMatchObject({ code: 'invalid-request', message: expect.stringMatching(/workloads\.inference/) });
    const unknown = await svc.call('simulate.run', { project: dir, workloads: { infer: 'resnet-preprocessing' } });
    expect(!unknown.ok && unknown.error).toMatchObject({ code: 'function-not-found', message: expect.stringMatching(/execution profile for 'infer'/) });
  });

  it("uses the project's own topology by default (workflow.json target, else local)", async () => {
    const r = value(await svc.call('simulate.run', { project: dir, duration: '2m' }));
    expect(r.reports).toHaveLength(1);
    expect(r.reports[0].profile).toBe('edge-ai');
    expect(r.topology.source).toMatch(/workflow\.json target|default \(local\)/);
  });

  it('says what is wrong with a request, and runs nothing', async () => {
    const err = async (params: Record<string, unknown>) => {
      const res = await svc.call('simulate.run', { project: dir, ...params });
      if (res.ok) throw new Error('expected an error');
      return res.error;
    };
    await expect(err({ topology: 'urban-sensng' })).resolves.toMatchObject({ code: 'bad-topology', message: expect.stringMatching(/did you mean 'urban-sensing'/) });
    await expect(err({ topology: '/etc/passwd' })).resolves.toMatchObject({ code: 'bad-topology', hint: expect.stringMatching(/topology\.json/) });
    await expect(err({ topology: 'urban-sensing:cells=0' })).resolves.toMatchObject({ code: 'bad-topology', message: expect.stringMatching(/cells=0: give a whole number/) });
    await expect(err({ profiles: ['edge-aj'] })).resolves.toMatchObject({ code: 'bad-profile' });
    await expect(err({ profiles: ['skippy', 'skippy'] })).resolves.toMatchObject({ code: 'bad-profile' });
    await expect(err({ profiles: [] })).resolves.toMatchObject({ code: 'invalid-request', message: expect.stringMatching(/at least one scheduler profile/) });
    await expect(err({ duration: 'soon' })).resolves.toMatchObject({ code: 'bad-duration', hint: expect.stringMatching(/600s, 30m or 1h/) });
    await expect(err({ duration: '800h' })).resolves.toMatchObject({ code: 'bad-duration', message: expect.stringMatching(/at most 30 days/) });
    await expect(err({ rates: { infrence: 2 } })).resolves.toMatchObject({ code: 'function-not-found', hint: expect.stringMatching(/inference/) });
    await expect(err({ rates: { inference: -1 } })).resolves.toMatchObject({ code: 'invalid-request' });
    await expect(err({ duration: '150h', rates: { inference: 5 } })).resolves.toMatchObject({ code: 'simulation-too-large', message: expect.stringMatching(/^2,\d{3},\d{3} invocations per profile/) });
  });

  it('one simulation at a time; cancel stops it with a readable error', async () => {
    // it got going: the first progress of a simulated instant after the start
    let off = () => {};
    const going = new Promise<void>((ok) => {
      off = svc.on('progress', (p) => {
        if (p.id === 'simulate' && p.done > 0 && !p.finished) ok();
      });
    });
    const first = svc.call('simulate.run', { project: dir, topology: 'urban-sensing', duration: '2h', rates: { inference: 20 } });
    const second = await svc.call('simulate.run', { project: dir, duration: '1m' });
    expect(second.ok ? 'ok' : second.error.code).toBe('simulate-busy');
    // once it got going, stop it
    await going;
    off();
    expect(value(await svc.call('simulate.cancel', {}))).toEqual({ cancelled: true });
    const r = await first;
    expect(r.ok ? 'ok' : r.error.code).toBe('cancelled');
    expect(value(await svc.call('simulate.cancel', {}))).toEqual({ cancelled: false });
    // a cancel that arrives before the simulation got going (its modules loading) stops it too
    const early = svc.call('simulate.run', { project: dir, topology: 'urban-sensing', duration: '2h', rates: { inference: 20 } });
    expect(value(await svc.call('simulate.cancel', {}))).toEqual({ cancelled: true });
    const e = await early;
    expect(e.ok ? 'ok' : e.error.code).toBe('cancelled');
    // the service still answers, and the next simulation runs
    expect(value(await svc.call('simulate.run', { project: dir, duration: '1m' })).reports).toHaveLength(1);
  });
});

describe('StudioService: USB accelerators (a fake sysfs tree: this machine has no USB bus)', () => {
  let sysfs: FakeSysfs;
  let home: string;
  let dir: string;
  let svc: StudioService;
  beforeAll(async () => {
    sysfs = new FakeSysfs();
    home = tmp('studio-usb-home-');
    dir = tmp('studio-usb-');
    cpSync(SAMPLE, dir, { recursive: true });
    svc = new StudioService({ runtime: { home, cluster: `usb-${process.pid}` }, accelerators: { sysfsRoot: sysfs.sysfsRoot, devRoot: sysfs.devRoot, intervalMs: 40 } });
    value(await svc.call('project.open', { dir }));
  });
  afterAll(async () => {
    await svc?.close({ down: true });
    rmSync(home, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
    sysfs.dispose();
  }, 120_000);

  it('lists the sticks with their access, and the udev rules that grant it', async () => {
    sysfs.plug(coralBootloader()).plug(keyboard()).plug({ ...ncs2Ready(), devNode: false });
    const r = value(await svc.call('accelerators.list', {}));
    expect(METHODS['accelerators.list'].response.safeParse(r).success).toBe(true);
    expect(r.accelerators.map((a) => `${a.name} ${a.capability} ${a.state} ${a.port}`)).toEqual(['Google Coral USB Accelerator tpu bootloader 1-1.2', 'Intel Neural Compute Stick 2 vpu ready 2-3']);
    expect(r.accelerators[0].access).toMatchObject({ ok: true });
    expect(r.accelerators[1].access).toMatchObject({ ok: false, problem: 'missing', hint: expect.stringMatching(/bind \/dev\/bus\/usb/) });
    expect(r.udevFile).toBe('/etc/udev/rules.d/99-edge-accelerators.rules');
    expect(r.udevRules).toMatch(/1a6e/);
    expect(r.udevRules).toMatch(/03e7/);
  });

  it('streams hot-plug: firmware loaded (one stick, new ids), pulled out', async () => {
    // the sticks of the test above (plugged again when this one runs alone), and the watcher running
    sysfs.plug(coralBootloader()).plug({ ...ncs2Ready(), devNode: false });
    // the watcher's baseline is taken when accelerators.list starts it (cluster/accelerators/watch.ts): what changes from here is reported
    expect(value(await svc.call('accelerators.list', {})).accelerators).toHaveLength(2);
    const seen: Array<EventPayload<'accelerators.changed'>> = [];
    const off = svc.on('accelerators.changed', (e) => seen.push(e));
    try {
      sysfs.plug(coralReady());
      sysfs.unplug('2-3');
      for (let i = 0; i < 400 && seen.length < 2; i++) await new Promise((r) => setTimeout(r, 25)); // up to 10 s on a loaded machine
      expect(seen.map((e) => `${e.type} ${e.accelerator.kind} ${e.accelerator.state}`).sort()).toEqual(['changed coral ready', 'detached ncs2 ready']);
      expect(seen.find((e) => e.type === 'changed')!.previous).toMatchObject({ state: 'bootloader', productId: '089a' });
    } finally {
      off();
    }
  });

  it('cluster.up attaches the stick to the laptop, and a function that needs a TPU deploys there', async () => {
    sysfs.plug(coralReady()); // (as the test above left it)
    const progress: string[] = [];
    const off = svc.on('cluster.progress', (e) => progress.push(e.message));
    const s = value(await svc.call('cluster.up', { backend: 'process', topology: 'local' }));
    off();
    expect(progress).toContain('attached coral (tpu, /dev/bus/usb/001/006) to node laptop');
    expect(s.nodes.find((n) => n.name === 'laptop')!.capabilities).toContain('tpu');
    expect(s.nodes.find((n) => n.name === 'edge-1')!.capabilities).not.toContain('tpu');
    // the laptop's agent watches the studio's tree (not /sys): cluster.status carries its line, as `edgeai cluster status` prints it
    let line = '';
    for (let i = 0; i < 200 && !/^tpu: stick present, /.test(line); i++) {
      const st = value(await svc.call('cluster.status', {}));
      expect(METHODS['cluster.status'].response.parse(st).nodes.find((n) => n.name === 'laptop')!.accelerators!.lines).toEqual(st.nodes.find((n) => n.name === 'laptop')!.accelerators!.lines);
      line = st.nodes.find((n) => n.name === 'laptop')!.accelerators!.lines[0] ?? '';
      if (!/^tpu: stick present, /.test(line)) await new Promise((r) => setTimeout(r, 50));
    }
    expect(line).toMatch(/^tpu: stick present, /);
    expect(value(await svc.call('cluster.status', {})).nodes.find((n) => n.name === 'edge-1')!.accelerators).toBeUndefined();
    const f = join(dir, 'functions/inference.ts');
    writeFileSync(f, readFileSync(f, 'utf8').replace("@policy.fn({ node: 'edge' })", "@policy.fn({ capability: 'tpu' })"));
    // the running cluster's laptop has the stick: no placement problem, although topology 'local' has no tpu
    const snap = value(await svc.call('project.snapshot', { project: dir }));
    expect(snap.diagnostics.filter((d) => d.code === 'placement-infeasible')).toEqual([]);
    const r = value(await svc.call('deploy', { project: dir, acceptWarnings: true }));
    expect(r.functions.find((x) => x.id === 'inference')).toMatchObject({ status: 'ready', node: 'laptop' });
    const e = value(await svc.call('schedule.explain', { project: dir, function: 'inference' }));
    expect(e.nodes.find((n) => n.node === 'edge-1')).toMatchObject({ status: 'filtered', reason: expect.stringMatching(/tpu/) });
  }, 180_000);
});

describe('StudioService.close', () => {
  it('does not wait for a controller still opening (the runtime loading) and closes it once it has opened', async () => {
    const { Controller } = await import('../runtime/controller');
    const closed = vi.spyOn(Controller.prototype, 'close');
    let load!: () => void;
    const loading = new Promise<void>((r) => (load = r));
    const svc = new StudioService({ runtime: { home: tmp('svc-close-home-'), cluster: `svc-close-${process.pid}` }, beforeRuntime: () => loading });
    try {
      const status = svc.call('cluster.status', {});
      // closing returns while the runtime is still loading (the web server exits right after)
      await svc.close();
      expect(closed).not.toHaveBeenCalled();
      load();
      // the status call still gets its answer, and the controller it opened is closed
      expect((await status).ok).toBe(true);
      await vi.waitFor(() => expect(closed).toHaveBeenCalledTimes(1), { timeout: 30_000 });
    } finally {
      closed.mockRestore();
    }
  }, 60_000);
});
