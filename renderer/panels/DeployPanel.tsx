/**
 * The Deploy panel: per-function progress of the last deploy (each step, what it waits for, why
 * it failed), the gate before a deploy (unsaved files, errors, warnings), the invoke console and
 * the logs streamed from the nodes.
 */
import { memo } from 'react';
import type { DiagnosticDto } from '../../cluster/api/contract';
import type { DeployGate } from '../state/studio';
import { waitingFor, type FnDeployState, type Runtime } from './runtime-state';
import { InvokeConsole } from './InvokeConsole';
import { LogView } from './LogView';
import { useElapsed } from './time';

export type { DeployGate } from '../state/studio';

const STEPS: FnDeployState['status'][] = ['scheduled', 'shipped', 'started', 'ready'];

const DeployRow = memo(function DeployRow({ id, s, now }: { id: string; s: FnDeployState; now: number }) {
  const done = s.status === 'ready' || s.status === 'failed';
  const secs = Math.max(0, Math.round((now - s.since) / 1000));
  const reached = s.status === 'failed' ? -1 : STEPS.indexOf(s.status as (typeof STEPS)[number]);
  return (
    <div className={`deploy-row status-${s.status}`} data-testid={`deploy-fn-${id}`} data-status={s.status}>
      <div className="deploy-row-head">
        <span className="node-icon lambda">λ</span>
        <span className="deploy-fn">{id}</span>
        <span className={`pill pill-${s.status}`}>{s.status}</span>
        {s.action && s.action !== 'deployed' && s.status === 'ready' && <span className="muted small" data-testid={`deploy-action-${id}`}>{s.action}</span>}
        {s.node && <span className="muted small">on {s.node}</span>}
        <span className="spacer" />
        {!done && <span className="muted small">{secs} s</span>}
      </div>
      <div className="steps">
        {STEPS.map((st, i) => (
          <span key={st} className={`step${i <= reached ? ' on' : ''}${s.status === 'failed' ? ' failed' : ''}`}>
            {st}
          </span>
        ))}
      </div>
      {s.status === 'failed' ? (
        <div className="deploy-reason" data-testid={`deploy-reason-${id}`}>
          {s.reason ?? 'failed without a reason'}
        </div>
      ) : (
        !done && <div className="muted small">{waitingFor(s)}</div>
      )}
    </div>
  );
});

const DEPLOY_MODE_HELP: Record<string, string> = {
  changed: 'Ships only functions whose code or decorators changed; the others keep their node and warm workers',
  full: 'Places and ships every function again',
  restart: 'Restarts every deployed function on its node from the code already there (nothing is shipped)',
};

