/**
 * The StudioApi implementation over cluster/project and cluster/preprocessor. Transports call
 * `StudioService.call(method, params)`; every request is validated with the contract's schema
 * here, at the boundary, and every user error comes back as `{ok:false, error}` — a call never
 * throws and never takes the process down.
 *
 * Files are written atomically and carry a revision (open-project.ts: an open project and its
 * files' revisions): a write names the revision it was based on, and a mismatch (another window
 * saved first, or the file changed on disk) is a `revision-conflict` error instead of a silent
 * overwrite.
 *
 * Why one file of ~680 lines: one handler per StudioApi method (the contract's 35 methods); the
 * work behind each handler lives in cluster/app, cluster/project and the runtime, the open
 * projects in open-project.ts, the views in views.ts.
 */
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { homedir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Controller, ClusterEvent, DeployResult } from '../runtime/controller';
import { deployCheck, deployErrors } from '../app/preflight';
import { runningTopology } from '../app/topology';
import { TEMPLATES, TFJS_STUB } from './templates';
import { acceleratorView, artifactView, lineageView, previewSelector, runView } from './views';
import { OpenProject, revisionConflict } from './open-project';

export { previewSelector } from './views';
import {
  connect,
  deriveGraph,
  disconnect,
  projectPath,
  saveLayout,
  saveWorkflow,
  writeProjectFile,
  LAYOUT_FILE,
  WORKFLOW_FILE,
  type GraphEdit,
} from '../project/index';
import { editDecorators, preprocessSource, type DecoratorPatch, type ParseCache } from '../preprocessor/index';
import { parseCache } from '../project/parse-cache';
import { LayoutSchema, workflowJsonSchema } from '../spec/workflow';
import { StudioError } from '../common/errors';
import { z } from 'zod';
import {
  EVENTS,
  METHODS,
  METHOD_NAMES,
  invalidRequest,
  type ApiError,
  type ApiResult,
  type DeployCheckDto,
  type EventName,
  type EventPayload,
  type FileEdit,
  type MethodName,
  type MethodRequest,
  type MethodResponse,
  type ProjectSnapshot,
  type StudioClient,
} from '../api/contract';
import { SIM_TOPOLOGIES } from '../common/sim-choices';

const HERE = dirname(fileURLToPath(import.meta.url));
const CLUSTER = resolve(HERE, '..');

export interface CallContext {
  /** who is calling (a window, a WebSocket connection); echoed in project.changed */
  clientId?: string;
}

function fail(code: string, message: string, hint?: string, facts?: StudioError['facts']): never {
  throw new StudioError(code, message, hint, facts);
}

/**
 * The ApiError of anything a handler threw: a StudioError (every error a user can cause and fix
 * extends it) says what and what to do; a failed file system call names the call and the path;
 * anything else is a bug of the studio and says so.
 */
function toApiError(e: unknown): ApiError {
  if (e instanceof StudioError) return { code: e.code, message: e.detail, ...(e.hint ? { hint: e.hint } : {}), ...(e.facts?.conflict ? { conflict: e.facts.conflict } : {}) };
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err.code === 'string' && err.syscall) {
    return { code: 'io-error', message: `${err.syscall} ${err.path ?? ''} failed: ${err.message}`, hint: 'check that the folder exists and is writable' };
  }
  return { code: 'internal-error', message: `the studio service failed: ${(e as Error)?.message ?? String(e)}`, hint: 'please report this; the project files were not changed by the failed request' };
}

type Handler<M extends MethodName> = (params: z.output<(typeof METHODS)[M]['request']>, ctx: CallContext) => Promise<MethodResponse<M>> | MethodResponse<M>;

export class StudioService {
  private readonly projects = new Map<string, OpenProject>();
  private readonly listeners = new Map<EventName, Set<(payload: unknown) => void>>();
  private readonly handlers: { [M in MethodName]: Handler<M> };
  /** each function file's parse, by its text: a snapshot parses again only the files that changed */
  private readonly parseCache: ParseCache;
  private typingsCache?: Array<{ path: string; content: string }>;

