/**
 * Simulate: the saved workflow on an edge topology with the real scheduler (cluster/simulator),
 * one run per scheduler profile on the same arrivals. The form on the left (topology, profiles,
 * simulated time, seed, request rates and execution profiles, and the model: service-time
 * distribution, replicas, cold starts, per-function start offsets), the comparison, a p95 chart and the chosen profile's
 * per-function figures on the right. The simulation runs in the service in slices: progress
 * streams, Cancel stops it, and the studio keeps answering meanwhile.
 */
import { lazy, Suspense, useEffect, useRef, useState } from 'react';
import type { ApiError, MethodResponse, ProjectSnapshot, SimulationReportDto } from '../../cluster/api/contract';
import { SIM_PROFILES, SIM_TOPOLOGIES, SIM_WORKLOADS } from '../../cluster/common/sim-choices';
import { call, errorOf, studio } from '../api';
import { DataTable, type Column } from './DataTable';
import { ErrorBox } from './ErrorBox';
import { fmtBytes } from '../format';
import { arrivalSource, DEFAULT_MODEL, fmtPercent, fmtS, fmtUsd, modelRequest, parseRates, runsCompareLines, type ModelFields, type RunsCompareLine } from './sim-view';

const SimChart = lazy(() => import('./SimChart'));

type Answer = MethodResponse<'simulate.run'>;
type RunsAnswer = MethodResponse<'simulate.compareRuns'>;
type Summary = Answer['summaries'][number];
type FnReport = SimulationReportDto['functions'][number];
type NodeUsage = SimulationReportDto['nodeUsage'][number];

const COMPARE_COLUMNS: Array<Column<Summary>> = [
  { key: 'profile', title: 'profile', className: 'strong nowrap', cell: (c) => c.profile },
  { key: 'runs', title: 'runs', cell: (c) => c.completed },
  { key: 'failed', title: 'failed', cell: (c) => c.failed },
  { key: 'cold', title: 'cold', cell: (c) => c.coldStarts },
  { key: 'miss', title: 'deadline miss', cell: (c) => c.deadlineMisses },
  { key: 'mean', title: 'mean', className: 'nowrap', cell: (c) => fmtS(c.meanS) },
  { key: 'p95', title: 'p95', hint: "the worst function's p95", className: 'nowrap', cell: (c) => fmtS(c.p95S) },
  { key: 'edge', title: 'edge up / down', hint: 'bytes over edge uplinks (edge → WAN) and downlinks (WAN → edge)', cell: (c) => `${fmtBytes(c.wanUpBytes)} / ${fmtBytes(c.wanDownBytes)}` },
  { key: 'util', title: 'edge util', cell: (c) => fmtPercent(c.edgeUtilisation) },
  { key: 'cost', title: 'cloud cost', cell: (c) => fmtUsd(c.cloudCost) },
];

function functionColumns(report: SimulationReportDto): Array<Column<FnReport>> {
  const placed = (f: FnReport) => report.deploy.find((x) => x.function === f.function);
  return [
    { key: 'function', title: 'function', className: 'nowrap', cell: (f) => `λ ${f.function}` },
    { key: 'placed', title: 'placed on', cellTitle: (f) => placed(f)?.reason, cell: (f) => placed(f)?.node ?? <span className="error-text">✗ {placed(f)?.reason ?? 'not placed'}</span> },
    { key: 'runs', title: 'runs', cell: (f) => f.completed },
    { key: 'failed', title: 'failed', cell: (f) => f.failed + f.unfinished },
    { key: 'cold', title: 'cold', cell: (f) => f.coldStarts },
    { key: 'miss', title: 'deadline miss', cell: (f) => (f.deadlineMs === null ? '–' : `${f.deadlineMisses} (> ${fmtS(f.deadlineMs / 1000)})`) },
    { key: 'total', title: 'total p50 / p95 / p99', cell: (f) => (f.completed ? `${fmtS(f.total.p50)} / ${fmtS(f.total.p95)} / ${fmtS(f.total.p99)}` : '–') },
    { key: 'parts', title: 'wait / transfer / exec p50', cell: (f) => (f.completed ? `${fmtS(f.wait.p50)} / ${fmtS(f.transfer.p50)} / ${fmtS(f.execution.p50)}` : '–') },
  ];
}