export function DeployPanel(props: {
  rt: Runtime;
  functions: string[];
  workflow: string;
  gate?: DeployGate;
  onDeploy(opts: { acceptWarnings?: boolean; saveFirst?: boolean; ignoreUnsaved?: boolean }): void;
  onCancelGate(): void;
  onOpenProblem(d: DiagnosticDto): void;
}) {
  const { rt, functions, gate } = props;
  const active = rt.deploying || Object.values(rt.deploy).some((s) => s.status !== 'ready' && s.status !== 'failed');
  const now = useElapsed(active);
  const rows = functions.filter((f) => rt.deploy[f]);
  const ready = rows.filter((f) => rt.deploy[f].status === 'ready').length;
  const failed = rows.filter((f) => rt.deploy[f].status === 'failed').length;
  // the last deploy of the open workflow (another project's never shows here)
  const last = rt.lastDeploy?.workflow === props.workflow ? rt.lastDeploy : undefined;
  return (
    <div className="runtime-grid" data-testid="deploy-panel">
      <section className="rt-col">
        <div className="rt-head">
          <h3>Deployment</h3>
          {rows.length > 0 && (
            <span className={`muted small ${failed ? 'error' : ready === functions.length ? 'ok' : ''}`} data-testid="deploy-summary">
              {ready}/{functions.length} ready{failed ? `, ${failed} failed` : ''}
              {last ? ` · revision ${last.revision}` : ''}
            </span>
          )}
          {last?.summary && !rt.deploying && (
            <span className="muted small" data-testid="deploy-result-summary">
              {last.summary}
            </span>
          )}
          <span className="spacer" />
          <select value={rt.mode} onChange={(e) => rt.setMode(e.target.value as typeof rt.mode)} disabled={rt.deploying} aria-label="deploy mode" data-testid="deploy-mode" title={DEPLOY_MODE_HELP[rt.mode]}>
            <option value="changed">Changed functions</option>
            <option value="full">Everything</option>
            <option value="restart">Restart (no new code)</option>
          </select>
          <button className="button primary small" disabled={rt.deploying} onClick={() => props.onDeploy({})} data-testid="deploy-panel-button">
            {rt.deploying ? 'Deploying…' : rt.mode === 'restart' ? '↻ Restart' : '▶ Deploy'}
          </button>
        </div>
        {gate && (
          <div className="deploy-gate" data-testid="deploy-gate">
            {gate.unsaved.length > 0 && (
              <>
                <div className="warn">
                  ● {gate.unsaved.length} file{gate.unsaved.length === 1 ? ' has' : 's have'} unsaved changes: {gate.unsaved.join(', ')}. A deploy ships what is saved on disk.
                </div>
                <div className="inline gap">
                  <button className="button primary small" onClick={() => props.onDeploy({ saveFirst: true })} data-testid="deploy-save-and-deploy">
                    Save all and deploy
                  </button>
                  <button className="button small" onClick={() => props.onDeploy({ ignoreUnsaved: true })}>
                    Deploy the saved version
                  </button>
                  <button className="button ghost small" onClick={props.onCancelGate}>
                    Cancel
                  </button>
                </div>
              </>
            )}
            {gate.errors.length > 0 && (
              <>
                <div className="error">✖ {gate.errors.length} error{gate.errors.length === 1 ? '' : 's'} — nothing was deployed. Fix them and deploy again:</div>
                <DiagList items={gate.errors} onOpen={props.onOpenProblem} />
                <button className="button ghost small" onClick={props.onCancelGate}>
                  Close
                </button>
              </>
            )}
            {!gate.errors.length && !gate.unsaved.length && gate.warnings.length > 0 && (
              <>
                <div className="warn">▲ {gate.warnings.length} warning{gate.warnings.length === 1 ? '' : 's'}: review before deploying.</div>
                <DiagList items={gate.warnings} onOpen={props.onOpenProblem} />
                <div className="inline gap">
                  <button className="button small" onClick={() => props.onDeploy({ acceptWarnings: true })} data-testid="deploy-anyway">
                    Deploy anyway
                  </button>
                  <button className="button ghost small" onClick={props.onCancelGate}>
                    Cancel
                  </button>
                </div>
              </>
            )}
          </div>
        )}
        {rt.deploying && rt.progress && (
          <div className="progress-line" data-testid="deploy-progress">
            <div className="bar" /> {rt.progress}
          </div>
        )}
        <div className="deploy-rows">
          {!rows.length && !gate && <div className="muted small pad">Not deployed yet. Deploy validates the workflow, places every function (edge-ai scheduler), ships its bundle and starts it on its node.</div>}
          {rows.map((f) => (
            <DeployRow key={f} id={f} s={rt.deploy[f]} now={now} />
          ))}
        </div>
      </section>
      <section className="rt-col">
        <InvokeConsole rt={props.rt} workflow={props.workflow} functions={functions} />
      </section>
      <section className="rt-col">
        <LogView rt={rt} workflow={props.workflow} />
      </section>
    </div>
  );
}

function DiagList({ items, onOpen }: { items: DiagnosticDto[]; onOpen(d: DiagnosticDto): void }) {
  return (
    <ul className="diag-list">
      {items.slice(0, 8).map((d, i) => (
        <li key={i}>
          <button className="link mono small" onClick={() => onOpen(d)}>
            {d.file}:{d.line}:{d.column}
          </button>{' '}
          {d.message}
          {d.hint ? <span className="muted"> — {d.hint}</span> : null}
        </li>
      ))}
    </ul>
  );
}

