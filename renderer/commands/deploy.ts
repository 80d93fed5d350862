/**
 * Deploy commands: unsaved changes first, then validation (errors block; warnings ask), then the
 * cluster (started when down), then the deploy with per-function progress; restart redeploys the
 * code already on the nodes. Plain functions over the studio context (deploy.test.ts).
 */
import type { DeployResultDto, ProjectSnapshot } from '../../cluster/api/contract';
import { runtimeActions } from '../panels/runtime-state';
import { fail, toast, type FnDeployState, type StudioContext } from '../state/studio';
import { saveFile } from './edit';

export interface DeployOptions {
  acceptWarnings?: boolean;
  saveFirst?: boolean;
  ignoreUnsaved?: boolean;
}

/** The backend and topology a cluster is started with for a workflow (its target, else process/local). */
export function clusterTarget(workflow: ProjectSnapshot['workflow']): { backend: 'process' | 'docker'; topology: string } {
  const target = (workflow.target ?? {}) as { backend?: unknown; topology?: unknown };
  return { backend: target.backend === 'docker' ? 'docker' : 'process', topology: typeof target.topology === 'string' ? target.topology : 'local' };
}

/** A deploy result into the per-function rows (ready / failed, where, and what was done). */
export function adoptDeployResult(ctx: StudioContext, r: DeployResultDto): void {
  const rt = runtimeActions(ctx);
  rt.setLastDeploy(r);
  rt.setDeploy((d) => ({
    ...d,
    ...Object.fromEntries(r.functions.map((f) => [f.id, { status: f.status === 'ready' ? 'ready' : 'failed', node: f.node, ...(f.reason ? { reason: f.reason } : {}), ...(f.action ? { action: f.action } : {}), since: d[f.id]?.since ?? Date.now() } satisfies FnDeployState])),
  }));
}

/** Starts the local cluster for a workflow (its target's backend and topology), saying so in the progress line; throws what cluster.up refused with. */
async function clusterUp(ctx: StudioContext, workflow: ProjectSnapshot['workflow']): Promise<void> {
  const rt = runtimeActions(ctx);
  const { backend, topology } = clusterTarget(workflow);
  rt.setProgress(`starting the local cluster (${backend}, ${topology})`);
  rt.setStatus(await ctx.call('cluster.up', { backend, topology }));
}

/** Starts the local cluster for the open workflow; false (and the reason shown) when it could not. */
export async function startCluster(ctx: StudioContext): Promise<boolean> {
  const s = ctx.store.getState().snap;
  if (!s) return false;
  const rt = runtimeActions(ctx);
  try {
    await clusterUp(ctx, s.workflow);
    return true;
  } catch (e) {
    fail(ctx, 'Could not start the cluster', e);
    return false;
  } finally {
    rt.setProgress(undefined);
  }
}

/** Runs a function once with no input (a trainer), saying how it went. */
export async function runOnce(ctx: StudioContext, fn: string): Promise<void> {
  const s = ctx.store.getState().snap;
  if (!s) return;
  ctx.store.setState({ busy: `Running ${fn} …` });
  try {
    const a = await ctx.call('invoke', { workflow: s.workflow.name, function: fn, input: {} });
    toast(ctx.store, { kind: 'success', title: `${fn} ran on ${a.node}${a.produced.length ? `: produced ${a.produced.join(', ')}` : ''}` });
  } catch (e) {
    fail(ctx, `${fn} failed`, e);
  } finally {
    ctx.store.setState({ busy: undefined });
  }
}

const failedMessage = (r: DeployResultDto) =>
  r.functions
    .filter((f) => f.status !== 'ready')
    .map((f) => `${f.id}: ${f.reason ?? 'failed'}`)
    .join('\n');

