import { describe, expect, it, beforeEach } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StudioService } from './service';
import { METHODS, ProjectSnapshotSchema, type ApiResult } from './contract';

const SAMPLE = join(import.meta.dirname, '..', '..', 'samples', 'mnist');

function value<T>(r: ApiResult<T>): T {
  if (!r.ok) throw new Error(`expected ok, got ${r.error.code}: ${r.error.message}`);
  return r.value;
}

describe('StudioService', () => {
  let dir: string;
  let svc: StudioService;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'studio-svc-'));
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
    const unknown = await svc.call('deploy' as never, {});
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
    // train consumes mnist:data; point it at the user's data instead
    const e = value(await svc.call('graph.connect', { project: dir, producer: 'source:mnist:user:alice', consumer: 'fn:train' }));
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
    expect(info.features.runtime).toBe(false);
  });
});

describe('StudioService file deletion', () => {
  it('deletes a function file with its revision and returns the content for undo', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'studio-svc-'));
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
