/**
 * The runtime controller, embedded in the studio's main process (or the CLI's): it starts the
 * nodes of a topology, deploys workflows (preprocess → schedule with the edge-ai profile →
 * ship bundles → ready), resolves selectors per invocation, moves artifacts between nodes,
 * enforces deadlines and strict data policies, evaluates gates, records every run, watches
 * node health and reschedules when a node dies. State lives in SQLite under the cluster home,
 * so a restarted controller picks up where the last one stopped.
 */
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { randomUUID } from 'node:crypto';
import { StudioError } from '../spec/errors';
import type { FunctionSpec } from '../spec/function';
import type { Artifact } from '../spec/artifact';
import type { Trigger } from '../spec/workflow';
import { matchSelector, paramsFromUrn, type Selector } from '../spec/selector';
import { parseDuration, parsePredicate, testPredicate, isPredicateError } from '../spec/predicate';
import { loadProject } from '../project/project';
import { hasErrors, formatDiagnostic } from '../preprocessor/diagnostic';
import { bundleFunction, type FunctionBundle } from '../sdk/bundle';
import { openRegistry, type Registry } from '../registry/registry';
import { importDataSource } from '../registry/import';
import { topologyByName } from '../topology/scenarios';
import type { Topology } from '../topology/model';
import { buildSnapshot } from '../scheduler/snapshot';
import { profileByName } from '../scheduler/profiles';
import { requirementsFromSpec, type DataItem } from '../scheduler/requirements';
import { schedule } from '../scheduler/schedule';
import { buildAgent, type AgentBuild } from './build';
import type { Backend, NodeHandle } from './backend';
import { ProcessBackend } from './backends/process';
import { ClusterState, type NodeRow, type PlacementRow, type RunRow } from './state';
import { LinkModel, checkDataPolicy, sleep } from './transfer';
import { HealthSchema, InvokeResultSchema, AgentErrorSchema, RetireResultSchema, type FunctionRef, type GateResult, type Health, type InvocationInput, type InvokeResult } from './agent/protocol';

export type BackendKind = 'process' | 'docker';

export interface ControllerOptions {
  /** where clusters keep their state (default $EDGEAI_HOME or ~/.edgeai) */
  home?: string;
  /** the cluster's name (default 'local') */
  cluster?: string;
  /** health poll interval, ms */
  heartbeatMs?: number;
  /** a node that has not answered for this long is NotReady (issue: within 3 s) */
  notReadyAfterMs?: number;
  /** scales the emulated link delays (1 = as the topology says) */
  timeScale?: number;
  /** creates the docker backend on demand (kept out of this module's imports) */
  dockerBackend?: () => Promise<Backend>;
}

export type ClusterEvent =
  | { type: 'progress'; step: string; message: string }
  | { type: 'node'; node: string; status: NodeRow['status']; reason?: string }
  | { type: 'deploy'; workflow: string; function: string; status: PlacementRow['status']; node?: string | null; reason?: string; action?: DeployAction }
  | { type: 'run'; run: string; workflow: string; function: string; status: RunRow['status'] }
  | { type: 'log'; run: string; line: string };

export interface NodeStatusView {
  name: string;
  status: NodeRow['status'];
  reason: string | null;
  device: string;
  type: string;
  network: string;
  arch: string;
  cpuMillis: number;
  memoryBytes: number;
  capabilities: string[];
  port: number | null;
  pid: number | null;
  container: string | null;
  functions: string[];
  health?: Health;
}

export interface ClusterStatus {
  cluster: string;
  up: boolean;
  backend: BackendKind | null;
  topology: string | null;
  nodes: NodeStatusView[];
  deployments: Array<{ workflow: string; revision: number; project: string; status: string; functions: Array<{ id: string; node: string | null; status: string; reason: string | null }> }>;
  links: Array<{ link: string; bytes: number; transfers: number }>;
  unavailable: Array<{ urn: string; version: number; locations: string[] }>;
}

/**
 * How a deploy treats the functions of a workflow:
 * - `full`: every function is placed by the scheduler and its bundle shipped (the default);
 * - `changed`: only functions whose bundle (sha256) or spec differ from their ready placement;
 *   the others keep their node and warm workers;
 * - `restart`: no new code: every deployed function's workers are retired and started again on
 *   its node from the bundle already there; the revision stays.
 * In every mode functions that left the project are undeployed.
 */
export type DeployMode = 'full' | 'changed' | 'restart';
export const DEPLOY_MODES: readonly DeployMode[] = ['full', 'changed', 'restart'];

/** What a deploy did with one function. */
export type DeployAction = 'deployed' | 'unchanged' | 'restarted';

export interface DeployOptions {
  /** default 'full' */
  mode?: DeployMode;
  /**
   * The workflow's deployed revision the caller last saw (0: not deployed). When the cluster's
   * differs, the deploy is refused with `revision-conflict` and nothing changes.
   */
  expectedRevision?: number;
}

export interface DeployedFunction {
  id: string;
  node: string | null;
  status: PlacementRow['status'];
  reason?: string;
  coldStartMs?: number;
  /** deployed (placed and shipped), unchanged (kept on its node, workers warm), restarted */
  action?: DeployAction;
  /** sha256 of the bundle the function runs */
  bundle?: string;
}

export interface DeployResult {
  workflow: string;
  revision: number;
  functions: DeployedFunction[];
  warnings: string[];
  mode: DeployMode;
  /** the revision deployed before this deploy (0: none); equal to `revision` for a restart */
  previousRevision: number;
  /** functions that left the project: their placements dropped, their workers retired */
  removed: Array<{ id: string; node: string | null }>;
  /** a `changed` deploy that found nothing to do: every function unchanged, none removed */
  nothingChanged: boolean;
  /** one line saying what happened, for the CLI and the Deploy panel */
  summary: string;
}

export interface InvokeOptions {
  input?: unknown;
  params?: Record<string, string>;
}

export interface InvokeAnswer {
  run: string;
  workflow: string;
  function: string;
  node: string;
  output: unknown;
  /** the model versions the function used, `urn@version` */
  models: string[];
  inputs: string[];
  produced: string[];
  gates: GateResult[];
  timings: { queueMs: number; transferMs: number; coldStartMs: number; execMs: number; totalMs: number };
  cold: boolean;
  attempts: number;
  logs: string[];
}

interface StoredSpec {
  spec: FunctionSpec;
  file: string;
}

/** The most nodes `up` starts: each is an agent process or container on this one machine (~50 MB each). */
export const MAX_LOCAL_NODES = 32;

const DEFAULT_HOME = () => process.env.EDGEAI_HOME ?? join(homedir(), '.edgeai');

/** Every request is bounded: an agent that does not answer in this long is treated as gone. */
const AGENT_TIMEOUT_MS = 10 * 60_000;

export class Controller extends EventEmitter {
  readonly cluster: string;
  readonly dir: string;
  readonly state: ClusterState;
  readonly registry: Registry;
  private backend: Backend | undefined;
  private topology: Topology | undefined;
  private links: LinkModel | undefined;
  private build: AgentBuild | undefined;
  private handles = new Map<string, NodeHandle>();
  private health = new Map<string, Health>();
  private lastSeen = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private readonly heartbeatMs: number;
  private readonly notReadyAfterMs: number;
  private readonly timeScale: number;
  private readonly dockerBackend?: () => Promise<Backend>;
  private readonly driftWindows = new Map<string, number[]>();
  private readonly driftBaselines = new Map<string, number>();
  private rescheduling: Promise<void> = Promise.resolve();
  private closed = false;
  /** armed triggers per workflow: schedule timers, and data / model triggers with their batch counts */
  private readonly triggers = new Map<string, { timers: NodeJS.Timeout[]; onArtifact: Array<{ trigger: Extract<Trigger, { kind: 'data' | 'model' }>; seen: Artifact[] }> }>();
  private readonly published: Artifact[] = [];