  constructor(
    private readonly options: {
      transport?: 'electron' | 'websocket' | 'in-process';
      initialProject?: string;
      /** where cluster/ lives (a bundled Electron main passes it; sources find it themselves) */
      clusterDir?: string;
      /** the embedded runtime controller: home (default $EDGEAI_HOME, else ~/.edgeai) and cluster name (default $EDGEAI_CLUSTER, else 'local') */
      runtime?: { home?: string; cluster?: string };
      /** runs before the runtime's modules load (the bundled web server registers tsx here: the runtime loads from its sources) */
      beforeRuntime?: () => Promise<void>;
      /** where USB accelerators are looked for (default /sys and /dev; tests give a fake tree) and how often hot-plug is polled (default 1000 ms) */
      accelerators?: { sysfsRoot?: string; devRoot?: string; intervalMs?: number };
      /** where what function files parsed to is kept between starts (project/parse-cache.ts; without: in memory only) */
      parseCacheDir?: string;
    } = {},
  ) {
    this.parseCache = parseCache(options.parseCacheDir);
    this.handlers = {
      'studio.info': () => ({
        version: '0.1.0',
        transport: this.options.transport ?? 'in-process',
        methods: [...METHOD_NAMES],
        features: { runtime: true },
        ...(this.options.initialProject ? { initialProject: resolve(this.options.initialProject) } : {}),
      }),
      'project.open': (p) => {
        const open = new OpenProject(resolve(p.dir), this.parseCache);
        this.projects.set(open.dir, open);
        return this.snapshot(open);
      },
      'project.create': async (p) => {
        const dir = fullPath(p.dir);
        const { newProject } = await import('../project/template');
        newProject(dir, p.name);
        return this.handlers['project.open']({ dir }, {});
      },
      'project.snapshot': (p) => {
        const open = this.get(p.project);
        open.reload();
        return this.snapshot(open);
      },
      'project.files.read': (p) => {
        const open = this.get(p.project);
        const abs = projectPath(open.dir, p.path);
        if (!existsSync(abs)) fail('file-not-found', `${p.path} does not exist in ${open.dir}`, 'create it first, or pick a file from the project');
        const revision = open.revision(p.path);
        return { path: p.path, source: open.known.get(p.path) ?? readFileSync(abs, 'utf8'), revision };
      },
      'project.files.write': (p, ctx) => {
        const open = this.get(p.project);
        const r = this.writeChecked(open, p.path, p.source, p.expectedRevision, ctx);
        return { path: p.path, before: r.before, revision: r.revision, snapshot: this.snapshot(open) };
      },
      'project.files.delete': (p, ctx) => {
        const open = this.get(p.project);
        if (p.path === WORKFLOW_FILE || p.path === LAYOUT_FILE) fail('cannot-delete', `${p.path} belongs to every project and cannot be deleted`);
        const revision = open.revision(p.path);
        const before = open.known.get(p.path);
        if (before === undefined) fail('file-not-found', `${p.path} does not exist`);
        if (revision !== p.expectedRevision) revisionConflict(p.path, revision);
        rmSync(projectPath(open.dir, p.path));
        open.reload();
        this.emit('project.changed', { project: open.dir, paths: [p.path], ...(ctx.clientId ? { origin: ctx.clientId } : {}) });
        return { path: p.path, before, snapshot: this.snapshot(open) };
      },
      'project.functions.create': (p, ctx) => {
        const open = this.get(p.project);
        if (open.project.functions.some((f) => f.id === p.functionId)) fail('function-exists', `a function '${p.functionId}' already exists`, 'function ids are method names and must be unique in the workflow: pick another name');
        const path = `functions/${p.functionId}.ts`;
        if (existsSync(projectPath(open.dir, path))) fail('file-exists', `${path} already exists`, 'pick another function name');
        const cls = p.functionId.charAt(0).toUpperCase() + p.functionId.slice(1);
        const r = this.writeChecked(open, path, TEMPLATES[p.template](cls, p.functionId), 0, ctx);
        return { path, revision: r.revision, snapshot: this.snapshot(open) };
      },
      preprocess: (p) => {
        const r = preprocessSource(p.path, p.source);
        if (!p.project) return { functions: r.functions, diagnostics: r.diagnostics };
        // the graph with this buffer in place of the saved file (nothing is written)
        const { project } = this.get(p.project);
        const functions = [...project.functions.filter((f) => f.file !== p.path), ...r.functions];
        return { functions: r.functions, diagnostics: r.diagnostics, graph: deriveGraph({ workflow: project.workflow, functions }) };
      },
      'decorators.edit': (p, ctx) => {
        const open = this.get(p.project);
        const revision = open.revision(p.path);
        if (revision !== p.expectedRevision) revisionConflict(p.path, revision);
        const source = open.known.get(p.path);
        if (source === undefined) fail('file-not-found', `${p.path} is not a function file of this project`);
        const r = editDecorators(source, p.functionId, p.patch as DecoratorPatch);
        if (!r.ok) fail('edit-refused', `${p.path}: ${r.error}`, 'the file was not changed');
        return this.applyEdit(open, p.path, r.source, r.change, revision, ctx);
      },
      'graph.derive': (p) => {
        const open = this.get(p.project);
        return open.graph();
      },
      'graph.connect': (p, ctx) => {
        const open = this.get(p.project);
        open.reload();
        return this.applyGraphEdit(open, connect(open.project, p.producer, p.consumer, p.input, p.mode), ctx);
      },
      'graph.disconnect': (p, ctx) => {
        const open = this.get(p.project);
        open.reload();
        return this.applyGraphEdit(open, disconnect(open.project, p.edgeId), ctx);
      },
      'layout.save': (p, ctx) => {
        const open = this.get(p.project);
        const layout = saveLayout(open.dir, p.layout);
        open.project.layout = layout;
        open.markWritten(LAYOUT_FILE, readFileSync(projectPath(open.dir, LAYOUT_FILE), 'utf8'));
        this.emit('project.changed', { project: open.dir, paths: [LAYOUT_FILE], ...(ctx.clientId ? { origin: ctx.clientId } : {}) });
        return { layout, revision: open.revisions.get(LAYOUT_FILE) ?? 1 };
      },
      'workflow.save': (p, ctx) => {
        const open = this.get(p.project);
        const revision = open.revision(WORKFLOW_FILE);
        if (revision !== p.expectedRevision) revisionConflict(WORKFLOW_FILE, revision);
        const before = open.known.get(WORKFLOW_FILE) ?? '';
        saveWorkflow(open.dir, p.workflow);
        open.markWritten(WORKFLOW_FILE, readFileSync(projectPath(open.dir, WORKFLOW_FILE), 'utf8'));
        open.reload();
        this.emit('project.changed', { project: open.dir, paths: [WORKFLOW_FILE], ...(ctx.clientId ? { origin: ctx.clientId } : {}) });
        return { before, revision: open.revisions.get(WORKFLOW_FILE)!, snapshot: this.snapshot(open) };
      },
      'selector.preview': (p) => {
        const open = this.get(p.project);
        return previewSelector(open.project, p.kind, p.selector);
      },
      schema: (p) => {
        if (p.name === 'workflow') return { schema: workflowJsonSchema() };
        return { schema: z.toJSONSchema(LayoutSchema, { io: 'input' }) as Record<string, unknown> };
      },
      'sdk.typings': () => ({ files: this.typings() }),

      // ---- runtime ----------------------------------------------------------------------
      'cluster.status': async () => (await this.runtime()).status(),
      'cluster.up': async (p) => {
        const c = await this.runtime();
        const { startCluster } = await import('../app/cluster');
        return this.exclusive('cluster', 'the cluster is already starting or stopping', () =>
          // USB sticks plugged into this machine join the node that stands for it (as `edgeai cluster up` does)
          startCluster(c, { backend: p.backend, topology: p.topology, acceleratorsOn: p.acceleratorsOn, ...(p.kubernetes ? { kubernetes: p.kubernetes } : {}), discover: this.discoverOptions() }, (message) => this.emit('cluster.progress', { step: 'accelerators', message })),
        );
      },
      'accelerators.list': async () => {
        const acc = await import('../accelerators/index');
        this.watchAccelerators(acc);
        const note = acc.platformNote();
        return {
          accelerators: acc.discoverAccelerators(this.discoverOptions()).map((a) => acceleratorView(a, acc.KIND_NAMES)),
          ...(note ? { note } : {}),
          udevFile: acc.UDEV_RULES_FILE,
          udevRules: acc.udevRulesText(),
          udevReload: acc.UDEV_RELOAD,
        };
      },
      'cluster.down': async (p) => {
        const c = await this.runtime();
        return this.exclusive('cluster', 'the cluster is already starting or stopping', async () => {
          await c.down({ keepState: p.keepState });
          return c.status();
        });
      },
      'project.nextSteps': async (p) => {
        const open = this.get(p.project);
        const c = await this.runtime();
        open.reload();
        // only the count of the errors a deploy refuses: no placement is planned for it
        const { clusterNextSteps } = await import('../app/next-steps');
        return { steps: clusterNextSteps(open.project, c, deployErrors(open.project).length) };
      },
      'deploy.check': (p) => this.deployCheck(this.get(p.project)),
      deploy: async (p) => {
        const open = this.get(p.project);
        const check = this.deployCheck(open);
        const { deployProject } = await import('../app/deploy');
        const req = { mode: p.mode, acceptWarnings: p.acceptWarnings, replace: p.replace, ...(p.expectedRevision !== undefined ? { expectedRevision: p.expectedRevision } : {}) };
        const c = await this.runtime();
        // a restart ships no new code: the deployed functions restart, whatever is on disk
        const tracked = p.mode === 'restart' ? { ...check, functions: c.status().deployments.find((d) => d.workflow === check.workflow)?.functions.map((f) => f.id) ?? [] } : check;
        if (p.mode !== 'restart') (await import('../app/preflight')).requireDeployable(check, p.acceptWarnings);
        return this.exclusive('deploy', 'a deploy is already running', () => this.deployTracked(check.workflow, tracked.functions, c, () => deployProject(c, open.dir, req, check)));
      },
      invoke: async (p) => {
        const c = await this.runtime();
        return c.invoke(p.workflow, p.function, { input: p.input, ...(p.params ? { params: p.params } : {}) });
      },
      'runs.list': async (p) => (await this.runtime()).runs({ ...(p.workflow ? { workflow: p.workflow } : {}), ...(p.function ? { function: p.function } : {}), limit: p.limit }).map(runView),
      'runs.get': async (p) => {
        const r = (await this.runtime()).run(p.id);
        if (!r) fail('run-not-found', `there is no run '${p.id}' in this cluster`, 'pick one from the run history (runs.list)');
        return runView(r);
      },
      'artifacts.list': async (p) => (await this.runtime()).registry.list(p.kind ? { kind: p.kind } : {}).map(artifactView),
      'artifacts.lineage': async (p) => {
        const reg = (await this.runtime()).registry;
        let report: ReturnType<typeof reg.lineage>;
        try {
          report = reg.lineage(p.urn, p.version);
        } catch (e) {
          fail('artifact-not-found', (e as Error).message, 'pick one from the artifacts list');
        }
        return lineageView(report);
      },
      'schedule.explain': async (p) => {
        const open = this.get(p.project);
        open.reload();
        const c = await this.runtime();
        const status = c.status();
        const { explainPlacement } = await import('../app/explain');
        const { plan } = await explainPlacement(open.project, p.function, runningTopology(c));
        const e = plan.explanations[p.function];
        const placed = plan.placements.find((x) => x.function === p.function);
        const deployed = status.deployments.find((d) => d.workflow === open.project.workflow.name)?.functions.find((f) => f.id === p.function);
        const infeasible = plan.infeasible[p.function];
        return {
          function: p.function,
          topology: plan.topology,
          profile: plan.profile,
          node: placed?.node ?? null,
          deployedOn: deployed?.node ?? null,
          ...(infeasible ? { infeasible: infeasible.message } : {}),
          warnings: plan.warnings.filter((w) => w.startsWith(`${p.function}: `)).map((w) => w.slice(p.function.length + 2)),
          nodes: (e?.nodes ?? []).map((n) => ({
            node: n.node,
            status: n.status,
            ...(n.filter ? { filter: n.filter } : {}),
            ...(n.reason ? { reason: n.reason } : {}),
            ...(n.total !== undefined ? { total: n.total } : {}),
            ...(n.scores ? { scores: n.scores.map((s) => ({ plugin: s.plugin, raw: s.raw, normalised: s.normalised, weight: s.weight })) } : {}),
          })),
        };
      },
      'simulate.run': (p) => {
        const open = this.get(p.project);
        open.reload();
        return this.exclusive('simulate', 'a simulation is already running', async () => {
          // cancellable from the start, while the simulator loads and the request is checked
          const ac = new AbortController();
          this.simulation = ac;
          try {
            return await this.simulate(open, p, ac.signal);
          } finally {
            this.simulation = undefined;
          }
        });
      },
      'simulate.compareRuns': async (p) => {
        const open = this.get(p.project);
        open.reload();
        const c = await this.runtime();
        return this.exclusive('simulate', 'a simulation is already running', () => this.compareRuns(open, c, p));
      },
      'simulate.cancel': () => {
        const run = this.simulation;
        run?.abort();
        return { cancelled: !!run };
      },
      'samples.digit': (p) => {
        const mnist = createRequire(import.meta.url)('mnist') as Record<number, { length: number; get(i: number): number[] }>;
        const digit = p.digit ?? Math.floor(Math.random() * 10);
        const set = mnist[digit];
        // from the end of each digit's set: the sample's data sources take the first ones
        const index = p.index ?? Math.floor(Math.random() * 100);
        return { label: digit, pixels: set.get(set.length - 1 - index) };
      },
    };
  }

