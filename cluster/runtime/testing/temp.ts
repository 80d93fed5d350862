/**
 * Temporary folders for one test file: `const tmp = tempDirs();` at the top of the file, then
 * `tmp('edgeai-x-')` wherever one is needed; all are removed after the file's tests (afterAll),
 * so a full `npm test` leaves none behind (scripts/test.mjs checks).
 */
import { afterAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function tempDirs(): (prefix: string) => string {
  const made: string[] = [];
  afterAll(() => {
    for (const d of made) rmSync(d, { recursive: true, force: true });
  });
  return (prefix: string) => {
    const d = mkdtempSync(join(tmpdir(), prefix));
    made.push(d);
    return d;
  };
}
