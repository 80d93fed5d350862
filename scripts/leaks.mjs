// What a full `npm test` (scripts/test.mjs) must leave behind: nothing. These are the checks it
// runs around vitest: the run's own TMPDIR must be empty afterwards, no process the run started
// may still be running, no Docker container, network or volume a test created may remain, and
// nothing may have been added under the user's ~/.edgeai. Plain JS (scripts/test.mjs runs before
// any TypeScript loader); scripts/leaks.test.ts tests every function here.
import { existsSync, lstatSync, readFileSync, readdirSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join, relative } from 'node:path';

/** The label every Docker object of a cluster carries (cluster/runtime/backends/docker.ts LABEL_CLUSTER; scripts/leaks.test.ts checks they agree). */
export const LABEL_CLUSTER = 'edgeai.cluster';

/** Every entry left in dir, as paths relative to it: a directory's own entries are listed too (up to `limit` in all). */
export function entriesLeft(dir, limit = 200) {
  const out = [];
  if (!existsSync(dir)) return out;
  const walk = (p) => {
    for (const e of readdirSync(p).sort()) {
      if (out.length >= limit) return;
      const full = join(p, e);
      let st;
      try {
        st = lstatSync(full);
      } catch {
        continue; // removed while we looked
      }
      out.push(relative(dir, full) + (st.isDirectory() ? '/' : ''));
      if (st.isDirectory()) walk(full);
    }
  };
  walk(dir);
  return out;
}

/** The default homes product code opens without EDGEAI_HOME ($HOME/.edgeai, and the passwd home's when HOME differs). */
export function defaultHomes() {
  return [...new Set([join(homedir(), '.edgeai'), join(userInfo().homedir, '.edgeai')])];
}

/** Every path under dir (dir itself as '.'): what was there before the run. */
export function listTree(dir) {
  const out = new Set();
  if (!existsSync(dir)) return out;
  const walk = (p) => {
    out.add(relative(dir, p) || '.');
    let st;
    try {
      st = lstatSync(p);
    } catch {
      return;
    }
    if (st.isDirectory()) for (const e of readdirSync(p)) walk(join(p, e));
  };
  walk(dir);
  return out;
}

/** Paths in `after` that were not in `before` (the home itself, when it did not exist, as '.'). */
export function added(before, after) {
  return [...after].filter((p) => !before.has(p)).sort();
}

