/**
 * Deploying a workflow as saved on disk: validate → plan (planWorkflow, the same placement step
 * as `edgeai schedule` and the simulator) → put the data sources where they live → ship each
 * function's bundle to its node → start a worker → ready. The plan comes first, so a function
 * whose policies cannot hold (a strict data policy, a deadline, a capability) fails with the
 * planner's reason before any byte moves.
 *
 * Modes (common/status.ts): `full` places and ships everything; `changed` keeps every function
 * whose contract and code identity (preprocessor/identity.ts: its own method, and what it can
 * reach that is not another function) are those of its ready placement; `restart` gives every
 * deployed function fresh workers on its node. Functions that left the project are undeployed.
 * Each deploy names the revision the caller knows; a deploy made meanwhile is a conflict.
 *
 * Why one file of ~570 lines: the three deploy modes, the revision check and the shipping of one function share the same steps and placement rows; each mode is a method here.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StudioError } from '../../common/errors';
import { DEPLOY_MODES, type DeployAction } from '../../common/status';
import type { FunctionSpec } from '../../spec/function';
import type { Artifact } from '../../spec/artifact';
import { loadProject, type Project } from '../../project/project';
import { hasErrors, formatDiagnostic } from '../../preprocessor/diagnostic';
import { functionIdentities } from '../../preprocessor/identity';
import { bundleFunction, type FunctionBundle } from '../../sdk/bundle';
import { readDataSource } from '../../registry/import';
import { importModelSource, readModelSource } from '../../registry/tflite-import';
import { tpuShortfall, TPU_HINT } from './accelerators';
import { dataSourceArtifacts, type PlannedArtifact } from '../../planning/artifacts';
import { DEPLOY_PROFILE, infeasibleReason, planWorkflow, type Plan, type Reservation } from '../../planning/plan';
import { requirementsFromSpec } from '../../scheduler/requirements';
import { AgentRefused } from '../agent/client';
import { sleep } from '../transfer';
import type { PlacementRow } from '../state';
import type { ControllerContext } from './context';
import { functionRef } from './invoker';
import type { Mover } from './mover';
import type { TriggerBoard } from './triggers';
import type { DeployedFunction, DeployOptions, DeployResult, HttpRoute, StoredSpec } from './types';

/** What decides whether a function changed: its contract and its code identity (not where in the file it stands). */
function identityOf(s: StoredSpec): string {
  const { className, method, consumes, produces, policies, gates, params } = s.spec;
  return JSON.stringify({ className, method, consumes, produces, policies, gates, params, code: s.code ?? null });
}

/** State keys `displaced.<workflow>/<function>` → the NotReady node a function could not leave. */
const DISPLACED = 'displaced.';

export class Deployer {
  private rescheduling: Promise<void> = Promise.resolve();

  constructor(
    private readonly ctx: ControllerContext,
    private readonly mover: Mover,
    private readonly triggers: () => TriggerBoard,
  ) {}

