import { describe, expect, it } from 'vitest';
import { readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openRegistry } from './registry';
import { ArtifactCorruptError, RegistryError } from './errors';
import { sha256Hex } from './blobs';
import { tempDir } from './testing/tmpdir';

const enc = (s: string) => new TextEncoder().encode(s);

describe('registry put/get', () => {
  it('assigns increasing versions per urn and round-trips bytes and metadata', () => {
    const reg = openRegistry(tempDir());
    const a1 = reg.put({ kind: 'data', urn: 'iris:data', format: 'csv', tags: ['iris', 'iris'] }, enc('a,b\n1,2\n'));
    const a2 = reg.put({ kind: 'data', urn: 'iris:data', format: 'csv', tags: ['iris'] }, enc('a,b\n3,4\n'));
    const b1 = reg.put({ kind: 'data', urn: 'other', format: 'csv' }, enc('x\n1\n'));
    expect([a1.version, a2.version, b1.version]).toEqual([1, 2, 1]);
    expect(a1.tags).toEqual(['iris']);
    expect(a1.sha256).toBe(sha256Hex(enc('a,b\n1,2\n')));
    expect(a1.size).toBe(8);
    const got = reg.get('iris:data');
    expect(got.artifact.version).toBe(2);
    expect(got.bytes.toString()).toBe('a,b\n3,4\n');
    expect(reg.get('iris:data', 1).bytes.toString()).toBe('a,b\n1,2\n');
    expect(reg.versions('iris:data').map((a) => a.version)).toEqual([1, 2]);
    reg.close();
  });

  it('stores identical bytes once (content addressing)', () => {
    const dir = tempDir();
    const reg = openRegistry(dir);
    reg.put({ kind: 'data', urn: 'a', format: 'csv' }, enc('same'));
    reg.put({ kind: 'data', urn: 'b', format: 'csv' }, enc('same'));
    expect(reg.blobs.list()).toHaveLength(1);
    reg.close();
  });

  it('detects a corrupted blob on read and names urn and version', () => {
    const reg = openRegistry(tempDir());
    const a = reg.put({ kind: 'model', urn: 'm:x', format: 'bin', type: 'classifier' }, enc('0123456789'));
    writeFileSync(reg.blobs.pathOf(a.sha256), '0123456780');
    let err: unknown;
    try {
      reg.get('m:x', 1);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ArtifactCorruptError);
    expect((err as Error).message).toContain("'m:x' version 1");
    expect(reg.verify({ hash: true }).corrupt).toHaveLength(1);
    reg.close();
  });

  it('re-checks the hash of a blob it verified before once the file changes on disk', () => {
    const reg = openRegistry(tempDir());
    const a = reg.put({ kind: 'data', urn: 'd:x', format: 'bin' }, enc('abcdefghij'));
    expect(reg.get('d:x', 1).bytes.toString()).toBe('abcdefghij'); // verified and remembered
    expect(reg.get('d:x', 1).bytes.toString()).toBe('abcdefghij');
    writeFileSync(reg.blobs.pathOf(a.sha256), 'abcdefghiJ'); // same size, new content
    expect(() => reg.get('d:x', 1)).toThrow(ArtifactCorruptError);
    expect(() => reg.get('d:x', 1)).toThrow(/'d:x' version 1 is corrupt/);
    reg.close();
  });

  it('rejects bad metadata with a message naming the field', () => {
    const reg = openRegistry(tempDir());
    expect(() => reg.put({ kind: 'data', urn: 'bad:*', format: 'csv' }, enc('x'))).toThrow(/urn/);
    expect(() => reg.put({ kind: 'thing' as 'data', urn: 'x', format: 'csv' }, enc('x'))).toThrow(RegistryError);
    expect(() => reg.put({ kind: 'data', urn: 'x', format: 'csv', lineage: { inputs: [{ urn: 'nope', version: 1 }] } }, enc('x'))).toThrow(/lineage input 'nope' version 1/);
    expect(() => reg.get('nope')).toThrow(/no artifact with urn 'nope'/);
    reg.close();
  });

  it('records lineage both ways and locations', () => {
    const reg = openRegistry(tempDir());
    const d = reg.put({ kind: 'data', urn: 'mnist:data', format: 'mnist', tags: ['mnist'] }, enc('digits'));
    const m = reg.put(
      { kind: 'model', urn: 'mnist:model', type: 'classifier', format: 'tfjs', data_tags: ['mnist'], lineage: { run: 'r1', function: 'Mnist.train', inputs: [{ urn: d.urn, version: d.version }] } },
      enc('weights'),
    );
    const up = reg.lineage('mnist:model');
    expect(up.inputs).toHaveLength(1);
    expect('artifact' in up.inputs[0] && up.inputs[0].artifact.urn).toBe('mnist:data');
    const down = reg.lineage('mnist:data', 1);
    expect(down.outputs.map((o) => o.artifact.urn)).toEqual(['mnist:model']);
    const moved = reg.addLocation({ urn: m.urn, version: m.version }, { node: 'edge-1', networks: ['lan-a'] });
    reg.addLocation({ urn: m.urn, version: m.version }, { node: 'cloud-1' });
    expect(moved.locations).toEqual([{ node: 'edge-1', networks: ['lan-a'] }]);
    expect(reg.require('mnist:model').locations.map((l) => l.node)).toEqual(['edge-1', 'cloud-1']);
    expect(reg.removeLocation({ urn: m.urn, version: m.version }, 'cloud-1').locations).toEqual([{ node: 'edge-1', networks: ['lan-a'] }]);
    reg.addLocation({ urn: m.urn, version: m.version }, { node: 'cloud-1' });
    // the index sees the update
    expect(reg.resolve({ urn: 'mnist:model' }).candidates[0].locations).toHaveLength(2);
    reg.close();
  });

  it('reopens with everything there; a second connection sees the first one’s puts', () => {
    const dir = tempDir();
    const r1 = openRegistry(dir);
    const r2 = openRegistry(dir);
    expect(r2.resolve({ urn: 'x' }).candidates).toHaveLength(0);
    r1.put({ kind: 'data', urn: 'x', format: 'csv' }, enc('1'));
    expect(r2.resolve({ urn: 'x' }).candidates).toHaveLength(1);
    r1.close();
    r2.close();
    const r3 = openRegistry(dir);
    expect(r3.get('x').bytes.toString()).toBe('1');
    r3.close();
  });

  it('gc removes orphaned blobs and stale temp files, keeps referenced ones', () => {
    const dir = tempDir();
    const reg = openRegistry(dir);
    const a = reg.put({ kind: 'data', urn: 'keep', format: 'csv' }, enc('keep me'));
    const orphan = reg.blobs.write(enc('orphan')).sha256;
    mkdirSync(join(dir, 'tmp'), { recursive: true });
    writeFileSync(join(dir, 'tmp', 'half-written'), 'partial');
    const dry = reg.gc({ graceMs: 0, dryRun: true });
    expect(dry.removedBlobs).toEqual([orphan]);
    expect(reg.blobs.has(orphan)).toBe(true);
    const young = reg.gc(); // default grace keeps the young temp file
    expect(young.removedTemps).toBe(0);
    expect(reg.blobs.has(orphan)).toBe(false);
    const report = reg.gc({ graceMs: 0 });
    expect(report.removedTemps).toBe(1);
    expect(readdirSync(join(dir, 'tmp'))).toEqual([]);
    expect(reg.get('keep').artifact.sha256).toBe(a.sha256);
    expect(report.missing).toEqual([]);
    reg.close();
  });
});
