/**
 * The process backend: every node agent is a detached child process of the controller (so it
 * survives a controller restart and is re-adopted from its agent.json), with its artifact
 * store in a folder under the cluster's home. Needs nothing installed.
 *
 * Each agent leads its own process group (detached) and forks its workers into it, so stop(),
 * kill() and teardown() end the group: no worker outlives its agent, not even one that was
 * spinning when the agent was SIGKILLed (its parent is gone then, and it would run on with
 * ppid 1). The agent is told its node's memory (the device profile's), from which it sets its
 * workers' heap limit and the node's worker cap.
 *
 * The cluster's agent secret reaches the agent on its stdin (`--secret-stdin`), written once at
 * spawn and closed: not on its command line (ps shows that to every user), not in its environment
 * (/proc/<pid>/environ, and what it starts), not in a file in the node's store (agent/secret.ts).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentBuild } from '../build';
import { waitForAgent, type Backend, type NodeHandle, type NodeLaunch } from '../backend';
import { AgentClient } from '../agent/client';
import { SECRET_ENV } from '../agent/secret';

/** Alive and not a zombie (an exited child nobody reaped yet still answers kill 0). */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S …"; the comm may hold spaces and parentheses
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (macOS): kill 0 is all there is
  }
}

/**
 * The live processes of process group `pgid` (Linux: read from /proc), each with its command
 * line; undefined where /proc is not there to say.
 */
function groupMembers(pgid: number): Array<{ pid: number; cmdline: string }> | undefined {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return undefined;
  }
  const out: Array<{ pid: number; cmdline: string }> = [];
  for (const d of pids) {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // fields[0] is the state, [1] the ppid, [2] the process group
      if (Number(fields[2]) !== pgid || fields[0] === 'Z') continue;
      out.push({ pid: Number(d), cmdline: readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0/g, ' ') });
    } catch {
      /* it exited meanwhile */
    }
  }
  return out;
}

/**
 * SIGKILLs what is left of an agent's process group: its workers, and the agent if it still runs.
 * Where /proc can say (Linux), only members running an agent build (its agent.cjs or worker.cjs)
 * are killed: a group whose agent is gone may share its number with another program by now.
 */
async function killGroup(pgid: number, build?: { dir: string }): Promise<void> {
  const members = groupMembers(pgid);
  if (!members) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      /* the group is empty */
    }
    return waitGone([pgid]);
  }
  const ours = members.filter((m) => /(worker|agent)\.cjs/.test(m.cmdline) && (!build || m.cmdline.includes(build.dir)));
  for (const m of ours) {
    try {
      process.kill(m.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  await waitGone(ours.map((m) => m.pid));
}

async function waitGone(pids: number[], timeoutMs = 2000): Promise<void> {
  const t0 = Date.now();
  while (pids.some(pidAlive) && Date.now() - t0 < timeoutMs) await new Promise((r) => setTimeout(r, 10));
}

function readRegistration(storeDir: string): { port: number; pid: number; node?: string; cluster?: string; startedAt?: string } | undefined {
  try {
    return JSON.parse(readFileSync(join(storeDir, 'agent.json'), 'utf8'));
  } catch {
    return undefined;
  }
}

async function healthOk(port: number, node: string, cluster: string, secret: string): Promise<boolean> {
  try {
    await new AgentClient(node, port, secret).healthOf(cluster, { timeoutMs: 1000 });
    return true;
  } catch {
    return false;
  }
}

export class ProcessBackend implements Backend {
  readonly kind = 'process' as const;
  /** the store of every node this backend started or looked for, by cluster: teardown() ends what still runs there */
  private readonly stores = new Map<string, Set<string>>();

  private remember(cluster: string, storeDir: string): void {
    const set = this.stores.get(cluster) ?? new Set<string>();
    set.add(storeDir);
    this.stores.set(cluster, set);
  }

  async prepare(): Promise<void> {}

  async start(spec: NodeLaunch, build: AgentBuild): Promise<NodeHandle> {
    mkdirSync(spec.storeDir, { recursive: true });
    this.remember(spec.cluster, spec.storeDir);
    // an earlier agent of this node that died with workers left: they go before a new one starts
    const earlier = readRegistration(spec.storeDir);
    if (earlier && !pidAlive(earlier.pid)) await killGroup(earlier.pid, build);
    rmSync(join(spec.storeDir, 'agent.json'), { force: true });
    const log = openSync(join(spec.storeDir, 'agent.log'), 'a');
    const args = [build.agent, '--node', spec.name, '--cluster', spec.cluster, '--store', spec.storeDir, '--host', '127.0.0.1', '--port', '0', '--secret-stdin'];
    if (spec.memoryBytes > 0) args.push('--memory-bytes', String(spec.memoryBytes));
    // the agent's environment is the controller's (its timeouts, say), less any agent secret in it
    const env: NodeJS.ProcessEnv = { ...process.env, EDGEAI_TFJS_WASM_DIR: build.dir + '/', EDGEAI_WORKER: build.worker };
    delete env[SECRET_ENV];
    // where an accelerator node's agent watches its sticks (the tree `up` attached them from)
    if (spec.sysfsRoot) env.EDGEAI_SYSFS_ROOT = spec.sysfsRoot;
    const child = spawn(process.execPath, args, { detached: true, stdio: ['pipe', log, log], env });
    closeSync(log);
    // an agent that died at once closes its end: its exit says why, not an EPIPE here
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(spec.secret + '\n');
    child.unref();
    let exited = false;
    child.once('exit', () => (exited = true));
    const reg = await waitForAgent(
      () => {
        const r = readRegistration(spec.storeDir);
        return r && r.pid === child.pid ? r : undefined;
      },
      () => !exited,
      `the agent of node ${spec.name} (see ${join(spec.storeDir, 'agent.log')})`,
    );
    return { name: spec.name, port: reg.port, pid: reg.pid, secret: spec.secret };
  }

  async stop(handle: NodeHandle): Promise<void> {
    if (!handle.pid) return;
    if (pidAlive(handle.pid)) {
      await new AgentClient(handle.name, handle.port, handle.secret).shutdown({ timeoutMs: 1000 }).catch(() => undefined /* already gone */);
      await waitGone([handle.pid]);
    }
    // whatever is left of its group: the agent if it did not stop, workers if it had died
    await killGroup(handle.pid);
  }

  async kill(handle: NodeHandle): Promise<void> {
    if (!handle.pid) return;
    // the agent leads its own process group (detached): take its workers with it
    await killGroup(handle.pid);
  }

  async adopt(cluster: string, names: string[], storeDirOf: (name: string) => string, secret: string): Promise<NodeHandle[]> {
    const out: NodeHandle[] = [];
    for (const name of names) {
      const dir = storeDirOf(name);
      if (!existsSync(dir)) continue;
      this.remember(cluster, dir);
      const reg = readRegistration(dir);
      if (!reg || !pidAlive(reg.pid)) continue;
      if (await healthOk(reg.port, name, cluster, secret)) out.push({ name, port: reg.port, pid: reg.pid, secret });
    }
    return out;
  }

  /** Ends what is left of the groups of this cluster's agents (one that died leaves its workers). */
  async teardown(cluster: string): Promise<void> {
    for (const dir of this.stores.get(cluster) ?? []) {
      const reg = readRegistration(dir);
      if (reg) await killGroup(reg.pid);
    }
    this.stores.delete(cluster);
  }
}