const RUNS_COLUMNS: Array<Column<RunsCompareLine>> = [
  { key: 'what', title: 'function', className: 'strong nowrap', cell: (l) => l.what },
  { key: 'figure', title: 'figure', className: 'nowrap', cell: (l) => l.figure },
  { key: 'real', title: 'real', className: 'nowrap', cell: (l) => l.real },
  { key: 'sim', title: 'simulated', className: 'nowrap', cell: (l) => l.sim },
  { key: 'difference', title: 'difference', className: 'nowrap', cell: (l) => l.difference },
];

const NODE_COLUMNS: Array<Column<NodeUsage>> = [
  { key: 'node', title: 'node', cell: (n) => n.node },
  { key: 'device', title: 'device', cell: (n) => n.device },
  { key: 'runs', title: 'runs', cell: (n) => n.invocations },
  { key: 'busy', title: 'busy', cell: (n) => fmtPercent(n.busy) },
  { key: 'cpu', title: 'cpu reserved', cell: (n) => fmtPercent(n.allocated) },
];


const TOPOLOGY_CHOICES = ['project', ...SIM_TOPOLOGIES, 'urban-sensing:cells=8', 'industrial-iot:sites=4', 'cloud-regions:regions=3'];

/** A report's placements as the canvas shows them (status 'simulated'). */
function placementsOf(r: SimulationReportDto): Record<string, { node: string | null; status: string }> {
  return Object.fromEntries(r.deploy.map((d) => [d.function, { node: d.node, status: 'simulated' }]));
}

export interface SimulatePanelProps {
  project: string;
  workflow: ProjectSnapshot['workflow'];
  functions: string[];
  hidden: boolean;
  /** the profile whose placements the canvas shows, if any */
  onCanvas?: string;
  /** shows a profile's placements on the canvas (status 'simulated'), or hides them */
  onShowOnCanvas(p: { profile: string; placements: Record<string, { node: string | null; status: string }> } | undefined): void;
}

