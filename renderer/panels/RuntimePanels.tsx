/**
 * The runtime panels of the bottom dock: Deploy (per-function progress, invoke console, logs),
 * Cluster (start/stop, nodes, placement explanations), Runs (history) and Artifacts (lineage).
 * Everything goes through the StudioApi; errors come back as values and are shown with their hint.
 */
import { lazy, memo, Suspense, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { ApiError, ArtifactViewDto, DiagnosticDto, InvokeAnswerDto, LineageDto, PlacementExplanationDto, RunDto } from '../../cluster/api/contract';
import { call, errorOf } from '../api';
import { waitingFor, type FnDeployState, type Runtime } from './runtime-state';
import { AcceleratorsSection } from './Accelerators';
import { ErrorBox } from './ErrorBox';
import { runErrorOf } from './run-error';
import { fmtBytes } from '../format';

// recharts loads with the Runs tab, not with the first screen
const LatencyChart = lazy(() => import('./LatencyChart'));


function ms(n: number | undefined): string {
  if (n === undefined) return '–';
  return n >= 1000 ? `${(n / 1000).toFixed(2)} s` : `${Math.round(n)} ms`;
}

/** Seconds since `since`, ticking while `active`. */
function useElapsed(active: boolean): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!active) return;
    const t = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(t);
  }, [active]);
  return now;
}

// ---------------------------------------------------------------------------------------------
// Deploy

