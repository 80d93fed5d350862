/**
 * The docker backend: every node agent is a container of the node image (built once per agent
 * build in prepare(), see docker-image.ts), with
 * - the device profile's memory limit and its CPU scaled by the device's slowdown (cpuCapOf: a
 *   Raspberry Pi 3 gets 0.29 of a core), capped at the host's cores,
 * - the node's labels plus edgeai.* labels (cluster, node, network, build) on everything created,
 * - one Docker network per topology network: Internal (no egress) with inter-container traffic
 *   off (networkSpec); no port is published: the host reaches each agent at the container's
 *   address on that network (port 7070), which only the host and the container itself can reach,
 * - the user nobody (65534), not privileged, all capabilities dropped, no-new-privileges, a
 *   read-only root filesystem with a noexec tmpfs /tmp, at most 512 processes, and no mounts but
 *   the node's store volume at /store, which nobody owns (accelerator nodes: also the host's USB
 *   bus and the group that owns its device files, docs/reference.md §6, and the host's Edge TPU
 *   runtime libedgetpu.so.1 read-only on their LD_LIBRARY_PATH when the host has it, found as
 *   the readiness check finds it; when not, start() says so in prepare()'s progress and the
 *   container's edgeai.edgetpu-runtime label is `missing`; and the sysfs tree the node's agent
 *   watches for its sticks: the container's /sys, or NodeLaunch.sysfsRoot bound read-only). The store is not
 *   mounted noexec (the engine's local driver mounts a named volume with default options); a
 *   function cannot start a program anyway (no child processes under the permission model).
 * The cluster's agent secret is in the container's environment (EDGEAI_AGENT_SECRET): the agent
 * deletes it from its own environment once read, its workers get a whitelisted one and cannot read
 * /proc/1/environ; who can `docker inspect` the container holds the Docker socket, root on the host.
 * The node's store is the named volume edgeai-<cluster>-<node>-store at /store (NodeLaunch.storeDir
 * is not used); it outlives stop() and kill() and goes with teardown().
 * adopt() finds running containers by label and checks /health; teardown() removes every
 * container, network and volume labelled with the cluster. The image stays (it is shared by
 * clusters and keyed by the agent build).
 *
 * Why one file of ~700 lines: one Backend implementation (networks, containers, USB passthrough, adoption, teardown) against the Docker engine's API; the node image is docker-image.ts.
 */
import Docker from 'dockerode';
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, join, posix } from 'node:path';
import { availableParallelism } from 'node:os';
import { createHash } from 'node:crypto';
import type { AgentBuild } from '../build';
import { sysfsTreeToMount, type Backend, type NodeHandle, type NodeLaunch } from '../backend';
import { AGENT_PORT, IMAGE_REPO, LABEL_BUILD, LABEL_MANAGED, NODE_UID, buildFromBase, followProgress, imageTagFor, importOfflineImage, linkedLibraries } from './docker-image';
import { EDGETPU_INSTALL_HINT, EDGETPU_LIBRARY, findLibrary, librarySearchPath } from '../../accelerators/runtimes';
import { StudioError } from '../../common/errors';
import { AgentClient } from '../agent/client';
import { SECRET_ENV } from '../agent/secret';

export const LABEL_CLUSTER = 'edgeai.cluster';
export const LABEL_NODE = 'edgeai.node';
export const LABEL_NETWORK = 'edgeai.network';

/**
 * The floor of a container's memory limit: the agent plus one worker with TensorFlow.js (wasm)
 * need about 150–200 MiB resident; a device profile smaller than that (a microcontroller-class
 * device) would only get OOM-killed agents, so the limit is raised to this.
 */
export const MIN_MEMORY_BYTES = 256 * 1024 * 1024;
/** The floor of a container's CPU: below a tenth of a core the agent misses its start-up deadline. */
export const MIN_CPU_MILLIS = 100;
const USB_BUS = '/dev/bus/usb';
/** USB character devices (major 189): read, write, mknod — docs/reference.md §6. */
const USB_CGROUP_RULE = 'c 189:* rmw';
/**
 * Where an accelerator node sees the host's Edge TPU runtime: libedgetpu.so.1 (and the libraries
 * it links that a node image has no copy of, libusb-1.0) bound read-only into this folder, which
 * is the container's LD_LIBRARY_PATH — the first folder the agent's readiness check
 * (accelerators/runtimes.ts librarySearchPath) and the dynamic linker look in.
 */
