/**
 * `npm test` (scripts/test.mjs): the typecheck, then every test, what ran nowhere, what the run
 * left behind, and the totals as the last line. The script runs as `npm test` runs it, from a copy
 * of scripts/ (so it looks for the agent build of the copy, not of this checkout, whose agents the
 * tests running meanwhile use), with a stand-in `npx` first on PATH: `npx tsc` exits as told,
 * `npx vitest` records how it was called, writes the JSON report it is given and leaves behind
 * what it is told to (a temporary file, a process, a file under ~/.edgeai, a file the net caught).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { summarize, untestedLines } from './test-report.mjs';
import { LABEL_CLUSTER, ProcessTree, added, dockerLeftovers, entriesLeft, leftoverProcesses, listTree, netCatches } from './leaks.mjs';
import { LABEL_CLUSTER as PRODUCT_LABEL_CLUSTER } from '../cluster/runtime/backends/docker';

const ROOT = resolve(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'test-runner-'));
/** pids of processes the stand-ins started: gone at the end whatever happened */
const started: number[] = [];
afterAll(() => {
  for (const pid of started) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone: what the test expects */
    }
  }
  rmSync(work, { recursive: true, force: true });
});

/** Running (a zombie, killed and waiting for a parent that may never reap it, is not). */
const alive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
};

const NPX = `#!${process.execPath}
// stand-in for npx: tsc and vitest as scripts/test.mjs calls them
const fs = require('node:fs');
const path = require('node:path');
const [tool, ...args] = process.argv.slice(2);
fs.appendFileSync(process.env.FAKE_CALLS, JSON.stringify({ tool, args, cwd: process.cwd(), TMPDIR: process.env.TMPDIR }) + '\\n');
if (tool === 'tsc') process.exit(Number(process.env.FAKE_TSC_STATUS ?? 0));
const out = args.find((a) => a.startsWith('--outputFile.json='));
if (process.env.FAKE_REPORT && out) fs.copyFileSync(process.env.FAKE_REPORT, out.slice('--outputFile.json='.length));
const leave = (process.env.FAKE_LEAVE ?? '').split(',');
if (leave.includes('tmp')) fs.writeFileSync(path.join(process.env.TMPDIR, 'left-behind.txt'), 'x');
if (leave.includes('home')) fs.mkdirSync(path.join(process.env.HOME, '.edgeai', 'clusters', 'local'), { recursive: true });
if (leave.includes('proc')) {
  const c = require('node:child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { detached: true, stdio: 'ignore' });
  c.unref();
  fs.writeFileSync(process.env.FAKE_PID_FILE, String(c.pid));
}
if (leave.includes('net')) console.log("stderr | cluster/x.test.ts\\ntemporary entries this file's tests did not remove (removed now): edgeai-x-abc");
console.log('vitest stand-in ran');
process.exit(Number(process.env.FAKE_VITEST_STATUS ?? 0));
`;

interface Run {
  code: number | null;
  out: string;
  lines: string[];
  calls: Array<{ tool: string; args: string[]; cwd: string; TMPDIR: string }>;
}