  async deploy(projectDir: string, opts: DeployOptions = {}): Promise<DeployResult> {
    const { ctx } = this;
    const mode = opts.mode ?? 'full';
    if (!DEPLOY_MODES.includes(mode)) throw new StudioError('bad-deploy-mode', `unknown deploy mode '${String(mode)}'`, `use one of ${DEPLOY_MODES.join(', ')}`);
    if (opts.expectedRevision !== undefined && !(Number.isInteger(opts.expectedRevision) && opts.expectedRevision >= 0)) {
      throw new StudioError('bad-revision', `expectedRevision must be a whole number ≥ 0, not ${String(opts.expectedRevision)}`, 'pass the revision `edgeai cluster status` shows (0: not deployed yet)');
    }
    ctx.requireUp();
    const project = loadProject(projectDir);
    const workflow = project.workflow.name;
    this.checkSameProject(workflow, project.dir, opts.replace === true);
    if (mode === 'restart') return this.restartDeployed(workflow, opts.expectedRevision);

    const errors = project.diagnostics.filter((d) => d.severity === 'error');
    if (hasErrors(project.diagnostics)) {
      throw new StudioError('deploy-invalid', `${workflow} has ${errors.length} error${errors.length === 1 ? '' : 's'}; nothing was deployed:\n${errors.slice(0, 5).map(formatDiagnostic).join('\n')}`, 'fix them (`edgeai inspect` lists them all) and deploy again');
    }
    // every data source must be readable before a revision is claimed or a byte moves
    for (const ds of project.workflow.dataSources) readDataSource(project.dir, ds);
    for (const m of project.workflow.models ?? []) readModelSource(project.dir, m);
    const warnings = project.diagnostics.filter((d) => d.severity === 'warning').map(formatDiagnostic);
    const before = ctx.state.deployment(workflow);
    const previous = new Map(ctx.state.placements(workflow).map((p) => [p.function, p]));
    const claim = ctx.state.claimRevision(workflow, project.dir, 'deploying', opts.expectedRevision, true);
    if (!claim.ok) throw this.revisionConflict(workflow, claim.current, opts.expectedRevision!);
    const revision = claim.revision;
    try {
      return await this.deployClaimed(project, mode, revision, claim.previous, before?.status === 'stopped', previous, warnings, opts.strictAccelerators === true);
    } catch (e) {
      // a deploy that stopped half-way (a data source that would not go where it lives) is failed, not left 'deploying'
      ctx.state.setDeployment(workflow, revision, project.dir, 'failed');
      throw e;
    }
  }

  /** Two project folders with one workflow name would replace each other's deployment: say so. */
  private checkSameProject(workflow: string, dir: string, replace: boolean): void {
    const dep = this.ctx.state.deployment(workflow);
    if (!dep || dep.project === dir || replace || !existsSync(dep.project) || dep.status === 'stopped') return;
    throw new StudioError(
      'workflow-name-taken',
      `workflow '${workflow}' on cluster '${this.ctx.cluster}' is deployed from ${dep.project}; ${dir} has a workflow of the same name, and deploying it would replace that deployment; nothing was deployed`,
      `rename one of them (the "name" in its workflow.json), or deploy with --replace (the studio: "Replace") to put this folder's in its place`,
    );
  }

  /** What the plan knows of the data: the project's data sources where they live, and what the registry holds that its functions read. */
  private plannedArtifacts(project: Project): PlannedArtifact[] {
    const { ctx } = this;
    const { topology } = ctx.requireUp();
    const out = dataSourceArtifacts(project.workflow.dataSources, project.dataBytes, topology);
    const known = new Set(out.map((a) => a.urn));
    for (const f of project.functions) {
      for (const c of f.consumes) {
        let candidates: Artifact[] = [];
        try {
          candidates = ctx.registry.resolve({ ...c.selector, kind: c.kind }).candidates;
        } catch {
          continue; // a template without params: the artifact is not known before the request
        }
        const a = candidates.find((x) => this.mover.locationsOf(x).length > 0);
        if (!a || known.has(a.urn)) continue;
        known.add(a.urn);
        out.push(this.mover.planned(a));
      }
    }
    return out;
  }

  /** What other workflows' placements hold on ready nodes. */
  private reservations(except: string): Reservation[] {
    const ready = this.ctx.readyNodes();
    return this.ctx.state
      .placements()
      .filter((p) => p.workflow !== except && p.node && ready.has(p.node))
      .map((p) => {
        const r = requirementsFromSpec((JSON.parse(p.spec) as StoredSpec).spec, { bundlePrefix: p.workflow });
        return { node: p.node!, cpuMillis: r.cpuMillis, memoryBytes: r.memoryBytes, images: r.images.map((i) => i.name) };
      });
  }

