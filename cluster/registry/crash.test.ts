/**
 * Kills a writer process with SIGKILL in the middle of a stream of puts, then checks on reopen:
 * every artifact the writer reported committed is readable and hash-checks, no metadata points
 * at a missing blob, and gc removes whatever orphaned blobs and temp files the kill left.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { openRegistry } from './registry';
import { sha256Hex } from './blobs';
import { tempDir } from './testing/tmpdir';

const writer = fileURLToPath(new URL('./testing/crash-writer.ts', import.meta.url));

function runAndKill(dir: string, seed: number, killAfter: number): Promise<Array<{ urn: string; version: number; sha256: string }>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', writer, dir, String(seed)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const committed: Array<{ urn: string; version: number; sha256: string }> = [];
    let buf = '';
    let stderr = '';
    let killed = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`writer did not commit ${killAfter} puts in time; stderr: ${stderr}`));
    }, 30_000);
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const [, urn, version, sha256] = buf.slice(0, nl).split(' ');
        buf = buf.slice(nl + 1);
        committed.push({ urn, version: Number(version), sha256 });
      }
      if (!killed && committed.length >= killAfter) {
        killed = true;
        // kill at an arbitrary point of the next put (blob write, fsync, rename or commit)
        setTimeout(() => child.kill('SIGKILL'), Math.floor(Math.random() * 5));
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL' && killed) resolve(committed);
      else reject(new Error(`writer exited with ${code ?? signal} before it was killed; stderr: ${stderr}`));
    });
  });
}

describe('crash safety', () => {
  it('survives SIGKILL of a writer mid-stream: committed artifacts intact, no dangling metadata, gc cleans up', async () => {
    const dir = tempDir();
    const committed = [...(await runAndKill(dir, 7, 25)), ...(await runAndKill(dir, 11, 15))];
    expect(committed.length).toBeGreaterThanOrEqual(40);

    const reg = openRegistry(dir);
    for (const c of committed) {
      const { artifact, bytes } = reg.get(c.urn, c.version);
      expect(artifact.sha256).toBe(c.sha256);
      expect(sha256Hex(bytes)).toBe(c.sha256);
    }
    // metadata may hold a put that committed just before the kill but was not yet reported
    expect(reg.count()).toBeGreaterThanOrEqual(committed.length);
    const check = reg.verify({ hash: true });
    expect(check.missing).toEqual([]);
    expect(check.corrupt).toEqual([]);

    // plant a certain orphan too, so gc has something to remove whatever the kill hit
    const orphan = reg.blobs.write(new TextEncoder().encode('orphan after crash')).sha256;
    const referenced = new Set(reg.list().map((a) => a.sha256));
    const orphansBefore = reg.blobs.list().filter((s) => !referenced.has(s));
    expect(orphansBefore).toContain(orphan);
    const report = reg.gc({ graceMs: 0 });
    expect(report.removedBlobs.sort()).toEqual(orphansBefore.sort());
    expect(report.missing).toEqual([]);
    expect(reg.blobs.list().every((s) => referenced.has(s))).toBe(true);
    expect(readdirSync(join(dir, 'tmp'))).toEqual([]);
    for (const a of reg.list()) expect(sha256Hex(reg.read(a))).toBe(a.sha256);
    reg.close();
  });
});
