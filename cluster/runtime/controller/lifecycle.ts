/**
 * The cluster's life: starting the nodes of a topology (`up`), re-adopting running nodes when a
 * controller opens a cluster that is up, stopping them (`down`), watching their heartbeats
 * (a node silent for `notReadyAfterMs` is NotReady; its functions are rescheduled by the
 * deployer), and the status every front end shows.
 */
import { existsSync, rmSync } from 'node:fs';
import { StudioError } from '../../common/errors';
import type { BackendKind } from '../../common/status';
import type { Topology } from '../../topology/model';
import { DEVICES } from '../../topology/catalog';
import { buildAgent, type AgentBuild } from '../build';
import type { Backend } from '../backend';
import { ProcessBackend } from '../backends/process';
import type { ControllerContext } from './context';
import { SECRET_FILE } from '../agent/secret';
import { AgentUnreachable } from '../agent/client';
import { MAX_LOCAL_NODES, type ClusterStatus, type NodeStatusView } from './types';
import { StickBook } from './accelerators';
import type { StickPresence } from '../agent/protocol';
import { hostSysfsRoot } from '../../accelerators/discover';

export interface LifecycleOptions {
  heartbeatMs: number;
  notReadyAfterMs: number;
  dockerBackend?: () => Promise<Backend>;
  /** every node on this backend, whatever kind is asked (tests: runtime/testing/fake-agent.ts) */
  backend?: () => Backend;
  /** a node went NotReady: place its functions elsewhere */
  onNotReady: (node: string) => void;
  /** a NotReady node answers again: what could not be placed elsewhere goes back */
  onReady?: (node: string) => void;
  /** the nodes are up again after a controller restart: re-arm what the deployments need */
  onAdopted: () => void;
  /** a node's agent reported the USB sticks it sees (asked of the nodes sticks were attached to) */
  onSticks?: (node: string, presence: StickPresence) => void;
}

export interface DownOptions {
  /**
   * keep the deployments (stopped), the node stores and where artifacts live, for the next `up`
   * (a trained model stays on its node). Default: down means down — deployments, placements,
   * node stores and the records of artifacts whose only copies were on the nodes are removed.
   */
  keepState?: boolean;
}

export class Lifecycle {
  private build: AgentBuild | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** the heartbeat round under way */
  private polling: Promise<void> | undefined;
  /** consecutive heartbeats each node failed to answer, its own fault (see poll) */
  private readonly misses = new Map<string, number>();

  constructor(
    private readonly ctx: ControllerContext,
    private readonly opts: LifecycleOptions,
  ) {}

  /**
   * The backend of `kind`. The kubernetes backend's settings (kubeconfig, context, namespace) are
   * the ones `up` was given, kept in the cluster's state ('backend-options') so every later
   * command reaches the same cluster.
   */
  async backendOf(kind: BackendKind, options?: Record<string, unknown>): Promise<Backend> {
    if (this.opts.backend) return this.opts.backend();
    if (kind === 'process') return new ProcessBackend();
    if (kind === 'kubernetes') {
      const saved = this.ctx.state.get('backend-options');
      const mod = await import('../backends/kubernetes');
      return new mod.KubernetesBackend(options ?? (saved ? JSON.parse(saved) : {}));
    }
    if (!this.opts.dockerBackend) {
      // loaded on demand: the process backend must not need dockerode
      const path = '../backends/docker';
      const mod = (await import(path)) as { DockerBackend: new () => Backend };
      return new mod.DockerBackend();
    }
    return this.opts.dockerBackend();
  }

