/**
 * The renderer's view of the local edge cluster, kept in the studio store (state/studio.ts,
 * `rt`): cluster status, per-function deploy progress, streamed logs and the latest progress
 * message. `bindRuntime` feeds it from the StudioApi's runtime events; `runtimeActions` are its
 * setters and the `cluster.status` refresh; `useRuntime` gives a panel both. The deploy call's
 * answer is authoritative, so a function can never stay "in progress" after the call returns.
 */
import { useMemo } from 'react';
import type { ClusterStatusDto, StudioClient } from '../../cluster/api/contract';
import { setRuntime, useStudio, useStudioContext, type FnDeployState, type FnDeployStatus, type RuntimeState, type StudioContext } from '../state/studio';

export type { FnDeployState, FnDeployStatus, LogLine } from '../state/studio';

/** What a deploy step waits for, in words (so a slow step never looks stuck). */
export function waitingFor(s: FnDeployState): string {
  switch (s.status) {
    case 'queued':
      return 'waiting for the functions before it (bundling, data import)';
    case 'scheduled':
      return `placed on ${s.node ?? '?'}; shipping its bundle there`;
    case 'shipped':
      return `bundle on ${s.node ?? '?'}; starting a worker (cold start: loading the function and TensorFlow.js)`;
    case 'started':
      return `started on ${s.node ?? '?'}; waiting for it to report ready`;
    case 'ready':
      return `ready on ${s.node ?? '?'}`;
    case 'failed':
      return s.reason ?? 'failed';
  }
}

type Patch<T> = T | ((cur: T) => T);
const apply = <T,>(p: Patch<T>, cur: T): T => (typeof p === 'function' ? (p as (c: T) => T)(cur) : p);

/** What the cluster already runs of the open workflow (after a reload, another project, another window's deploy). */
export function fillFromStatus(ctx: StudioContext): void {
  const { snap, rt } = ctx.store.getState();
  const status = rt.status;
  const workflow = snap?.workflow.name;
  if (!status || rt.deploying || !workflow || Object.keys(rt.deploy).length) return;
  const d = status.deployments.find((x) => x.workflow === workflow);
  if (!d || d.status === 'stopped' || !status.up) return;
  setRuntime(ctx.store, { deploy: Object.fromEntries(d.functions.map((f) => [f.id, { status: (f.status as FnDeployStatus) ?? 'failed', node: f.node, ...(f.reason ? { reason: f.reason } : {}), since: Date.now() }])) });
}

export function runtimeActions(ctx: StudioContext) {
  const set = (p: Partial<RuntimeState>) => setRuntime(ctx.store, p);
  const rt = () => ctx.store.getState().rt;
  const setStatus = (s: ClusterStatusDto | undefined) => {
    // a stopped cluster runs nothing: the canvas shows no placements (a deploy in progress keeps its rows)
    set({ status: s, ...(s && !s.up && !rt().deploying ? { deploy: {} } : {}) });
    fillFromStatus(ctx);
  };
  return {
    setStatus,
    setDeploy: (p: Patch<Record<string, FnDeployState>>) => set({ deploy: apply(p, rt().deploy) }),
    setDeploying: (v: boolean) => {
      set({ deploying: v });
      fillFromStatus(ctx);
    },
    setLastDeploy: (v: RuntimeState['lastDeploy']) => set({ lastDeploy: v }),
    setProgress: (v: string | undefined) => set({ progress: v }),
    setLogs: (p: Patch<RuntimeState['logs']>) => set({ logs: apply(p, rt().logs) }),
    setMode: (m: RuntimeState['mode']) => set({ mode: m }),
    async refresh(): Promise<ClusterStatusDto | undefined> {
      try {
        const s = await ctx.call('cluster.status', {});
        setStatus(s);
        return s;
      } catch {
        return undefined;
      }
    },
  };
}
export type RuntimeActions = ReturnType<typeof runtimeActions>;

/**
 * Feeds the runtime slice from the service's events; returns the unsubscribe. `onUpChanged`: the
 * cluster started or stopped (the project's placement problems are checked against where a deploy
 * would place functions, so the snapshot is asked for again).
 */
export function bindRuntime(ctx: StudioContext, client: Pick<StudioClient, 'on'>, opts: { onUpChanged?: (up: boolean) => void } = {}): () => void {
  const actions = runtimeActions(ctx);
  const runs = new Map<string, { fn: string; workflow: string }>();
  let refreshTimer: ReturnType<typeof setTimeout> | undefined;
  const refreshSoon = () => {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => void actions.refresh(), 250);
  };
  const workflow = () => ctx.store.getState().snap?.workflow.name;
  const offs = [
    client.on('cluster.progress', (p) => actions.setProgress(p.message)),
    client.on('cluster.node', () => refreshSoon()),
    client.on('deploy.function', (e) => {
      const w = workflow();
      if (w && e.workflow !== w) return;
      actions.setDeploy((d) => ({ ...d, [e.function]: { status: e.status, node: e.node ?? d[e.function]?.node ?? null, ...(e.reason ? { reason: e.reason } : {}), ...(e.action ? { action: e.action } : {}), since: Date.now() } }));
      if (e.status === 'ready' || e.status === 'failed') refreshSoon();
    }),
    client.on('run', (e) => {
      runs.set(e.run, { fn: e.function, workflow: e.workflow });
      if (e.status !== 'running') setRuntime(ctx.store, (rt) => ({ runsVersion: rt.runsVersion + 1 }));
    }),
    client.on('log', (e) => actions.setLogs((ls) => [...ls.slice(-499), { run: e.run, workflow: runs.get(e.run)?.workflow ?? '', fn: runs.get(e.run)?.fn ?? '', line: e.line, at: Date.now() }])),
  ];
  // a cluster stopped or started from elsewhere (another window, `edgeai cluster down` or `up`) sends
  // no event: its status is asked for again every few seconds while it is up, so a stop shows (and
  // its placements go), and less often while it is stopped, so a start shows too
  let poll: ReturnType<typeof setInterval> | undefined;
  let pollEvery = 0;
  let wasUp: boolean | undefined;
  const watch = () => {
    const st = ctx.store.getState().rt.status;
    const up = !!st?.up;
    if (st && wasUp !== undefined && up !== wasUp) opts.onUpChanged?.(up);
    if (st) wasUp = up;
    const every = st ? (up ? STATUS_POLL_MS : STOPPED_POLL_MS) : 0;
    if (every === pollEvery) return;
    clearInterval(poll);
    poll = every ? setInterval(() => void actions.refresh(), every) : undefined;
    pollEvery = every;
  };
  const offStore = ctx.store.subscribe(watch);
  return () => {
    clearTimeout(refreshTimer);
    clearInterval(poll);
    offStore();
    offs.forEach((o) => o());
  };
}

/** How often the status of a running cluster is asked for (what stops it elsewhere sends no event). */
export const STATUS_POLL_MS = 4000;
/** How often the status of a stopped cluster is asked for (what starts it elsewhere sends no event). */
export const STOPPED_POLL_MS = 8000;

/** The runtime slice and its actions, for a panel. */
export function useRuntime() {
  const ctx = useStudioContext();
  const state = useStudio((s) => s.rt);
  const actions = useMemo(() => runtimeActions(ctx), [ctx]);
  return useMemo(() => ({ ...state, ...actions }), [state, actions]);
}

export type Runtime = ReturnType<typeof useRuntime>;
