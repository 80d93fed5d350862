/**
 * Runs before every test file (vitest.config.ts `setupFiles`), in that file's worker: no test
 * touches the user's state, and none leaves a temporary directory behind.
 *
 * - TMPDIR: a fresh folder of the file's own (os.tmpdir() follows it, and so do the node agents,
 *   CLIs and browsers the file starts), inside the run's folder (vitest.global-setup.ts); it is
 *   removed after the file, and what a test left in it is named then (a test cleans up after
 *   itself: this is the net, not the cleanup).
 * - EDGEAI_HOME: a home of the file's own inside it, so a StudioService or Controller opened
 *   without a home (the studio's renderer calls cluster.status at start) never opens the default
 *   home ~/.edgeai (cluster/runtime/home.ts reads $EDGEAI_HOME first).
 * - a guard: after the file, the default home must be exactly as it was before it (same entries,
 *   sizes and times; absent if it was absent). A user's own ~/.edgeai is compared, never removed.
 *   A file that touched it fails, naming what changed.
 */
import { afterAll } from 'vitest';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { homedir, tmpdir, userInfo } from 'node:os';
import { join, relative } from 'node:path';

/** The default homes product code would open without EDGEAI_HOME ($HOME/.edgeai; the passwd home when HOME differs). */
const defaultHomes = [...new Set([join(homedir(), '.edgeai'), join(userInfo().homedir, '.edgeai')])];

/** Every entry under dir with its size and modification time (a SQLite file written to changes both). */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  if (!existsSync(dir)) return out;
  const walk = (p: string) => {
    let st;
    try {
      st = lstatSync(p);
    } catch {
      return; // removed while we looked
    }
    out.set(relative(dir, p) || '.', `${st.isDirectory() ? 'dir' : st.size} ${st.mtimeMs}`);
    if (st.isDirectory()) for (const e of readdirSync(p)) walk(join(p, e));
  };
  walk(dir);
  return out;
}

function changes(before: Map<string, string>, after: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [k, v] of after) {
    if (!before.has(k)) out.push(`created ${k}`);
    else if (before.get(k) !== v) out.push(`changed ${k}`);
  }
  for (const k of before.keys()) if (!after.has(k)) out.push(`removed ${k}`);
  return out;
}

/** The parent pid of a process (Linux /proc), or undefined. */
function parentOf(pid: number): number | undefined {
  try {
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so read after the last ')'
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/**
 * Processes outside this test run (not the vitest process that started this worker, nor any of
 * its descendants) holding a file under dir open: a studio or `edgeai gateway` the user runs
 * meanwhile writes its own cluster's state, and that is not a test's doing. Linux only; elsewhere
 * (or without permission to look) none are found and the guard stays strict.
 */
function holdersOutsideThisRun(dir: string): string[] {
  if (!existsSync('/proc/self/fd')) return [];
  const run = process.ppid;
  const ours = (pid: number) => {
    for (let p: number | undefined = pid, i = 0; p && p > 1 && i < 64; p = parentOf(p), i++) if (p === run || p === process.pid) return true;
    return false;
  };
  const out: string[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${e}/fd`);
    } catch {
      continue;
    }
    const holds = fds.some((fd) => {
      try {
        return readlinkSync(`/proc/${e}/fd/${fd}`).startsWith(dir + '/');
      } catch {
        return false;
      }
    });
    if (holds && !ours(Number(e))) {
      let cmd = '';
      try {
        cmd = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0').join(' ').trim().slice(0, 80);
      } catch {
        /* gone */
      }
      out.push(`pid ${e}${cmd ? ` (${cmd})` : ''}`);
    }
  }
  return out;
}

const homesBefore = defaultHomes.map((h) => ({ home: h, existed: existsSync(h), entries: snapshot(h) }));

const realTmp = tmpdir();
// inside the run's folder (vitest.global-setup.ts), which goes with the run even when this file's afterAll never runs
const sandbox = mkdtempSync(join(process.env.EDGEAI_TEST_TMP_ROOT ?? realTmp, 'vt-'));
process.env.TMPDIR = sandbox;
const home = join(sandbox, 'edgeai-home');
process.env.EDGEAI_HOME = home;
delete process.env.EDGEAI_CLUSTER;

afterAll(() => {
  // what the file's tests left in its temporary folder (their own home excepted: the net removes it)
  const left = existsSync(sandbox) ? readdirSync(sandbox).filter((e) => e !== 'edgeai-home' && !/^tsx-\d+$/.test(e)) : [];
  process.env.TMPDIR = realTmp;
  rmSync(sandbox, { recursive: true, force: true });
  if (left.length) console.warn(`temporary entries this file's tests did not remove (removed now): ${left.join(', ')}`);
  const touched = homesBefore.flatMap(({ home: h, existed, entries }) => {
    const diff = changes(entries, snapshot(h));
    if (!diff.length) return [];
    const others = holdersOutsideThisRun(h);
    if (others.length) {
      console.warn(`${h} changed during this file, but ${others.join(', ')} outside this test run holds it open: not counted against the tests (${diff.slice(0, 3).join(', ')})`);
      return [];
    }
    return [`${h} (${existed ? 'existed before this file' : 'did not exist before this file'}): ${diff.slice(0, 8).join(', ')}${diff.length > 8 ? `, … ${diff.length - 8} more` : ''}`];
  });
  if (touched.length) {
    throw new Error(`the default EDGEAI home, the user's state, changed while this file ran (a test of this file, or of a file running at the same time, opened it): ${touched.join('; ')}. Give every Controller, StudioService and CLI call a home of its own (tests get $EDGEAI_HOME=${home}).`);
  }
}, 60_000);