export async function startDeploy(ctx: StudioContext, opts: DeployOptions = {}): Promise<void> {
  const { store } = ctx;
  const s0 = store.getState().snap;
  if (!s0 || store.getState().rt.deploying) return;
  const rt = runtimeActions(ctx);
  // the canvas shows the real placements from here on
  store.setState({ simPlacements: undefined, bottomTab: 'deploy' });
  const mode = store.getState().rt.mode;
  if (mode === 'restart') return restartDeployment(ctx, s0);
  const unsaved = Object.keys(store.getState().buffers);
  if (unsaved.length && !opts.saveFirst && !opts.ignoreUnsaved) {
    store.setState({ deployGate: { unsaved, warnings: [], errors: [] } });
    return;
  }
  if (opts.saveFirst) for (const p of unsaved) await saveFile(ctx, p);
  if (opts.saveFirst && Object.keys(store.getState().buffers).length) {
    store.setState({ deployGate: { unsaved: Object.keys(store.getState().buffers), warnings: [], errors: [] } });
    return;
  }
  const s = store.getState().snap!;
  let check;
  try {
    check = await ctx.call('deploy.check', { project: s.dir });
  } catch (e) {
    fail(ctx, 'Could not validate the workflow', e);
    return;
  }
  if (check.errors.length || (check.warnings.length && !opts.acceptWarnings)) {
    store.setState({ deployGate: { unsaved: [], errors: check.errors, warnings: check.warnings } });
    return;
  }
  store.setState({ deployGate: undefined });
  rt.setDeploying(true);
  rt.setLastDeploy(undefined);
  const t = Date.now();
  rt.setDeploy(Object.fromEntries(check.functions.map((f) => [f, { status: 'queued', node: null, since: t } satisfies FnDeployState])));
  const settle = (reason: string) => rt.setDeploy((d) => Object.fromEntries(Object.entries(d).map(([k, v]) => [k, v.status === 'ready' || v.status === 'failed' ? v : { ...v, status: 'failed', reason, since: Date.now() }])));
  try {
    const current = store.getState().rt.status;
    const status = current?.up ? current : await rt.refresh();
    if (!status?.up) await clusterUp(ctx, s.workflow);
    // the revision this window knows: a deploy from another window (or the CLI) meanwhile is a conflict, not an overwrite
    const now = store.getState().rt.status;
    const known = (now?.up ? now : await rt.refresh())?.deployments.find((d) => d.workflow === s.workflow.name)?.revision ?? 0;
    const r = await ctx.call('deploy', { project: s.dir, acceptWarnings: true, mode, expectedRevision: known });
    adoptDeployResult(ctx, r);
    settle('not in the deploy result: the service did not report this function');
    const failed = r.functions.filter((f) => f.status !== 'ready');
    if (failed.length) toast(store, { kind: 'error', title: `Deploy revision ${r.revision}: ${failed.length} function${failed.length === 1 ? '' : 's'} failed`, error: { code: 'deploy-failed', message: failedMessage(r), hint: 'the Deploy panel shows each reason; fix it and deploy again' } });
    else toast(store, { kind: 'success', title: r.nothingChanged ? `Nothing to deploy: ${r.summary}` : `Deployed ${r.workflow} revision ${r.revision}: ${r.summary ?? `${r.functions.length} functions ready`}` });
  } catch (e) {
    const err = ctx.errorOf(e);
    settle(`the deploy stopped: ${err.message}`);
    toast(store, { kind: 'error', title: 'Deploy failed', error: err });
  } finally {
    rt.setDeploying(false);
    rt.setProgress(undefined);
    void rt.refresh();
  }
}

/** Restart: the deployed code again on the same nodes — no validation, nothing shipped, same revision. */
export async function restartDeployment(ctx: StudioContext, s: ProjectSnapshot): Promise<void> {
  const rt = runtimeActions(ctx);
  ctx.store.setState({ deployGate: undefined });
  rt.setDeploying(true);
  try {
    const known = (await rt.refresh())?.deployments.find((d) => d.workflow === s.workflow.name)?.revision ?? 0;
    const r = await ctx.call('deploy', { project: s.dir, acceptWarnings: true, mode: 'restart', expectedRevision: known });
    adoptDeployResult(ctx, r);
    const failed = r.functions.filter((f) => f.status !== 'ready');
    if (failed.length) toast(ctx.store, { kind: 'error', title: `Restart: ${failed.length} function${failed.length === 1 ? '' : 's'} failed`, error: { code: 'deploy-failed', message: failedMessage(r), hint: 'the Deploy panel shows each reason' } });
    else toast(ctx.store, { kind: 'success', title: `Restarted ${r.workflow} revision ${r.revision}: ${r.functions.length} functions ready` });
  } catch (e) {
    toast(ctx.store, { kind: 'error', title: 'Restart failed', error: ctx.errorOf(e) });
  } finally {
    rt.setDeploying(false);
    rt.setProgress(undefined);
    void rt.refresh();
  }
}