  async up(kind: BackendKind, topology: Topology, backendOptions?: Record<string, unknown>): Promise<void> {
    const { ctx } = this;
    if (ctx.isUp()) {
      const status = this.status();
      const ready = status.nodes.filter((n) => n.status === 'Ready').length;
      throw new StudioError('cluster-already-up', `cluster '${ctx.cluster}' is already up with ${ready} ready node(s) on the ${status.backend} backend`, '`edgeai cluster down` first to start it with other settings');
    }
    // kubernetes: the nodes are the cluster's machines, not processes or containers on this one
    if (kind !== 'kubernetes' && topology.nodes.length > MAX_LOCAL_NODES) {
      throw new StudioError(
        'topology-too-large',
        `topology '${topology.name}' has ${topology.nodes.length} nodes; the local cluster runs every node on this machine (a ${kind === 'docker' ? 'container' : 'process'} each) and starts at most ${MAX_LOCAL_NODES}; nothing was started`,
        `simulate it instead (the Simulate tab, or \`edgeai simulate <project> --topology ${topology.name}\`), or start a smaller one: local, skippy-testbed, urban-sensing:cells=1, industrial-iot:sites=2`,
      );
    }
    ctx.setTopology(topology);
    const backend = await this.backendOf(kind, backendOptions);
    if (backend.needsAgentBuild !== false) {
      ctx.progress('build', 'building the node agent');
      this.build = await buildAgent();
    } else this.build = { dir: '', agent: '', worker: '', hash: 'none' };
    ctx.progress('prepare', `preparing the ${kind} backend`);
    await backend.prepare(this.build, (m) => ctx.progress('prepare', m));
    ctx.backend = backend;
    ctx.state.clearNodes();
    this.misses.clear();
    ctx.state.set('topology', JSON.stringify(topology));
    // where the sticks are: a node that loses one loses its capability until it is back
    new StickBook(ctx).reset(topology);
    ctx.state.set('backend', kind);
    // what reaches this backend again (kubernetes: the resolved kubeconfig, context, namespace)
    const target = (backend as { target?: unknown }).target;
    ctx.state.set('backend-options', JSON.stringify(target !== undefined ? { ...backendOptions, ...(target as object) } : (backendOptions ?? {})));
    ctx.state.set('up', 'true');
    ctx.state.resetLinks();
    // one secret per `up`: only this cluster's controllers (they read it in the cluster's directory) reach its agents
    const secret = ctx.newAgentSecret();
    // the accelerator nodes' agents watch the tree their sticks were attached from
    const sysfsRoot = ctx.sysfsRoot ?? hostSysfsRoot();
    for (const n of topology.nodes) ctx.state.upsertNode({ name: n.name, status: 'Starting', port: null, host: null, pid: null, container: null, reason: null });
    try {
      for (const n of topology.nodes) {
        ctx.progress('start', `starting node ${n.name} (${n.device}, ${n.type}, network ${n.network})`);
        const h = await backend.start(
          {
            cluster: ctx.cluster,
            name: n.name,
            storeDir: ctx.storeDirOf(n.name),
            cpuMillis: n.cpuMillis,
            memoryBytes: n.memoryBytes,
            slowdown: DEVICES[n.device]?.slowdown,
            labels: { ...n.labels, 'edgeai.device': n.device, 'edgeai.type': n.type, 'edgeai.network': n.network },
            network: n.network,
            usb: n.capabilities.includes('tpu') || n.capabilities.includes('vpu'),
            ...(sysfsRoot && (n.capabilities.includes('tpu') || n.capabilities.includes('vpu')) ? { sysfsRoot } : {}),
            secret,
          },
          this.build,
        );
        ctx.addNode(h);
        ctx.state.upsertNode({ name: n.name, status: 'Ready', port: h.port, host: h.host ?? '127.0.0.1', pid: h.pid ?? null, container: h.container ?? null, started: new Date().toISOString(), lastSeen: new Date().toISOString(), reason: null });
        ctx.emit({ type: 'node', node: n.name, status: 'Ready' });
      }
    } catch (e) {
      ctx.progress('start', `a node failed to start: ${(e as Error).message}; stopping the others`);
      await this.down({}).catch(() => undefined);
      throw new StudioError('cluster-start-failed', `cluster '${ctx.cluster}' could not start: ${(e as Error).message}`, kind === 'docker' ? 'check that dockerd runs, or use --backend process' : kind === 'kubernetes' ? 'see docs/kubernetes.md: the node image on every node, `kubectl get nodes` Ready' : 'see the agent log named above');
    }
    this.startHealthLoop();
  }

  /** A controller opening a cluster that is up takes over its running nodes. */
  async adopt(): Promise<void> {
    const { ctx } = this;
    const topology = ctx.loadTopology();
    if (!topology) return;
    ctx.setTopology(topology);
    ctx.backend = await this.backendOf(ctx.backendKind());
    const rows = ctx.state.nodes();
    const secret = ctx.agentSecret();
    const found = secret ? await ctx.backend.adopt(ctx.cluster, rows.map((r) => r.name), (n) => ctx.storeDirOf(n), secret) : [];
    for (const r of rows) {
      const h = found.find((x) => x.name === r.name);
      if (h) {
        ctx.addNode(h);
        ctx.state.upsertNode({ name: r.name, status: 'Ready', port: h.port, host: h.host ?? '127.0.0.1', pid: h.pid ?? null, container: h.container ?? null, reason: null });
      } else if (r.status !== 'NotReady' || !secret) {
        ctx.state.upsertNode({ name: r.name, status: 'NotReady', reason: secret ? (ctx.backend.notReadyReason?.(r.name) ?? 'not running when the controller started') : `the cluster has no agent secret (${SECRET_FILE} in its directory): its agents cannot be reached; \`edgeai cluster down\`, then \`up\`` });
      }
    }
    this.opts.onAdopted();
    this.startHealthLoop();
  }

