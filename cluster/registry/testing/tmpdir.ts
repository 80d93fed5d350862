/** Temporary directories for tests, removed at exit. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];
let hooked = false;

export function tempDir(prefix = 'edgeai-registry-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  if (!hooked) {
    hooked = true;
    process.on('exit', () => {
      for (const x of made) rmSync(x, { recursive: true, force: true });
    });
  }
  return d;
}
