/**
 * The runtime controller, embedded in the studio's main process (or the CLI's): the one object
 * front ends hold. Its jobs live in ./controller/ — lifecycle (up, down, adopt, heartbeats,
 * status), deployer (plan → data → bundles → ready, modes, reschedule), mover (bytes between
 * nodes), invoker (one invocation under its policies), gates (drift) and triggers — and share
 * one ControllerContext. State lives in SQLite under the cluster home, so a restarted
 * controller picks up where the last one stopped.
 */
import { EventEmitter } from 'node:events';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { clusterDirOf } from './home';
import { StudioError } from '../common/errors';
import type { BackendKind } from '../common/status';
import { loadProject } from '../project/project';
import { openRegistry, type Registry } from '../registry/registry';
import { importBytes, type DataSourceBytes } from '../registry/import';
import type { Artifact } from '../spec/artifact';
import type { DataSource } from '../spec/workflow';
import { topologyByName } from '../topology/scenarios';
import type { Topology } from '../topology/model';
import { ClusterState, type RunRow } from './state';
import { ControllerContext } from './controller/context';
import { Lifecycle, type DownOptions } from './controller/lifecycle';
import { Deployer } from './controller/deployer';
import { Mover } from './controller/mover';
import { Invoker } from './controller/invoker';
import { DriftWatch } from './controller/gates';
import { TriggerBoard, type Fired } from './controller/triggers';
import { StickBook } from './controller/accelerators';
import type { Accelerator } from '../accelerators/discover';
import type { ClusterStatus, ControllerOptions, DeployOptions, DeployResult, HttpRoute, InvokeAnswer, InvokeOptions } from './controller/types';

export * from './controller/types';
export type { DownOptions } from './controller/lifecycle';
export type { Fired } from './controller/triggers';

export interface OpenOptions extends ControllerOptions {
  /**
   * 'run' (default): this controller fires the cluster's triggers while it runs (the studio,
   * `edgeai gateway`), unless another live controller does; 'off': never (a short-lived command)
   */
  triggers?: 'run' | 'off';
}

export class Controller extends EventEmitter {
  readonly cluster: string;
  readonly dir: string;
  readonly state: ClusterState;
  readonly registry: Registry;
  private readonly ctx: ControllerContext;
  private readonly lifecycle: Lifecycle;
  private readonly deployer: Deployer;
  private readonly invoker: Invoker;
  private readonly triggerBoard: TriggerBoard;
  private readonly mover: Mover;