export interface DeployGate {
  unsaved: string[];
  warnings: DiagnosticDto[];
  errors: DiagnosticDto[];
}

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
  return (
    <div className="runtime-grid" data-testid="deploy-panel">
      <section className="rt-col">
        <div className="rt-head">
          <h3>Deployment</h3>
          {rows.length > 0 && (
            <span className={`muted small ${failed ? 'error' : ready === functions.length ? 'ok' : ''}`} data-testid="deploy-summary">
              {ready}/{functions.length} ready{failed ? `, ${failed} failed` : ''}
              {rt.lastDeploy ? ` · revision ${rt.lastDeploy.revision}` : ''}
            </span>
          )}
          {rt.lastDeploy?.summary && !rt.deploying && (
            <span className="muted small" data-testid="deploy-result-summary">
              {rt.lastDeploy.summary}
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
        <LogView rt={rt} />
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

function LogView({ rt }: { rt: Runtime }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [rt.logs]);
  return (
    <>
      <div className="rt-head">
        <h3>Logs</h3>
        <span className="muted small">streamed from the nodes</span>
        <span className="spacer" />
        <button className="button ghost small" onClick={() => rt.setLogs([])} disabled={!rt.logs.length}>
          Clear
        </button>
      </div>
      <div className="logs mono" ref={ref} data-testid="logs">
        {!rt.logs.length && <div className="muted">No logs yet: invoke a function.</div>}
        {rt.logs.map((l, i) => (
          <div key={i} className="log-line">
            <span className="muted">{new Date(l.at).toLocaleTimeString()}</span> <span className="log-fn">{l.fn || l.run.slice(0, 8)}</span> {l.line}
          </div>
        ))}
      </div>
    </>
  );
}

// ---------------------------------------------------------------------------------------------
// Invoke console

const DIGIT_SCALE = 7;

/** A 28×28 digit you can draw on (mouse), or fill with a real digit from the mnist data. */
function DigitPad({ pixels, onChange }: { pixels: number[]; onChange(p: number[]): void }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const drawing = useRef(false);
  const current = useRef(pixels);
  current.current = pixels;
  useEffect(() => {
    const ctx = canvas.current?.getContext('2d');
    if (!ctx) return;
    const img = ctx.createImageData(28, 28);
    for (let i = 0; i < 784; i++) {
      const v = Math.round(Math.max(0, Math.min(1, pixels[i] ?? 0)) * 255);
      img.data.set([v, v, v, 255], i * 4);
    }
    const off = document.createElement('canvas');
    off.width = 28;
    off.height = 28;
    off.getContext('2d')!.putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(off, 0, 0, 28 * DIGIT_SCALE, 28 * DIGIT_SCALE);
  }, [pixels]);
  const paint = (e: React.PointerEvent<HTMLCanvasElement>) => {
    const r = e.currentTarget.getBoundingClientRect();
    const cx = ((e.clientX - r.left) / r.width) * 28;
    const cy = ((e.clientY - r.top) / r.height) * 28;
    const next = [...current.current];
    for (let y = Math.floor(cy) - 2; y <= Math.floor(cy) + 2; y++) {
      for (let x = Math.floor(cx) - 2; x <= Math.floor(cx) + 2; x++) {
        if (x < 0 || y < 0 || x > 27 || y > 27) continue;
        const d = Math.hypot(x + 0.5 - cx, y + 0.5 - cy);
        const v = Math.max(0, 1 - d / 1.8);
        next[y * 28 + x] = Math.max(next[y * 28 + x] ?? 0, v);
      }
    }
    onChange(next);
  };
  return (
    <canvas
      ref={canvas}
      className="digit-pad"
      width={28 * DIGIT_SCALE}
      height={28 * DIGIT_SCALE}
      data-testid="digit-pad"
      title="draw a digit"
      onPointerDown={(e) => {
        drawing.current = true;
        e.currentTarget.setPointerCapture(e.pointerId);
        paint(e);
      }}
      onPointerMove={(e) => drawing.current && paint(e)}
      onPointerUp={() => (drawing.current = false)}
    />
  );
}

function Prediction({ a }: { a: InvokeAnswerDto }) {
  const out = a.output as { digit?: unknown; confidence?: unknown } | null;
  if (!out || typeof out !== 'object' || typeof out.digit !== 'number') return null;
  return (
    <div className="prediction" data-testid="prediction">
      <span className="prediction-digit" data-testid="prediction-digit">
        {out.digit}
      </span>
      <span>
        <div>predicted digit</div>
        {typeof out.confidence === 'number' && (
          <div className="muted small" data-testid="prediction-confidence">
            confidence {(out.confidence * 100).toFixed(1)} %
          </div>
        )}
      </span>
    </div>
  );
}

function InvokeConsole({ rt, workflow, functions }: { rt: Runtime; workflow: string; functions: string[] }) {
  const deployed = functions.filter((f) => rt.deploy[f]?.status === 'ready');
  const [fn, setFn] = useState<string>('');
  const [mode, setMode] = useState<'json' | 'digit'>('json');
  const [json, setJson] = useState('{}');
  const [pixels, setPixels] = useState<number[]>(() => new Array(784).fill(0));
  const [label, setLabel] = useState<number | undefined>();
  const [want, setWant] = useState<string>('any');
  const sampleIndex = useRef(0);
  const [busy, setBusy] = useState(false);
  const [answer, setAnswer] = useState<InvokeAnswerDto | undefined>();
  const [error, setError] = useState<ApiError | undefined>();
  const chosen = fn && functions.includes(fn) ? fn : (deployed[0] ?? functions[0] ?? '');
  useEffect(() => {
    if (chosen === 'inference') setMode('digit');
  }, [chosen]);

  const sample = useCallback(async () => {
    try {
      // each click takes the next sample (of the chosen digit, or of a random one)
      const d = await call('samples.digit', { ...(want !== 'any' ? { digit: Number(want) } : {}), index: sampleIndex.current++ % 100 });
      setPixels(d.pixels);
      setLabel(d.label);
      setMode('digit');
    } catch (e) {
      setError(errorOf(e));
    }
  }, [want]);

  const invoke = async () => {
    let input: unknown;
    if (mode === 'json') {
      try {
        input = json.trim() ? JSON.parse(json) : undefined;
      } catch (e) {
        setError({ code: 'invalid-json', message: `the input is not JSON: ${(e as Error).message}`, hint: 'write a JSON value, e.g. {"pixels": [ … ]}, or {} for none' });
        return;
      }
    } else input = { pixels };
    setBusy(true);
    setError(undefined);
    try {
      setAnswer(await call('invoke', { workflow, function: chosen, ...(input !== undefined ? { input } : {}) }));
    } catch (e) {
      setAnswer(undefined);
      setError(errorOf(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <div className="rt-head">
        <h3>Invoke</h3>
        <select value={chosen} onChange={(e) => setFn(e.target.value)} data-testid="invoke-function" className="fn-select">
          {functions.map((f) => (
            <option key={f} value={f}>
              {f}
              {rt.deploy[f]?.status === 'ready' ? '' : ' (not deployed)'}
            </option>
          ))}
        </select>
        <span className="seg">
          <button className={`seg-b${mode === 'json' ? ' on' : ''}`} onClick={() => setMode('json')} data-testid="invoke-mode-json">
            JSON
          </button>
          <button className={`seg-b${mode === 'digit' ? ' on' : ''}`} onClick={() => setMode('digit')} data-testid="invoke-mode-digit">
            Image
          </button>
        </span>
        <span className="spacer" />
        <button className="button primary small" disabled={busy || !chosen} onClick={() => void invoke()} data-testid="invoke-run">
          {busy ? 'Running…' : 'Invoke'}
        </button>
      </div>
      <div className="invoke-body">
        {mode === 'json' ? (
          <textarea className="mono json-input" value={json} onChange={(e) => setJson(e.target.value)} spellCheck={false} data-testid="invoke-json" />
        ) : (
          <div className="digit-input">
            <DigitPad
              pixels={pixels}
              onChange={(p) => {
                setPixels(p);
                setLabel(undefined);
              }}
            />
            <div className="digit-actions">
              <span className="inline">
                <button className="button small" onClick={() => void sample()} data-testid="sample-digit">
                  Sample digit
                </button>
                <select value={want} onChange={(e) => setWant(e.target.value)} data-testid="sample-digit-choice" title="which digit to take from mnist">
                  <option value="any">any</option>
                  {Array.from({ length: 10 }, (_, i) => (
                    <option key={i} value={String(i)}>
                      {i}
                    </option>
                  ))}
                </select>
              </span>
              <button
                className="button ghost small"
                onClick={() => {
                  setPixels(new Array(784).fill(0));
                  setLabel(undefined);
                }}
              >
                Clear
              </button>
              <div className="muted small">{label !== undefined ? `a real ${label} from mnist (not in the training set)` : 'draw a digit, or take a real one'}</div>
            </div>
          </div>
        )}
        <div className="invoke-result" data-testid="invoke-result">
          {busy && (
            <div className="progress-line">
              <div className="bar" /> running {chosen} on its node{chosen.startsWith('train') ? ' (training takes a few seconds)' : ''} …
            </div>
          )}
          {error && <ErrorBox error={error} />}
          {answer && !busy && (
            <>
              <Prediction a={answer} />
              <dl className="facts compact">
                <dt>node</dt>
                <dd data-testid="invoke-node">{answer.node}{answer.attempts > 1 ? ' (retried on another node)' : ''}</dd>
                <dt>latency</dt>
                <dd data-testid="invoke-latency">
                  {ms(answer.timings.totalMs)} <span className="muted small">(exec {ms(answer.timings.execMs)}, transfer {ms(answer.timings.transferMs)}, {answer.cold ? `cold start ${ms(answer.timings.coldStartMs)}` : 'warm'}, queue {ms(answer.timings.queueMs)})</span>
                </dd>
                <dt>model</dt>
                <dd data-testid="invoke-model">{answer.models.length ? answer.models.join(', ') : '–'}</dd>
                {answer.produced.length > 0 && (
                  <>
                    <dt>produced</dt>
                    <dd>{answer.produced.join(', ')}</dd>
                  </>
                )}
                {answer.gates.map((g, i) => (
                  <span key={i} style={{ display: 'contents' }}>
                    <dt>gate {g.kind}</dt>
                    <dd className={g.pass ? 'ok' : 'error'}>{g.pass ? 'pass' : 'FAIL'} {g.detail ?? ''}</dd>
                  </span>
                ))}
                <dt>run</dt>
                <dd className="mono small">{answer.run}</dd>
              </dl>
              <pre className="json small">{JSON.stringify(answer.output, null, 2)}</pre>
            </>
          )}
        </div>
      </div>
    </>
  );
}

// ---------------------------------------------------------------------------------------------
// Cluster

export function ClusterPanel({ rt, functions, project, onError, explain: asked }: { rt: Runtime; functions: string[]; project: string; onError(title: string, e: unknown): void; explain?: { fn: string; nonce: number } }) {
  const [backend, setBackend] = useState<'process' | 'docker'>('process');
  const [topology, setTopology] = useState('local');
  const [busy, setBusy] = useState<string | undefined>();
  const [explainFn, setExplainFn] = useState(asked?.fn ?? functions[0] ?? '');
  // "Explain placement" from a node's context menu picks the function
  useEffect(() => {
    if (asked) setExplainFn(asked.fn);
  }, [asked]);
  const [explain, setExplain] = useState<PlacementExplanationDto | undefined>();
  const [explainError, setExplainError] = useState<ApiError | undefined>();
  const s = rt.status;

  const act = async (what: 'up' | 'down') => {
    setBusy(what === 'up' ? `Starting the ${backend} cluster …` : 'Stopping the cluster …');
    try {
      rt.setStatus(what === 'up' ? await call('cluster.up', { backend, topology }) : await call('cluster.down', {}));
      if (what === 'down') rt.setDeploy({});
    } catch (e) {
      onError(what === 'up' ? 'The cluster did not start' : 'The cluster did not stop', e);
      void rt.refresh();
    } finally {
      setBusy(undefined);
      rt.setProgress(undefined);
    }
  };

  useEffect(() => {
    if (!explainFn) return;
    let stale = false;
    call('schedule.explain', { project, function: explainFn }).then(
      (e) => !stale && (setExplain(e), setExplainError(undefined)),
      (e) => !stale && (setExplain(undefined), setExplainError(errorOf(e))),
    );
    return () => {
      stale = true;
    };
  }, [explainFn, project, s?.up, rt.lastDeploy]);

  return (
    <div className="runtime-grid two" data-testid="cluster-panel">
      <section className="rt-col wide">
        <div className="rt-head">
          <h3>Cluster</h3>
          <span className={`pill ${s?.up ? 'pill-ready' : 'pill-queued'}`} data-testid="cluster-state">
            {s?.up ? `up · ${s.backend} · ${s.topology}` : 'stopped'}
          </span>
          <span className="spacer" />
          <label className="muted small">backend</label>
          <select value={backend} onChange={(e) => setBackend(e.target.value as 'process' | 'docker')} disabled={!!s?.up}>
            <option value="process">process</option>
            <option value="docker">docker</option>
          </select>
          <label className="muted small">topology</label>
          <input className="mono topo-input" value={topology} onChange={(e) => setTopology(e.target.value)} disabled={!!s?.up} />
          {s?.up ? (
            <button className="button small" disabled={!!busy} onClick={() => void act('down')} data-testid="cluster-stop">
              ■ Stop
            </button>
          ) : (
            <button className="button primary small" disabled={!!busy} onClick={() => void act('up')} data-testid="cluster-start">
              ▶ Start
            </button>
          )}
        </div>
        {busy && (
          <div className="progress-line">
            <div className="bar" /> {busy} {rt.progress ? `— ${rt.progress}` : ''}
          </div>
        )}
        <table className="rt-table" data-testid="nodes">
          <thead>
            <tr>
              <th>node</th>
              <th>status</th>
              <th>device</th>
              <th>type</th>
              <th>network</th>
              <th>cpu / memory</th>
              <th>capabilities</th>
              <th>runs</th>
            </tr>
          </thead>
          <tbody>
            {(s?.nodes ?? []).map((n) => (
              <tr key={n.name} data-testid={`node-row-${n.name}`} data-status={n.status}>
                <td className="strong">{n.name}</td>
                <td>
                  <span className={`dot dot-${n.status}`} /> {n.status}
                  {n.reason ? <div className="muted small">{n.reason}</div> : null}
                </td>
                <td>{n.device}</td>
                <td>{n.type}</td>
                <td>{n.network}</td>
                <td className="small">
                  {(n.cpuMillis / 1000).toFixed(1)} cpu · {fmtBytes(n.memoryBytes)}
                </td>
                <td>{n.capabilities.length ? n.capabilities.map((c) => <span key={c} className="badge badge-cap">{c}</span>) : <span className="muted">–</span>}</td>
                <td>{n.functions.length ? n.functions.map((f) => <span key={f} className="badge badge-node">λ {f}</span>) : <span className="muted">–</span>}</td>
              </tr>
            ))}
            {!s?.nodes.length && (
              <tr>
                <td colSpan={8} className="muted">
                  The cluster is stopped. Start it: the <b>process</b> backend runs each node as a local process (nothing to install); <b>docker</b> runs containers.
                </td>
              </tr>
            )}
          </tbody>
        </table>
        {s && s.links.length > 0 && (
          <div className="muted small pad">
            bytes moved: {s.links.filter((l) => l.bytes).map((l) => `${l.link} ${fmtBytes(l.bytes)}`).join(' · ') || 'none yet'}
          </div>
        )}
        {s && s.unavailable.length > 0 && <div className="warn small pad">unavailable artifacts (only copy on a node that is down): {s.unavailable.map((a) => `${a.urn}@${a.version}`).join(', ')}</div>}
        <AcceleratorsSection status={s} />
      </section>
      <section className="rt-col">
        <div className="rt-head">
          <h3>Placement</h3>
          <select value={explainFn} onChange={(e) => setExplainFn(e.target.value)} data-testid="explain-function">
            {functions.map((f) => (
              <option key={f}>{f}</option>
            ))}
          </select>
        </div>
        {explainError && <ErrorBox error={explainError} />}
        {explain && (
          <div className="explain" data-testid="explain">
            <div className="small">
              {explain.node ? (
                <>
                  the <b>{explain.profile}</b> scheduler places <b>{explain.function}</b> on <b>{explain.node}</b> ({explain.topology})
                </>
              ) : (
                <span className="error">{explain.infeasible ?? 'no feasible node'}</span>
              )}
              {explain.deployedOn && <span className="muted"> · runs on {explain.deployedOn}</span>}
            </div>
            {explain.nodes.map((n) => (
              <div key={n.node} className={`explain-node ${n.status}`}>
                <span className="explain-mark">{n.status === 'chosen' ? '★' : n.status === 'feasible' ? '✓' : n.status === 'filtered' ? '✗' : '·'}</span>
                <span className="strong">{n.node}</span>
                {n.status === 'filtered' || n.status === 'not-examined' ? (
                  <span className="muted">
                    {n.filter ? `${n.filter}: ` : ''}
                    {n.reason}
                  </span>
                ) : (
                  <span className="muted small">
                    total {n.total?.toFixed(1)} · {(n.scores ?? []).map((sc) => `${sc.plugin} ${sc.normalised.toFixed(0)}×${sc.weight}`).join(' · ')}
                  </span>
                )}
              </div>
            ))}
            {explain.warnings.map((w, i) => (
              <div key={i} className="warn small">
                ▲ {w}
              </div>
            ))}
          </div>
        )}
      </section>
    </div>
  );
}

// ---------------------------------------------------------------------------------------------
// Runs

export function RunsPanel({ rt, workflow }: { rt: Runtime; workflow: string }) {
  const [runs, setRuns] = useState<RunDto[]>([]);
  const [sel, setSel] = useState<string | undefined>();
  const [error, setError] = useState<ApiError | undefined>();
  useEffect(() => {
    call('runs.list', { workflow, limit: 100 }).then(
      (r) => (setRuns(r), setError(undefined)),
      (e) => setError(errorOf(e)),
    );
  }, [workflow, rt.runsVersion]);
  const run = runs.find((r) => r.id === sel) ?? runs[0];
  return (
    <div className="runtime-grid two" data-testid="runs-panel">
      <section className="rt-col wide">
        <div className="rt-head">
          <h3>Run history</h3>
          <span className="muted small">{runs.length} run(s)</span>
        </div>
        {error && <ErrorBox error={error} />}
        <Suspense fallback={null}>
          <LatencyChart runs={runs} />
        </Suspense>
        <table className="rt-table clickable">
          <thead>
            <tr>
              <th>started</th>
              <th>function</th>
              <th>node</th>
              <th>status</th>
              <th>total</th>
              <th>outputs</th>
            </tr>
          </thead>
          <tbody>
            {runs.map((r) => (
              <tr key={r.id} className={r.id === run?.id ? 'sel' : ''} onClick={() => setSel(r.id)} data-testid="run-row">
                <td className="small">{new Date(r.started).toLocaleTimeString()}</td>
                <td>λ {r.function}</td>
                <td>{r.node ?? '–'}</td>
                <td>
                  <span className={`pill pill-${r.status === 'ok' ? 'ready' : r.status === 'running' ? 'started' : 'failed'}`}>{r.status}</span>
                </td>
                <td>{ms(r.timings.totalMs)}</td>
                <td className="small">{r.outputs.join(', ') || '–'}</td>
              </tr>
            ))}
            {!runs.length && (
              <tr>
                <td colSpan={6} className="muted">
                  No runs yet: invoke a function in the Deploy panel.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </section>
      <section className="rt-col">
        {run ? (
          <>
            <div className="rt-head">
              <h3>Run {run.id.slice(0, 8)}</h3>
              <span className="muted small">
                {run.workflow}/{run.function} on {run.node ?? '–'}
              </span>
            </div>
            {run.error && <ErrorBox error={runErrorOf(run.error)} />}
            <dl className="facts compact">
              <dt>inputs</dt>
              <dd>{run.inputs.join(', ') || '–'}</dd>
              <dt>timings</dt>
              <dd className="small">{Object.entries(run.timings).map(([k, v]) => `${k.replace(/Ms$/, '')} ${ms(v)}`).join(' · ')}</dd>
            </dl>
            <pre className="json small">{JSON.stringify(run.output, null, 2)}</pre>
            <div className="logs mono small">{run.logs.length ? run.logs.map((l, i) => <div key={i}>{l}</div>) : <span className="muted">no log lines</span>}</div>
          </>
        ) : (
          <div className="muted small pad">Pick a run.</div>
        )}
      </section>
    </div>
  );
}

// ---------------------------------------------------------------------------------------------
// Artifacts

export function ArtifactsPanel({ rt }: { rt: Runtime }) {
  const [list, setList] = useState<ArtifactViewDto[]>([]);
  const [sel, setSel] = useState<string | undefined>();
  const [lineage, setLineage] = useState<LineageDto | undefined>();
  const [error, setError] = useState<ApiError | undefined>();
  useEffect(() => {
    call('artifacts.list', {}).then(
      (r) => (setList(r), setError(undefined)),
      (e) => setError(errorOf(e)),
    );
  }, [rt.runsVersion, rt.lastDeploy]);
  const chosen = useMemo(() => list.find((a) => `${a.urn}@${a.version}` === sel), [list, sel]);
  useEffect(() => {
    if (!chosen) return setLineage(undefined);
    call('artifacts.lineage', { urn: chosen.urn, version: chosen.version }).then(setLineage, (e) => setError(errorOf(e)));
  }, [chosen]);
  return (
    <div className="runtime-grid two" data-testid="artifacts-panel">
      <section className="rt-col wide">
        <div className="rt-head">
          <h3>Artifacts</h3>
          <span className="muted small">data and models in the cluster's registry</span>
        </div>
        {error && <ErrorBox error={error} />}
        <table className="rt-table clickable">
          <thead>
            <tr>
              <th>artifact</th>
              <th>kind</th>
              <th>metrics</th>
              <th>size</th>
              <th>on</th>
              <th>made by</th>
            </tr>
          </thead>
          <tbody>
            {list.map((a) => {
              const key = `${a.urn}@${a.version}`;
              return (
                <tr key={key} className={key === sel ? 'sel' : ''} onClick={() => setSel(key)} data-testid="artifact-row">
                  <td className="mono">{key}</td>
                  <td>{a.kind}{a.type ? ` · ${a.type}` : ''}</td>
                  <td className="small">{Object.entries(a.metrics).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(' · ') || '–'}</td>
                  <td>{fmtBytes(a.size)}</td>
                  <td>{a.locations.join(', ') || 'registry'}</td>
                  <td className="small">{a.lineage.function ? `λ ${a.lineage.function}` : (a.lineage.source ?? '–')}</td>
                </tr>
              );
            })}
            {!list.length && (
              <tr>
                <td colSpan={6} className="muted">
                  Nothing yet: a deploy imports the data sources; functions publish models and data when invoked.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </section>
      <section className="rt-col">
        <div className="rt-head">
          <h3>Lineage</h3>
        </div>
        {!lineage && <div className="muted small pad">Pick an artifact to see what it was made from, and what was made from it.</div>}
        {lineage && (
          <div className="lineage" data-testid="lineage">
            <div className="muted small">made from</div>
            {lineage.inputs.map((e, i) => (
              <div key={i} className="lineage-entry" style={{ paddingLeft: e.depth * 14 }}>
                ↖ <span className="mono">{e.urn}@{e.version}</span> {e.function ? <span className="muted">by λ {e.function}</span> : e.source ? <span className="muted">{e.source}</span> : null}
                {e.missing ? <span className="error"> (missing)</span> : null}
              </div>
            ))}
            {!lineage.inputs.length && <div className="muted small lineage-entry">{lineage.artifact.lineage.source ?? 'nothing (imported)'}</div>}
            <div className="lineage-self">
              ● <span className="mono strong">{lineage.artifact.urn}@{lineage.artifact.version}</span>
              {lineage.artifact.lineage.function && <span className="muted"> by λ {lineage.artifact.lineage.function}, run {lineage.artifact.lineage.run?.slice(0, 8)}</span>}
            </div>
            <div className="muted small">used to make</div>
            {lineage.outputs.map((e, i) => (
              <div key={i} className="lineage-entry" style={{ paddingLeft: e.depth * 14 }}>
                ↘ <span className="mono">{e.urn}@{e.version}</span> {e.function ? <span className="muted">by λ {e.function}</span> : null}
              </div>
            ))}
            {!lineage.outputs.length && <div className="muted small lineage-entry">nothing yet</div>}
          </div>
        )}
      </section>
    </div>
  );
}
