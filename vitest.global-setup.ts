/**
 * Runs once per `vitest run`, in vitest's own process, before any worker starts (vitest.config.ts
 * `globalSetup`): one temporary folder for the whole run, under which every test file's own
 * TMPDIR is made (vitest.setup.ts, inherited by the workers as $EDGEAI_TEST_TMP_ROOT). It is
 * removed when the run ends, so even a file whose hooks never ran (every test skipped, a worker
 * that crashed) leaves nothing in the machine's temporary folder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'vt-run-'));
  process.env.EDGEAI_TEST_TMP_ROOT = root;
  return () => rmSync(root, { recursive: true, force: true });
}