  private plan(project: Project, functions: FunctionSpec[], opts: { fixed?: Record<string, string>; unavailable?: Iterable<string> }): Plan {
    const { ctx } = this;
    const { topology } = ctx.requireUp();
    const ready = ctx.readyNodes();
    return planWorkflow({
      workflow: project.workflow.name,
      functions,
      artifacts: this.plannedArtifacts(project),
      topology,
      profile: DEPLOY_PROFILE,
      unavailable: [...topology.nodes.map((n) => n.name).filter((n) => !ready.has(n)), ...(opts.unavailable ?? [])],
      reserved: this.reservations(project.workflow.name),
      ...(opts.fixed ? { fixed: opts.fixed } : {}),
    });
  }

  private storedSpecs(project: Project): StoredSpec[] {
    const identities = new Map<string, Map<string, string>>();
    return project.functions.map((spec) => {
      let ids = identities.get(spec.file);
      if (!ids) {
        const file = join(project.dir, spec.file);
        ids = functionIdentities(spec.file, readFileSync(file, 'utf8'));
        identities.set(spec.file, ids);
      }
      return { spec, file: join(project.dir, spec.file), ...(ids.get(spec.id) ? { code: ids.get(spec.id) } : {}) };
    });
  }

  private async deployClaimed(project: Project, mode: 'full' | 'changed', revision: number, previousRevision: number, stopped: boolean, previous: Map<string, PlacementRow>, warnings: string[], strictAccelerators = false): Promise<DeployResult> {
    const { ctx } = this;
    const workflow = project.workflow.name;
    const stored = this.storedSpecs(project);
    // a stopped deployment (the cluster went down since) has no workers to keep
    const keepable = mode === 'changed' && !stopped;
    const ready = ctx.readyNodes();
    const candidates = new Map<string, PlacementRow>();
    if (keepable) {
      for (const s of stored) {
        const prev = previous.get(s.spec.id);
        if (prev && prev.status === 'ready' && prev.node && ready.has(prev.node) && identityOf(JSON.parse(prev.spec) as StoredSpec) === identityOf(s)) candidates.set(s.spec.id, prev);
      }
    }
    // the models the project ships are in the registry before the plan reads what its functions consume
    for (const m of project.workflow.models ?? []) {
      ctx.progress('data', `importing model ${m.urn}`);
      importModelSource(ctx.registry, project.dir, m);
    }
    const plan = this.plan(project, project.functions, { fixed: Object.fromEntries([...candidates].map(([id, p]) => [id, p.node!])) });

    // the data goes where it lives before anything runs on it
    for (const ds of project.workflow.dataSources) {
      ctx.progress('data', `importing ${ds.urn}${ds.node ? ` onto ${ds.node}, where it lives` : ''}`);
      await this.mover.placeDataSource(project.dir, ds);
    }

    const bundles = new Map<string, FunctionBundle>();
    const bundleOf = async (file: string) => {
      let b = bundles.get(file);
      if (!b) bundles.set(file, (b = await bundleFunction(file)));
      return b;
    };
    const results: DeployedFunction[] = [];
    for (const p of plan.placements) {
      const s = stored.find((x) => x.spec.id === p.function)!;
      const id = p.function;
      const prev = previous.get(id);
      // a tpu function whose model would run on the CPU there: a warning, or with the strict opt-in not deployed
      const shortfall = p.node ? tpuShortfall(s.spec, p.node, ctx.registry) : undefined;
      if (shortfall && strictAccelerators) {
        const reason = `${shortfall}; not deployed (strict accelerators): ${TPU_HINT}`;
        ctx.emit({ type: 'deploy', workflow, function: id, status: 'failed', node: null, reason, action: 'deployed' });
        results.push({ id, node: null, status: 'failed', reason, action: 'deployed' });
        continue;
      }
      if (shortfall) warnings.push(`${shortfall} (${TPU_HINT})`);
      try {
        const kept = candidates.get(id);
        if (kept) {
          const r = await this.keepUnchanged(kept, s, revision);
          if (r) {
            results.push(r);
            continue;
          }
          // it could not stay: placed again, alone, with everything else where the plan put it
          const again = this.plan(project, project.functions, { fixed: Object.fromEntries(plan.placements.filter((x) => x.function !== id && x.node).map((x) => [x.function, x.node!])) });
          const r2 = await this.ship(workflow, s, revision, again, await bundleOf(s.file));
          results.push({ ...r2, action: 'deployed' });
          continue;
        }
        const bundle = await bundleOf(s.file);
        const r = await this.ship(workflow, s, revision, plan, bundle);
        // moved to another node: its old workers would idle there until they retire
        if (prev?.node && prev.node !== r.node) await this.retireOn(prev.node, workflow, id, prev.bundle).catch(() => undefined);
        results.push({ ...r, action: 'deployed', bundle: bundle.sha256 });
      } catch (e) {
        const reason = `${id}: ${(e as Error).message}`;
        ctx.emit({ type: 'deploy', workflow, function: id, status: 'failed', node: null, reason, action: 'deployed' });
        results.push({ id, node: null, status: 'failed', reason, action: 'deployed' });
      }
    }
    const removed = await this.undeployRemoved(workflow, project.functions.map((f) => f.id));
    this.triggers().arm(workflow, project.workflow.triggers);
    warnings.push(...this.recordRoutes(project));
    const failed = results.filter((r) => r.status === 'failed');
    const count = (a: DeployAction) => results.filter((r) => r.action === a && r.status === 'ready').length;
    const nothingChanged = mode === 'changed' && previousRevision > 0 && !removed.length && results.every((r) => r.action === 'unchanged' && r.status === 'ready');
    // nothing changed: the workflow stays at the revision it had, so a window that knows that
    // revision can still deploy without a conflict (unless a deploy claimed one after this)
    const kept = nothingChanged && ctx.state.releaseRevision(workflow, revision, previousRevision, project.dir, 'ready');
    if (kept) revision = previousRevision;
    else ctx.state.setDeployment(workflow, revision, project.dir, failed.length ? 'failed' : 'ready');
    const parts = [
      count('deployed') ? `${count('deployed')} deployed` : '',
      count('unchanged') ? `${count('unchanged')} unchanged` : '',
      failed.length ? `${failed.length} failed` : '',
      removed.length ? `${removed.length} removed (${removed.map((r) => r.id).join(', ')})` : '',
    ].filter(Boolean);
    const summary = nothingChanged
      ? `nothing changed in ${workflow} since revision ${previousRevision}: all ${results.length} functions unchanged, kept running on their nodes${kept ? `, still revision ${revision}` : ` (revision ${revision})`}`
      : `${workflow} revision ${revision} (${mode}): ${parts.join(', ') || 'no functions'}`;
    return { workflow, revision, functions: results, warnings: [...warnings, ...plan.warnings], mode, previousRevision, removed, nothingChanged, summary };
  }