  async down(opts: DownOptions): Promise<void> {
    const { ctx } = this;
    this.stopHealthLoop();
    const backend = ctx.backend ?? (await this.backendOf(ctx.backendKind()));
    const secret = ctx.agentSecret();
    if (!ctx.handles.size && ctx.isUp() && secret) {
      // a fresh controller: find what still runs
      const rows = ctx.state.nodes();
      for (const h of await backend.adopt(ctx.cluster, rows.map((r) => r.name), (n) => ctx.storeDirOf(n), secret)) ctx.addNode(h);
    }
    for (const [name, h] of ctx.handles) {
      ctx.progress('stop', `stopping node ${name}`);
      await backend.stop(h).catch(() => backend.kill(h));
      ctx.state.upsertNode({ name, status: 'Stopped', port: null, pid: null, container: null });
    }
    const nodes = (ctx.topology ?? ctx.loadTopology())?.nodes.map((n) => n.name) ?? ctx.state.nodes().map((n) => n.name);
    await backend.teardown(ctx.cluster, { keepStores: opts.keepState === true });
    ctx.clearNodes();
    this.misses.clear();
    ctx.dropAgentSecret();
    ctx.state.set('up', 'false');
    if (opts.keepState) {
      for (const d of ctx.state.deployments()) ctx.state.setDeployment(d.workflow, d.revision, d.project, 'stopped');
      return;
    }
    // down means down: nothing of this cluster's run comes back at the next `up`
    for (const name of nodes) {
      const dir = ctx.storeDirOf(name);
      if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    }
    ctx.state.dropDeployments();
    const dropped = ctx.registry.forgetLocations(nodes);
    if (dropped.length) ctx.progress('stop', `${dropped.length === 1 ? '1 artifact' : `${dropped.length} artifacts`} lived only on the nodes and ${dropped.length === 1 ? 'is' : 'are'} gone with them: ${dropped.slice(0, 5).map((a) => `${a.urn}@${a.version}`).join(', ')}${dropped.length > 5 ? ', …' : ''}`);
  }

  /** Fault injection: SIGKILL a node's agent (process) or `docker kill` its container. */
  async killNode(name: string): Promise<void> {
    const h = this.ctx.handles.get(name);
    if (!h || !this.ctx.backend) throw new StudioError('unknown-node', `no running node '${name}'`);
    await this.ctx.backend.kill(h);
  }

  // -------------------------------------------------------------------------------------------
  // health

  startHealthLoop(): void {
    this.stopHealthLoop();
    this.timer = setInterval(() => void this.poll(), this.opts.heartbeatMs);
    this.timer.unref();
  }