export const EDGETPU_LIBRARY_DIR = '/opt/edgetpu/lib';
/** Libraries every node image has (Node.js links them): not bound from the host. */
const IMAGE_HAS = /^(libc|libm|libdl|librt|libpthread|libstdc\+\+|libgcc_s|ld-linux[^.]*|linux-vdso)\.so/;
/** The label that says what a container got of the host's Edge TPU runtime: its path, or `missing`. */
export const LABEL_EDGETPU_RUNTIME = 'edgeai.edgetpu-runtime';

export interface DockerBackendOptions {
  /** the engine's socket; default: DOCKER_HOST, else /var/run/docker.sock */
  socketPath?: string;
  /** how long prepare() waits for a registry to answer a pull of the base image before building offline (default 3 s) */
  pullTimeoutMs?: number;
  /** how long a pull that has started may take (default 300 s) */
  pullTotalTimeoutMs?: number;
  /** base image to build from when present or pullable; false: always build offline */
  baseImage?: string | false;
  /** the host's USB bus, bound into accelerator nodes (default /dev/bus/usb) */
  usbPath?: string;
  /** how long start() waits for the agent to answer /health (default 20 s) */
  readyTimeoutMs?: number;
  /**
   * where the host's libedgetpu.so.1 is looked for, as the readiness check takes them (default:
   * EDGEAI_LIBRARY_DIRS, then LD_LIBRARY_PATH and the system folders — hostEdgeTpuReadiness's)
   */
  libraryDirs?: readonly string[];
}

/** The host's library folders as hostEdgeTpuReadiness searches them. */
function hostLibraryDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  return [...(env.EDGEAI_LIBRARY_DIRS ?? '').split(':').filter(Boolean), ...librarySearchPath(env)];
}

/** What an accelerator node gets of the host's Edge TPU runtime: read-only binds, or why none. */
export interface EdgeTpuRuntimeMount {
  mounts: Docker.MountSettings[];
  /** the library on the host (symlinks resolved), when found */
  library?: string;
  /** why the node has no Edge TPU runtime (its Edge TPU models then run on the CPU) */
  missing?: string;
}

/**
 * Finds libedgetpu.so.1 the way the process backend's agents do (findLibrary over `dirs`) and
 * binds the real file (through its symlinks: libedgetpu.so.1 -> libedgetpu.so.1.0) read-only at
 * EDGETPU_LIBRARY_DIR/libedgetpu.so.1, with the libraries it links that are not in the image.
 */
export function edgeTpuRuntimeMount(dirs: readonly string[]): EdgeTpuRuntimeMount {
  const lib = findLibrary(EDGETPU_LIBRARY, dirs);
  if (!lib.found) return { mounts: [], missing: `the host's Edge TPU runtime is not mounted: ${lib.reason}; Edge TPU models run on the node's CPU (${EDGETPU_INSTALL_HINT})` };
  const real = realpathSync(lib.path);
  const mounts: Docker.MountSettings[] = [{ Type: 'bind', Source: real, Target: posix.join(EDGETPU_LIBRARY_DIR, EDGETPU_LIBRARY), ReadOnly: true }];
  let deps: Array<{ imagePath: string; hostPath: string }> = [];
  try {
    deps = linkedLibraries(real);
  } catch {
    /* not one ldd reads (a test's stand-in): the library alone */
  }
  const seen = new Set([EDGETPU_LIBRARY]);
  for (const d of deps) {
    const name = basename(d.imagePath);
    if (IMAGE_HAS.test(name) || seen.has(name) || !d.imagePath.startsWith('/')) continue;
    seen.add(name);
    mounts.push({ Type: 'bind', Source: d.hostPath, Target: posix.join(EDGETPU_LIBRARY_DIR, name), ReadOnly: true });
  }
  return { mounts, library: real };
}

/** Docker is missing, not running or not reachable: the message says what to do. */
export class DockerUnavailableError extends StudioError {
  constructor(readonly reason: string) {
    super('docker-unavailable', reason);
    this.name = 'DockerUnavailableError';
  }
}

interface EngineError {
  statusCode?: number;
  reason?: string;
  json?: { message?: string } | null;
  message?: string;
  code?: string;
}