  /**
   * The workflow's http triggers with a `path`: routes the gateway serves besides
   * /fn/<workflow>/<function>. A path another workflow already serves stays with it; the deploy
   * says so in its warnings.
   */
  private recordRoutes(project: Project): string[] {
    const { ctx } = this;
    const workflow = project.workflow.name;
    const taken = new Map<string, HttpRoute>();
    for (const [w, raw] of ctx.state.entries('routes:')) if (w !== workflow) for (const r of JSON.parse(raw) as HttpRoute[]) taken.set(r.path, r);
    const routes: HttpRoute[] = [];
    const warnings: string[] = [];
    for (const t of project.workflow.triggers) {
      if (t.kind !== 'http' || !t.path) continue;
      const path = t.path.startsWith('/') ? t.path : `/${t.path}`;
      const other = taken.get(path) ?? routes.find((r) => r.path === path);
      if (other) {
        warnings.push(`http trigger ${t.id}: path ${path} is already served by ${other.workflow}/${other.function}; ${workflow}/${t.function} stays reachable at /fn/${workflow}/${t.function}`);
        continue;
      }
      routes.push({ method: t.method, path, workflow, function: t.function, trigger: t.id });
    }
    ctx.state.set(`routes:${workflow}`, routes.length ? JSON.stringify(routes) : undefined);
    return warnings;
  }

