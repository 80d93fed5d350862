/** The registry commands (artifacts, resolve, data) through the CLI dispatcher, in-process. */
import { describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../main';
import { openProjectRegistry } from '../../registry/registry';
import { tempDir } from '../../registry/testing/tmpdir';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await run(argv, { out: (s) => (out += s + '\n'), err: (s) => (err += s + '\n') });
  return { code, out, err };
}

describe('edgeai data / artifacts / resolve', () => {
  const project = tempDir('edgeai-cli-');
  mkdirSync(join(project, 'data'));
  writeFileSync(join(project, 'data', 'iris.csv'), 'sepal,petal,species\n5.1,1.4,setosa\n6.2,4.5,versicolor\n');
  writeFileSync(
    join(project, 'workflow.json'),
    JSON.stringify({ name: 'w', dataSources: [{ urn: 'mnist:data', tags: ['mnist'], format: 'mnist', source: { kind: 'loader', loader: 'mnist', count: 50 } }] }),
  );

  it('data add imports a file once, by content', async () => {
    const a = await cli('data', 'add', project, join(project, 'data', 'iris.csv'), '--urn', 'iris:data', '--tags', 'iris,flowers');
    expect(a.code).toBe(0);
    expect(a.out).toMatch(/^added\s+iris:data@1/);
    const b = await cli('data', 'add', project, join(project, 'data', 'iris.csv'), '--urn', 'iris:data', '--tags', 'iris,flowers', '--json');
    expect(JSON.parse(b.out)).toMatchObject({ added: false, artifact: { urn: 'iris:data', version: 1, tags: ['iris', 'flowers'] } });
    const bad = await cli('data', 'add', project, join(project, 'data', 'nope.csv'), '--urn', 'x');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/nope.csv does not exist/);
    expect((await cli('data', 'add', project, 'data/iris.csv')).err).toMatch(/needs --urn/);
  });

  it('data import puts workflow.json data sources in; data show previews', async () => {
    const r = await cli('data', 'import', project);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/added\s+mnist:data@1/);
    const s = await cli('data', 'show', project, 'mnist:data', '--json', '--rows', '2');
    const shown = JSON.parse(s.out) as { length: number; columns: Array<{ name: string; shape: number[] }>; rows: unknown[] };
    expect(shown.length).toBe(50);
    expect(shown.columns).toEqual([
      { name: 'x', shape: [784], dtype: 'float32' },
      { name: 'y', shape: [], dtype: 'int32' },
    ]);
    expect(shown.rows).toHaveLength(2);
  });

  it('artifacts list / show / lineage / verify / gc', async () => {
    const reg = openProjectRegistry(project);
    const d = reg.require('mnist:data');
    reg.put({ kind: 'model', urn: 'mnist:model', type: 'classifier', format: 'tfjs-layers', data_tags: ['mnist'], metrics: { accuracy: 0.91 }, lineage: { run: 'r1', function: 'T.train', inputs: [{ urn: d.urn, version: d.version }] } }, new Uint8Array([1, 2, 3]));
    reg.blobs.write(new Uint8Array([9, 9, 9]));
    reg.close();

    const list = await cli('artifacts', 'list', '--project', project, '--json');
    expect((JSON.parse(list.out) as Array<{ urn: string }>).map((a) => a.urn)).toEqual(['iris:data', 'mnist:data', 'mnist:model']);
    const models = await cli('artifacts', 'list', '--project', project, '--kind', 'model');
    expect(models.out).toMatch(/mnist:model@1.*accuracy=0.9100/);
    expect((await cli('artifacts', 'show', 'mnist:model@1', '--project', project)).out).toMatch(/made by\s+function T.train, run r1/);
    const lin = await cli('artifacts', 'lineage', 'mnist:data', '--project', project);
    expect(lin.out).toMatch(/used by:\n\s+└─ mnist:model@1/);
    expect((await cli('artifacts', 'verify', '--project', project)).code).toBe(0);
    const gc = await cli('artifacts', 'gc', '--project', project, '--grace', '0', '--json');
    expect((JSON.parse(gc.out) as { removedBlobs: string[] }).removedBlobs).toHaveLength(1);
    const missing = await cli('artifacts', 'show', 'mnist:model@7', '--project', project);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/no artifact 'mnist:model' version 7/);
    expect((await cli('artifacts', 'frob', '--project', project)).err).toMatch(/unknown subcommand 'frob'/);
    expect((await cli('artifacts', 'gc', '--project', project, '--grace', 'soon')).err).toMatch(/malformed duration 'soon'/);
  });

  it('resolve explains candidates and names bad clauses', async () => {
    const ok = await cli('resolve', '{"type":"classifier","data_tags":["mnist"],"accuracy":">=0.9"}', '--project', project);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/→ ✓ mnist:model@1/);
    const none = await cli('resolve', '{"kind":"model","data_tags":["mnist"],"accuracy":">=0.95"}', '--project', project, '--json');
    expect(none.code).toBe(1);
    expect(JSON.parse(none.out).rejected).toEqual([{ urn: 'mnist:model', version: 1, clause: 'accuracy', reason: 'accuracy is 0.91, not >=0.95' }]);
    const all = await cli('resolve', '{"urn":"mnist:*"}', '--project', project, '--all', '--json');
    expect(JSON.parse(all.out).rejected).toEqual([expect.objectContaining({ urn: 'iris:data', clause: 'urn' })]);
    const tmpl = await cli('resolve', '{"urn":"{name}:data"}', '--param', 'name=iris', '--project', project, '--json');
    expect(JSON.parse(tmpl.out).candidates[0].urn).toBe('iris:data');
    const bad = await cli('resolve', '{"typ":"classifier"}', '--project', project);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/unknown selector clause 'typ'/);
    expect((await cli('resolve', '{"accuracy":"about 0.9"}', '--project', project)).err).toMatch(/accuracy.*malformed predicate/);
    expect((await cli('resolve', '{oops', '--project', project)).err).toMatch(/not valid JSON/);
    const empty = tempDir('edgeai-empty-');
    expect((await cli('resolve', '{"urn":"x"}', '--project', empty)).code).toBe(1);
    expect((await cli('artifacts', 'list', '--project', empty)).out).toMatch(/no artifacts yet/);
  });
});
