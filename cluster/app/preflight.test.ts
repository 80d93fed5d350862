/**
 * app/preflight.ts: deployErrors is deployCheck's errors without a placement plan (what the
 * studio's next-steps guide counts on every snapshot). Placement problems are warnings only, so
 * the two agree whatever the project's state — checked on the sample in three states.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProject } from '../project/index';
import { deployCheck, deployErrors } from './preflight';

const dir = mkdtempSync(join(tmpdir(), 'preflight-'));
cpSync(join(import.meta.dirname, '..', '..', 'samples', 'mnist'), dir, { recursive: true });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const edit = (file: string, from: string, to: string) => {
  const f = join(dir, file);
  const text = readFileSync(f, 'utf8');
  expect(text).toContain(from);
  writeFileSync(f, text.replace(from, to));
};

describe('deployErrors', () => {
  it("is deployCheck's errors, without planning: clean, a placement no node takes, a syntax error", () => {
    const states: Array<{ name: string; errors: number; placementWarning: boolean }> = [];
    const check = (name: string) => {
      const project = loadProject(dir);
      const full = deployCheck(project);
      expect([name, deployErrors(project)]).toEqual([name, full.errors]);
      states.push({ name, errors: full.errors.length, placementWarning: full.warnings.some((w) => w.code === 'placement-infeasible') });
    };
    check('clean');
    edit('functions/train.ts', "@policy.fn({ node: 'cloud' })", "@policy.fn({ node: 'cloud', capability: 'gpu' })");
    check('gpu');
    edit('functions/inference.ts', "@policy.deadline('2s')", "@policy.deadline('2s'");
    check('syntax');
    // the three states are what they claim: the cases do exercise both kinds
    expect(states).toEqual([
      { name: 'clean', errors: 0, placementWarning: false },
      { name: 'gpu', errors: 0, placementWarning: true },
      { name: 'syntax', errors: expect.any(Number), placementWarning: true },
    ]);
    expect(states[2].errors).toBeGreaterThan(0);
  });
});