  private revisionConflict(workflow: string, current: number, expected: number): StudioError {
    return new StudioError(
      'revision-conflict',
      `${workflow} is at revision ${current} on cluster '${this.ctx.cluster}', not the expected revision ${expected}${current === 0 ? ' (it is not deployed)' : ''}; nothing was deployed`,
      'another window or `edgeai deploy` deployed it meanwhile: look at the Deploy panel / `edgeai cluster status`, then deploy again',
    );
  }

  /**
   * A `changed` deploy's unchanged function: it stays on its node with the bundle it runs (which
   * may predate a change to a sibling in its file); the agent is asked to keep it warm (no bytes
   * move, warm workers keep running; one is started only if the agent has none). undefined: it
   * could not stay.
   */
  private async keepUnchanged(prev: PlacementRow, stored: StoredSpec, revision: number): Promise<DeployedFunction | undefined> {
    const { ctx } = this;
    const { workflow, function: id } = prev;
    const node = prev.node!;
    const client = ctx.client(node);
    if (!client) return undefined;
    let coldStartMs: number | undefined;
    try {
      const w = await client.warm(functionRef(workflow, stored, prev.bundle));
      if (!w.warm) coldStartMs = w.coldStartMs;
    } catch (e) {
      ctx.progress('deploy', `${workflow}/${id} is unchanged but could not stay on ${node} (${(e as Error).message}): deploying it again`);
      return undefined;
    }
    ctx.state.setPlacement({ ...prev, revision, status: 'ready', reason: null, spec: JSON.stringify(stored) });
    ctx.emit({ type: 'deploy', workflow, function: id, status: 'ready', node, action: 'unchanged' });
    return { id, node, status: 'ready', action: 'unchanged', bundle: prev.bundle, ...(coldStartMs !== undefined ? { coldStartMs } : {}) };
  }

  /** Drops the placements of functions no longer in the workflow and retires their workers. */
  private async undeployRemoved(workflow: string, keep: string[]): Promise<Array<{ id: string; node: string | null }>> {
    const gone = this.ctx.state.placements(workflow).filter((p) => !keep.includes(p.function));
    for (const p of gone) {
      this.ctx.progress('undeploy', `${workflow}/${p.function} is no longer in the workflow: undeploying it${p.node ? ` from ${p.node}` : ''}`);
      if (p.node) await this.retireOn(p.node, workflow, p.function, p.bundle).catch((e: Error) => this.ctx.progress('undeploy', `could not retire ${p.function}'s workers on ${p.node}: ${e.message} (they retire when idle)`));
    }
    this.ctx.state.deletePlacements(workflow, keep);
    return gone.map((p) => ({ id: p.function, node: p.node }));
  }

  /** Asks a node to retire one workflow's function workers of one bundle; returns the pids retired. */
  private async retireOn(node: string, workflow: string, id: string, bundle: string): Promise<number[]> {
    const client = this.ctx.client(node);
    if (!client) return [];
    try {
      return await client.retire(workflow, id, bundle);
    } catch (e) {
      if (e instanceof AgentRefused && e.status === 404) throw new Error(`node ${node} runs an agent without /retire (from before deploy modes): restart the cluster (\`edgeai cluster down\`, then \`up\`)`);
      throw new Error(`node ${node} could not retire ${id}: ${(e as Error).message}`);
    }
  }