function engineMessage(e: unknown): string {
  const err = e as EngineError;
  if (err.json && typeof err.json === 'object' && err.json.message) return err.json.message;
  // dockerode: "(HTTP code 500) server error - <the engine's message>"
  const m = /^\(HTTP code \d+\) [^-]*- (.+)$/s.exec(err.message ?? '');
  return (m ? m[1].trim() : undefined) || err.message || err.reason || String(e);
}

function statusOf(e: unknown): number | undefined {
  return (e as EngineError).statusCode;
}

/** Ignores "no such …" (404) and "already in that state" (304/409) answers of the engine. */
async function tolerate<T>(p: Promise<T>, ...codes: number[]): Promise<T | undefined> {
  try {
    return await p;
  } catch (e) {
    if (codes.includes(statusOf(e) ?? -1)) return undefined;
    throw e;
  }
}

function dockerClient(socketPath?: string): Docker {
  return socketPath ? new Docker({ socketPath }) : new Docker();
}

function describeEndpoint(socketPath?: string): string {
  if (socketPath) return socketPath;
  return process.env.DOCKER_HOST || '/var/run/docker.sock';
}

/** Whether a Docker engine answers; otherwise why not and what to do. Never throws. */
export async function dockerAvailable(socketPath?: string): Promise<{ ok: true } | { ok: false; reason: string }> {
  const where = describeEndpoint(socketPath);
  try {
    const docker = dockerClient(socketPath);
    await Promise.race([
      docker.ping(),
      new Promise((_, reject) => setTimeout(() => reject(Object.assign(new Error('no answer within 3 s'), { code: 'ETIMEDOUT' })), 3000).unref()),
    ]);
    return { ok: true };
  } catch (e) {
    const err = e as EngineError;
    if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED')
      return { ok: false, reason: `Docker is not running (nothing answers at ${where}): start dockerd or use --backend process (scripts/docker-setup.sh installs and starts Docker)` };
    if (err.code === 'EACCES' || err.code === 'EPERM')
      return { ok: false, reason: `Docker is running but ${where} is not accessible (permission denied): add your user to the docker group, or use --backend process` };
    return { ok: false, reason: `Docker is not running or not answering at ${where} (${engineMessage(e)}): start dockerd or use --backend process` };
  }
}

/** A Docker object name from free-form parts ([a-zA-Z0-9][a-zA-Z0-9_.-]*), unique per input. */
export function dockerName(...parts: string[]): string {
  const raw = parts.join('-');
  const clean = raw.replace(/[^a-zA-Z0-9_.-]/g, '-').replace(/^[^a-zA-Z0-9]+/, '');
  if (clean === raw && clean.length <= 200) return clean;
  // sanitized (or very long): add a short hash of the original so two names cannot collide
  return `${clean.slice(0, 180)}-${createHash('sha256').update(raw).digest('hex').slice(0, 8)}`;
}

export function containerNameOf(cluster: string, node: string): string {
  return dockerName('edgeai', cluster, node);
}
export function networkNameOf(cluster: string, network: string): string {
  return dockerName('edgeai', cluster, 'net', network);
}
export function volumeNameOf(cluster: string, node: string): string {
  return dockerName('edgeai', cluster, node, 'store');
}

/**
 * One topology network: a bridge that is `Internal` (no route out of it: a function cannot reach
 * the internet, the host's LAN or a registry) with inter-container traffic off (a node cannot
 * reach another node's agent: every byte between nodes goes through the controller). The host
 * still reaches each container at its address on the bridge.
 */
export function networkSpec(cluster: string, network: string, name: string): Docker.NetworkCreateOptions {
  return {
    Name: name,
    Driver: 'bridge',
    CheckDuplicate: true,
    Internal: true,
    Options: { 'com.docker.network.bridge.enable_icc': 'false' },
    Labels: { [LABEL_MANAGED]: 'true', [LABEL_CLUSTER]: cluster, [LABEL_NETWORK]: network },
  };
}

function isolatedNetwork(n: Docker.NetworkInspectInfo): boolean {
  return n.Internal === true && n.Options?.['com.docker.network.bridge.enable_icc'] === 'false';
}

/**
 * A container's CPU, in millicores: the node's cores scaled by its device's slowdown against the
 * xeon cpu VM (docs/reference.md §4; this host's cores count as that VM's), so a Raspberry Pi 3
 * (4 cores, 14× slower) gets 0.29 of a core, not the host; at least MIN_CPU_MILLIS (an agent
 * with less does not start in time), at most the host's cores.
 */