export function SimulatePanel({ project, workflow, functions, hidden, onCanvas, onShowOnCanvas }: SimulatePanelProps) {
  const [topology, setTopology] = useState('project');
  const [profiles, setProfiles] = useState<string[]>(['edge-ai', 'kube-default']);
  const [duration, setDuration] = useState('1h');
  const [seed, setSeed] = useState('1');
  const [rates, setRates] = useState<Record<string, string>>({});
  const [workloads, setWorkloads] = useState<Record<string, (typeof SIM_WORKLOADS)[number]>>({});
  const [model, setModel] = useState<ModelFields>(DEFAULT_MODEL);
  const setM = (patch: Partial<ModelFields>) => setModel((m) => ({ ...m, ...patch }));
  const [running, setRunning] = useState(false);
  const [progress, setProgress] = useState<{ done: number; total: number; message?: string }>();
  const [answer, setAnswer] = useState<Answer>();
  const [error, setError] = useState<ApiError>();
  const [chosen, setChosen] = useState<string>();
  const [runsAnswer, setRunsAnswer] = useState<RunsAnswer>();
  const [comparing, setComparing] = useState(false);
  const [runsError, setRunsError] = useState<ApiError>();

  // a simulation still running when the panel goes (another project opened) is stopped
  const runningRef = useRef(false);
  runningRef.current = running;
  useEffect(
    () => () => {
      if (runningRef.current) void call('simulate.cancel', {}).catch(() => undefined);
    },
    [],
  );

  useEffect(
    () =>
      studio().on('progress', (p) => {
        if (p.id === 'simulate' && !p.finished) setProgress({ done: p.done, total: p.total ?? 100, ...(p.message ? { message: p.message } : {}) });
      }),
    [],
  );

  const run = async () => {
    // fields of functions that are gone (renamed in the code meanwhile) are left out
    const parsed = parseRates(Object.fromEntries(Object.entries(rates).filter(([fn]) => functions.includes(fn))));
    if ('error' in parsed) return setError({ code: 'bad-rate', message: parsed.error });
    const s = Number(seed);
    if (!Number.isInteger(s) || s < 0) return setError({ code: 'bad-seed', message: `seed '${seed}': give a whole number ≥ 0`, hint: 'the same seed gives the same arrivals and the same report' });
    setError(undefined);
    setRunning(true);
    setProgress({ done: 0, total: profiles.length * 100 });
    try {
      const a = await call('simulate.run', { project, topology: topology.trim() || 'project', profiles, duration: duration.trim(), seed: s, rates: parsed.rates, workloads: Object.fromEntries(Object.entries(workloads).filter(([fn]) => functions.includes(fn))), ...modelRequest(model, functions) });
      setAnswer(a);
      setChosen((c) => (c && a.reports.some((r) => r.profile === c) ? c : a.reports[0]?.profile));
      // placements shown on the canvas are this answer's from now on (or none, if that profile was not run)
      if (onCanvas) {
        const shown = a.reports.find((r) => r.profile === onCanvas);
        onShowOnCanvas(shown ? { profile: shown.profile, placements: placementsOf(shown) } : undefined);
      }
    } catch (e) {
      setError(errorOf(e));
    } finally {
      setRunning(false);
      setProgress(undefined);
    }
  };

  // sim vs real (issue 15, item 6): the open cluster's recorded runs of this workflow beside their simulation
  const compareRuns = async () => {
    const p = profiles[0] ?? 'edge-ai';
    const s = Number(seed);
    setRunsError(undefined);
    setComparing(true);
    try {
      setRunsAnswer(await call('simulate.compareRuns', { project, profile: p, seed: Number.isInteger(s) && s >= 0 ? s : 1 }));
    } catch (e) {
      setRunsError(errorOf(e));
    } finally {
      setComparing(false);
    }
  };

  const report = answer?.reports.find((r) => r.profile === chosen) ?? answer?.reports[0];
  const toggle = (p: string) => setProfiles((ps) => (ps.includes(p) ? ps.filter((x) => x !== p) : SIM_PROFILES.filter((x) => x === p || ps.includes(x))));

  return (
    <div className="runtime-grid sim" data-testid="simulate-panel" style={hidden ? { display: 'none' } : undefined}>
      <section className="rt-col">
        {/* the head stays at the top of the column as it scrolls: Run and Cancel always in view */}
        <div className="rt-head" style={{ position: 'sticky', top: 0 }}>
          <h3>Simulate</h3>
          <span className="muted small">the saved workflow, the real scheduler, simulated time</span>
          <span className="spacer" />
          <div className="sim-actions">
            <button className="button primary" type="submit" form="sim-form" disabled={running || !profiles.length} data-testid="sim-run" title={profiles.length ? 'Simulate once per checked profile' : 'Check at least one profile'}>
              {running ? 'Simulating…' : profiles.length > 1 ? `▶ Simulate and compare ${profiles.length}` : '▶ Simulate'}
            </button>
            {running && (
              <button className="button" type="button" onClick={() => void call('simulate.cancel', {}).catch(() => undefined)} data-testid="sim-cancel">
                Cancel
              </button>
            )}
          </div>
          {running && progress && (
            <div className="sim-progress" data-testid="sim-progress">
              <progress max={progress.total} value={progress.done} /> <span className="muted small">{progress.message ?? 'starting…'}</span>
            </div>
          )}
        </div>
        <form
          id="sim-form"
          className="sim-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (!running) void run();
          }}
        >
          <label className="field">
            <span>Topology</span>
            <input list="sim-topologies" value={topology} onChange={(e) => setTopology(e.target.value)} data-testid="sim-topology" spellCheck={false} />
            <datalist id="sim-topologies">
              {TOPOLOGY_CHOICES.map((t) => (
                <option key={t} value={t} />
              ))}
            </datalist>
            <span className="muted small">project = its topology.json, else workflow.json's target, else local; a scenario takes a size, e.g. urban-sensing:cells=8</span>
          </label>
          <div className="field">
            <span>Scheduler profiles (compared on the same arrivals)</span>
            <div className="sim-profiles">
              {SIM_PROFILES.map((p) => (
                <label key={p} className="check">
                  <input type="checkbox" checked={profiles.includes(p)} onChange={() => toggle(p)} data-testid={`sim-profile-${p}`} /> {p}
                </label>
              ))}
            </div>
          </div>
          <div className="sim-row">
            <label className="field">
              <span>Simulated time</span>
              <input value={duration} onChange={(e) => setDuration(e.target.value)} data-testid="sim-duration" placeholder="1h" spellCheck={false} />
            </label>
            <label className="field">
              <span>Seed</span>
              <input value={seed} onChange={(e) => setSeed(e.target.value)} data-testid="sim-seed" inputMode="numeric" />
            </label>
          </div>
          <div className="field">
            <span>Requests per second, when they begin, and how long each run takes (docs/reference.md §4 device profiles)</span>
            <table className="sim-rates">
              <tbody>
                {functions.map((fn) => {
                  const src = arrivalSource(workflow, fn);
                  return (
                    <tr key={fn}>
                      <td>
                        λ {fn}
                        <div className="muted small">{src.text}</div>
                      </td>
                      <td>
                        <input value={rates[fn] ?? ''} placeholder={String(src.defaultRate)} onChange={(e) => setRates((r) => ({ ...r, [fn]: e.target.value }))} data-testid={`sim-rate-${fn}`} inputMode="decimal" />
                      </td>
                      <td>
                        <input value={model.starts[fn] ?? ''} placeholder="at 0s" onChange={(e) => setM({ starts: { ...model.starts, [fn]: e.target.value } })} data-testid={`sim-start-${fn}`} spellCheck={false} title="when its arrivals begin, e.g. 30s or 5m" />
                      </td>
                      <td>
                        <select
                          value={workloads[fn] ?? ''}
                          onChange={(e) =>
                            setWorkloads((w) => {
                              const { [fn]: _drop, ...rest } = w;
                              return e.target.value ? { ...rest, [fn]: e.target.value as (typeof SIM_WORKLOADS)[number] } : rest;
                            })
                          }
                          data-testid={`sim-exec-${fn}`}
                          title="execution time per device: a small function (50 ms on a Xeon VM), or a measured ML workload"
                        >
                          <option value="">small function</option>
                          {SIM_WORKLOADS.map((w) => (
                            <option key={w} value={w}>
                              {w}
                            </option>
                          ))}
                        </select>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          <div className="field">
            <span>Execution times around each device's mean</span>
            <div className="sim-row">
              <select value={model.service} onChange={(e) => setM({ service: e.target.value as ModelFields['service'] })} data-testid="sim-service" title="lognormal (σ 0.2 unless set), exponential (an M/M/c server) or deterministic (always the mean)">
                <option value="lognormal">lognormal</option>
                <option value="exponential">exponential</option>
                <option value="deterministic">deterministic</option>
              </select>
              {model.service === 'lognormal' && <input value={model.sigma} onChange={(e) => setM({ sigma: e.target.value })} placeholder="σ 0.2" data-testid="sim-sigma" inputMode="decimal" title="the spread: σ of the lognormal in log space (above 0, at most 3)" />}
            </div>
          </div>
          <div className="field">
            <span>Replicas per function</span>
            <div className="sim-row">
              <select value={model.replicas} onChange={(e) => setM({ replicas: e.target.value as ModelFields['replicas'] })} data-testid="sim-replicas" title="autoscaled: from zero, by Knative's KPA rule (70% of a replica's capacity over 60 s / 6 s windows), at most 20">
                <option value="auto">autoscaled, 0 to 20</option>
                <option value="fixed">a fixed count</option>
                <option value="range">min to max</option>
              </select>
              {model.replicas === 'fixed' && <input type="number" min={1} value={model.fixed} onChange={(e) => setM({ fixed: e.target.value })} data-testid="sim-replicas-fixed" aria-label="replicas" />}
              {model.replicas === 'range' && (
                <>
                  <input type="number" min={0} value={model.min} onChange={(e) => setM({ min: e.target.value })} data-testid="sim-replicas-min" aria-label="min replicas" />
                  <input type="number" min={1} value={model.max} onChange={(e) => setM({ max: e.target.value })} data-testid="sim-replicas-max" aria-label="max replicas" />
                </>
              )}
            </div>
          </div>
          <label className="check">
            <input type="checkbox" checked={model.coldStarts} onChange={(e) => setM({ coldStarts: e.target.checked })} data-testid="sim-cold-starts" /> cold starts (image pull and worker start before a new replica's first run)
          </label>
        </form>
        {error && <ErrorBox error={error} testId="sim-error" />}
        <div className="rt-head">
          <h3>Simulated against measured</h3>
          <span className="muted small">the cluster's recorded runs of this workflow, simulated with their own arrival and execution times</span>
          <span className="spacer" />
          <button className="button small" type="button" disabled={comparing || running} onClick={() => void compareRuns()} data-testid="sim-compare-runs" title={`Simulate the recorded runs (profile ${profiles[0] ?? 'edge-ai'}, seed ${seed}) on the cluster's topology and compare`}>
            {comparing ? 'Comparing…' : 'Compare with the runs'}
          </button>
        </div>
        {runsError && <ErrorBox error={runsError} testId="sim-runs-error" />}
        {runsAnswer?.empty ? (
          <div className="muted small pad" data-testid="sim-runs-empty">
            Nothing to compare yet: {runsAnswer.empty.message}
            {runsAnswer.empty.hint ? ` — ${runsAnswer.empty.hint}` : ''}
          </div>
        ) : runsAnswer ? (
          <>
            <div className="muted small pad" data-testid="sim-runs-summary">
              {runsAnswer.workflow}: {runsAnswer.runs} recorded run{runsAnswer.runs === 1 ? '' : 's'} from {runsAnswer.since} over {fmtS(runsAnswer.durationS)} on {runsAnswer.topology}, simulated with {runsAnswer.profile} (the runs' arrival times and measured profiles) · real bytes: the cluster's link counters since it started
            </div>
            <DataTable<RunsCompareLine> className="rt-table" testId="sim-runs-table" columns={RUNS_COLUMNS} rows={runsCompareLines(runsAnswer, fmtBytes)} rowKey={(l) => l.key} rowAttrs={(l) => ({ 'data-testid': `sim-runs-${l.key}` })} />
          </>
        ) : (
          <div className="muted small pad">Deploy the workflow and run it (the invoke console, or edgeai load), then compare: real against simulated p50 and p95 latency, cold starts and bytes per link.</div>
        )}
      </section>
      <section className="rt-col">
        {!answer ? (
          <div className="muted small pad">Pick a topology and the profiles to compare, then Simulate: latency per function, deadline misses, cold starts, bytes over the edge links, edge utilisation and cloud cost, per scheduler.</div>
        ) : (
          <>
            <div className="rt-head">
              <h3>Comparison</h3>
              <span className="muted small" data-testid="sim-summary">
                {answer.reports[0]?.workflow} on {answer.topology.name} ({answer.topology.nodes} nodes, {answer.topology.source}) · {fmtS(answer.reports[0]?.durationS ?? 0)} simulated · seed {answer.reports[0]?.seed} · ran in {(answer.elapsedMs / 1000).toFixed(1)} s
              </span>
            </div>
            {answer.warning && <div className="sim-warning">{answer.warning}</div>}
            <DataTable<Summary>
              className="rt-table sim-compare"
              testId="sim-compare"
              columns={COMPARE_COLUMNS}
              rows={answer.summaries}
              rowKey={(c) => c.profile}
              selected={(c) => c.profile === report?.profile}
              onRowClick={(c) => setChosen(c.profile)}
              rowAttrs={(c) => ({ 'data-testid': `sim-row-${c.profile}` })}
            />
            <Suspense fallback={null}>
              <SimChart reports={answer.reports} />
            </Suspense>
            {report && (
              <>
                <div className="rt-head">
                  <h3>{report.profile}: per function</h3>
                  <span className="muted small">{report.events.toLocaleString('en-US')} events · {report.concurrency}</span>
                  <span className="spacer" />
                  <button
                    className="button ghost small"
                    data-testid="sim-show-on-canvas"
                    title="Show where this profile placed each function on the canvas (until you hide it or deploy)"
                    onClick={() =>
                      onShowOnCanvas(
                        onCanvas === report.profile
                          ? undefined
                          : { profile: report.profile, placements: placementsOf(report) },
                      )
                    }
                  >
                    {onCanvas === report.profile ? 'Hide from the canvas' : 'Show on the canvas'}
                  </button>
                </div>
                <DataTable<FnReport>
                  className="rt-table"
                  testId="sim-functions"
                  columns={functionColumns(report)}
                  rows={report.functions}
                  rowKey={(f) => f.function}
                  rowAttrs={(f) => ({ 'data-testid': `sim-fn-${f.function}` })}
                />
                {(report.notes.length > 0 || report.functions.some((f) => f.failures.length)) && (
                  <ul className="sim-notes" data-testid="sim-notes">
                    {report.functions.flatMap((f) => f.failures.map((m) => <li key={`${f.function}:${m}`} className="error-text">{f.function}: {m}</li>))}
                    {report.notes.map((n) => (
                      <li key={n} className="muted">
                        {n}
                      </li>
                    ))}
                  </ul>
                )}
                <div className="rt-head">
                  <h3>Busiest nodes</h3>
                </div>
                <DataTable<NodeUsage> className="rt-table" columns={NODE_COLUMNS} rows={[...report.nodeUsage].sort((a, b) => b.invocations - a.invocations).slice(0, 8)} rowKey={(n) => n.node} />
              </>
            )}
          </>
        )}
      </section>
    </div>
  );
}