  private constructor(opts: ControllerOptions) {
    super();
    this.cluster = opts.cluster ?? 'local';
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(this.cluster)) throw new StudioError('bad-cluster-name', `cluster name '${this.cluster}' may use letters, digits, _ . - only`);
    this.dir = join(resolvePath(opts.home ?? DEFAULT_HOME()), 'clusters', this.cluster);
    mkdirSync(this.dir, { recursive: true });
    this.state = new ClusterState(join(this.dir, 'state.db'));
    this.registry = openRegistry(join(this.dir, 'registry'));
    this.heartbeatMs = opts.heartbeatMs ?? 500;
    this.notReadyAfterMs = opts.notReadyAfterMs ?? 1500;
    this.timeScale = opts.timeScale ?? 1;
    this.dockerBackend = opts.dockerBackend;
  }

  /** Opens the cluster's state; when the cluster is up, re-adopts its running nodes. */
  static async open(opts: ControllerOptions = {}): Promise<Controller> {
    const c = new Controller(opts);
    if (c.state.get('up') === 'true') await c.adopt();
    return c;
  }

  private emitEvent(e: ClusterEvent): void {
    this.emit('event', e);
  }

  private progress(step: string, message: string): void {
    this.emitEvent({ type: 'progress', step, message });
  }

  private storeDirOf(name: string): string {
    return join(this.dir, 'nodes', name);
  }

  private async backendOf(kind: BackendKind): Promise<Backend> {
    if (kind === 'process') return new ProcessBackend();
    if (!this.dockerBackend) {
      // loaded on demand: the process backend must not need dockerode
      const path = './backends/docker';
      const mod = (await import(path)) as { DockerBackend: new () => Backend };
      return new mod.DockerBackend();
    }
    return this.dockerBackend();
  }

  private loadTopology(): Topology | undefined {
    const raw = this.state.get('topology');
    return raw ? (JSON.parse(raw) as Topology) : undefined;
  }

  private setTopology(t: Topology): void {
    this.topology = t;
    this.links = new LinkModel(t);
  }

  // -------------------------------------------------------------------------------------------
  // cluster up / down / adopt

  async up(opts: { backend?: BackendKind; topology?: string | Topology } = {}): Promise<ClusterStatus> {
    if (this.state.get('up') === 'true') {
      const status = this.status();
      const ready = status.nodes.filter((n) => n.status === 'Ready').length;
      throw new StudioError('cluster-already-up', `cluster '${this.cluster}' is already up with ${ready} ready node(s) on the ${status.backend} backend`, '`edgeai cluster down` first to start it with other settings');
    }
    const kind = opts.backend ?? 'process';
    const topology = typeof opts.topology === 'object' ? opts.topology : topologyByName(opts.topology ?? 'local');
    if (topology.nodes.length > MAX_LOCAL_NODES) {
      throw new StudioError(
        'topology-too-large',
        `topology '${topology.name}' has ${topology.nodes.length} nodes; the local cluster runs every node on this machine (a ${kind === 'docker' ? 'container' : 'process'} each) and starts at most ${MAX_LOCAL_NODES}; nothing was started`,
        `simulate it instead (the Simulate tab, or \`edgeai simulate <project> --topology ${topology.name}\`), or start a smaller one: local, skippy-testbed, urban-sensing:cells=1, industrial-iot:sites=2`,
      );
    }
    this.setTopology(topology);
    this.progress('build', 'building the node agent');
    this.build = await buildAgent();
    const backend = await this.backendOf(kind);
    this.progress('prepare', `preparing the ${kind} backend`);
    await backend.prepare(this.build, (m) => this.progress('prepare', m));
    this.backend = backend;
    this.state.clearNodes();
    this.state.set('topology', JSON.stringify(topology));
    this.state.set('backend', kind);
    this.state.set('up', 'true');
    this.state.resetLinks();
    for (const n of topology.nodes) this.state.upsertNode({ name: n.name, status: 'Starting', port: null, pid: null, container: null, reason: null });
    try {
      for (const n of topology.nodes) {
        this.progress('start', `starting node ${n.name} (${n.device}, ${n.type}, network ${n.network})`);
        const h = await backend.start(
          {
            cluster: this.cluster,
            name: n.name,
            storeDir: this.storeDirOf(n.name),
            cpuMillis: n.cpuMillis,
            memoryBytes: n.memoryBytes,
            labels: { ...n.labels, 'edgeai.device': n.device, 'edgeai.type': n.type, 'edgeai.network': n.network },
            network: n.network,
            usb: n.capabilities.includes('tpu') || n.capabilities.includes('vpu'),
          },
          this.build,
        );
        this.handles.set(n.name, h);
        this.lastSeen.set(n.name, Date.now());
        this.state.upsertNode({ name: n.name, status: 'Ready', port: h.port, pid: h.pid ?? null, container: h.container ?? null, started: new Date().toISOString(), lastSeen: new Date().toISOString(), reason: null });
        this.emitEvent({ type: 'node', node: n.name, status: 'Ready' });
      }
    } catch (e) {
      this.progress('start', `a node failed to start: ${(e as Error).message}; stopping the others`);
      await this.down().catch(() => undefined);
      throw new StudioError('cluster-start-failed', `cluster '${this.cluster}' could not start: ${(e as Error).message}`, kind === 'docker' ? 'check that dockerd runs, or use --backend process' : 'see the agent log named above');
    }
    this.startHealthLoop();
    return this.status();
  }

  private async adopt(): Promise<void> {
    const topology = this.loadTopology();
    const kind = (this.state.get('backend') as BackendKind | undefined) ?? 'process';
    if (!topology) return;
    this.setTopology(topology);
    this.backend = await this.backendOf(kind);
    const rows = this.state.nodes();
    const found = await this.backend.adopt(this.cluster, rows.map((r) => r.name), (n) => this.storeDirOf(n));
    for (const r of rows) {
      const h = found.find((x) => x.name === r.name);
      if (h) {
        this.handles.set(r.name, h);
        this.lastSeen.set(r.name, Date.now());
        this.state.upsertNode({ name: r.name, status: 'Ready', port: h.port, pid: h.pid ?? null, container: h.container ?? null, reason: null });
      } else if (r.status !== 'NotReady') {
        this.state.upsertNode({ name: r.name, status: 'NotReady', reason: 'not running when the controller started' });
      }
    }
    for (const d of this.state.deployments()) {
      if (d.status === 'stopped' || !existsSync(d.project)) continue;
      try {
        this.armTriggers(d.workflow, loadProject(d.project).workflow.triggers);
      } catch {
        /* the project moved or broke since: its triggers wait for the next deploy */
      }
    }
    this.startHealthLoop();
  }

  async down(): Promise<void> {
    this.stopHealthLoop();
    this.disarmTriggers();
    const kind = (this.state.get('backend') as BackendKind | undefined) ?? 'process';
    const backend = this.backend ?? (await this.backendOf(kind));
    if (!this.handles.size && this.state.get('up') === 'true') {
      // a fresh controller: find what still runs
      const rows = this.state.nodes();
      for (const h of await backend.adopt(this.cluster, rows.map((r) => r.name), (n) => this.storeDirOf(n))) this.handles.set(h.name, h);
    }
    for (const [name, h] of this.handles) {
      this.progress('stop', `stopping node ${name}`);
      await backend.stop(h).catch(() => backend.kill(h));
      this.state.upsertNode({ name, status: 'Stopped', port: null, pid: null, container: null });
    }
    await backend.teardown(this.cluster);
    this.handles.clear();
    this.health.clear();
    this.state.set('up', 'false');
    for (const d of this.state.deployments()) this.state.setDeployment(d.workflow, d.revision, d.project, 'stopped');
  }

  /** Fault injection: SIGKILL a node's agent (process) or `docker kill` its container. */
  async killNode(name: string): Promise<void> {
    const h = this.handles.get(name);
    if (!h || !this.backend) throw new StudioError('unknown-node', `no running node '${name}'`);
    await this.backend.kill(h);
  }

  /** Stops polling and closes the state; the nodes keep running for the next controller. */
  close(): void {
    this.closed = true;
    this.disarmTriggers();
    this.stopHealthLoop();
    this.state.close();
    this.registry.close();
  }

  // -------------------------------------------------------------------------------------------
  // health

  private startHealthLoop(): void {
    this.stopHealthLoop();
    this.timer = setInterval(() => void this.poll(), this.heartbeatMs);
    this.timer.unref();
  }

  private stopHealthLoop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async poll(): Promise<void> {
    if (this.polling || this.closed) return;
    this.polling = true;
    try {
      await Promise.all(
        [...this.handles.entries()].map(async ([name, h]) => {
          try {
            const r = await fetch(`http://127.0.0.1:${h.port}/health`, { signal: AbortSignal.timeout(Math.max(200, this.heartbeatMs - 50)) });
            const health = HealthSchema.parse(await r.json());
            if (health.node !== name || health.cluster !== this.cluster) throw new Error('another agent answers on this port');
            this.health.set(name, health);
            this.lastSeen.set(name, Date.now());
          } catch {
            /* counted below */
          }
        }),
      );
      if (this.closed) return;
      const now = Date.now();
      for (const row of this.state.nodes()) {
        if (!this.handles.has(row.name)) continue;
        const seen = this.lastSeen.get(row.name) ?? 0;
        if (row.status === 'Ready' && now - seen > this.notReadyAfterMs) {
          this.state.upsertNode({ name: row.name, status: 'NotReady', reason: `no heartbeat for ${Math.round((now - seen) / 100) / 10} s` });
          this.emitEvent({ type: 'node', node: row.name, status: 'NotReady', reason: 'no heartbeat' });
          this.rescheduling = this.rescheduling.then(() => this.rescheduleFrom(row.name)).catch(() => undefined);
        } else if (row.status === 'NotReady' && now - seen <= this.notReadyAfterMs) {
          this.state.upsertNode({ name: row.name, status: 'Ready', reason: null, lastSeen: new Date(seen).toISOString() });
          this.emitEvent({ type: 'node', node: row.name, status: 'Ready' });
        }
      }
    } finally {
      this.polling = false;
    }
  }

  private readyNodes(): Set<string> {
    return new Set(this.state.nodes().filter((n) => n.status === 'Ready').map((n) => n.name));
  }

  /** Places every function of a dead node elsewhere. */
  private async rescheduleFrom(dead: string): Promise<void> {
    for (const p of this.state.placements().filter((x) => x.node === dead)) {
      this.progress('reschedule', `${p.workflow}/${p.function} was on ${dead}, which is NotReady: rescheduling`);
      await this.placeAndShip(p.workflow, JSON.parse(p.spec) as StoredSpec, p.revision, new Set([dead])).catch((e: Error) => {
        this.state.setPlacement({ ...p, node: null, status: 'failed', reason: e.message });
      });
    }
  }

  // -------------------------------------------------------------------------------------------
  // status

  status(): ClusterStatus {
    const topology = this.topology ?? this.loadTopology();
    const placements = this.state.placements();
    const rows = this.state.nodes();
    const nodes: NodeStatusView[] = (topology?.nodes ?? []).map((n) => {
      const row = rows.find((r) => r.name === n.name);
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
        pid: row?.pid ?? null,
        container: row?.container ?? null,
        functions: placements.filter((p) => p.node === n.name).map((p) => `${p.workflow}/${p.function}`),
        ...(this.health.get(n.name) ? { health: this.health.get(n.name) } : {}),
      };
    });
    return {
      cluster: this.cluster,
      up: this.state.get('up') === 'true',
      backend: (this.state.get('backend') as BackendKind | undefined) ?? null,
      topology: topology?.name ?? null,
      nodes,
      deployments: this.state.deployments().map((d) => ({
        ...d,
        functions: placements.filter((p) => p.workflow === d.workflow).map((p) => ({ id: p.function, node: p.node, status: p.status, reason: p.reason })),
      })),
      links: this.state.links(),
      unavailable: this.unavailableArtifacts(),
    };
  }

  /** Artifacts whose bytes are only on nodes that are not Ready (and not in the registry's store). */
  unavailableArtifacts(): Array<{ urn: string; version: number; locations: string[] }> {
    const ready = this.readyNodes();
    const out: Array<{ urn: string; version: number; locations: string[] }> = [];
    for (const a of this.registry.list({})) {
      if (this.registry.hasBytes(a)) continue;
      if (!a.locations.some((l) => ready.has(l.node))) out.push({ urn: a.urn, version: a.version, locations: a.locations.map((l) => l.node) });
    }
    return out;
  }

  // -------------------------------------------------------------------------------------------
  // deploy

  private requireUp(): { backend: Backend; topology: Topology; links: LinkModel } {
    if (this.state.get('up') !== 'true' || !this.backend || !this.topology || !this.links) {
      throw new StudioError('cluster-down', `cluster '${this.cluster}' is not running`, 'start it with `edgeai cluster up` (or the Cluster panel)');
    }
    return { backend: this.backend, topology: this.topology, links: this.links };
  }

  /**
   * Deploys the project as saved on disk (see DeployMode). With `expectedRevision`, refuses with
   * `revision-conflict` when someone else deployed the workflow since the caller looked.
   */
  async deploy(projectDir: string, opts: DeployOptions = {}): Promise<DeployResult> {
    const mode = opts.mode ?? 'full';
    if (!DEPLOY_MODES.includes(mode)) throw new StudioError('bad-deploy-mode', `unknown deploy mode '${String(mode)}'`, `use one of ${DEPLOY_MODES.join(', ')}`);
    if (opts.expectedRevision !== undefined && !(Number.isInteger(opts.expectedRevision) && opts.expectedRevision >= 0)) {
      throw new StudioError('bad-revision', `expectedRevision must be a whole number ≥ 0, not ${String(opts.expectedRevision)}`, 'pass the revision `edgeai cluster status` shows (0: not deployed yet)');
    }
    this.requireUp();
    const project = loadProject(projectDir);
    const workflow = project.workflow.name;
    if (mode === 'restart') return this.restartDeployed(workflow, opts.expectedRevision);

    const errors = project.diagnostics.filter((d) => d.severity === 'error');
    if (hasErrors(project.diagnostics)) {
      throw new StudioError('deploy-invalid', `${project.workflow.name} has ${errors.length} error${errors.length === 1 ? '' : 's'}; nothing was deployed:\n${errors.slice(0, 5).map(formatDiagnostic).join('\n')}`, 'fix them (`edgeai inspect` lists them all) and deploy again');
    }
    const warnings = project.diagnostics.filter((d) => d.severity === 'warning').map(formatDiagnostic);
    const before = this.state.deployment(workflow);
    const previous = new Map(this.state.placements(workflow).map((p) => [p.function, p]));
    const claim = this.state.claimRevision(workflow, project.dir, 'deploying', opts.expectedRevision, true);
    if (!claim.ok) throw this.revisionConflict(workflow, claim.current, opts.expectedRevision!);
    const revision = claim.revision;
    try {
      return await this.deployClaimed(project, mode, revision, claim.previous, before?.status === 'stopped', previous, warnings);
    } catch (e) {
      // a deploy that stopped half-way (a data source that would not import) is failed, not left 'deploying'
      this.state.setDeployment(workflow, revision, project.dir, 'failed');
      throw e;
    }
  }

  private async deployClaimed(project: ReturnType<typeof loadProject>, mode: 'full' | 'changed', revision: number, previousRevision: number, stopped: boolean, previous: Map<string, PlacementRow>, warnings: string[]): Promise<DeployResult> {
    const { topology } = this.requireUp();
    const workflow = project.workflow.name;
    // data sources go into the registry's store (on the topology's registry node); a source
    // that names a node is moved there, over the emulated network
    for (const ds of project.workflow.dataSources) {
      this.progress('data', `importing ${ds.urn}`);
      const r = importDataSource(this.registry, project.dir, ds);
      if (ds.node) {
        if (!topology.nodes.some((n) => n.name === ds.node)) throw new StudioError('unknown-node', `data source ${ds.urn} lives on node '${ds.node}', which topology '${topology.name}' does not have`, `nodes: ${topology.nodes.map((n) => n.name).join(', ')}`);
        await this.ensureOn(r.artifact, ds.node, undefined);
      }
    }

    // a stopped deployment (the cluster went down since) has no workers to keep
    const keepable = mode === 'changed' && !stopped;
    const bundles = new Map<string, FunctionBundle>();
    const results: DeployedFunction[] = [];
    for (const spec of project.functions) {
      const file = join(project.dir, spec.file);
      const stored: StoredSpec = { spec, file };
      const prev = previous.get(spec.id);
      try {
        let bundle = bundles.get(file);
        if (!bundle) {
          bundle = await bundleFunction(file);
          bundles.set(file, bundle);
        }
        if (keepable && prev) {
          const kept = await this.keepUnchanged(prev, stored, bundle.sha256, revision);
          if (kept) {
            results.push(kept);
            continue;
          }
        }
        const r = await this.placeAndShip(workflow, stored, revision, new Set(), bundle);
        // moved to another node: its old workers would idle there until they retire
        if (prev?.node && prev.node !== r.node) await this.retireOn(prev.node, workflow, spec.id, prev.bundle).catch(() => undefined);
        results.push({ ...r, action: 'deployed', bundle: bundle.sha256 });
      } catch (e) {
        const reason = `${spec.id}: ${(e as Error).message}`;
        this.emitEvent({ type: 'deploy', workflow, function: spec.id, status: 'failed', node: null, reason, action: 'deployed' });
        results.push({ id: spec.id, node: null, status: 'failed', reason, action: 'deployed' });
      }
    }
    const removed = await this.undeployRemoved(workflow, project.functions.map((f) => f.id));
    this.armTriggers(workflow, project.workflow.triggers);
    const failed = results.filter((r) => r.status === 'failed');
    const count = (a: DeployAction) => results.filter((r) => r.action === a && r.status === 'ready').length;
    const nothingChanged = mode === 'changed' && previousRevision > 0 && !removed.length && results.every((r) => r.action === 'unchanged' && r.status === 'ready');
    // nothing changed: the workflow stays at the revision it had, so a window that knows that
    // revision can still deploy without a conflict (unless a deploy claimed one after this)
    const kept = nothingChanged && this.state.releaseRevision(workflow, revision, previousRevision, project.dir, 'ready');
    if (kept) revision = previousRevision;
    else this.state.setDeployment(workflow, revision, project.dir, failed.length ? 'failed' : 'ready');
    const parts = [
      count('deployed') ? `${count('deployed')} deployed` : '',
      count('unchanged') ? `${count('unchanged')} unchanged` : '',
      failed.length ? `${failed.length} failed` : '',
      removed.length ? `${removed.length} removed (${removed.map((r) => r.id).join(', ')})` : '',
    ].filter(Boolean);
    const summary = nothingChanged
      ? `nothing changed in ${workflow} since revision ${previousRevision}: all ${results.length} functions unchanged, kept running on their nodes${kept ? `, still revision ${revision}` : ` (revision ${revision})`}`
      : `${workflow} revision ${revision} (${mode}): ${parts.join(', ') || 'no functions'}`;
    return { workflow, revision, functions: results, warnings, mode, previousRevision, removed, nothingChanged, summary };
  }

  private revisionConflict(workflow: string, current: number, expected: number): StudioError {
    return new StudioError(
      'revision-conflict',
      `${workflow} is at revision ${current} on cluster '${this.cluster}', not the expected revision ${expected}${current === 0 ? ' (it is not deployed)' : ''}; nothing was deployed`,
      'another window or `edgeai deploy` deployed it meanwhile: look at the Deploy panel / `edgeai cluster status`, then deploy again',
    );
  }

  /**
   * A `changed` deploy's unchanged function: same bundle and spec as its ready placement on a
   * ready node. It stays there; the agent is asked to keep it warm (no bytes move, warm workers
   * keep running; one is started only if the agent has none). undefined: it must be redeployed.
   */
  private async keepUnchanged(prev: PlacementRow, stored: StoredSpec, sha256: string, revision: number): Promise<DeployedFunction | undefined> {
    const { workflow, function: id } = prev;
    const node = prev.node;
    const same = prev.status === 'ready' && prev.bundle === sha256 && prev.spec === JSON.stringify(stored);
    if (!same || !node || !this.readyNodes().has(node)) return undefined;
    const h = this.handles.get(node);
    if (!h) return undefined;
    let body: { ok: boolean; coldStartMs?: number; warm?: boolean; error?: { message: string } };
    try {
      const r = await fetch(`http://127.0.0.1:${h.port}/warm`, { method: 'POST', body: JSON.stringify({ fn: this.fnRef(workflow, stored, sha256) }), signal: AbortSignal.timeout(120_000) });
      body = (await r.json()) as typeof body;
    } catch (e) {
      body = { ok: false, error: { message: (e as Error).message } };
    }
    if (!body.ok) {
      this.progress('deploy', `${workflow}/${id} is unchanged but could not stay on ${node} (${body.error?.message ?? 'no answer'}): deploying it again`);
      return undefined;
    }
    this.state.setPlacement({ ...prev, revision, status: 'ready', reason: null });
    this.emitEvent({ type: 'deploy', workflow, function: id, status: 'ready', node, action: 'unchanged' });
    return { id, node, status: 'ready', action: 'unchanged', bundle: sha256, ...(body.warm ? {} : { coldStartMs: body.coldStartMs }) };
  }

  /** Drops the placements of functions no longer in the workflow and retires their workers. */
  private async undeployRemoved(workflow: string, keep: string[]): Promise<Array<{ id: string; node: string | null }>> {
    const gone = this.state.placements(workflow).filter((p) => !keep.includes(p.function));
    for (const p of gone) {
      this.progress('undeploy', `${workflow}/${p.function} is no longer in the workflow: undeploying it${p.node ? ` from ${p.node}` : ''}`);
      if (p.node) await this.retireOn(p.node, workflow, p.function, p.bundle).catch((e: Error) => this.progress('undeploy', `could not retire ${p.function}'s workers on ${p.node}: ${e.message} (they retire when idle)`));
    }
    this.state.deletePlacements(workflow, keep);
    return gone.map((p) => ({ id: p.function, node: p.node }));
  }

  /** Asks a node to retire one workflow's function workers of one bundle; returns the pids retired. */
  private async retireOn(node: string, workflow: string, id: string, bundle: string): Promise<number[]> {
    const h = this.handles.get(node);
    if (!h) return [];
    const r = await fetch(`http://127.0.0.1:${h.port}/retire`, { method: 'POST', body: JSON.stringify({ workflow, id, bundle }), signal: AbortSignal.timeout(10_000) });
    if (r.status === 404) throw new Error(`node ${node} runs an agent without /retire (from before deploy modes): restart the cluster (\`edgeai cluster down\`, then \`up\`)`);
    const body: unknown = await r.json();
    const ok = RetireResultSchema.safeParse(body);
    if (!ok.success) throw new Error(`node ${node} could not retire ${id}: ${AgentErrorSchema.safeParse(body).data?.error.message ?? r.status}`);
    return ok.data.retired;
  }

  /**
   * `restart`: every function of the current deployment starts again on its node from the
   * bundle already there (its workers retired, a new one warmed); same revision, no new code.
   */
  private async restartDeployed(workflow: string, expectedRevision: number | undefined): Promise<DeployResult> {
    const dep = this.state.deployment(workflow);
    const placements = this.state.placements(workflow);
    if (!dep || !placements.length) {
      throw new StudioError('not-deployed', `${workflow} is not deployed on cluster '${this.cluster}': there is nothing to restart`, 'deploy it first (`edgeai deploy <project>`, or Deploy in the studio); restart is for a deployed workflow');
    }
    if (dep.status === 'stopped') {
      throw new StudioError('not-deployed', `${workflow} revision ${dep.revision} stopped when cluster '${this.cluster}' went down: there are no workers to restart`, 'deploy it first (`edgeai deploy <project>`, mode full or changed) to run it on the cluster again');
    }
    const claim = this.state.claimRevision(workflow, dep.project, 'restarting', expectedRevision, false);
    if (!claim.ok) throw this.revisionConflict(workflow, claim.current, expectedRevision!);
    const revision = claim.revision;
    const ready = this.readyNodes();
    const results: DeployedFunction[] = [];
    for (const p of placements) {
      const stored = JSON.parse(p.spec) as StoredSpec;
      const id = p.function;
      const failed = (reason: string, node: string | null) => {
        this.state.setPlacement({ ...p, status: 'failed', reason });
        this.emitEvent({ type: 'deploy', workflow, function: id, status: 'failed', node, reason, action: 'restarted' });
        results.push({ id, node, status: 'failed', reason, action: 'restarted', bundle: p.bundle });
      };
      const node = p.node;
      if (!node) {
        failed(`${id} has no node at revision ${revision}${p.reason ? ` (${p.reason.split('\n')[0]})` : ''}: nothing to restart; deploy the workflow again once a node fits`, null);
        continue;
      }
      const h = this.handles.get(node);
      if (!h || !ready.has(node)) {
        failed(`${id} runs on ${node}, which is not Ready: it cannot restart there; deploy again (full) to place it on a running node`, node);
        continue;
      }
      const step = (status: PlacementRow['status']) => {
        this.state.setPlacement({ ...p, status, reason: null });
        this.emitEvent({ type: 'deploy', workflow, function: id, status, node, action: 'restarted' });
      };
      step('scheduled');
      try {
        const retired = await this.retireOn(node, workflow, id, p.bundle);
        this.progress('restart', `${workflow}/${id} on ${node}: ${retired.length ? `retired worker${retired.length > 1 ? 's' : ''} ${retired.join(', ')}` : 'no worker was running'}; starting a fresh one`);
        const warm = await fetch(`http://127.0.0.1:${h.port}/warm`, { method: 'POST', body: JSON.stringify({ fn: this.fnRef(workflow, stored, p.bundle) }), signal: AbortSignal.timeout(120_000) });
        const body = (await warm.json()) as { ok: boolean; coldStartMs?: number; error?: { code?: string; message: string } };
        if (!body.ok) {
          const missing = body.error?.code === 'bundle-missing';
          throw new Error(missing ? `node ${node} no longer has the bundle of revision ${revision} (${p.bundle.slice(0, 12)}); deploy again (full) to ship it` : (body.error?.message ?? `node ${node} could not start ${id}`));
        }
        step('started');
        step('ready');
        results.push({ id, node, status: 'ready', action: 'restarted', bundle: p.bundle, ...(body.coldStartMs !== undefined ? { coldStartMs: body.coldStartMs } : {}) });
      } catch (e) {
        const msg = (e as Error).message;
        failed(msg.startsWith(id) ? msg : `${id} on ${node}: ${msg}`, node);
      }
    }
    const failedCount = results.filter((r) => r.status === 'failed').length;
    this.state.setDeployment(workflow, revision, dep.project, failedCount ? 'failed' : 'ready');
    const summary = `${workflow} revision ${revision} restarted: ${results.length - failedCount} of ${results.length} function${results.length === 1 ? '' : 's'} ready with fresh workers${failedCount ? `, ${failedCount} failed` : ''}`;
    return { workflow, revision, functions: results, warnings: [], mode: 'restart', previousRevision: revision, removed: [], nothingChanged: false, summary };
  }

  /** The data a function reads, as the scheduler needs it: sizes and where the bytes are. */
  private dataItemsOf(spec: FunctionSpec, params: Record<string, string> = {}): DataItem[] {
    const items: DataItem[] = [];
    for (const c of spec.consumes) {
      if (c.kind !== 'data') continue;
      try {
        const r = this.registry.resolve({ ...c.selector, kind: 'data' }, params);
        const a = r.candidates[0];
        if (a) items.push({ urn: a.urn, size: a.size, locations: this.locationsOf(a) });
      } catch {
        /* a template without params: the data is not known before the request */
      }
    }
    return items;
  }

  private locationsOf(a: Artifact): string[] {
    const ready = this.readyNodes();
    const locs = a.locations.map((l) => l.node).filter((n) => ready.has(n));
    if (this.registry.hasBytes(a)) for (const r of this.topology?.registry.at ?? []) if (!locs.includes(r)) locs.push(r);
    return locs;
  }

  private async placeAndShip(workflow: string, stored: StoredSpec, revision: number, exclude: Set<string>, bundleIn?: FunctionBundle): Promise<DeployedFunction> {
    const { topology } = this.requireUp();
    const { spec } = stored;
    const ready = this.readyNodes();
    const usable: Topology = { ...topology, nodes: topology.nodes.map((n) => (ready.has(n.name) && !exclude.has(n.name) ? n : { ...n, noSchedule: true })) };
    const snap = buildSnapshot(usable);
    // functions already placed reserve their requests on their node
    for (const p of this.state.placements()) {
      if (p.node && !(p.workflow === workflow && p.function === spec.id) && ready.has(p.node)) {
        const r = requirementsFromSpec((JSON.parse(p.spec) as StoredSpec).spec, { bundlePrefix: p.workflow });
        snap.reserve(snap.nodeIndex(p.node), r.cpuMillis, r.memoryBytes, r.images.map((i) => i.name));
      }
    }
    const req = requirementsFromSpec(spec, { inputs: this.dataItemsOf(spec), bundlePrefix: workflow });
    const result = schedule(snap, profileByName('edge-ai'), req, { explain: false });
    const bundle = bundleIn ?? (await bundleFunction(stored.file));
    const base: PlacementRow = { workflow, function: spec.id, node: null, bundle: bundle.sha256, revision, status: 'scheduled', reason: null, spec: JSON.stringify(stored) };
    if (!result.node) {
      const reason = result.infeasible ? `${result.infeasible.message}${result.infeasible.filters.map((f) => (f.hint ? `\n  ${f.filter}: ${f.hint}` : '')).join('')}` : 'no feasible node';
      this.state.setPlacement({ ...base, status: 'failed', reason });
      this.emitEvent({ type: 'deploy', workflow, function: spec.id, status: 'failed', node: null, reason });
      return { id: spec.id, node: null, status: 'failed', reason };
    }
    const node = result.node;
    const step = (status: PlacementRow['status'], reason: string | null = null) => {
      this.state.setPlacement({ ...base, node, status, reason });
      this.emitEvent({ type: 'deploy', workflow, function: spec.id, status, node, ...(reason ? { reason } : {}) });
    };
    step('scheduled');
    const h = this.handles.get(node)!;
    try {
      const put = await fetch(`http://127.0.0.1:${h.port}/bundles/${bundle.sha256}`, { method: 'PUT', body: bundle.code, signal: AbortSignal.timeout(60_000) });
      if (!put.ok) throw new Error(`node ${node} refused the bundle: ${await put.text()}`);
      // the bundle travels from the registry node like an image pull, unless the node has it
      if (!((await put.json()) as { had?: boolean }).had) {
        const from = topology.registry.at[0] ?? node;
        const plan = this.links!.plan(from, node, bundle.bytes);
        await sleep(plan.delayMs * this.timeScale);
        for (const l of plan.links) this.state.countLink(l, bundle.bytes);
      }
      step('shipped');
      // a cold start that dies while loading (a worker killed under memory pressure) gets one more try
      let body: { ok: boolean; coldStartMs?: number; error?: { code?: string; message: string } } = { ok: false };
      for (let attempt = 1; attempt <= 2 && !body.ok; attempt++) {
        const warm = await fetch(`http://127.0.0.1:${h.port}/warm`, { method: 'POST', body: JSON.stringify({ fn: this.fnRef(workflow, stored, bundle.sha256) }), signal: AbortSignal.timeout(120_000) });
        body = (await warm.json()) as typeof body;
        if (!body.ok && body.error?.code !== 'worker-died') break;
      }
      if (!body.ok) throw new Error(body.error?.message ?? `node ${node} could not start ${spec.id}`);
      step('started');
      step('ready');
      return { id: spec.id, node, status: 'ready', coldStartMs: body.coldStartMs };
    } catch (e) {
      const reason = `${spec.id} on ${node}: ${(e as Error).message}`;
      step('failed', reason);
      return { id: spec.id, node, status: 'failed', reason };
    }
  }

  private fnRef(workflow: string, stored: StoredSpec, bundle: string): FunctionRef {
    const s = stored.spec;
    return { workflow, id: s.id, bundle, className: s.className, method: s.method, consumes: s.consumes, produces: s.produces, gates: s.gates };
  }

  // -------------------------------------------------------------------------------------------
  // moving bytes

  /** Makes sure `node` holds the artifact's bytes; returns the emulated transfer time in ms. */
  private async ensureOn(a: Artifact, node: string, policy: { networks: string[]; strict: boolean; fn: string } | undefined): Promise<number> {
    const { links, topology } = this.requireUp();
    if (a.locations.some((l) => l.node === node)) {
      const h = this.handles.get(node)!;
      const head = await fetch(`http://127.0.0.1:${h.port}/blobs/${a.sha256}`, { method: 'HEAD', signal: AbortSignal.timeout(5000) }).catch(() => undefined);
      if (head?.ok) return 0;
    }
    // candidate sources: ready nodes that hold it, and the registry's own store
    const ready = this.readyNodes();
    const sources: Array<{ node: string; fromRegistry: boolean }> = a.locations.filter((l) => l.node !== node && ready.has(l.node)).map((l) => ({ node: l.node, fromRegistry: false }));
    if (this.registry.hasBytes(a)) for (const r of topology.registry.at) sources.push({ node: r, fromRegistry: true });
    if (!sources.length) {
      throw new StudioError('artifact-unavailable', `${a.urn} version ${a.version} is unavailable: its only copies were on ${a.locations.map((l) => l.node).join(', ') || '(no node)'}, which ${a.locations.length > 1 ? 'are' : 'is'} not running`, 'restart that node, or run the function that produces it again');
    }
    const plans = sources.map((s) => ({ s, plan: links.plan(s.node, node, a.size) })).sort((x, y) => x.plan.delayMs - y.plan.delayMs);
    // the policy is judged on the route the bytes would take, before any byte moves
    if (policy?.strict) checkDataPolicy(plans[0].plan, policy.networks, `${a.urn} version ${a.version}`, policy.fn);
    let bytes: Uint8Array | undefined;
    let best = plans[0];
    const failures: string[] = [];
    for (const p of plans) {
      if (policy?.strict) {
        try {
          checkDataPolicy(p.plan, policy.networks, '', policy.fn);
        } catch {
          continue;
        }
      }
      if (p.s.fromRegistry) {
        bytes = this.registry.read(a);
      } else {
        const src = this.handles.get(p.s.node)!;
        const r = await fetch(`http://127.0.0.1:${src.port}/blobs/${a.sha256}`, { signal: AbortSignal.timeout(AGENT_TIMEOUT_MS) }).catch((e: Error) => e);
        if (r instanceof Error || !r.ok) {
          failures.push(`${p.s.node}: ${r instanceof Error ? r.message : r.status}`);
          continue;
        }
        bytes = new Uint8Array(await r.arrayBuffer());
      }
      best = p;
      break;
    }
    if (!bytes) throw new StudioError('transfer-failed', `could not read ${a.urn} version ${a.version} from any node holding it (${failures.join('; ')})`, 'run the function that produces it again');
    const t0 = Date.now();
    const dst = this.handles.get(node)!;
    const put = await fetch(`http://127.0.0.1:${dst.port}/blobs/${a.sha256}`, { method: 'PUT', body: new Uint8Array(bytes), signal: AbortSignal.timeout(AGENT_TIMEOUT_MS) });
    if (!put.ok) throw new StudioError('transfer-failed', `node ${node} refused ${a.urn} version ${a.version}: ${await put.text()}`);
    await sleep(best.plan.delayMs * this.timeScale - (Date.now() - t0));
    for (const l of best.plan.links) this.state.countLink(l, a.size);
    this.registry.addLocation({ urn: a.urn, version: a.version }, { node, networks: links.networksOf(node) });
    return best.plan.delayMs * this.timeScale;
  }

  // -------------------------------------------------------------------------------------------
  // invoke

  async invoke(workflow: string, fnId: string, opts: InvokeOptions = {}): Promise<InvokeAnswer> {
    this.requireUp();
    const placement = this.state.placement(workflow, fnId);
    if (!placement) {
      const fns = this.state.placements(workflow).map((p) => p.function);
      throw new StudioError('not-deployed', fns.length ? `${workflow} has no function '${fnId}' (deployed: ${fns.join(', ')})` : `${workflow} is not deployed`, fns.length ? undefined : `deploy it first: edgeai deploy <project>`);
    }
    const stored = JSON.parse(placement.spec) as StoredSpec;
    const runId = randomUUID();
    const params = opts.params ?? {};
    const started = Date.now();
    const run: RunRow = {
      id: runId,
      workflow,
      function: fnId,
      node: placement.node,
      status: 'running',
      started: new Date(started).toISOString(),
      ended: null,
      request: JSON.stringify({ params, input: opts.input ?? null }),
      inputs: '[]',
      outputs: '[]',
      output: null,
      timings: '{}',
      logs: '[]',
      error: null,
      attempts: 1,
    };
    this.state.insertRun(run);
    this.emitEvent({ type: 'run', run: runId, workflow, function: fnId, status: 'running' });
    const finish = (status: RunRow['status'], patch: Partial<RunRow>) => {
      this.state.updateRun(runId, { status, ended: new Date().toISOString(), ...patch });
      this.emitEvent({ type: 'run', run: runId, workflow, function: fnId, status });
    };
    try {
      const answer = await this.invokeOnce(workflow, stored, runId, params, opts.input, started, 1);
      return answer;
    } catch (e) {
      if (e instanceof RetryOnAnotherNode) {
        // the node died under the invocation: once more on another node, one answer to the caller
        try {
          await this.placeAndShip(workflow, stored, placement.revision, new Set([e.node]));
          this.state.updateRun(runId, { attempts: 2 });
          return await this.invokeOnce(workflow, stored, runId, params, opts.input, started, 2);
        } catch (e2) {
          finish('failed', { error: JSON.stringify(errorOf(e2)) });
          throw e2 instanceof RetryOnAnotherNode ? new StudioError('node-failed', e2.message, 'the cluster is losing nodes: check `edgeai cluster status`') : e2;
        }
      }
      const err = errorOf(e);
      finish(err.code === 'deadline-exceeded' ? 'deadline-miss' : 'failed', { error: JSON.stringify(err) });
      throw e;
    }
  }

  private async invokeOnce(workflow: string, stored: StoredSpec, runId: string, params: Record<string, string>, input: unknown, started: number, attempt: number): Promise<InvokeAnswer> {
    const placement = this.state.placement(workflow, stored.spec.id)!;
    const spec = stored.spec;
    const node = placement.node;
    if (!node || placement.status !== 'ready') {
      throw new StudioError('not-ready', `${workflow}/${spec.id} is not ready (${placement.status}${placement.reason ? ': ' + placement.reason : ''})`, 'deploy again once the cluster has a node that fits');
    }
    const h = this.handles.get(node);
    if (!h) throw new RetryOnAnotherNode(node, `node ${node} is not running`);
    this.state.updateRun(runId, { node });

    // resolve inputs, newest (or best) first, skipping candidates with no reachable copy
    const inputs: InvocationInput[] = [];
    let transferMs = 0;
    const policy = spec.policies.data;
    for (const c of spec.consumes) {
      const r = this.registry.resolve({ ...c.selector, kind: c.kind }, params, c.kind === 'model' && c.best ? { best: c.best } : {});
      const pick = r.candidates.find((a) => this.registry.hasBytes(a) || this.locationsOf(a).length > 0);
      if (!pick) {
        const why = r.rejected.slice(0, 3).map((x) => `${x.artifact.urn}@${x.artifact.version}: ${x.reason}`);
        throw new StudioError(
          'no-input',
          `${spec.id}: nothing in the registry matches @consumes.${c.kind} ${JSON.stringify(c.selector)}${r.candidates.length ? ` (${r.candidates.length} match but are unavailable)` : ''}${why.length ? `; closest: ${why.join('; ')}` : ''}`,
          c.kind === 'model' ? 'run the function that produces the model first (e.g. train)' : 'import the data (edgeai data add) or deploy the workflow that declares it',
        );
      }
      transferMs += await this.ensureOn(pick, node, c.kind === 'data' && policy ? { networks: policy.network, strict: policy.strict, fn: spec.id } : undefined);
      inputs.push({ kind: c.kind, artifact: pick, ...(c.kind === 'data' && c.holdout ? { holdout: c.holdout } : {}), ...(c.kind === 'data' && c.batch ? { batch: c.batch } : {}), seed: 42 });
    }
    this.state.updateRun(runId, { inputs: JSON.stringify(inputs.map((i) => ({ kind: i.kind, urn: i.artifact.urn, version: i.artifact.version }))) });

    const deadline = spec.policies.deadline?.ms;
    const left = deadline !== undefined ? deadline - (Date.now() - started) : undefined;
    if (left !== undefined && left <= 0) {
      throw new StudioError('deadline-exceeded', `${spec.id} missed its ${spec.policies.deadline!.text} deadline before it started: moving its inputs took ${Math.round(Date.now() - started)} ms`, 'relax @policy.deadline, or keep the inputs close to the node (data locality)');
    }
    let res: Response;
    try {
      res = await fetch(`http://127.0.0.1:${h.port}/invoke`, {
        method: 'POST',
        body: JSON.stringify({ fn: this.fnRef(workflow, stored, placement.bundle), inputs, request: { id: runId, params, input, ...(left !== undefined ? { deadlineMs: left } : {}) } }),
        // the agent enforces the deadline; this bound only catches an agent that hangs or dies
        signal: AbortSignal.timeout(left !== undefined ? left + 3000 : AGENT_TIMEOUT_MS),
      });
    } catch (e) {
      if (left !== undefined && (e as Error).name === 'TimeoutError') throw new StudioError('deadline-exceeded', `${spec.id} missed its ${spec.policies.deadline!.text} deadline on ${node}; node did not answer`, 'relax @policy.deadline');
      throw new RetryOnAnotherNode(node, `node ${node} stopped answering during ${spec.id} (${(e as Error).message})`);
    }
    const body: unknown = await res.json();
    const bad = AgentErrorSchema.safeParse(body);
    if (bad.success) {
      const { code, message, hint } = bad.data.error;
      this.state.updateRun(runId, { logs: JSON.stringify(bad.data.logs) });
      if (code === 'worker-died' && attempt === 1 && !(await this.alive(node))) throw new RetryOnAnotherNode(node, message);
      if (code === 'deadline-exceeded') {
        throw new StudioError(code, `${spec.id} missed its ${spec.policies.deadline?.text ?? ''} deadline on ${node}: aborted after ${Date.now() - started} ms`, hint);
      }
      throw new StudioError(code, message, hint);
    }
    const result: InvokeResult = InvokeResultSchema.parse(body);
    for (const line of result.logs) this.emitEvent({ type: 'log', run: runId, line });

    // gates: bias comes measured from the node; drift over this function's recent outputs
    const gates = [...result.gates, ...this.driftGates(workflow, spec, result.output)];
    const blocked = gates.some((g) => g.kind === 'bias' && !g.pass);
    const produced: string[] = [];
    if (!blocked) {
      for (const p of result.produced) {
        const a = this.registry.putRemote(
          {
            kind: p.kind,
            urn: p.urn,
            ...(p.type ? { type: p.type } : {}),
            tags: p.tags,
            data_tags: p.data_tags,
            metrics: p.metrics,
            format: p.format,
            lineage: { run: runId, function: `${workflow}/${spec.id}`, inputs: inputs.map((i) => ({ urn: i.artifact.urn, version: i.artifact.version, kind: i.kind })) },
            locations: [{ node, networks: this.links!.networksOf(node) }],
          },
          { sha256: p.sha256, size: p.size },
        );
        produced.push(`${a.urn}@${a.version}`);
        this.published.push(a);
      }
    }
    const totalMs = Date.now() - started;
    const timings = { queueMs: result.timings.queueMs, transferMs, coldStartMs: result.timings.coldStartMs, execMs: result.timings.execMs, totalMs };
    const status: RunRow['status'] = blocked ? 'gate-failed' : 'ok';
    this.state.updateRun(runId, {
      status,
      ended: new Date().toISOString(),
      node,
      outputs: JSON.stringify(produced),
      output: JSON.stringify({ output: result.output, gates }),
      timings: JSON.stringify(timings),
      logs: JSON.stringify(result.logs),
    });
    this.emitEvent({ type: 'run', run: runId, workflow, function: spec.id, status });
    const failedGates = gates.filter((g) => !g.pass);
    if (failedGates.length) this.fireGateTriggers(workflow, spec.id, failedGates);
    for (const a of this.published.splice(0)) this.onPublished(a);
    return {
      run: runId,
      workflow,
      function: spec.id,
      node,
      output: result.output,
      models: inputs.filter((i) => i.kind === 'model').map((i) => `${i.artifact.urn}@${i.artifact.version}`),
      inputs: inputs.map((i) => `${i.artifact.urn}@${i.artifact.version}`),
      produced,
      gates,
      timings,
      cold: result.cold,
      attempts: attempt,
      logs: result.logs,
    };
  }

  private async alive(node: string): Promise<boolean> {
    const h = this.handles.get(node);
    if (!h) return false;
    try {
      return (await fetch(`http://127.0.0.1:${h.port}/health`, { signal: AbortSignal.timeout(500) })).ok;
    } catch {
      return false;
    }
  }

  /**
   * gate.drift: the metric (a number in the function's output) is averaged over the last
   * `window` invocations; its drift is the distance of that mean from the mean of the first
   * full window after deploy. The gate passes while the predicate holds on the drift.
   */
  private driftGates(workflow: string, spec: FunctionSpec, output: unknown): GateResult[] {
    const out: GateResult[] = [];
    for (const g of spec.gates) {
      if (g.kind !== 'drift') continue;
      const key = `${workflow}/${spec.id}/${g.metric}`;
      const v = output && typeof output === 'object' ? (output as Record<string, unknown>)[g.metric] : undefined;
      if (typeof v !== 'number') {
        out.push({ kind: 'drift', metric: g.metric, value: null, predicate: g.predicate, pass: true, detail: `the output has no numeric '${g.metric}'; nothing to watch` });
        continue;
      }
      const win = g.window ?? 50;
      const values = [...(this.driftWindows.get(key) ?? []), v].slice(-win);
      this.driftWindows.set(key, values);
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      if (!this.driftBaselines.has(key) && values.length >= win) this.driftBaselines.set(key, mean);
      const baseline = this.driftBaselines.get(key);
      if (baseline === undefined) {
        out.push({ kind: 'drift', metric: g.metric, value: null, predicate: g.predicate, pass: true, detail: `collecting the reference window (${values.length}/${win} invocations)` });
        continue;
      }
      const drift = Math.abs(mean - baseline);
      const p = parsePredicate(g.predicate);
      const pass = !isPredicateError(p) && testPredicate(p, drift);
      out.push({ kind: 'drift', metric: g.metric, value: drift, predicate: g.predicate, pass, detail: `mean ${g.metric} over the last ${values.length} is ${mean.toFixed(3)}, reference ${baseline.toFixed(3)}: drift ${drift.toFixed(3)}` });
    }
    return out;
  }

  /**
   * Triggers, enacted while this controller runs (the studio or `edgeai gateway`): schedule
   * triggers on a timer; data-arrival triggers after `batch` new matching data artifacts; model-
   * published triggers on each new matching model. Gate triggers fire from fireGateTriggers;
   * http triggers are the gateway's routes.
   */
  private armTriggers(workflow: string, triggers: Trigger[]): void {
    this.disarmTriggers(workflow);
    const armed = { timers: [] as NodeJS.Timeout[], onArtifact: [] as Array<{ trigger: Extract<Trigger, { kind: 'data' | 'model' }>; seen: Artifact[] }> };
    for (const t of triggers) {
      if (t.kind === 'schedule') {
        const ms = parseDurationMs(t.every);
        const timer = setInterval(() => this.fire(workflow, t, {}, `every ${t.every}`), ms);
        timer.unref();
        armed.timers.push(timer);
      } else if (t.kind === 'data' || t.kind === 'model') armed.onArtifact.push({ trigger: t, seen: [] });
    }
    this.triggers.set(workflow, armed);
  }

  private disarmTriggers(workflow?: string): void {
    for (const [w, armed] of this.triggers) {
      if (workflow && w !== workflow) continue;
      for (const t of armed.timers) clearInterval(t);
      this.triggers.delete(w);
    }
  }

  private onPublished(a: Artifact): void {
    for (const [workflow, armed] of this.triggers) {
      for (const entry of armed.onArtifact) {
        const t = entry.trigger;
        if (!matchSelector({ ...t.selector, kind: t.kind }, a, {}).ok) continue;
        entry.seen.push(a);
        const batch = t.kind === 'data' ? t.batch : 1;
        if (entry.seen.length < batch) continue;
        const arrived = entry.seen.splice(0);
        this.fire(workflow, t, this.paramsFor(workflow, t.function, arrived[arrived.length - 1]), `${arrived.length} new ${t.kind === 'data' ? 'data artifact' : 'model'}${arrived.length > 1 ? 's' : ''} (${arrived.map((x) => `${x.urn}@${x.version}`).join(', ')})`);
      }
    }
  }

  /** Request params read off an artifact's urn by the target function's urn templates (`mnist:user:{usr}` ← `mnist:user:alice`). */
  private paramsFor(workflow: string, fnId: string, a: Artifact): Record<string, string> {
    const p = this.state.placement(workflow, fnId);
    if (!p) return {};
    const out: Record<string, string> = {};
    for (const c of (JSON.parse(p.spec) as StoredSpec).spec.consumes) {
      const urn = (c.selector as Selector).urn;
      if (urn) Object.assign(out, paramsFromUrn(urn, a.urn));
    }
    return out;
  }

  private fire(workflow: string, t: Trigger, params: Record<string, string>, why: string): void {
    if (this.closed) return;
    this.progress('trigger', `trigger ${t.id} (${t.kind}: ${why}) starts ${workflow}/${t.function}`);
    void this.invoke(workflow, t.function, { params }).catch(() => undefined);
  }

  private fireGateTriggers(workflow: string, fnId: string, failed: GateResult[]): void {
    const dep = this.state.deployment(workflow);
    if (!dep || !existsSync(dep.project)) return;
    let triggers;
    try {
      triggers = loadProject(dep.project).workflow.triggers;
    } catch {
      return;
    }
    for (const t of triggers) {
      if (t.kind !== 'gate' || t.source !== fnId) continue;
      if (t.gate && !failed.some((g) => g.kind === t.gate)) continue;
      this.fire(workflow, t, {}, `gate ${failed.map((g) => g.kind).join(', ')} of ${fnId} failed`);
    }
  }

  runs(filter: { workflow?: string; function?: string; limit?: number } = {}): RunRow[] {
    return this.state.runs(filter);
  }

  run(id: string): RunRow | undefined {
    return this.state.run(id);
  }

  /** Removes the cluster's state (after `down`). */
  purge(): void {
    this.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

class RetryOnAnotherNode extends Error {
  constructor(
    readonly node: string,
    message: string,
  ) {
    super(message);
  }
}

function parseDurationMs(text: string): number {
  const ms = parseDuration(text);
  if (typeof ms !== 'number') throw new StudioError('bad-duration', ms.error);
  return ms;
}

function errorOf(e: unknown): { code: string; message: string; hint?: string } {
  if (e instanceof StudioError) return { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) };
  return { code: 'error', message: (e as Error)?.message ?? String(e) };
}
