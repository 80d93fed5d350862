// `npm test`: typecheck, then every test (unit, integration, e2e) with vitest.
// Before the totals it says what this machine left untested (suites skipped whole, the desktop
// path above all). Prints the totals last as one line: `N passed, N failed, N skipped`.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';

const report = '.vitest-report.json';
const extra = process.argv.slice(2);

console.log('== typecheck (tsc --noEmit)');
const tsc = spawnSync('npx', ['tsc', '-p', 'tsconfig.json', '--noEmit'], { stdio: 'inherit' });
const typecheckOk = tsc.status === 0;
console.log(typecheckOk ? 'typecheck: ok' : 'typecheck: FAILED');

console.log('== tests (vitest)');
rmSync(report, { force: true });
const vitest = spawnSync(
  'npx',
  ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...extra],
  { stdio: 'inherit' },
);

let passed = 0;
let failed = 0;
let skipped = 0;
/** what ran nowhere in this run: suites whose every test was skipped, by file and title */
const untested = [];
if (existsSync(report)) {
  const r = JSON.parse(readFileSync(report, 'utf8'));
  for (const f of r.testResults ?? []) {
    const tests = f.assertionResults ?? [];
    if (!tests.length || tests.some((a) => a.status !== 'skipped' && a.status !== 'pending' && a.status !== 'todo')) continue;
    const titles = [...new Set(tests.map((a) => a.ancestorTitles?.[0] ?? a.title))];
    untested.push({ file: relative(process.cwd(), f.name), titles });
  }
  passed = r.numPassedTests ?? 0;
  // a file that failed outside its tests (a beforeAll, an import) counts once: its tests show as skipped
  failed = (r.numFailedTests ?? 0) + (r.testResults ?? []).filter((f) => f.status === 'failed' && !(f.assertionResults ?? []).some((a) => a.status === 'failed')).length;
  skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
} else {
  failed += 1;
  console.log('vitest wrote no report: counting the run as one failure');
}
if (!typecheckOk) failed += 1;
if (typecheckOk) passed += 1;
const ok = typecheckOk && vitest.status === 0 && failed === 0;
if (untested.length) {
  console.log('== untested on this machine (skipped whole)');
  for (const u of untested) console.log(`  ${u.file}: ${u.titles.join('; ')}`);
}
const electron = untested.find((u) => u.file === join('e2e', 'electron.test.ts'));
if (electron) console.log('desktop (Electron): UNTESTED on this machine: e2e/electron.test.ts skipped (no Electron binary can be downloaded here); browser mode covers the renderer, not the desktop main process');
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(ok ? 0 : 1);