  private constructor(opts: OpenOptions) {
    super();
    this.cluster = opts.cluster ?? 'local';
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(this.cluster)) throw new StudioError('bad-cluster-name', `cluster name '${this.cluster}' may use letters, digits, _ . - only`);
    this.dir = clusterDirOf({ ...(opts.home ? { home: opts.home } : {}), cluster: this.cluster });
    mkdirSync(this.dir, { recursive: true });
    this.state = new ClusterState(join(this.dir, 'state.db'));
    this.registry = openRegistry(join(this.dir, 'registry'));
    const heartbeatMs = opts.heartbeatMs ?? 500;
    const ctx = (this.ctx = new ControllerContext(this.cluster, this.dir, this.state, this.registry, opts.timeScale ?? 1, this));
    const mover = (this.mover = new Mover(ctx));
    this.deployer = new Deployer(ctx, mover, () => this.triggerBoard);
    this.invoker = new Invoker(ctx, { mover, drift: new DriftWatch(), triggers: () => this.triggerBoard, replace: (w, s, r, x) => this.deployer.replace(w, s, r, x), coralGone: (node) => this.coralGone(node) });
    this.triggerBoard = new TriggerBoard(ctx, (w, f, o) => this.invoker.invoke(w, f, o), opts.triggers ?? 'run', heartbeatMs);
    this.lifecycle = new Lifecycle(ctx, {
      heartbeatMs,
      notReadyAfterMs: opts.notReadyAfterMs ?? 1500,
      ...(opts.dockerBackend ? { dockerBackend: opts.dockerBackend } : {}),
      ...(opts.backend ? { backend: opts.backend } : {}),
      onNotReady: (node) => this.deployer.rescheduleFrom(node),
      onReady: (node) => this.deployer.recoverOnto(node),
      onAdopted: () => this.rearm(),
      // a node agent saw its sticks change: the same handling as the studio's watcher
      onSticks: (node, presence) => this.followSticks(() => (new StickBook(this.ctx).reported(node, presence) ? [node] : [])),
    });
  }

  /** Opens the cluster's state; when the cluster is up, re-adopts its running nodes. */
  static async open(opts: OpenOptions = {}): Promise<Controller> {
    const c = new Controller(opts);
    if (c.state.get('up') === 'true') await c.lifecycle.adopt();
    return c;
  }

  /** The triggers of every running deployment, armed again (a controller that adopted a running cluster). */
  private rearm(): void {
    for (const d of this.state.deployments()) {
      if (d.status === 'stopped') continue;
      try {
        this.triggerBoard.arm(d.workflow, loadProject(d.project).workflow.triggers);
      } catch {
        /* the project moved or broke since: its triggers wait for the next deploy */
      }
    }
  }

  /**
   * Where this host's USB sticks are looked for, when not where EDGEAI_SYSFS_ROOT (else /sys)
   * says: the studio's own tree (a fake one in tests). The agents of the nodes the sticks join at
   * the next `up` watch that tree, so they start from what was attached.
   */
  sticksUnder(sysfsRoot: string | undefined): void {
    this.ctx.sysfsRoot = sysfsRoot;
  }

  /**
   * Hot-plug on this host (the studio's watcher of the sticks): the nodes the sticks were
   * attached to at `up` lose a gone stick's capability and label (tpu, accelerator/coral), and get
   * them back when it is plugged in again; functions placed there that need a lost capability
   * are placed again elsewhere (or fail saying why) and return with the stick. Returns the nodes
   * that changed.
   */
  localAccelerators(sticks: readonly Accelerator[]): string[] {
    return this.followSticks(() => new StickBook(this.ctx).present(sticks));
  }

  /** An agent said the Coral of `node` is gone under a run: the same path as a stick seen leaving; resolves when the functions that needed it have moved. */
  private coralGone(node: string): Promise<void> {
    this.followSticks(() => (new StickBook(this.ctx).coralGone(node) ? [node] : []));
    return this.deployer.settled();
  }

  /**
   * What a change of sticks does, however the news arrived (the studio's watcher, a node agent's
   * heartbeat, an agent's accelerator-gone): `apply` updates the nodes (StickBook) and names those that changed; functions
   * that need what a node lost move off it, those that had to wait come back with it.
   */
  private followSticks(apply: () => string[]): string[] {
    const capsOf = (node: string) => this.ctx.topology?.nodes.find((n) => n.name === node)?.capabilities ?? [];
    const before = new Map((this.ctx.topology?.nodes ?? []).map((n) => [n.name, n.capabilities]));
    const changed = apply();
    for (const node of changed) {
      const was = before.get(node) ?? [];
      const now = capsOf(node);
      if (was.some((c) => !now.includes(c))) this.deployer.rescheduleLacking(node);
      if (now.some((c) => !was.includes(c))) this.deployer.recoverOnto(node);
    }
    return changed;
  }

  /**
   * One heartbeat round now (or the one under way), then the status is as fresh as the agents'
   * answers: `cluster status` and `edgeai accelerators` wait for it instead of a fixed time.
   */
  async heartbeat(): Promise<ClusterStatus> {
    await this.lifecycle.heartbeat();
    return this.status();
  }

  /** backendOptions: the kubernetes backend's (kubeconfig, context, namespace, privilegedUsb), kept for later commands */
  async up(opts: { backend?: BackendKind; topology?: string | Topology; backendOptions?: Record<string, unknown> } = {}): Promise<ClusterStatus> {
    const topology = typeof opts.topology === 'object' ? opts.topology : topologyByName(opts.topology ?? 'local');
    await this.lifecycle.up(opts.backend ?? 'process', topology, opts.backendOptions);
    return this.status();
  }

  async down(opts: DownOptions = {}): Promise<void> {
    this.triggerBoard.disarm();
    await this.lifecycle.down(opts);
  }

  /** Fault injection: SIGKILL a node's agent (process) or `docker kill` its container. */
  killNode(name: string): Promise<void> {
    return this.lifecycle.killNode(name);
  }

  status(): ClusterStatus {
    return this.lifecycle.status();
  }

  unavailableArtifacts(): ClusterStatus['unavailable'] {
    return this.lifecycle.unavailableArtifacts();
  }

  /**
   * Deploys the project as saved on disk (see DeployMode). With `expectedRevision`, refuses with
   * `revision-conflict` when someone else deployed the workflow since the caller looked.
   */
  deploy(projectDir: string, opts: DeployOptions = {}): Promise<DeployResult> {
    return this.deployer.deploy(projectDir, opts);
  }

  invoke(workflow: string, fnId: string, opts: InvokeOptions = {}): Promise<InvokeAnswer> {
    return this.invoker.invoke(workflow, fnId, opts);
  }

  /**
   * Publishes data into the cluster's registry (`edgeai data add`): into the registry's store, or
   * onto `node` when it lives there (a camera's new frame). The running controller that fires
   * the cluster's triggers sees it; see fireTriggers for when none runs.
   */
  async publishData(data: DataSourceBytes, meta: { urn: string; type?: string; tags: string[] }, node?: string): Promise<{ artifact: Artifact; added: boolean }> {
    if (node) {
      this.ctx.requireUp();
      return this.mover.putOnNode(node, data, meta);
    }
    return importBytes(this.registry, data.bytes, { ...meta, format: data.format, source: data.source });
  }

  /** Puts a workflow.json data source where it lives (the registry's store, or its node). */
  placeDataSource(projectDir: string, ds: DataSource): Promise<Artifact> {
    return this.mover.placeDataSource(projectDir, ds);
  }

  /**
   * Fires the data and model triggers that artifacts published since the last look complete
   * (`edgeai data add` when no running controller fires them). `force` fires without the lease.
   */
  fireTriggers(force = false): Fired[] {
    return this.triggerBoard.scan(force);
  }

  /** The pid of another live controller that fires this cluster's triggers (the studio, `edgeai gateway`), if any. */
  triggerOwner(): string | undefined {
    return TriggerBoard.liveOwner(this.ctx);
  }

  /** The declared http trigger routes of the deployed workflows (the gateway serves them). */
  routes(): HttpRoute[] {
    return this.state.entries('routes:').flatMap(([, raw]) => JSON.parse(raw) as HttpRoute[]);
  }

  runs(filter: { workflow?: string; function?: string; limit?: number } = {}): RunRow[] {
    return this.state.runs(filter);
  }

  run(id: string): RunRow | undefined {
    return this.state.run(id);
  }

  /** A run's whole output, read back from where a large one is kept (state.ts outputRecord). */
  runOutput(row: RunRow): unknown {
    return this.state.runOutput(row);
  }

  /** Stops polling and closes the state; the nodes keep running for the next controller. */
  close(): void {
    this.ctx.closed = true;
    this.triggerBoard.close();
    this.lifecycle.stopHealthLoop();
    // a backend's own followers (kubernetes' watches) end with the controller that used them
    this.ctx.backend?.close?.();
    this.state.close();
    this.registry.close();
  }

  /** Removes the cluster's state (after `down`). */
  purge(): void {
    this.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
