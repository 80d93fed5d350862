// `npm test`: typecheck, then every test (unit, integration, e2e) with vitest.
// Before the totals it says what this machine left untested (suites skipped whole, the desktop
// path above all), and what the run left behind (scripts/leaks.mjs): vitest runs with TMPDIR in
// a fresh folder, which must be empty afterwards; no process the run started may still run; no
// Docker container, network or volume a test created may remain; nothing may have been added
// under ~/.edgeai. Each kind of leftover counts as one failure (and what can be is removed then).
// Prints the totals last as one line: `N passed, N failed, N skipped`.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { summarize, totalsLine, untestedLines } from './test-report.mjs';
import { ProcessTree, added, defaultHomes, dockerLeftovers, dockerObjects, entriesLeft, leftoverProcesses, listTree, netCatches, selfAndAncestors } from './leaks.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const report = '.vitest-report.json';
const extra = process.argv.slice(2);

console.log('== typecheck (tsc --noEmit)');
const tsc = spawnSync('npx', ['tsc', '-p', 'tsconfig.json', '--noEmit'], { stdio: 'inherit' });
const typecheckOk = tsc.status === 0;
console.log(typecheckOk ? 'typecheck: ok' : 'typecheck: FAILED');

// what is there before the run, to tell what the run added
const runTmp = mkdtempSync(join(tmpdir(), 'edgeai-test-run-'));
const homes = defaultHomes().map((h) => ({ home: h, before: listTree(h) }));
const dockerBefore = await dockerObjects();
const startedAt = Date.now();

console.log(`== tests (vitest, TMPDIR=${runTmp})`);
rmSync(report, { force: true });
let output = '';
const vitest = spawn('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...extra], {
  stdio: ['inherit', 'pipe', 'pipe'],
  env: { ...process.env, TMPDIR: runTmp },
});
const tree = new ProcessTree(vitest.pid);
const sampler = setInterval(() => tree.sample(), 250);
for (const [from, to] of [[vitest.stdout, process.stdout], [vitest.stderr, process.stderr]]) {
  from.on('data', (d) => {
    to.write(d);
    output += String(d);
  });
}
const vitestStatus = await new Promise((ok) => vitest.on('close', (code, signal) => ok(code ?? (signal ? 1 : 0))));
clearInterval(sampler);

const r = existsSync(report) ? JSON.parse(readFileSync(report, 'utf8')) : undefined;
const totals = summarize(r, { typecheckOk });
for (const n of totals.notes) console.log(n);
const leftovers = [];

// processes: a few seconds for the ones on their way out, then what still runs is the run's leftover
const exclude = selfAndAncestors();
const markers = [join(ROOT, 'dist', 'agent') + '/'];
let procs = leftoverProcesses({ tree, tmp: runTmp, markers, exclude });
for (const t0 = Date.now(); procs.length && Date.now() - t0 < 10_000; procs = leftoverProcesses({ tree, tmp: runTmp, markers, exclude }))
  await new Promise((ok) => setTimeout(ok, 200));
if (procs.length) {
  leftovers.push(`processes still running that the run started: ${procs.length}`);
  for (const p of procs) {
    // killed when surely the run's (below its root, or with its TMPDIR); one that only runs the
    // repo's agent build may be another run's in the same checkout
    const mine = p.why.some((w) => !w.startsWith('runs '));
    leftovers.push(`  pid ${p.pid} (${p.why.join(', ')}${mine ? '; killed now' : ''}): ${p.cmd}`);
    if (!mine) continue;
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      /* gone meanwhile */
    }
  }
}

// the run's TMPDIR: every file's own folder inside it is removed by the net in vitest.setup.ts,
// which names what a file's tests left there; anything else left in it is named here
const caught = netCatches(output);
if (caught.length) {
  leftovers.push(`temporary entries tests did not remove (the net in vitest.setup.ts removed them): ${caught.length} file(s)`);
  for (const c of caught) leftovers.push(`  ${c.file}: ${c.entries}`);
}
const left = entriesLeft(runTmp);
if (left.length) {
  leftovers.push(`left in the run's TMPDIR ${runTmp} (removed now): ${left.length} entr${left.length === 1 ? 'y' : 'ies'}`);
  for (const e of left) leftovers.push(`  ${e}`);
}
rmSync(runTmp, { recursive: true, force: true });

// Docker: labelled objects the run's tests created and did not remove
if (dockerBefore) {
  const after = (await dockerObjects()) ?? [];
  const { ours, others } = dockerLeftovers({ before: new Set(dockerBefore.map((o) => o.id)), after, startedAt, runPids: tree.pids() });
  if (ours.length) {
    leftovers.push(`Docker objects the run's tests left (cluster label edgeai.cluster): ${ours.length}`);
    for (const o of ours) leftovers.push(`  ${o.kind} ${o.name} (cluster ${o.cluster})`);
  }
  if (others.length) console.log(`note: ${others.length} labelled Docker object(s) created meanwhile by something other than this run (another job on the same engine?), not counted: ${others.map((o) => `${o.kind} ${o.name}`).join(', ')}`);
} else {
  console.log('note: no Docker engine answered (or dockerode did not load): Docker objects left by tests were not looked for');
}

// the user's home: nothing added under ~/.edgeai
for (const { home, before } of homes) {
  const added_ = added(before, listTree(home));
  if (added_.length) {
    leftovers.push(`added under ${home}: ${added_.length}`);
    for (const p of added_.slice(0, 50)) leftovers.push(`  ${p}`);
  }
}

const { passed, skipped } = totals;
let { failed } = totals;
for (const line of untestedLines(totals.untested)) console.log(line);
console.log('== what the run left behind');
if (leftovers.length) {
  const kinds = leftovers.filter((l) => !l.startsWith('  ')).length;
  for (const l of leftovers) console.log(`LEFTOVER ${l}`);
  failed += kinds;
} else {
  console.log('nothing: no temporary entry, process, Docker object, or file under ~/.edgeai');
}
const ok = typecheckOk && vitestStatus === 0 && failed === 0;
console.log(totalsLine({ passed, failed, skipped }));
process.exit(ok ? 0 : 1);