let runs = 0;
/** scripts/test.mjs in a directory of its own, with the stand-in npx; the report as given. */
async function npmTest(opts: { report?: object; tsc?: number; vitest?: number; leave?: string[]; args?: string[] } = {}): Promise<Run & { dir: string; home: string; pidFile: string }> {
  const dir = join(work, `run-${++runs}`);
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  for (const f of ['test.mjs', 'test-report.mjs', 'leaks.mjs']) cpSync(join(ROOT, 'scripts', f), join(dir, 'scripts', f));
  writeFileSync(join(bin, 'npx'), NPX);
  chmodSync(join(bin, 'npx'), 0o755);
  const home = join(dir, 'home');
  mkdirSync(home);
  const calls = join(dir, 'calls.jsonl');
  writeFileSync(calls, '');
  const pidFile = join(dir, 'pid');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${bin}:${process.env.PATH}`,
    HOME: home,
    TMPDIR: dir,
    FAKE_CALLS: calls,
    FAKE_PID_FILE: pidFile,
    FAKE_TSC_STATUS: String(opts.tsc ?? 0),
    FAKE_VITEST_STATUS: String(opts.vitest ?? 0),
    FAKE_LEAVE: (opts.leave ?? []).join(','),
  };
  if (opts.report) {
    writeFileSync(join(dir, 'report.json'), JSON.stringify(opts.report));
    env.FAKE_REPORT = join(dir, 'report.json');
  }
  const child = spawn(process.execPath, [join(dir, 'scripts', 'test.mjs'), ...(opts.args ?? [])], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += String(d)));
  child.stderr.on('data', (d) => (out += String(d)));
  const code = await new Promise<number | null>((ok) => child.on('close', ok));
  if (existsSync(pidFile)) started.push(Number(readFileSync(pidFile, 'utf8')));
  const lines = out.trimEnd().split('\n');
  return { code, out, lines, calls: readFileSync(calls, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)), dir, home, pidFile };
}

const file = (dir: string, name: string, statuses: string[], extra: object = {}) => ({
  name: join(dir, name),
  status: statuses.includes('failed') ? 'failed' : 'passed',
  assertionResults: statuses.map((status, i) => ({ status, title: `test ${i}`, ancestorTitles: [`suite of ${name}`] })),
  ...extra,
});

describe('npm test (scripts/test.mjs)', () => {
  it('runs the typecheck, then vitest with its reporters, the arguments given and a fresh TMPDIR; the last line is the totals', async () => {
    const dir = join(work, `run-${runs + 1}`);
    const r = await npmTest({
      args: ['cluster/spec'],
      report: { numPassedTests: 3, numFailedTests: 1, numPendingTests: 2, numTodoTests: 0, testResults: [file(dir, 'a.test.ts', ['passed', 'passed', 'passed', 'failed', 'skipped', 'skipped'])] },
      vitest: 1,
    });
    expect(r.calls.map((c) => c.tool)).toEqual(['tsc', 'vitest']);
    expect(r.calls[0].args).toEqual(['-p', 'tsconfig.json', '--noEmit']);
    expect(r.calls[1].args).toEqual(['run', '--reporter=default', '--reporter=json', '--outputFile.json=.vitest-report.json', 'cluster/spec']);
    // its own TMPDIR, removed after the run
    expect(r.calls[1].TMPDIR).toMatch(new RegExp(`^${r.dir}/edgeai-test-run-`));
    expect(existsSync(r.calls[1].TMPDIR)).toBe(false);
    expect(r.out.indexOf('typecheck: ok')).toBeLessThan(r.out.indexOf('vitest stand-in ran'));
    // the typecheck counts as a passed test
    expect(r.lines.at(-1)).toBe('4 passed, 1 failed, 2 skipped');
    expect(r.code).toBe(1);
  });

  it('a clean run: says nothing was left behind, exits 0, and the totals are still last', async () => {
    const dir = join(work, `run-${runs + 1}`);
    const r = await npmTest({ report: { numPassedTests: 2, numFailedTests: 0, numPendingTests: 0, numTodoTests: 0, testResults: [file(dir, 'a.test.ts', ['passed', 'passed'])] } });
    expect(r.out).toMatch(/== what the run left behind\nnothing: no temporary entry, process, Docker object, or file under ~\/\.edgeai/);
    expect(r.lines.at(-1)).toBe('3 passed, 0 failed, 0 skipped');
    expect(r.code).toBe(0);
  });

  it('a failed typecheck and a missing report are failures', async () => {
    const r = await npmTest({ tsc: 2 });
    expect(r.out).toMatch(/typecheck: FAILED/);
    expect(r.out).toMatch(/vitest wrote no report: counting the run as one failure/);
    expect(r.lines.at(-1)).toBe('0 passed, 2 failed, 0 skipped');
    expect(r.code).toBe(1);
  });

  it('counts a file that failed outside its tests (its tests show as skipped) once, and says which', async () => {
    const dir = join(work, `run-${runs + 1}`);
    const r = await npmTest({
      report: { numPassedTests: 1, numFailedTests: 0, numPendingTests: 2, numTodoTests: 0, testResults: [file(dir, 'ok.test.ts', ['passed']), { ...file(dir, 'hook.test.ts', ['skipped', 'skipped']), status: 'failed', message: 'beforeAll: boom' }] },
      vitest: 1,
    });
    expect(r.out).toMatch(/failed outside its tests: hook\.test\.ts \(beforeAll: boom\)/);
    expect(r.lines.at(-1)).toBe('2 passed, 1 failed, 2 skipped');
    expect(r.code).toBe(1);
  });

  it('says what ran nowhere on this machine (files skipped whole, the desktop path by name) before the totals', async () => {
    const dir = join(work, `run-${runs + 1}`);
    const r = await npmTest({
      report: {
        numPassedTests: 1,
        numFailedTests: 0,
        numPendingTests: 3,
        numTodoTests: 0,
        testResults: [file(dir, 'ok.test.ts', ['passed']), file(dir, 'e2e/electron.test.ts', ['skipped']), file(dir, 'cluster/runtime/docker.int.test.ts', ['skipped', 'skipped']), file(dir, 'half.test.ts', ['passed', 'skipped'])],
      },
    });
    const at = r.lines.indexOf('== untested on this machine (skipped whole)');
    expect(at).toBeGreaterThan(-1);
    expect(r.lines.slice(at + 1, at + 3)).toEqual(['  e2e/electron.test.ts: suite of e2e/electron.test.ts', '  cluster/runtime/docker.int.test.ts: suite of cluster/runtime/docker.int.test.ts']);
    expect(r.out).not.toMatch(/ {2}(ok|half)\.test\.ts/);
    expect(r.out).toMatch(/desktop \(Electron\): UNTESTED on this machine/);
    expect(r.lines.at(-1)).toBe('2 passed, 0 failed, 3 skipped');
  });

  it('names what the run left behind (a temporary file, a process, a file under ~/.edgeai, what the net removed), counts each kind as a failure and kills the process', async () => {
    const dir = join(work, `run-${runs + 1}`);
    const r = await npmTest({ report: { numPassedTests: 1, numFailedTests: 0, numPendingTests: 0, numTodoTests: 0, testResults: [file(dir, 'ok.test.ts', ['passed'])] }, leave: ['tmp', 'proc', 'home', 'net'] });
    const pid = Number(readFileSync(r.pidFile, 'utf8'));
    expect(r.out).toMatch(/LEFTOVER left in the run's TMPDIR .*edgeai-test-run-\w+ \(removed now\): 1 entry\nLEFTOVER {3}left-behind\.txt/);
    expect(r.out).toMatch(new RegExp(`LEFTOVER {3}pid ${pid} \\([^)]*has the run's TMPDIR[^)]*; killed now\\)`));
    expect(r.out).toMatch(new RegExp(`LEFTOVER added under ${r.home}/\\.edgeai: 3\\nLEFTOVER {3}\\.\\nLEFTOVER {3}clusters\\nLEFTOVER {3}clusters/local`));
    expect(r.out).toMatch(/LEFTOVER {3}cluster\/x\.test\.ts: edgeai-x-abc/);
    expect(alive(pid)).toBe(false);
    // the leftovers come before the totals, which stay last: 4 kinds, 4 failures
    expect(r.lines.at(-1)).toBe('2 passed, 4 failed, 0 skipped');
    expect(r.code).toBe(1);
  });
});

