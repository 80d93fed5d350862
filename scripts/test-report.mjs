// The totals of `npm test` (scripts/test.mjs) from vitest's JSON report: pure, so that
// scripts/test-runner.test.ts can check them on hand-made reports.
import { join, relative } from 'node:path';

/**
 * passed / failed / skipped, and what ran nowhere (files whose every test was skipped).
 * `report`: vitest's JSON report, or undefined when vitest wrote none (one failure).
 * The typecheck counts as one test: passed when it succeeded, else failed.
 */
export function summarize(report, { typecheckOk, cwd = process.cwd() }) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const untested = [];
  const notes = [];
  if (report) {
    for (const f of report.testResults ?? []) {
      const tests = f.assertionResults ?? [];
      if (!tests.length || tests.some((a) => a.status !== 'skipped' && a.status !== 'pending' && a.status !== 'todo')) continue;
      const titles = [...new Set(tests.map((a) => a.ancestorTitles?.[0] ?? a.title))];
      untested.push({ file: relative(cwd, f.name), titles });
    }
    passed = report.numPassedTests ?? 0;
    // a file that failed outside its tests (a beforeAll, an import) counts once: its tests show as skipped
    const failedOutside = (report.testResults ?? []).filter((f) => f.status === 'failed' && !(f.assertionResults ?? []).some((a) => a.status === 'failed'));
    failed = (report.numFailedTests ?? 0) + failedOutside.length;
    for (const f of failedOutside) notes.push(`failed outside its tests: ${relative(cwd, f.name)}${f.message ? ` (${String(f.message).split('\n')[0].slice(0, 200)})` : ''}`);
    skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  } else {
    failed += 1;
    notes.push('vitest wrote no report: counting the run as one failure');
  }
  if (typecheckOk) passed += 1;
  else failed += 1;
  return { passed, failed, skipped, untested, notes };
}

/** The lines said before the totals about what this machine left untested. */
export function untestedLines(untested) {
  const lines = [];
  if (untested.length) {
    lines.push('== untested on this machine (skipped whole)');
    for (const u of untested) lines.push(`  ${u.file}: ${u.titles.join('; ')}`);
  }
  if (untested.some((u) => u.file === join('e2e', 'electron.test.ts')))
    lines.push('desktop (Electron): UNTESTED on this machine: e2e/electron.test.ts skipped (no Electron binary can be downloaded here); browser mode covers the renderer, not the desktop main process');
  return lines;
}

/** The last line of `npm test`. */
export function totalsLine({ passed, failed, skipped }) {
  return `${passed} passed, ${failed} failed, ${skipped} skipped`;
}