  /**
   * `restart`: every function of the current deployment starts again on its node from the
   * bundle already there (its workers retired, a new one warmed); same revision, no new code.
   */
  private async restartDeployed(workflow: string, expectedRevision: number | undefined): Promise<DeployResult> {
    const { ctx } = this;
    const dep = ctx.state.deployment(workflow);
    const placements = ctx.state.placements(workflow);
    if (!dep || !placements.length) {
      throw new StudioError('not-deployed', `${workflow} is not deployed on cluster '${ctx.cluster}': there is nothing to restart`, 'deploy it first (`edgeai deploy <project>`, or Deploy in the studio); restart is for a deployed workflow');
    }
    if (dep.status === 'stopped') {
      throw new StudioError('not-deployed', `${workflow} revision ${dep.revision} stopped when cluster '${ctx.cluster}' went down: there are no workers to restart`, 'deploy it first (`edgeai deploy <project>`, mode full or changed) to run it on the cluster again');
    }
    const claim = ctx.state.claimRevision(workflow, dep.project, 'restarting', expectedRevision, false);
    if (!claim.ok) throw this.revisionConflict(workflow, claim.current, expectedRevision!);
    const revision = claim.revision;
    const ready = ctx.readyNodes();
    const results: DeployedFunction[] = [];
    for (const p of placements) {
      const stored = JSON.parse(p.spec) as StoredSpec;
      const id = p.function;
      const failed = (reason: string, node: string | null) => {
        ctx.state.setPlacement({ ...p, status: 'failed', reason });
        ctx.emit({ type: 'deploy', workflow, function: id, status: 'failed', node, reason, action: 'restarted' });
        results.push({ id, node, status: 'failed', reason, action: 'restarted', bundle: p.bundle });
      };
      const node = p.node;
      if (!node) {
        failed(`${id} has no node at revision ${revision}${p.reason ? ` (${p.reason.split('\n')[0]})` : ''}: nothing to restart; deploy the workflow again once a node fits`, null);
        continue;
      }
      const client = ctx.client(node);
      if (!client || !ready.has(node)) {
        failed(`${id} runs on ${node}, which is not Ready: it cannot restart there; deploy again (full) to place it on a running node`, node);
        continue;
      }
      const step = (status: PlacementRow['status']) => {
        ctx.state.setPlacement({ ...p, status, reason: null });
        ctx.emit({ type: 'deploy', workflow, function: id, status, node, action: 'restarted' });
      };
      step('scheduled');
      try {
        const retired = await this.retireOn(node, workflow, id, p.bundle);
        ctx.progress('restart', `${workflow}/${id} on ${node}: ${retired.length ? `retired worker${retired.length > 1 ? 's' : ''} ${retired.join(', ')}` : 'no worker was running'}; starting a fresh one`);
        let coldStartMs: number;
        try {
          coldStartMs = (await client.warm(functionRef(workflow, stored, p.bundle))).coldStartMs;
        } catch (e) {
          if (e instanceof AgentRefused && e.code === 'bundle-missing') throw new Error(`node ${node} no longer has the bundle of revision ${revision} (${p.bundle.slice(0, 12)}); deploy again (full) to ship it`);
          throw e;
        }
        step('started');
        step('ready');
        results.push({ id, node, status: 'ready', action: 'restarted', bundle: p.bundle, coldStartMs });
      } catch (e) {
        const msg = (e as Error).message;
        failed(msg.startsWith(id) ? msg : `${id} on ${node}: ${msg}`, node);
      }
    }
    const failedCount = results.filter((r) => r.status === 'failed').length;
    ctx.state.setDeployment(workflow, revision, dep.project, failedCount ? 'failed' : 'ready');
    const summary = `${workflow} revision ${revision} restarted: ${results.length - failedCount} of ${results.length} function${results.length === 1 ? '' : 's'} ready with fresh workers${failedCount ? `, ${failedCount} failed` : ''}`;
    return { workflow, revision, functions: results, warnings: [], mode: 'restart', previousRevision: revision, removed: [], nothingChanged: false, summary };
  }

