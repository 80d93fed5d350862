/** Project paths stay inside the project, symbolic links followed (issue 11, item 12). */
import { afterAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { containedPath, staysInside } from './paths';
import { loadProject } from './project';
import { StudioService } from '../server/service';

const ROOT = join(import.meta.dirname, '..', '..');
const made: string[] = [];
const tmp = (p: string) => {
  const d = mkdtempSync(join(tmpdir(), p));
  made.push(d);
  return d;
};
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** samples/mnist with links out of it: a function file, a data file and a folder pointing outside. */
function linkedProject(): { dir: string; secret: string } {
  const outside = tmp('edgeai-outside-');
  const secret = join(outside, 'secret.txt');
  writeFileSync(secret, 'the password is hunter2\n');
  mkdirSync(join(outside, 'more'));
  writeFileSync(join(outside, 'more', 'stolen.ts'), "export const stolen = 'hunter2';\n");
  const dir = join(tmp('edgeai-links-'), 'p');
  cpSync(join(ROOT, 'samples', 'mnist'), dir, { recursive: true });
  symlinkSync(secret, join(dir, 'functions', 'leak.ts'));
  symlinkSync(join(outside, 'more'), join(dir, 'functions', 'more'));
  mkdirSync(join(dir, 'data'), { recursive: true });
  symlinkSync(secret, join(dir, 'data', 'rows.csv'));
  return { dir, secret };
}

describe('paths inside a project', () => {
  it('refuses .., absolute paths and links out; allows files not written yet', () => {
    const { dir } = linkedProject();
    expect(staysInside(dir, 'functions/train.ts')).toBe(true);
    expect(staysInside(dir, 'functions/new/file.ts')).toBe(true);
    expect(staysInside(dir, '../x')).toBe(false);
    expect(staysInside(dir, '/etc/passwd')).toBe(false);
    expect(staysInside(dir, 'functions/leak.ts')).toBe(false);
    expect(staysInside(dir, 'functions/more/stolen.ts')).toBe(false);
    expect(() => containedPath(dir, 'functions/leak.ts')).toThrow(/outside the project folder .*a symbolic link leads out of it/);
  });

  it('loading a project neither reads nor shows a linked file out of it', () => {
    const { dir } = linkedProject();
    const p = loadProject(dir);
    expect(p.files.map((f) => f.path)).not.toContain('functions/leak.ts');
    expect(p.files.map((f) => f.path)).not.toContain('functions/more/stolen.ts');
    expect(JSON.stringify(p)).not.toContain('hunter2');
  });

  it("the studio's file methods refuse a path that links out, and a data source that does is an error before any deploy", async () => {
    const { dir, secret } = linkedProject();
    const wf = JSON.parse(readFileSync(join(dir, 'workflow.json'), 'utf8'));
    wf.dataSources.push({ urn: 'leak:rows', type: 'table', tags: [], format: 'csv', source: { kind: 'file', path: 'data/rows.csv' } });
    writeFileSync(join(dir, 'workflow.json'), JSON.stringify(wf, null, 2));
    const svc = new StudioService({ runtime: { home: tmp('edgeai-links-home-'), cluster: 'links' } });
    try {
      const open = await svc.call('project.open', { dir });
      expect(open.ok).toBe(true);
      if (!open.ok) return;
      expect(JSON.stringify(open.value)).not.toContain('hunter2');
      expect(open.value.diagnostics).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'data-file-outside', file: 'workflow.json' })]));
      const read = await svc.call('project.files.read', { project: dir, path: 'functions/leak.ts' });
      expect(!read.ok && read.error.code).toBe('path-outside-project');
      const write = await svc.call('project.files.write', { project: dir, path: 'functions/leak.ts', source: 'x', expectedRevision: 0 });
      expect(!write.ok && write.error.code).toBe('path-outside-project');
      expect(readFileSync(secret, 'utf8')).toBe('the password is hunter2\n');
      const check = await svc.call('deploy.check', { project: dir });
      expect(check.ok && check.value.errors.map((d) => d.code)).toContain('data-file-outside');
    } finally {
      await svc.close();
    }
  });
});
