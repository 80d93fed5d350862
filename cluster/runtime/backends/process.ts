/**
 * The process backend: every node agent is a detached child process of the controller (so it
 * survives a controller restart and is re-adopted from its agent.json), with its artifact
 * store in a folder under the cluster's home. Needs nothing installed.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentBuild } from '../build';
import { waitForAgent, type Backend, type NodeHandle, type NodeLaunch } from '../backend';
import { AgentClient } from '../agent/client';

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readRegistration(storeDir: string): { port: number; pid: number; node?: string; cluster?: string; startedAt?: string } | undefined {
  try {
    return JSON.parse(readFileSync(join(storeDir, 'agent.json'), 'utf8'));
  } catch {
    return undefined;
  }
}

async function healthOk(port: number, node: string, cluster: string): Promise<boolean> {
  try {
    await new AgentClient(node, port).healthOf(cluster, { timeoutMs: 1000 });
    return true;
  } catch {
    return false;
  }
}

export class ProcessBackend implements Backend {
  readonly kind = 'process' as const;

  async prepare(): Promise<void> {}

  async start(spec: NodeLaunch, build: AgentBuild): Promise<NodeHandle> {
    mkdirSync(spec.storeDir, { recursive: true });
    rmSync(join(spec.storeDir, 'agent.json'), { force: true });
    const log = openSync(join(spec.storeDir, 'agent.log'), 'a');
    const child = spawn(process.execPath, [build.agent, '--node', spec.name, '--cluster', spec.cluster, '--store', spec.storeDir, '--host', '127.0.0.1', '--port', '0'], {
      detached: true,
      stdio: ['ignore', log, log],
      env: { ...process.env, EDGEAI_TFJS_WASM_DIR: build.dir + '/', EDGEAI_WORKER: build.worker },
    });
    closeSync(log);
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
    return { name: spec.name, port: reg.port, pid: reg.pid };
  }

  async stop(handle: NodeHandle): Promise<void> {
    if (!handle.pid) return;
    await new AgentClient(handle.name, handle.port).shutdown({ timeoutMs: 1000 }).catch(() => undefined /* already gone */);
    const t0 = Date.now();
    while (pidAlive(handle.pid) && Date.now() - t0 < 2000) await new Promise((r) => setTimeout(r, 25));
    if (pidAlive(handle.pid)) await this.kill(handle);
  }

  async kill(handle: NodeHandle): Promise<void> {
    if (!handle.pid) return;
    try {
      // the agent leads its own process group (detached): take its workers with it
      process.kill(-handle.pid, 'SIGKILL');
    } catch {
      try {
        process.kill(handle.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    const t0 = Date.now();
    while (pidAlive(handle.pid) && Date.now() - t0 < 2000) await new Promise((r) => setTimeout(r, 10));
  }

  async adopt(cluster: string, names: string[], storeDirOf: (name: string) => string): Promise<NodeHandle[]> {
    const out: NodeHandle[] = [];
    for (const name of names) {
      const dir = storeDirOf(name);
      if (!existsSync(dir)) continue;
      const reg = readRegistration(dir);
      if (!reg || !pidAlive(reg.pid)) continue;
      if (await healthOk(reg.port, name, cluster)) out.push({ name, port: reg.port, pid: reg.pid });
    }
    return out;
  }

  async teardown(): Promise<void> {}
}