  /** Ships one function where the plan puts it: bundle → node (emulated like an image pull) → worker → ready. */
  private async ship(workflow: string, stored: StoredSpec, revision: number, plan: Plan, bundle: FunctionBundle): Promise<DeployedFunction> {
    const { ctx } = this;
    const { topology, links } = ctx.requireUp();
    const { spec } = stored;
    const placed = plan.placements.find((x) => x.function === spec.id);
    const base: PlacementRow = { workflow, function: spec.id, node: null, bundle: bundle.sha256, revision, status: 'scheduled', reason: null, spec: JSON.stringify(stored) };
    if (!placed?.node) {
      const infeasible = plan.infeasible[spec.id];
      const reason = infeasible ? infeasibleReason(infeasible) : 'no feasible node';
      ctx.state.setPlacement({ ...base, status: 'failed', reason });
      ctx.emit({ type: 'deploy', workflow, function: spec.id, status: 'failed', node: null, reason });
      return { id: spec.id, node: null, status: 'failed', reason };
    }
    const node = placed.node;
    const step = (status: PlacementRow['status'], reason: string | null = null) => {
      ctx.state.setPlacement({ ...base, node, status, reason });
      ctx.emit({ type: 'deploy', workflow, function: spec.id, status, node, ...(reason ? { reason } : {}) });
    };
    step('scheduled');
    const client = ctx.client(node)!;
    try {
      let had: boolean;
      try {
        had = (await client.putBundle(bundle.sha256, bundle.code)).had === true;
      } catch (e) {
        throw new Error(`node ${node} refused the bundle: ${(e as Error).message}`);
      }
      // the bundle travels from the registry node like an image pull, unless the node has it
      if (!had) {
        const from = topology.registry.at.find((a) => topology.nodes.some((n) => n.name === a)) ?? node;
        const plan = links.plan(from, node, bundle.bytes);
        await sleep(plan.delayMs * ctx.timeScale);
        for (const l of plan.links) ctx.state.countLink(l, bundle.bytes);
      }
      step('shipped');
      // a cold start that dies while loading (a worker killed under memory pressure) gets one more try
      let coldStartMs = 0;
      for (let attempt = 1; ; attempt++) {
        try {
          coldStartMs = (await client.warm(functionRef(workflow, stored, bundle.sha256))).coldStartMs;
          break;
        } catch (e) {
          if (attempt < 2 && e instanceof AgentRefused && e.code === 'worker-died') continue;
          throw e;
        }
      }
      step('started');
      step('ready');
      return { id: spec.id, node, status: 'ready', coldStartMs };
    } catch (e) {
      const reason = `${spec.id} on ${node}: ${(e as Error).message}`;
      step('failed', reason);
      return { id: spec.id, node, status: 'failed', reason };
    }
  }

  /**
   * Places one deployed function again, away from `exclude` (a node that died under it), with
   * its siblings where they are: the retry of an invocation, and the reschedule of a node loss.
   */
  async replace(workflow: string, stored: StoredSpec, revision: number, exclude?: string | readonly string[]): Promise<void> {
    const { ctx } = this;
    const excluded = new Set(typeof exclude === 'string' ? [exclude] : (exclude ?? []));
    const dep = ctx.state.deployment(workflow);
    const siblings = ctx.state.placements(workflow).filter((p) => p.function !== stored.spec.id);
    const project = this.projectFor(dep?.project, workflow, [stored, ...siblings.map((p) => JSON.parse(p.spec) as StoredSpec)]);
    const fixed = Object.fromEntries(siblings.filter((p) => p.node && !excluded.has(p.node)).map((p) => [p.function, p.node!]));
    const plan = this.plan(project, project.functions, { fixed, unavailable: [...excluded] });
    const r = await this.ship(workflow, stored, revision, plan, await bundleFunction(stored.file));
    if (r.status !== 'ready') throw new StudioError('not-ready', r.reason ?? `${stored.spec.id} could not be placed again`);
  }

  /** Once every reschedule queued so far has ended (an invocation that answers where its function went). */
  settled(): Promise<void> {
    return this.rescheduling;
  }

