/**
 * The next-steps guide above the canvas: what to do now with this project, from the service's
 * view of the real state (project.nextSteps: errors, the cluster, the deployment, the models the
 * functions need, the requests tried): one line with the step to do now and the button that does
 * it, and the whole list on demand. It never covers the canvas. Dismissable; the choice is
 * remembered per project, and "Next steps" brings it back.
 */
import { useEffect, useState } from 'react';
import type { NextStepDto } from '../../cluster/api/contract';
import { runOnce, startCluster, startDeploy } from '../commands/deploy';
import { useStudio, useStudioContext, type StudioContext } from '../state/studio';
import { readStored, writeStored } from '../stored';

const HIDDEN_KEY = 'edgeai.nextSteps.hidden';

/** The projects whose guide was hidden (at most 50, the latest kept). */
function hiddenDirs(): string[] {
  const v = readStored(HIDDEN_KEY);
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function hiddenFor(dir: string): boolean {
  return hiddenDirs().includes(dir);
}

function rememberHidden(dir: string, hidden: boolean): void {
  const all = new Set(hiddenDirs());
  if (hidden) all.add(dir);
  else all.delete(dir);
  writeStored(HIDDEN_KEY, [...all].slice(-50));
}

const ACTION_LABEL: Record<NonNullable<NextStepDto['action']>['kind'], string> = {
  problems: 'Show problems',
  'cluster-up': 'Start cluster',
  deploy: 'Deploy',
  run: 'Run',
  try: 'Open invoke',
};

async function act(ctx: StudioContext, step: NextStepDto): Promise<void> {
  const a = step.action;
  if (!a) return;
  switch (a.kind) {
    case 'problems':
      return ctx.store.setState({ bottomTab: 'problems' });
    case 'cluster-up':
      await startCluster(ctx);
      return;
    case 'deploy':
      return startDeploy(ctx);
    case 'run':
      return runOnce(ctx, a.function);
    case 'try':
      return ctx.store.setState({ bottomTab: 'deploy', invokeRequest: { fn: a.function, nonce: Date.now() } });
  }
}

export function NextSteps() {
  const ctx = useStudioContext();
  const snap = useStudio((s) => s.snap);
  const status = useStudio((s) => s.rt.status);
  const runsVersion = useStudio((s) => s.rt.runsVersion);
  const deploying = useStudio((s) => s.rt.deploying);
  const connected = useStudio((s) => s.connected);
  // the steps need the service's runtime (what the cluster runs): not before the first screen is up
  const runtimeWanted = useStudio((s) => s.runtimeWanted);
  const dir = snap?.dir;
  const [hidden, setHidden] = useState(() => (dir ? hiddenFor(dir) : false));
  const [steps, setSteps] = useState<NextStepDto[] | undefined>();
  // the steps could not be had (no runtime): no bar, rather than a placeholder for ever
  const [failed, setFailed] = useState(false);
  const [acting, setActing] = useState<string | undefined>();
  const [open, setOpen] = useState(false);
  useEffect(() => setHidden(dir ? hiddenFor(dir) : false), [dir]);
  // the list closes on Escape wherever the focus is, as the menus do
  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && setOpen(false);
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [open]);
  // asked again whenever what the steps depend on changed: the project, the cluster, a run, a deploy
  useEffect(() => {
    if (!dir || deploying || !connected || !runtimeWanted) return;
    let current = true;
    ctx.call('project.nextSteps', { project: dir }).then(
      (r) => current && (setSteps(r.steps), setFailed(false)),
      () => current && (setSteps(undefined), setFailed(true)),
    );
    return () => {
      current = false;
    };
  }, [ctx, dir, snap, status, runsVersion, deploying, connected, runtimeWanted]);
  if (!dir || failed || steps?.length === 0) return null;
  // until the steps come (they wait for the first screen, see runtimeWanted) the bar's place is
  // kept, so the canvas below it does not move down when they do
  if (!steps) {
    return hidden ? (
      <div className="next-steps-bar hidden-guide" data-testid="next-steps-pending">
        <button className="button ghost small" disabled>
          Next steps
        </button>
      </div>
    ) : (
      <section className="next-steps-bar" data-testid="next-steps-pending" aria-busy="true" aria-label="Next steps">
        <span className="step-count muted small">Next steps…</span>
        {/* as tall as the bar will be: its 'All steps' button is always there (drawn as one, not a control) */}
        <span className="button ghost small" style={{ visibility: 'hidden' }} aria-hidden="true">
          All steps
        </span>
      </section>
    );
  }
  const now = steps.findIndex((s) => !s.done);
  const todo = steps.filter((s) => !s.done).length;
  if (hidden) {
    return (
      <div className="next-steps-bar hidden-guide">
        <button
          className="button ghost small"
          data-testid="next-steps-show"
          onClick={() => {
            rememberHidden(dir, false);
            setHidden(false);
          }}
        >
          Next steps{todo ? ` (${todo} to do)` : ''}
        </button>
      </div>
    );
  }
  const current = now >= 0 ? steps[now] : undefined;
  return (
    <section className="next-steps-bar" data-testid="next-steps" aria-label="Next steps">
      <span className="step-count muted small">{current ? `Next step ${now + 1} of ${steps.length}` : 'All steps done'}</span>
      <span className="current" data-testid="next-step-current" title={current ? `${current.title} — ${current.detail}` : undefined}>
        <span className="title">{current ? current.title : `${snap?.name ?? 'The workflow'} is deployed and answering`}</span>
        {current && <span className="detail"> — {current.detail}</span>}
      </span>
      {current?.action && (
        <button
          className="button primary small"
          disabled={acting !== undefined}
          data-testid="next-step-action"
          onClick={() => {
            setActing(current.id);
            void act(ctx, current).finally(() => setActing(undefined));
          }}
        >
          {acting === current.id ? 'Working…' : current.action.kind === 'run' ? `Run ${current.action.function}` : ACTION_LABEL[current.action.kind]}
        </button>
      )}
      <button className="button ghost small" aria-expanded={open} data-testid="next-steps-all" onClick={() => setOpen(!open)}>
        {open ? 'Hide steps' : 'All steps'}
      </button>
      <button
        className="icon-button"
        title="Hide the guide (Next steps brings it back)"
        aria-label="hide next steps"
        data-testid="next-steps-hide"
        onClick={() => {
          rememberHidden(dir, true);
          setHidden(true);
        }}
      >
        ×
      </button>
      {open && (
        <ol className="next-steps-list" data-testid="next-steps-list">
          {steps.map((s, i) => (
            <li key={s.id} className={s.done ? 'done' : i === now ? 'now' : 'later'} data-testid={`step-${s.id}`} data-done={s.done}>
              <span className="mark" aria-hidden>
                {s.done ? '✓' : i + 1}
              </span>
              <span className="text">
                <span className="title">{s.title}</span>
                <span className="detail">{s.detail}</span>
              </span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