export function cpuCapOf(spec: Pick<NodeLaunch, 'cpuMillis' | 'slowdown'>, hostCores: number): number {
  if (!(spec.cpuMillis > 0)) return 0;
  const scaled = spec.cpuMillis / (spec.slowdown && spec.slowdown > 0 ? spec.slowdown : 1);
  return Math.round(Math.min(Math.max(scaled, MIN_CPU_MILLIS), hostCores * 1000));
}

/** The group ids that own the host's USB device files (plugdev under the usual udev rules). */
function usbGroupsOf(bus: string): string[] {
  const gids = new Set<number>();
  try {
    for (const b of readdirSync(bus)) for (const d of readdirSync(join(bus, b))) gids.add(statSync(join(bus, b, d)).gid);
  } catch {
    /* no bus, or unreadable: no extra group */
  }
  gids.delete(0);
  return [...gids].map(String);
}

/**
 * The agent's worker limits: the container's memory (its workers' heap limit and the node's
 * worker cap come from it) and the timeouts the controller's environment sets
 * (EDGEAI_LOAD_TIMEOUT_MS, EDGEAI_INVOKE_TIMEOUT_MS, EDGEAI_IDLE_MS), as the process backend's agents inherit them.
 */
function agentLimits(memoryBytes: number): string[] {
  const args = memoryBytes > 0 ? ['--memory-bytes', String(memoryBytes)] : [];
  for (const [flag, env] of [['--load-timeout-ms', 'EDGEAI_LOAD_TIMEOUT_MS'], ['--invoke-timeout-ms', 'EDGEAI_INVOKE_TIMEOUT_MS'], ['--idle-ms', 'EDGEAI_IDLE_MS']] as const) {
    const v = Number(process.env[env]);
    if (Number.isFinite(v) && v > 0) args.push(flag, String(Math.round(v)));
  }
  return args;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Where a container's agent answers: its address on the cluster's Docker network, port 7070. */
export interface AgentAddress {
  host: string;
  port: number;
}

/**
 * Whether the agent of `node` answers GET /health at `at` to the cluster's secret.
 * AgentClient's timer is a ref'd one on purpose: while the container's network is being plumbed,
 * connections can hang, and an unref'd timer (AbortSignal.timeout) would let a process with
 * nothing else to do exit in the middle of the wait.
 */
export async function probeHealth(at: AgentAddress, node: string, secret: string, cluster?: string, timeoutMs = 1000): Promise<boolean> {
  try {
    const h = await new AgentClient(node, at.port, secret, at.host).health({ timeoutMs });
    return h.node === node && (cluster === undefined || h.cluster === cluster);
  } catch {
    return false;
  }
}

/** Polls probeHealth until it answers (short attempts first: early connections can hang). */
export async function waitHealthy(at: AgentAddress, node: string, cluster: string | undefined, opts: { timeoutMs: number; secret: string; alive?: () => Promise<void> }): Promise<boolean> {
  const t0 = Date.now();
  let lastCheck = t0;
  for (;;) {
    const elapsed = Date.now() - t0;
    if (await probeHealth(at, node, opts.secret, cluster, elapsed < 2000 ? 100 : 1000)) return true;
    const now = Date.now();
    if (opts.alive && now - lastCheck > 300) {
      lastCheck = now;
      await opts.alive();
    }
    if (now - t0 > opts.timeoutMs) return false;
    await sleep(10);
  }
}


export class DockerBackend implements Backend {
  readonly kind = 'docker' as const;
  readonly docker: Docker;
  private readonly opts: Required<Omit<DockerBackendOptions, 'socketPath'>> & { socketPath?: string };
  private readonly images = new Map<string, Promise<string>>();
  private readonly networks = new Map<string, Promise<string>>();
  /** prepare()'s progress: start() says there when an accelerator node gets no Edge TPU runtime */
  private progress: (msg: string) => void = () => {};

  constructor(opts: DockerBackendOptions = {}) {
    this.opts = {
      socketPath: opts.socketPath,
      pullTimeoutMs: opts.pullTimeoutMs ?? 3000,
      pullTotalTimeoutMs: opts.pullTotalTimeoutMs ?? 300_000,
      baseImage: opts.baseImage ?? 'node:20-slim',
      usbPath: opts.usbPath ?? USB_BUS,
      readyTimeoutMs: opts.readyTimeoutMs ?? 20_000,
      libraryDirs: opts.libraryDirs ?? hostLibraryDirs(),
    };
    this.docker = dockerClient(opts.socketPath);
  }

  /** The image tag start() runs for this build. */
  imageTag(build: AgentBuild): string {
    return imageTagFor(build);
  }

  async prepare(build: AgentBuild, progress: (msg: string) => void): Promise<void> {
    this.progress = progress;
    const avail = await dockerAvailable(this.opts.socketPath);
    if (!avail.ok) throw new DockerUnavailableError(avail.reason);
    await this.ensureImage(build, progress);
  }

  /** Finds or builds the node image of `build` once per backend (concurrent callers share it). */
  ensureImage(build: AgentBuild, progress: (msg: string) => void = () => {}): Promise<string> {
    const tag = imageTagFor(build);
    let p = this.images.get(tag);
    if (!p) {
      p = this.buildImage(build, tag, progress);
      this.images.set(tag, p);
      p.catch(() => this.images.delete(tag));
    }
    return p;
  }

  private async imageExists(ref: string): Promise<boolean> {
    try {
      await this.docker.getImage(ref).inspect();
      return true;
    } catch (e) {
      if (statusOf(e) === 404) return false;
      throw e;
    }
  }

  private async buildImage(build: AgentBuild, tag: string, progress: (msg: string) => void): Promise<string> {
    if (await this.imageExists(tag)) {
      progress(`node image ${tag} is present`);
      return tag;
    }
    const base = this.opts.baseImage;
    if (base) {
      const have = (await this.imageExists(base)) || (await this.tryPull(base, progress));
      if (have) {
        const t0 = Date.now();
        progress(`building the node image ${tag} from ${base}`);
        try {
          await buildFromBase(this.docker, build, base, tag);
          progress(`built ${tag} from ${base} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
          return tag;
        } catch (e) {
          progress(`building from ${base} failed (${engineMessage(e)}); building offline instead`);
        }
      }
    }
    const t0 = Date.now();
    progress(`building the node image ${tag} offline from the local Node.js runtime (${process.execPath} ${process.version})`);
    try {
      await importOfflineImage(this.docker, build, tag);
    } catch (e) {
      throw new Error(`building the node image offline failed: ${engineMessage(e)}`);
    }
    progress(`built ${tag} offline in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return tag;
  }

  /**
   * Removes node images of other agent builds (each ~110 MB) that no container uses; returns
   * their tags. Not called automatically: another checkout may still be starting nodes of its
   * build. `cluster down` leaves the current image in place so the next `cluster up` is fast.
   */
  async pruneImages(keep: AgentBuild): Promise<string[]> {
    const keepTag = imageTagFor(keep);
    const images = await this.docker.listImages({ filters: { label: [`${LABEL_MANAGED}=true`], reference: [`${IMAGE_REPO}`] } });
    const removed: string[] = [];
    for (const img of images) {
      const tags = (img.RepoTags ?? []).filter((t) => t.startsWith(`${IMAGE_REPO}:`));
      if (!tags.length || tags.includes(keepTag)) continue;
      for (const t of tags) {
        if (await tolerate(this.docker.getImage(t).remove(), 404, 409).then((r) => r !== undefined)) removed.push(t);
      }
    }
    return removed;
  }

  /**
   * Pulls `ref`. Fails fast when no registry answers within pullTimeoutMs (the common offline
   * case: the engine reports "no such host" at once, or nothing at all); once layers are coming,
   * the pull may take up to pullTotalTimeoutMs.
   */
  private async tryPull(ref: string, progress: (msg: string) => void): Promise<boolean> {
    const ac = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    let fail: (e: Error) => void = () => {};
    const timeout = new Promise<never>((_, reject) => (fail = reject));
    const arm = (ms: number, why: string) => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        ac.abort();
        fail(new Error(why));
      }, ms);
    };
    arm(this.opts.pullTimeoutMs, `no registry answered within ${this.opts.pullTimeoutMs} ms`);
    let answered = false;
    progress(`pulling ${ref}`);
    try {
      await Promise.race([
        (async () => {
          const stream = (await this.docker.pull(ref, { abortSignal: ac.signal })) as NodeJS.ReadableStream;
          await followProgress(this.docker, stream, (e) => {
            if (!answered && e.status) {
              answered = true;
              arm(this.opts.pullTotalTimeoutMs, `the pull did not finish within ${this.opts.pullTotalTimeoutMs / 1000} s`);
              progress(`pulling ${ref}: ${e.status}`);
            }
          });
        })(),
        timeout,
      ]);
      return true;
    } catch (e) {
      progress(`cannot pull ${ref} (${engineMessage(e)})`);
      return false;
    } finally {
      clearTimeout(timer);
      ac.abort();
    }
  }

  private ensureNetwork(cluster: string, network: string): Promise<string> {
    const name = networkNameOf(cluster, network);
    let p = this.networks.get(name);
    if (!p) {
      p = this.createNetwork(cluster, network, name);
      this.networks.set(name, p);
      p.catch(() => this.networks.delete(name));
    }
    return p;
  }

  private async createNetwork(cluster: string, network: string, name: string): Promise<string> {
    const existing = (await this.docker.listNetworks({ filters: { label: [`${LABEL_CLUSTER}=${cluster}`, `${LABEL_NETWORK}=${network}`] } })).find((n) => n.Name === name);
    if (existing && isolatedNetwork(existing)) return name;
    if (existing) {
      // made by a version that let containers reach out: replaced (it is unused while the cluster is down)
      try {
        await tolerate(this.docker.getNetwork(existing.Id).remove(), 404);
      } catch (e) {
        throw new Error(`the Docker network ${name} of an earlier version lets containers reach the internet and cannot be replaced (${engineMessage(e)}): run \`edgeai cluster down\` and try again`);
      }
    }
    try {
      await this.docker.createNetwork(networkSpec(cluster, network, name));
    } catch (e) {
      if (statusOf(e) !== 409) throw new Error(`cannot create the Docker network ${name} for topology network ${network}: ${engineMessage(e)}`);
    }
    return name;
  }

  /** The container settings of a node (exported through start(); tests inspect the result). */
  containerSpec(spec: NodeLaunch, build: AgentBuild, network: string): Docker.ContainerCreateOptions {
    const name = containerNameOf(spec.cluster, spec.name);
    const labels: Record<string, string> = {
      ...spec.labels,
      [LABEL_MANAGED]: 'true',
      [LABEL_CLUSTER]: spec.cluster,
      [LABEL_NODE]: spec.name,
      [LABEL_NETWORK]: spec.network,
      [LABEL_BUILD]: build.hash,
    };
    const cpuMillis = cpuCapOf(spec, availableParallelism());
    const memory = spec.memoryBytes > 0 ? Math.max(spec.memoryBytes, MIN_MEMORY_BYTES) : 0;
    const mounts: Docker.MountSettings[] = [
      {
        Type: 'volume',
        Source: volumeNameOf(spec.cluster, spec.name),
        Target: '/store',
        ReadOnly: false,
        // the engine creates the volume with these labels on first use (no extra round trip)
        VolumeOptions: { NoCopy: false, DriverConfig: { Name: 'local', Options: {} }, Labels: { [LABEL_MANAGED]: 'true', [LABEL_CLUSTER]: spec.cluster, [LABEL_NODE]: spec.name } },
      },
    ];
    const deviceRules: string[] = [];
    const groups: string[] = [];
    const env = [`${SECRET_ENV}=${spec.secret}`];
    if (spec.usb) {
      const runtime = edgeTpuRuntimeMount(this.opts.libraryDirs);
      mounts.push(...runtime.mounts);
      labels[LABEL_EDGETPU_RUNTIME] = runtime.library ?? 'missing';
      if (runtime.library) env.push(`LD_LIBRARY_PATH=${EDGETPU_LIBRARY_DIR}`);
      // the whole bus, not one /dev/bus/usb/BBB/DDD: the sticks re-enumerate after firmware load
      mounts.push({ Type: 'bind', Source: this.opts.usbPath, Target: USB_BUS, ReadOnly: false });
      deviceRules.push(USB_CGROUP_RULE);
      // the agent is not root: it opens the stick through the group the host's udev rule gives it (plugdev)
      groups.push(...usbGroupsOf(this.opts.usbPath));
      // where its agent watches its sticks (backend.ts sysfsTreeToMount)
      const tree = sysfsTreeToMount(spec);
      if (tree) {
        mounts.push({ Type: 'bind', Source: tree, Target: tree, ReadOnly: true });
        env.push(`EDGEAI_SYSFS_ROOT=${tree}`);
      }
    }
    const port = `${AGENT_PORT}/tcp`;
    return {
      name,
      Image: imageTagFor(build),
      Cmd: ['--node', spec.name, '--cluster', spec.cluster, '--store', '/store', '--host', '0.0.0.0', '--port', String(AGENT_PORT), ...agentLimits(memory)],
      Env: env,
      Labels: labels,
      ExposedPorts: { [port]: {} },
      Hostname: dockerName(spec.name).slice(0, 63),
      // nobody: the image's /store belongs to it (docker-image.ts), nothing else is writable
      User: `${NODE_UID}:${NODE_UID}`,
      HostConfig: {
        // no published port: the host reaches the agent at the container's address on its internal network
        NetworkMode: network,
        ...(groups.length ? { GroupAdd: groups } : {}),
        Mounts: mounts,
        Tmpfs: { '/tmp': 'rw,noexec,nosuid,nodev,size=64m' },
        ReadonlyRootfs: true,
        Privileged: false,
        CapDrop: ['ALL'],
        SecurityOpt: ['no-new-privileges'],
        ...(deviceRules.length ? { DeviceCgroupRules: deviceRules } : {}),
        ...(memory ? { Memory: memory, MemorySwap: memory } : {}),
        ...(cpuMillis ? { NanoCpus: cpuMillis * 1_000_000 } : {}),
        PidsLimit: 512,
        RestartPolicy: { Name: 'no' },
        LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '2' } },
      },
      NetworkingConfig: { EndpointsConfig: { [network]: { Aliases: [dockerName(spec.name)] } } },
    };
  }

  async start(spec: NodeLaunch, build: AgentBuild): Promise<NodeHandle> {
    if (spec.usb && !existsSync(this.opts.usbPath))
      throw new Error(
        `node ${spec.name} has a USB accelerator but this host has no USB bus at ${this.opts.usbPath}: plug the accelerator in, or run without it (--backend process); Docker Desktop on macOS and Windows cannot pass USB devices through`,
      );
    await this.ensureImage(build);
    const network = await this.ensureNetwork(spec.cluster, spec.network);
    const opts = this.containerSpec(spec, build, network);
    if (spec.usb) {
      const lib = opts.Labels?.[LABEL_EDGETPU_RUNTIME];
      this.progress(lib && lib !== 'missing' ? `node ${spec.name}: the host's Edge TPU runtime ${lib} is mounted read-only at ${EDGETPU_LIBRARY_DIR}/${EDGETPU_LIBRARY}` : `node ${spec.name}: ${edgeTpuRuntimeMount(this.opts.libraryDirs).missing}`);
    }
    let container: Docker.Container;
    try {
      container = await this.docker.createContainer(opts);
    } catch (e) {
      if (statusOf(e) !== 409) throw new Error(`cannot create the container of node ${spec.name}: ${engineMessage(e)}`);
      // a container of an earlier run of this node (stopped, or killed): replace it
      await tolerate(this.docker.getContainer(opts.name!).remove({ force: true }), 404);
      container = await this.docker.createContainer(opts);
    }
    try {
      await container.start();
    } catch (e) {
      throw new Error(`cannot start the container of node ${spec.name}: ${engineMessage(e)}`);
    }
    const info = await container.inspect();
    const host = info.NetworkSettings.Networks?.[network]?.IPAddress;
    if (!host) {
      await tolerate(container.kill(), 404, 409);
      throw new Error(`the container of node ${spec.name} has no address on the Docker network ${network}`);
    }
    const at = { host, port: AGENT_PORT };
    await this.waitReady(container, at, spec);
    return { name: spec.name, ...at, container: container.id, secret: spec.secret };
  }

  private async waitReady(container: Docker.Container, at: AgentAddress, spec: NodeLaunch): Promise<void> {
    const ok = await waitHealthy(at, spec.name, spec.cluster, {
      timeoutMs: this.opts.readyTimeoutMs,
      secret: spec.secret,
      alive: async () => {
        const st = await tolerate(container.inspect(), 404);
        if (!st || !st.State.Running) {
          const logs = await this.tail(container);
          throw new Error(`the agent of node ${spec.name} exited before it was ready (exit code ${st?.State.ExitCode ?? '?'}${st?.State.OOMKilled ? ', killed: out of memory' : ''})${logs}`);
        }
      },
    });
    if (!ok) {
      const logs = await this.tail(container);
      await tolerate(container.kill(), 404, 409);
      throw new Error(`the agent of node ${spec.name} did not answer at ${at.host}:${at.port} within ${this.opts.readyTimeoutMs / 1000} s${logs}`);
    }
  }

  private async tail(container: Docker.Container): Promise<string> {
    try {
      const buf = (await container.logs({ stdout: true, stderr: true, tail: 20, follow: false })) as unknown as Buffer;
      // strip the 8-byte stream headers of the multiplexed log format
      const lines: string[] = [];
      let i = 0;
      while (i + 8 <= buf.length) {
        const len = buf.readUInt32BE(i + 4);
        lines.push(buf.subarray(i + 8, i + 8 + len).toString('utf8'));
        i += 8 + len;
      }
      const text = lines.join('').trim();
      return text ? `; its last output:\n${text}` : '';
    } catch {
      return '';
    }
  }

  async stop(handle: NodeHandle): Promise<void> {
    if (!handle.container) return;
    const c = this.docker.getContainer(handle.container);
    // SIGTERM: the agent stops its workers and exits; SIGKILL after 3 s
    await tolerate(c.stop({ t: 3 }), 304, 404);
    await tolerate(c.remove({ force: true }), 404, 409);
  }

  async kill(handle: NodeHandle): Promise<void> {
    if (!handle.container) return;
    const c = this.docker.getContainer(handle.container);
    await tolerate(c.kill({ signal: 'SIGKILL' }), 404, 409);
    const t0 = Date.now();
    while (Date.now() - t0 < 5000) {
      const st = await tolerate(c.inspect(), 404);
      if (!st || !st.State.Running) return;
      await sleep(10);
    }
  }

  async adopt(cluster: string, names: string[], _storeDirOf: (name: string) => string, secret: string): Promise<NodeHandle[]> {
    const wanted = new Set(names);
    const running = await this.docker.listContainers({ filters: { label: [`${LABEL_MANAGED}=true`, `${LABEL_CLUSTER}=${cluster}`], status: ['running'] } });
    const out: NodeHandle[] = [];
    await Promise.all(
      running.map(async (c) => {
        const name = c.Labels[LABEL_NODE];
        if (!name || !wanted.has(name)) return;
        const host = Object.values(c.NetworkSettings?.Networks ?? {}).find((n) => n.IPAddress)?.IPAddress;
        if (!host) return;
        const at = { host, port: AGENT_PORT };
        if (await probeHealth(at, name, secret, cluster)) out.push({ name, ...at, container: c.Id, secret });
      }),
    );
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  async teardown(cluster: string, opts: { keepStores?: boolean } = {}): Promise<void> {
    const label = { label: [`${LABEL_CLUSTER}=${cluster}`] };
    const containers = await this.docker.listContainers({ all: true, filters: label });
    await Promise.all(containers.map((c) => tolerate(this.docker.getContainer(c.Id).remove({ force: true, v: true }), 404, 409)));
    const networks = await this.docker.listNetworks({ filters: label });
    await Promise.all(networks.map((n) => tolerate(this.docker.getNetwork(n.Id).remove(), 404)));
    for (const n of networks) this.networks.delete(n.Name);
    const volumes = opts.keepStores ? [] : ((await this.docker.listVolumes({ filters: label })).Volumes ?? []);
    await Promise.all(volumes.map((v) => tolerate(this.docker.getVolume(v.Name).remove(), 404)));
    // what could not be removed (a container someone else attached to our network, say)
    const left = [
      ...(await this.docker.listContainers({ all: true, filters: label })).map((c) => `container ${c.Names[0] ?? c.Id}`),
      ...(await this.docker.listNetworks({ filters: label })).map((n) => `network ${n.Name}`),
      ...(opts.keepStores ? [] : ((await this.docker.listVolumes({ filters: label })).Volumes ?? [])).map((v) => `volume ${v.Name}`),
    ];
    if (left.length) throw new Error(`cluster ${cluster}: could not remove ${left.join(', ')}`);
  }
}
