/**
 * The renderer's view of the local edge cluster: cluster status, per-function deploy progress,
 * streamed logs and the latest progress message. Fed by the StudioApi's runtime events and
 * refreshed from `cluster.status`; the deploy call's answer is authoritative, so a function can
 * never stay "in progress" after the call returns.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { ClusterStatusDto, DeployMode, DeployResultDto } from '../../cluster/api/contract';
import { call, studio } from '../api';

export type FnDeployStatus = 'queued' | 'scheduled' | 'shipped' | 'started' | 'ready' | 'failed';
export interface FnDeployState {
  status: FnDeployStatus;
  node: string | null;
  reason?: string;
  /** what the last deploy did to it: shipped new code, kept it as it was, or restarted it */
  action?: 'deployed' | 'unchanged' | 'restarted';
  /** when this step began (ms since epoch), for "waiting for … 12 s" */
  since: number;
}
export interface LogLine {
  run: string;
  fn: string;
  line: string;
  at: number;
}

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

export function useRuntime(workflow: string | undefined) {
  const [status, setStatus] = useState<ClusterStatusDto | undefined>();
  const [deploy, setDeploy] = useState<Record<string, FnDeployState>>({});
  const [deploying, setDeploying] = useState(false);
  const [lastDeploy, setLastDeploy] = useState<DeployResultDto | undefined>();
  const [progress, setProgress] = useState<string | undefined>();
  const [logs, setLogs] = useState<LogLine[]>([]);
  const [runsVersion, setRunsVersion] = useState(0);
  // changed-only by default: unchanged functions keep their node and warm workers
  const [mode, setMode] = useState<DeployMode>('changed');
  const runFns = useRef(new Map<string, string>());
  const workflowRef = useRef(workflow);
  workflowRef.current = workflow;
  const refreshTimer = useRef<number | undefined>(undefined);

  const refresh = useCallback(async () => {
    try {
      const s = await call('cluster.status', {});
      setStatus(s);
      return s;
    } catch {
      return undefined;
    }
  }, []);

  const refreshSoon = useCallback(() => {
    window.clearTimeout(refreshTimer.current);
    refreshTimer.current = window.setTimeout(() => void refresh(), 250);
  }, [refresh]);

  // the first status loads the runtime in the service: only once the canvas is up and idle
  const opened = !!workflow;
  useEffect(() => {
    if (!opened) return;
    // (loading the controller takes the service a second or two of CPU: not while the page starts)
    const w = window as Window & { requestIdleCallback?: (cb: () => void, o?: { timeout: number }) => number; cancelIdleCallback?: (h: number) => void };
    let h: number | undefined;
    const t = window.setTimeout(() => {
      if (w.requestIdleCallback) h = w.requestIdleCallback(() => void refresh(), { timeout: 3000 });
      else void refresh();
    }, 2500);
    return () => {
      window.clearTimeout(t);
      if (h !== undefined) w.cancelIdleCallback?.(h);
    };
  }, [opened, refresh]);

  useEffect(() => {
    const offs = [
      studio().on('cluster.progress', (p) => setProgress(p.message)),
      studio().on('cluster.node', () => refreshSoon()),
      studio().on('deploy.function', (e) => {
        if (workflowRef.current && e.workflow !== workflowRef.current) return;
        setDeploy((d) => ({ ...d, [e.function]: { status: e.status, node: e.node ?? d[e.function]?.node ?? null, ...(e.reason ? { reason: e.reason } : {}), ...(e.action ? { action: e.action } : {}), since: Date.now() } }));
        if (e.status === 'ready' || e.status === 'failed') refreshSoon();
      }),
      studio().on('run', (e) => {
        runFns.current.set(e.run, e.function);
        if (e.status !== 'running') setRunsVersion((v) => v + 1);
      }),
      studio().on('log', (e) => setLogs((ls) => [...ls.slice(-499), { run: e.run, fn: runFns.current.get(e.run) ?? '', line: e.line, at: Date.now() }])),
    ];
    return () => offs.forEach((o) => o());
  }, [refresh, refreshSoon]);

  // another project opened: the placements shown were the other workflow's
  const shownFor = useRef(workflow);
  useEffect(() => {
    if (shownFor.current === workflow) return;
    shownFor.current = workflow;
    setDeploy({});
  }, [workflow]);

  // what the cluster already runs of this workflow (after a reload, or another window's deploy)
  useEffect(() => {
    if (!status || deploying || !workflow) return;
    const d = status.deployments.find((x) => x.workflow === workflow);
    if (!d || d.status === 'stopped' || !status.up) return;
    setDeploy((cur) => {
      if (Object.keys(cur).length) return cur;
      return Object.fromEntries(d.functions.map((f) => [f.id, { status: (f.status as FnDeployStatus) ?? 'failed', node: f.node, ...(f.reason ? { reason: f.reason } : {}), since: Date.now() }]));
    });
  }, [status, deploying, workflow]);

  return { status, setStatus, refresh, deploy, setDeploy, deploying, setDeploying, lastDeploy, setLastDeploy, progress, setProgress, logs, setLogs, runsVersion, runFns, mode, setMode };
}

export type Runtime = ReturnType<typeof useRuntime>;
