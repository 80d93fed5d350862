/** The Runs panel: the workflow's run history (latency chart, table) and one run's detail: error, inputs, timings, output, logs. */
import { lazy, Suspense, useEffect, useState } from 'react';
import type { ApiError, RunDto } from '../../cluster/api/contract';
import { call, errorOf } from '../api';
import { ErrorBox } from './ErrorBox';
import { runErrorOf } from './run-error';
import type { Runtime } from './runtime-state';
import { latencyBreakdown, ms } from './time';
import { DataTable, type Column } from './DataTable';

const RUN_COLUMNS: Array<Column<RunDto>> = [
  { key: 'started', title: 'started', className: 'small nowrap', cell: (r) => new Date(r.started).toLocaleTimeString() },
  { key: 'function', title: 'function', className: 'nowrap', cell: (r) => `λ ${r.function}` },
  { key: 'node', title: 'node', cell: (r) => r.node ?? '–' },
  { key: 'status', title: 'status', cell: (r) => <span className={`pill pill-${r.status === 'ok' ? 'ready' : r.status === 'running' ? 'started' : 'failed'}`}>{r.status}</span> },
  { key: 'total', title: 'total', className: 'nowrap', cell: (r) => ms(r.timings.totalMs) },
  { key: 'outputs', title: 'outputs', className: 'small', cell: (r) => r.outputs.join(', ') || '–' },
  { key: 'ranOn', title: 'model ran on', className: 'small', cell: (r) => r.modelRanOn ?? '–' },
];

// recharts loads with the Runs tab, not with the first screen
const LatencyChart = lazy(() => import('./LatencyChart'));

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
        <DataTable<RunDto>
          className="rt-table"
          columns={RUN_COLUMNS}
          rows={runs}
          rowKey={(r) => r.id}
          selected={(r) => r.id === run?.id}
          onRowClick={(r) => setSel(r.id)}
          rowAttrs={() => ({ 'data-testid': 'run-row' })}
          empty="No runs yet: invoke a function in the Deploy panel."
        />
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
              <dd className="small" data-testid="run-latency-parts">{latencyBreakdown(run.timings)}</dd>
              {run.modelRanOn && (
                <>
                  <dt>model ran on</dt>
                  <dd data-testid="run-ran-on">{run.modelRanOn}</dd>
                </>
              )}
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