/** /proc/<pid>/stat: parent pid and start time (clock ticks since boot), or undefined when gone. */
export function statOf(pid, proc = '/proc') {
  try {
    const stat = readFileSync(`${proc}/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so read after the last ')'
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), start: f[19] };
  } catch {
    return undefined;
  }
}

function cmdlineOf(pid, proc) {
  try {
    return readFileSync(`${proc}/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

function environOf(pid, proc) {
  try {
    return readFileSync(`${proc}/${pid}/environ`, 'utf8').split('\0');
  } catch {
    return [];
  }
}

function pids(proc) {
  try {
    return readdirSync(proc).filter((e) => /^\d+$/.test(e)).map(Number);
  } catch {
    return [];
  }
}

/**
 * Records every process below `root` while the run goes on (`sample()` from a timer): a process
 * that outlives the run has left its parent by then (re-parented to init), so it is found by what
 * was seen of it here. Keyed by pid and start time, so a pid reused later is not taken for it.
 */
export class ProcessTree {
  constructor(root, proc = '/proc') {
    this.root = root;
    this.proc = proc;
    /** `${pid}:${start}` → command line */
    this.seen = new Map();
  }

  sample() {
    const parent = new Map();
    const all = pids(this.proc);
    const stats = new Map();
    for (const pid of all) {
      const st = statOf(pid, this.proc);
      if (st) {
        stats.set(pid, st);
        parent.set(pid, st.ppid);
      }
    }
    for (const pid of all) {
      if (pid === this.root) continue;
      let p = parent.get(pid);
      for (let i = 0; p && p > 1 && i < 64; p = parent.get(p), i++) {
        if (p === this.root) {
          const key = `${pid}:${stats.get(pid).start}`;
          if (!this.seen.has(key)) this.seen.set(key, cmdlineOf(pid, this.proc));
          break;
        }
      }
    }
  }

  /** The pids seen below the root (as numbers): Docker objects named after one were made by the run. */
  pids() {
    return new Set([...this.seen.keys()].map((k) => Number(k.split(':')[0])));
  }
}

/**
 * Processes still running that the run started: one seen below the run's root (same pid and start
 * time), one whose environment has TMPDIR inside the run's TMPDIR (everything the run starts
 * inherits it), or one whose command line names the run's TMPDIR or one of `markers` (the repo's
 * agent build, dist/agent/). `exclude`: pids never reported (this process and its parents).
 */
export function leftoverProcesses({ tree, tmp, markers = [], exclude = [], proc = '/proc' }) {
  const out = [];
  const skip = new Set(exclude);
  for (const pid of pids(proc)) {
    if (skip.has(pid)) continue;
    const st = statOf(pid, proc);
    if (!st) continue;
    const cmd = cmdlineOf(pid, proc);
    if (!cmd) continue; // a kernel thread, or a zombie: nothing runs
    const why = [];
    if (tree?.seen.has(`${pid}:${st.start}`)) why.push('started by the run');
    const tmpEnv = environOf(pid, proc).find((e) => e.startsWith('TMPDIR='));
    if (tmp && tmpEnv && (tmpEnv === `TMPDIR=${tmp}` || tmpEnv.startsWith(`TMPDIR=${tmp}/`))) why.push("has the run's TMPDIR");
    if (tmp && cmd.includes(tmp)) why.push("names the run's TMPDIR");
    const marker = markers.find((m) => cmd.includes(m));
    if (marker) why.push(`runs ${marker}`);
    if (why.length) out.push({ pid, cmd: cmd.slice(0, 160), why });
  }
  return out;
}

/** This process and its ancestors: never a leftover of the run it runs. */
export function selfAndAncestors(proc = '/proc') {
  const out = [process.pid];
  for (let p = process.ppid, i = 0; p && p > 1 && i < 64; p = statOf(p, proc)?.ppid, i++) out.push(p);
  return out;
}

/**
 * The Docker objects (containers, also stopped ones; networks; volumes) carrying LABEL_CLUSTER,
 * as { kind, id, name, cluster, created (ms) }; null when no engine answers within 3 s.
 */
export async function dockerObjects() {
  let Docker;
  try {
    Docker = (await import('dockerode')).default;
  } catch {
    return null;
  }
  const docker = new Docker();
  const withTimeout = (p) =>
    Promise.race([p, new Promise((_, reject) => setTimeout(() => reject(new Error('no answer within 3 s')), 3000).unref())]);
  try {
    await withTimeout(docker.ping());
    const filters = { label: [LABEL_CLUSTER] };
    const [containers, networks, volumes] = await Promise.all([
      withTimeout(docker.listContainers({ all: true, filters })),
      withTimeout(docker.listNetworks({ filters })),
      withTimeout(docker.listVolumes({ filters })),
    ]);
    return [
      ...containers.map((c) => ({ kind: 'container', id: c.Id, name: (c.Names?.[0] ?? c.Id).replace(/^\//, ''), cluster: c.Labels?.[LABEL_CLUSTER] ?? '', created: c.Created * 1000 })),
      ...networks.map((n) => ({ kind: 'network', id: n.Id, name: n.Name, cluster: n.Labels?.[LABEL_CLUSTER] ?? '', created: Date.parse(n.Created) })),
      ...(volumes.Volumes ?? []).map((v) => ({ kind: 'volume', id: v.Name, name: v.Name, cluster: v.Labels?.[LABEL_CLUSTER] ?? '', created: Date.parse(v.CreatedAt) })),
    ];
  } catch {
    return null;
  }
}

/**
 * Of the labelled Docker objects now, those created during the run: not there before (`before`:
 * ids) and created at or after `startedAt`. Several jobs may share one engine, so an object counts
 * as the run's (`ours`) only when its cluster name holds the pid of a process the run started (the
 * tests name their clusters `<suite>-<pid>`); the others created meanwhile are `others`.
 */
export function dockerLeftovers({ before, after, startedAt, runPids }) {
  const ours = [];
  const others = [];
  // the engine's clock and ours may disagree by a little; `before` is what matters most
  const created = after.filter((o) => !before.has(o.id) && !(o.created < startedAt - 5000));
  for (const o of created) {
    const named = (o.cluster.match(/\d+/g) ?? []).map(Number).some((n) => runPids.has(n));
    (named ? ours : others).push(o);
  }
  return { ours, others };
}

/**
 * Lines of vitest's output naming what a file's tests left in their own temporary folder (the net
 * in vitest.setup.ts removes it and says so): [{ file, entries }]. The file is the one named by the
 * last `stdout | <file>` / `stderr | <file>` header before the message.
 */
export function netCatches(output) {
  const out = [];
  let file = '?';
  // eslint-disable-next-line no-control-regex
  for (const line of output.replace(/\x1b\[[0-9;]*m/g, '').split('\n')) {
    const h = /^(?:stdout|stderr) \| (\S+)/.exec(line);
    if (h) file = h[1];
    const m = /temporary entries this file's tests did not remove \(removed now\): (.*)$/.exec(line);
    if (m) out.push({ file, entries: m[1].trim() });
  }
  return out;
}
