/**
 * Temporary directories for tests, removed when the test file that made them is done.
 *
 * Vitest runs each file in a worker whose process never sees an 'exit' that would clean up, so
 * the cleanup is an afterAll hook, registered when a test file imports this module (imports are
 * evaluated while the file's tests are collected).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const made: string[] = [];

afterAll(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

export function tempDir(prefix = 'edgeai-registry-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}