describe('the parts of npm test, on their own', () => {
  it('summarize: the typecheck is one test; no report is one failure', () => {
    expect(summarize(undefined, { typecheckOk: true })).toMatchObject({ passed: 1, failed: 1, skipped: 0 });
    expect(summarize({ numPassedTests: 5, numFailedTests: 0, numPendingTests: 1, numTodoTests: 1, testResults: [] }, { typecheckOk: false })).toMatchObject({ passed: 5, failed: 1, skipped: 2 });
    expect(untestedLines([])).toEqual([]);
  });

  it('the Docker label it looks for is the one the docker backend puts on everything', () => {
    expect(LABEL_CLUSTER).toBe(PRODUCT_LABEL_CLUSTER);
  });

  it('Docker objects: only those created during the run and named after one of its processes count; others are told apart', () => {
    const t = 1_000_000;
    const after = [
      { kind: 'container', id: 'a', name: 'edgeai-test-docker-4242-edge-1', cluster: 'test-docker-4242', created: t + 10 },
      { kind: 'volume', id: 'b', name: 'edgeai-t4242-x-store', cluster: 't4242-lmn9', created: t + 10 },
      { kind: 'network', id: 'c', name: 'edgeai-other-777-lan', cluster: 'other-777', created: t + 10 },
      { kind: 'container', id: 'd', name: 'edgeai-old-4242', cluster: 'old-4242', created: t + 10 },
      { kind: 'container', id: 'e', name: 'edgeai-older-4242', cluster: 'older-4242', created: t - 60_000 },
    ];
    const { ours, others } = dockerLeftovers({ before: new Set(['d']), after, startedAt: t, runPids: new Set([4242]) });
    expect(ours.map((o) => o.id)).toEqual(['a', 'b']);
    expect(others.map((o) => o.id)).toEqual(['c']);
  });

  it('entries left and added paths, nested ones included', () => {
    const d = mkdtempSync(join(work, 'tree-'));
    const before = listTree(d);
    mkdirSync(join(d, 'a', 'b'), { recursive: true });
    writeFileSync(join(d, 'a', 'b', 'f'), '');
    writeFileSync(join(d, 'g'), '');
    expect(entriesLeft(d)).toEqual(['a/', 'a/b/', 'a/b/f', 'g']);
    expect(added(before, listTree(d))).toEqual(['a', 'a/b', 'a/b/f', 'g']);
    expect(entriesLeft(join(d, 'missing'))).toEqual([]);
  });

  it('a process the run started is found after it left its parent, by what the sampler saw of it', async () => {
    // a child that starts a detached grandchild and exits: the grandchild is re-parented, its TMPDIR is not the run's
    const child = spawn(process.execPath, ['-e', "const c = require('node:child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { detached: true, stdio: 'ignore' }); console.log(c.pid); c.unref(); process.stdin.once('data', () => process.exit(0));"], { stdio: ['pipe', 'pipe', 'inherit'] });
    const grandchild = Number(await new Promise<string>((ok) => child.stdout!.once('data', (d) => ok(String(d).trim()))));
    started.push(grandchild);
    const tree = new ProcessTree(child.pid!);
    tree.sample();
    expect(tree.pids().has(grandchild)).toBe(true);
    child.stdin!.write('go\n');
    await new Promise((ok) => child.once('exit', ok));
    const found = leftoverProcesses({ tree, tmp: join(work, 'not-the-tmpdir'), exclude: [process.pid] });
    expect(found.map((p) => p.pid)).toEqual([grandchild]);
    expect(found[0].why).toEqual(['started by the run']);
    // and a process the run did not start is not one
    expect(leftoverProcesses({ tree: new ProcessTree(-1), tmp: join(work, 'not-the-tmpdir'), exclude: [process.pid] }).map((p) => p.pid)).not.toContain(grandchild);
  });

  it("reads what the net in vitest.setup.ts removed from vitest's output, by file", () => {
    const out = [
      'stderr | cluster/a.test.ts > suite',
      "temporary entries this file's tests did not remove (removed now): edgeai-a-1, edgeai-a-2",
      ' ✓ cluster/b.test.ts (3 tests)',
      '\x1b[90mstderr\x1b[2m | e2e/c.test.ts\x1b[22m\x1b[39m',
      "temporary entries this file's tests did not remove (removed now): chromium-x",
    ].join('\n');
    expect(netCatches(out)).toEqual([
      { file: 'cluster/a.test.ts', entries: 'edgeai-a-1, edgeai-a-2' },
      { file: 'e2e/c.test.ts', entries: 'chromium-x' },
    ]);
  });
});