  /** Validates and runs one request. Never throws. */
  async call<M extends MethodName>(method: M, params: unknown, ctx: CallContext = {}): Promise<ApiResult<MethodResponse<M>>> {
    const def = (METHODS as Record<string, (typeof METHODS)[MethodName]>)[method];
    if (!def || !Object.prototype.hasOwnProperty.call(METHODS, method)) {
      return { ok: false, error: { code: 'unknown-method', message: `the studio service has no method '${String(method)}'`, hint: `methods: ${METHOD_NAMES.join(', ')}` } };
    }
    const parsed = def.request.safeParse(params ?? {});
    if (!parsed.success) return { ok: false, error: invalidRequest(method, parsed.error) };
    try {
      const handler = this.handlers[method] as unknown as (p: unknown, c: CallContext) => Promise<MethodResponse<M>> | MethodResponse<M>;
      const value = await handler(parsed.data, ctx);
      return { ok: true, value };
    } catch (e) {
      return { ok: false, error: toApiError(e) };
    }
  }

  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as (p: unknown) => void);
    return () => set!.delete(listener as (p: unknown) => void);
  }

  emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    const checked = EVENTS[event].parse(payload);
    for (const l of this.listeners.get(event) ?? []) {
      try {
        l(checked);
      } catch {
        // a broken listener (a closed socket) must not stop the others
      }
    }
  }

  /** An in-process client with the same interface as window.studio (tests, the CLI). */
  client(clientId: string = randomUUID()): StudioClient {
    return {
      transport: 'in-process',
      call: (method, params) => this.call(method, params, { clientId }),
      on: (event, listener) => this.on(event, listener),
    };
  }

  // -------------------------------------------------------------------------------------------
  // runtime: one Controller per service, opened on first use

  private controller?: Promise<Controller>;
  /** the controller once opened: what answers synchronously (the snapshot's placement check) reads it */
  private controllerNow?: Controller;
  private readonly running = new Set<string>();

  private runtime(): Promise<Controller> {
    if (!this.controller) {
      const opts = this.options.runtime ?? {};
      const opening: Promise<Controller> = (this.options.beforeRuntime ? this.options.beforeRuntime() : Promise.resolve())
        .then(() => import('../app/cluster'))
        .then((m) => m.openCluster({ ...(opts.home ? { home: opts.home } : {}), ...(opts.cluster ? { cluster: opts.cluster } : {}), triggers: 'run' }))
        .then((c) => {
          c.on('event', (e: ClusterEvent) => this.forward(e));
          // the agents of the nodes this studio's sticks join watch where the studio looks
          if (this.options.accelerators?.sysfsRoot) c.sticksUnder(this.options.accelerators.sysfsRoot);
          // not when the service was closed while it opened (close() closes it)
          if (this.controller === opening) this.controllerNow = c;
          return c;
        });
      this.controller = opening;
      this.controller.catch(() => {
        this.controller = undefined;
      });
    }
    return this.controller;
  }

  private forward(e: ClusterEvent): void {
    try {
      if (e.type === 'progress') this.emit('cluster.progress', { step: e.step, message: e.message });
      else if (e.type === 'node') this.emit('cluster.node', { node: e.node, status: e.status, ...(e.reason ? { reason: e.reason } : {}) });
      else if (e.type === 'deploy') this.emit('deploy.function', { workflow: e.workflow, function: e.function, status: e.status, node: e.node ?? null, ...(e.reason ? { reason: e.reason } : {}), ...(e.action ? { action: e.action } : {}) });
      else if (e.type === 'run') this.emit('run', { run: e.run, workflow: e.workflow, function: e.function, status: e.status });
      else if (e.type === 'log') this.emit('log', { run: e.run, line: e.line });
    } catch {
      // an event the contract does not know is dropped, never thrown into the controller
    }
  }

  private stopWatching?: () => void;

  private discoverOptions(): { sysfsRoot?: string; devRoot: string } {
    const o = this.options.accelerators ?? {};
    return { ...(o.sysfsRoot ? { sysfsRoot: o.sysfsRoot } : {}), devRoot: o.devRoot ?? '/dev' };
  }

  /** Hot-plug: once a client has asked for the accelerators, changes stream as accelerators.changed. */
  private watchAccelerators(acc: typeof import('../accelerators/index')): void {
    if (this.stopWatching) return;
    this.stopWatching = acc.watchAccelerators({ ...this.discoverOptions(), intervalMs: this.options.accelerators?.intervalMs ?? 1000 }, (e) => {
      this.emit('accelerators.changed', {
        type: e.type,
        accelerator: acceleratorView(e.accelerator, acc.KIND_NAMES),
        ...(e.previous ? { previous: acceleratorView(e.previous, acc.KIND_NAMES) } : {}),
      });
      // the running cluster's nodes follow their sticks (a gone Coral takes its node's tpu)
      if (e.type !== 'changed') this.controllerNow?.localAccelerators(acc.discoverAccelerators(this.discoverOptions()));
    });
  }

  /** The running simulation's stop switch (one at a time). */
  private simulation?: AbortController;

  private async simulate(open: OpenProject, p: z.output<(typeof METHODS)['simulate.run']['request']>, signal: AbortSignal): Promise<MethodResponse<'simulate.run'>> {
    const started = Date.now();
    const [{ chooseTopology }, sim, { simulationRequest }] = await Promise.all([import('../app/topology'), import('../simulator/index'), import('../app/simulation')]);
    const project = open.project;
    // the topology: a scenario by name, or the project's own (topology.json, else workflow.json's target)
    const spec = p.topology.trim();
    if (spec.includes('/') || spec.endsWith('.json')) fail('bad-topology', `topology '${spec}': give a scenario name, or 'project'`, `a topology file belongs in the project as topology.json; scenarios: ${SIM_TOPOLOGIES.join(', ')}`);
    const { topology, source } = await chooseTopology(project, spec);
    // bounded work: arrivals = Σ rate × duration (+ schedules); refused before anything runs
    const request = simulationRequest({ project, topology, profiles: p.profiles, seed: p.seed, duration: p.duration, rates: p.rates, workloads: p.workloads, service: p.service, replicas: p.replicas, coldStarts: p.coldStarts, starts: p.starts });
    const opts = request.options;
    const title = `Simulating ${project.workflow.name} on ${topology.name}`;
    let lastPercent = -1;
    try {
      const reports = await sim.compareSchedulersAsync(opts, p.profiles, {
        signal,
        onProgress: ({ index, profile, fraction }) => {
          const percent = Math.floor(fraction * 100);
          const done = index * 100 + percent;
          if (done === lastPercent) return;
          lastPercent = done;
          this.emit('progress', { id: 'simulate', title, done, total: p.profiles.length * 100, message: `${profile}: ${percent}% of ${p.duration} simulated` });
        },
      });
      const errors = project.diagnostics.filter((d) => d.severity === 'error');
      const files = [...new Set(errors.map((d) => d.file))];
      return {
        topology: { name: topology.name, nodes: topology.nodes.length, source },
        reports,
        summaries: reports.map((r) => sim.comparisonSummary(r, topology)),
        elapsedMs: Date.now() - started,
        ...(errors.length ? { warning: `${errors.length} error${errors.length === 1 ? '' : 's'} in ${files.join(', ')}: the functions there were left out of the simulation` } : {}),
      };
    } finally {
      this.emit('progress', { id: 'simulate', title, done: p.profiles.length * 100, total: p.profiles.length * 100, finished: true });
    }
  }

  /** Sim vs real (issue 15, item 6): the open workflow's recorded runs beside their simulation (app/simulation.ts, as `edgeai simulate --exec-from-runs --compare-runs`). */
  private async compareRuns(open: OpenProject, c: Controller, p: z.output<(typeof METHODS)['simulate.compareRuns']['request']>): Promise<MethodResponse<'simulate.compareRuns'>> {
    const started = Date.now();
    const [sim, app] = await Promise.all([import('../simulator/index'), import('../app/simulation')]);
    const project = open.project;
    const workflow = project.workflow.name;
    let from: ReturnType<typeof app.clusterRuns>;
    try {
      from = app.clusterRuns(c, workflow, undefined, 'sim vs real');
      if (!from.runs.some((r) => r.status === 'ok')) throw new StudioError('no-runs', `sim vs real: none of the ${from.runs.length} recorded runs of ${workflow} ended ok`, 'run it until some succeed (the invoke console, or edgeai load <workflow>/<function> --rate R --duration D)');
    } catch (e) {
      if (!(e instanceof StudioError) || !['cluster-down', 'no-runs'].includes(e.code)) throw e;
      return { workflow, empty: { message: e.detail, ...(e.hint ? { hint: e.hint } : {}) }, profile: p.profile, topology: '', runs: 0, durationS: 0, rows: [], links: [], elapsedMs: Date.now() - started };
    }
    const request = app.simulationRequest({ project, topology: from.topology, profiles: [p.profile], seed: p.seed, duration: `${from.durationS}s` });
    const report = sim.compareSchedulers(app.optionsFromRuns(request.options, p.profile, from), [p.profile])[0];
    const real = Object.fromEntries(c.status().links.filter((l) => l.bytes > 0).map((l) => [l.link, l.bytes]));
    const { rows, links } = app.runsComparison(from.runs, report, real);
    const n = (x: number) => (Number.isFinite(x) ? x : null);
    const figures = (f: (typeof rows)[number]['real']) => ({ runs: f.runs, p50: n(f.p50), p95: n(f.p95), coldStarts: f.coldStarts });
    return {
      workflow,
      profile: p.profile,
      topology: from.topology.name,
      runs: from.runs.length,
      since: new Date(Math.min(...from.runs.map((r) => Date.parse(r.started)))).toISOString(),
      durationS: from.durationS,
      rows: rows.map((r) => ({ function: r.function, real: figures(r.real), sim: figures(r.sim) })),
      links,
      elapsedMs: Date.now() - started,
    };
  }

  /** One at a time per kind of work; a second request is told what runs. */
  private async exclusive<T>(key: string, busy: string, work: () => Promise<T>): Promise<T> {
    if (this.running.has(key)) fail(`${key}-busy`, busy, 'wait for it to finish; its progress is shown');
    this.running.add(key);
    try {
      return await work();
    } finally {
      this.running.delete(key);
    }
  }

  private deployCheck(open: OpenProject): DeployCheckDto {
    open.reload();
    return deployCheck(open.project, runningTopology(this.controllerNow));
  }

  /** Runs a deploy and makes sure every function ends ready or failed with a reason — never "in progress". */
  private async deployTracked(workflow: string, functions: string[], c: Controller, run: () => Promise<DeployResult>): Promise<DeployResult> {
    const final = new Map<string, string>();
    const listener = (e: ClusterEvent) => {
      if (e.type === 'deploy' && e.workflow === workflow && (e.status === 'ready' || e.status === 'failed')) final.set(e.function, e.status);
    };
    c.on('event', listener);
    const settle = (id: string, reason: string) => {
      if (final.has(id)) return;
      final.set(id, 'failed');
      this.emit('deploy.function', { workflow, function: id, status: 'failed', node: null, reason });
    };
    try {
      const r = await run();
      for (const f of r.functions) {
        if (f.status === 'ready' && !final.has(f.id)) this.emit('deploy.function', { workflow: r.workflow, function: f.id, status: 'ready', node: f.node, ...(f.action ? { action: f.action } : {}) });
        else if (f.status !== 'ready') settle(f.id, f.reason ?? `${f.id} stopped at '${f.status}' without a reason from the node`);
        final.set(f.id, f.status === 'ready' ? 'ready' : 'failed');
      }
      for (const id of functions) settle(id, `${id} was not part of the deploy result`);
      return { ...r, functions: r.functions.map((f) => (f.status === 'ready' || f.status === 'failed' ? f : { ...f, status: 'failed' as const, reason: f.reason ?? `stopped at '${f.status}'` })) };
    } catch (e) {
      const err = toApiError(e);
      // a revision conflict (or a name taken by another folder) is refused before any function is touched: they keep running as they were
      if (err.code !== 'revision-conflict' && err.code !== 'workflow-name-taken') for (const id of functions) settle(id, `the deploy stopped before ${id} was ready: ${err.message}`);
      throw e;
    } finally {
      c.off('event', listener);
    }
  }

  /** Closes the embedded controller; with `down`, stops the cluster's nodes first (tests, the web server). */
  async close(opts: { down?: boolean } = {}): Promise<void> {
    this.stopWatching?.();
    this.stopWatching = undefined;
    const pending = this.controller;
    const opened = this.controllerNow;
    this.controller = undefined;
    this.controllerNow = undefined;
    if (!pending) return;
    // a controller still opening (the runtime's modules loading) is closed once it has opened:
    // closing the studio does not wait for the runtime to finish loading only to close it
    if (!opts.down && !opened) {
      void pending.then((c) => c.close(), () => undefined);
      return;
    }
    const c = await pending.catch(() => undefined);
    if (!c) return;
    if (opts.down) await c.down().catch(() => undefined);
    c.close();
  }

  // -------------------------------------------------------------------------------------------

  private get(dir: string): OpenProject {
    const open = this.projects.get(resolve(dir));
    if (!open) fail('project-not-open', `the project ${dir} is not open`, 'open it first (project.open)');
    return open;
  }

  /** Writes `path` as of revision `expected` (open-project.ts write) and tells every window. */
  private writeChecked(open: OpenProject, path: string, source: string, expected: number, ctx: CallContext): { before: string; revision: number } {
    const r = open.write(path, source, expected);
    this.emit('project.changed', { project: open.dir, paths: [path], ...(ctx.clientId ? { origin: ctx.clientId } : {}) });
    return r;
  }

  private applyEdit(open: OpenProject, path: string, source: string, change: FileEdit['change'], revision: number, ctx: CallContext): FileEdit {
    const r = this.writeChecked(open, path, source, revision, ctx);
    return { path, before: r.before, source, revision: r.revision, change, snapshot: this.snapshot(open) };
  }

  private applyGraphEdit(open: OpenProject, edit: GraphEdit, ctx: CallContext): FileEdit {
    if (!edit.ok && edit.choice) {
      if (edit.choice.replaces >= 0) fail('connection-choice', edit.reason, 'nothing was changed: connect again with mode add (another input) or replace');
      fail('connection-add-only', edit.reason, 'nothing was changed: connect again with mode add for another input');
    }
    if (!edit.ok) fail('connection-refused', edit.reason, 'the code was not changed');
    return this.applyEdit(open, edit.file, edit.source, edit.change, open.revision(edit.file), ctx);
  }

  /** The project as the studio shows it, with the placements a deploy would refuse on the running cluster. */
  private snapshot(open: OpenProject): ProjectSnapshot {
    return open.snapshot(runningTopology(this.controllerNow));
  }

  private typings(): Array<{ path: string; content: string }> {
    if (this.typingsCache) return this.typingsCache;
    const out: Array<{ path: string; content: string }> = [];
    for (const sub of ['sdk', 'spec']) {
      const dir = join(this.options.clusterDir ?? CLUSTER, sub);
      for (const name of readdirSync(dir).sort()) {
        if (!name.endsWith('.ts') || name.endsWith('.test.ts')) continue;
        out.push({ path: `node_modules/edge-ai-studio/${sub}/${name}`, content: readFileSync(join(dir, name), 'utf8') });
      }
    }
    out.push({ path: 'node_modules/@tensorflow/tfjs/index.d.ts', content: TFJS_STUB });
    this.typingsCache = out;
    return out;
  }
}

/** A folder the user typed: absolute, or under ~; a relative path would depend on where the studio was started. */
function fullPath(dir: string): string {
  const d = dir.trim();
  if (d === '~' || d.startsWith('~/')) return join(homedir(), d.slice(1));
  if (!isAbsolute(d)) fail('bad-path', `'${d}' is a relative path`, `give the full path of the folder, e.g. ${join(homedir(), d)}`);
  return resolve(d);
}

export type { MethodRequest };