  stopHealthLoop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * One heartbeat round. A node is NotReady after enough consecutive heartbeats it did not
   * answer (notReadyAfterMs worth of them), and Ready again at the first it answers. A heartbeat
   * counts as missed only when the node is to blame: refused, or timed out while this controller
   * was running. A timeout that fired late means the controller's own event loop was blocked (a
   * huge output being parsed, a long synchronous write), and the answer may be waiting unread in
   * the socket: that round is inconclusive, and the controller's stall is not read as every
   * node's death (issue 11, item 9).
   */
  private poll(): Promise<void> {
    if (this.polling || this.ctx.closed) return this.polling ?? Promise.resolve();
    this.polling = this.round().finally(() => (this.polling = undefined));
    return this.polling;
  }

  /** A heartbeat round now, or the end of the one under way. */
  heartbeat(): Promise<void> {
    return this.poll();
  }

  private async round(): Promise<void> {
    const { ctx } = this;
    const timeoutMs = Math.max(200, this.opts.heartbeatMs - 50);
    const allowed = Math.max(1, Math.ceil(this.opts.notReadyAfterMs / this.opts.heartbeatMs));
    try {
      // the nodes sticks were attached to are asked what they see
      const watched = new Set(new StickBook(ctx).watched());
      await Promise.all(
        [...ctx.handles.keys()].map(async (name) => {
          const t0 = performance.now();
          try {
            const health = await ctx.client(name)!.healthOf(ctx.cluster, { timeoutMs, sticks: watched.has(name) });
            ctx.health.set(name, health);
            ctx.lastSeen.set(name, Date.now());
            this.misses.set(name, 0);
            if (health.accelerators && !ctx.closed) {
              try {
                this.opts.onSticks?.(name, health.accelerators);
              } catch {
                /* the state closed under it: the next round's report does it */
              }
            }
          } catch (e) {
            const late = performance.now() - t0 - timeoutMs;
            const inconclusive = e instanceof AgentUnreachable && e.timedOut && late > Math.max(50, timeoutMs / 4);
            if (!inconclusive) this.misses.set(name, (this.misses.get(name) ?? 0) + 1);
          }
        }),
      );
      if (ctx.closed) return;
      const now = Date.now();
      for (const row of ctx.state.nodes()) {
        if (!ctx.handles.has(row.name)) continue;
        const missed = this.misses.get(row.name) ?? 0;
        const seen = ctx.lastSeen.get(row.name) ?? 0;
        if (row.status === 'Ready' && missed >= allowed) {
          // the engine's own word when it has one (kubernetes: the node's Ready condition)
          const engine = ctx.backend?.notReadyReason?.(row.name);
          ctx.state.upsertNode({ name: row.name, status: 'NotReady', reason: engine ?? `${missed} heartbeats in a row unanswered (last answer ${Math.round((now - seen) / 100) / 10} s ago)` });
          ctx.emit({ type: 'node', node: row.name, status: 'NotReady', reason: 'no heartbeat' });
          this.opts.onNotReady(row.name);
        } else if (row.status === 'NotReady' && missed === 0) {
          ctx.state.upsertNode({ name: row.name, status: 'Ready', reason: null, lastSeen: new Date(seen).toISOString() });
          ctx.emit({ type: 'node', node: row.name, status: 'Ready' });
          this.opts.onReady?.(row.name);
        }
      }
    } catch {
      /* a round that failed (the state closed under it) is the next round's to do */
    }
  }

  // -------------------------------------------------------------------------------------------
  // status

  status(): ClusterStatus {
    const { ctx } = this;
    const topology = ctx.topology ?? ctx.loadTopology();
    const placements = ctx.state.placements();
    const rows = ctx.state.nodes();
    const book = new StickBook(ctx);
    const nodes: NodeStatusView[] = (topology?.nodes ?? []).map((n) => {
      const row = rows.find((r) => r.name === n.name);
      const health = ctx.health.get(n.name);
      const sticks = book.view(n.name, topology, health);
      return {
        name: n.name,
        status: row?.status ?? 'Stopped',
        reason: row?.reason ?? null,
        device: n.device,
        type: n.type,
        network: n.network,
        arch: n.arch,
        cpuMillis: n.cpuMillis,
        memoryBytes: n.memoryBytes,
        capabilities: n.capabilities,
        port: row?.port ?? null,
        host: row?.port ? (row.host ?? '127.0.0.1') : null,
        pid: row?.pid ?? null,
        container: row?.container ?? null,
        functions: placements.filter((p) => p.node === n.name).map((p) => `${p.workflow}/${p.function}`),
        ...(health ? { health } : {}),
        ...(sticks ? { accelerators: sticks } : {}),
      };
    });
    return {
      cluster: ctx.cluster,
      up: ctx.isUp(),
      backend: (ctx.state.get('backend') as BackendKind | undefined) ?? null,
      topology: topology?.name ?? null,
      nodes,
      deployments: ctx.state.deployments().map((d) => ({
        ...d,
        functions: placements.filter((p) => p.workflow === d.workflow).map((p) => ({ id: p.function, node: p.node, status: p.status, reason: p.reason })),
      })),
      links: ctx.state.links(),
      unavailable: this.unavailableArtifacts(),
    };
  }

  /** Artifacts whose bytes are only on nodes that are not Ready (and not in the registry's store). */
  unavailableArtifacts(): Array<{ urn: string; version: number; locations: string[] }> {
    const ready = this.ctx.readyNodes();
    const out: Array<{ urn: string; version: number; locations: string[] }> = [];
    for (const a of this.ctx.registry.list({})) {
      if (this.ctx.registry.hasBytes(a)) continue;
      // no location at all: gone with a cluster that went down for good, nothing to wait for
      if (a.locations.length && !a.locations.some((l) => ready.has(l.node))) out.push({ urn: a.urn, version: a.version, locations: a.locations.map((l) => l.node) });
    }
    return out;
  }
}