  /** A node went NotReady: every function placed there is placed again elsewhere (one node at a time). */
  rescheduleFrom(dead: string): void {
    this.rescheduling = this.rescheduling
      .then(async () => {
        for (const p of this.ctx.state.placements().filter((x) => x.node === dead)) {
          this.ctx.progress('reschedule', `${p.workflow}/${p.function} was on ${dead}, which is NotReady: rescheduling`);
          await this.replace(p.workflow, JSON.parse(p.spec) as StoredSpec, p.revision, dead).catch((e: Error) => {
            this.ctx.state.setPlacement({ ...p, node: null, status: 'failed', reason: `${dead} is NotReady and no other node will do: ${e.message}; it goes back to ${dead} when ${dead} answers again` });
            this.ctx.state.set(`${DISPLACED}${p.workflow}/${p.function}`, dead);
          });
        }
      })
      .catch(() => undefined);
  }

  /**
   * A node lost a stick (StickBook): every function placed there that asks for a capability the
   * node no longer has (tpu) is placed again elsewhere; with nowhere to go it fails saying so,
   * and goes back when the stick does (recoverOnto).
   */
  rescheduleLacking(node: string): void {
    this.rescheduling = this.rescheduling
      .then(async () => {
        const has = new Set(this.ctx.topology?.nodes.find((n) => n.name === node)?.capabilities ?? []);
        for (const p of this.ctx.state.placements().filter((x) => x.node === node)) {
          const stored = JSON.parse(p.spec) as StoredSpec;
          const lacking = (stored.spec.policies.fn?.capability ?? []).filter((c) => !has.has(c));
          if (!lacking.length) continue;
          this.ctx.progress('reschedule', `${p.workflow}/${p.function} was on ${node}, which has no ${lacking.join(', ')} now (its stick is gone): rescheduling`);
          await this.replace(p.workflow, stored, p.revision, node).catch((e: Error) => {
            this.ctx.state.setPlacement({ ...p, node: null, status: 'failed', reason: `${node} has no ${lacking.join(', ')} now (its stick is gone) and no other node will do: ${e.message}; it goes back to ${node} when the stick is plugged in again` });
            this.ctx.state.set(`${DISPLACED}${p.workflow}/${p.function}`, node);
          });
        }
      })
      .catch(() => undefined);
  }

  /**
   * A NotReady node answers again: each function that went NotReady with it and found no other
   * node is placed again (on it, most likely), so a node that comes back takes its placements
   * back instead of leaving them failed until the next deploy.
   */
  recoverOnto(node: string): void {
    this.rescheduling = this.rescheduling
      .then(async () => {
        for (const [key, from] of this.ctx.state.entries(DISPLACED)) {
          if (from !== node) continue;
          this.ctx.state.set(`${DISPLACED}${key}`, undefined);
          const cut = key.indexOf('/');
          const p = this.ctx.state.placement(key.slice(0, cut), key.slice(cut + 1));
          if (!p || p.status !== 'failed' || p.node) continue; // redeployed or removed since
          this.ctx.progress('reschedule', `${p.workflow}/${p.function}: ${node} answers again: placing it again`);
          await this.replace(p.workflow, JSON.parse(p.spec) as StoredSpec, p.revision).catch((e: Error) => {
            this.ctx.state.setPlacement({ ...p, node: null, status: 'failed', reason: `${node} answers again, but ${p.function} could not be placed again: ${e.message}` });
          });
        }
      })
      .catch(() => undefined);
  }

  /**
   * The project a deployed workflow came from, for a plan of its placements: loaded from disk
   * when it is still there (its data sources as declared); else only what the placements keep.
   */
  private projectFor(dir: string | undefined, workflow: string, stored: StoredSpec[]): Project {
    const functions = stored.map((s) => s.spec);
    if (dir && existsSync(dir)) {
      try {
        const p = loadProject(dir);
        if (p.workflow.name === workflow) return { ...p, functions };
      } catch {
        /* moved or broken since: plan from what the placements keep */
      }
    }
    return { dir: dir ?? '', workflow: { name: workflow, version: 1, dataSources: [], triggers: [] }, layout: { nodes: {}, viewport: { x: 0, y: 0, zoom: 1 } }, files: [], functions, diagnostics: [], dataBytes: {} };
  }
}
