/**
 * Where node agents live. `process` (the embedded default) runs them as child processes;
 * `docker` runs each in a container. Both start the same agent build; the host reaches a process
 * agent on 127.0.0.1 and a container's agent at its address on the cluster's own Docker network
 * (an internal network: no egress, and no route between containers).
 */
import { posix } from 'node:path';
import type { AgentBuild } from './build';
import type { AgentVia } from './agent/client';

export interface NodeLaunch {
  cluster: string;
  name: string;
  /** the node's artifact store (a folder on the host, or the container's volume) */
  storeDir: string;
  cpuMillis: number;
  memoryBytes: number;
  labels: Record<string, string>;
  /** the topology network the node is on (docker: one Docker network per topology network) */
  network: string;
  /**
   * the device's execution time relative to the xeon cpu VM (docs/reference.md §4): docker caps
   * a container at cpuMillis / slowdown, so a Raspberry Pi 3 gets the CPU a Pi 3 has
   */
  slowdown?: number;
  /** attach the host's USB bus (accelerator nodes) */
  usb?: boolean;
  /**
   * accelerator nodes: the sysfs tree the node's agent watches for its sticks (absent: /sys);
   * the one `up` attached them from, so the agent starts from what was attached
   */
  sysfsRoot?: string;
  /** the cluster's agent secret (agent/secret.ts): the agent serves only requests that carry it */
  secret: string;
}

/**
 * The sysfs tree a containerised node's agent must be given (docker, kubernetes): none for /sys
 * (a container's /sys is its host's, read-only, with every USB device in it) or a node without
 * sticks; another tree (EDGEAI_SYSFS_ROOT, a studio's fake one) is mounted read-only at its own
 * path and named to the agent in EDGEAI_SYSFS_ROOT, so it starts from the sticks `up` attached.
 */
export function sysfsTreeToMount(spec: Pick<NodeLaunch, 'usb' | 'sysfsRoot'>): string | undefined {
  if (!spec.usb || !spec.sysfsRoot) return undefined;
  return posix.normalize(spec.sysfsRoot).replace(/(.)\/+$/, '$1') === '/sys' ? undefined : spec.sysfsRoot;
}

export interface NodeHandle {
  name: string;
  /** where the agent answers: `host` (default 127.0.0.1; a container: its address on the cluster's Docker network) and port */
  port: number;
  host?: string;
  pid?: number;
  container?: string;
  /** the cluster's agent secret, which every request to the agent carries */
  secret: string;
  /** the agent is reached another way than host:port (kubernetes: the API server's pod proxy) */
  via?: AgentVia;
}

export interface Backend {
  readonly kind: 'process' | 'docker' | 'kubernetes';
  /** false: the nodes need no agent build (a test's fake backend); default true */
  readonly needsAgentBuild?: boolean;
  /** one-time preparation (docker: build or find the node image) */
  prepare(build: AgentBuild, progress: (msg: string) => void): Promise<void>;
  start(spec: NodeLaunch, build: AgentBuild): Promise<NodeHandle>;
  /** graceful stop and removal */
  stop(handle: NodeHandle): Promise<void>;
  /** SIGKILL / docker kill: fault injection and tests */
  kill(handle: NodeHandle): Promise<void>;
  /** nodes of this cluster that are still running and answer to the cluster's secret (after a controller restart) */
  adopt(cluster: string, names: string[], storeDirOf: (name: string) => string, secret: string): Promise<NodeHandle[]>;
  /**
   * removes everything the backend created for the cluster; with keepStores the nodes' stores
   * stay for the next start (`cluster down --keep-state`)
   */
  teardown(cluster: string, opts?: { keepStores?: boolean }): Promise<void>;
  /** stops what the backend follows on its own (kubernetes: its watches); the nodes keep running. The controller calls it when it closes. */
  close?(): void;
  /** why the engine itself reports the node down (kubernetes: its Ready condition), if it does: the NotReady reason shown instead of the heartbeat count */
  notReadyReason?(node: string): string | undefined;
}

/** Reads agent.json the agent writes when it listens; undefined until then. */
export async function waitForAgent(
  read: () => { port: number; pid: number; startedAt?: string } | undefined,
  alive: () => boolean,
  what: string,
  timeoutMs = 20_000,
): Promise<{ port: number; pid: number }> {
  const t0 = Date.now();
  for (;;) {
    const r = read();
    if (r) return r;
    if (!alive()) throw new Error(`${what} exited before it was ready`);
    if (Date.now() - t0 > timeoutMs) throw new Error(`${what} did not become ready within ${timeoutMs / 1000} s`);
    await new Promise((res) => setTimeout(res, 25));
  }
}
