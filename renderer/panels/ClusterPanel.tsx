/**
 * The Cluster panel: start and stop the edge cluster (backend, topology; for kubernetes the
 * kubeconfig, context and namespace), its nodes with
 * their profile and what runs where, bytes moved, accelerators, and why the scheduler places a
 * function where it does (schedule.explain).
 */
import { useEffect, useState } from 'react';
import type { ApiError, ClusterStatusDto, PlacementExplanationDto } from '../../cluster/api/contract';
import { call, errorOf } from '../api';
import { fmtBytes } from '../format';
import { AcceleratorsSection } from './Accelerators';
import { ErrorBox } from './ErrorBox';
import { DataTable, type Column } from './DataTable';
import type { Runtime } from './runtime-state';

type NodeDto = ClusterStatusDto['nodes'][number];
type Backend = 'process' | 'docker' | 'kubernetes';

const NODE_COLUMNS: Array<Column<NodeDto>> = [
  { key: 'node', title: 'node', className: 'strong nowrap', cell: (n) => n.name },
  {
    key: 'status',
    title: 'status',
    cell: (n) => (
      <>
        <span className="nowrap">
          <span className={`dot dot-${n.status}`} /> {n.status}
        </span>
        {n.reason ? <div className="muted small">{n.reason}</div> : null}
      </>
    ),
  },
  { key: 'device', title: 'device', className: 'nowrap', cell: (n) => n.device },
  { key: 'type', title: 'type', className: 'nowrap', cell: (n) => n.type },
  { key: 'network', title: 'network', className: 'nowrap', cell: (n) => n.network },
  { key: 'res', title: 'cpu / memory', className: 'small', cell: (n) => `${(n.cpuMillis / 1000).toFixed(1)} cpu · ${fmtBytes(n.memoryBytes)}` },
  {
    key: 'caps',
    title: 'capabilities',
    cell: (n) => (
      <>{n.capabilities.length ? n.capabilities.map((c) => <span key={c} className="badge badge-cap">{c}</span>) : <span className="muted">–</span>}</>
    ),
  },
  { key: 'runs', title: 'runs', cell: (n) => (n.functions.length ? n.functions.map((f) => <span key={f} className="badge badge-node">λ {f}</span>) : <span className="muted">–</span>) },
];

/**
 * A node sticks were attached to: what it has of them now, worded as `edgeai cluster status` words
 * it — in a row of its own under the node's, across the table (an Edge TPU line names a library
 * path and an install hint: in the capabilities cell it wrapped to a dozen lines).
 */
function acceleratorLines(n: NodeDto) {
  const lines = n.accelerators?.lines ?? [];
  if (!lines.length) return undefined;
  return (
    <>
      {lines.map((l, i) => (
        <div key={i} className={`small node-accel ${n.capabilities.includes(l.split(':')[0]) ? 'muted' : 'warn'}`} data-testid={`node-accel-${n.name}`}>
          {l}
        </div>
      ))}
    </>
  );
}

export function ClusterPanel({ rt, functions, project, onError, explain: asked }: { rt: Runtime; functions: string[]; project: string; onError(title: string, e: unknown): void; explain?: { fn: string; nonce: number } }) {
  const [backend, setBackend] = useState<Backend>('process');
  const [topology, setTopology] = useState('local');
  // the kubernetes backend's cluster: empty fields take the kubeconfig's defaults
  const [kube, setKube] = useState({ kubeconfig: '', context: '', namespace: '' });
  const pickBackend = (b: Backend) => {
    setBackend(b);
    // a Kubernetes cluster's own nodes by default; the local backends' default scenario otherwise
    if (b === 'kubernetes' && topology === 'local') setTopology('cluster');
    else if (b !== 'kubernetes' && topology === 'cluster') setTopology('local');
  };
  const [busy, setBusy] = useState<string | undefined>();
  const [explainFn, setExplainFn] = useState(asked?.fn ?? functions[0] ?? '');
  // "Explain placement" from a node's context menu picks the function
  useEffect(() => {
    if (asked) setExplainFn(asked.fn);
  }, [asked]);
  const [explain, setExplain] = useState<PlacementExplanationDto | undefined>();
  const [explainError, setExplainError] = useState<ApiError | undefined>();
  const s = rt.status;
  const [confirmStop, setConfirmStop] = useState(false);
  // what a stop would take down: every function any workflow has deployed on this cluster
  const deployed = (s?.deployments ?? []).filter((d) => d.status !== 'stopped').flatMap((d) => d.functions.filter((f) => f.status === 'ready').map((f) => `${d.workflow}/${f.id}`));

  const act = async (what: 'up' | 'down') => {
    setBusy(what === 'up' ? `Starting the ${backend} cluster …` : 'Stopping the cluster …');
    try {
      const kubernetes = Object.fromEntries(Object.entries(kube).filter(([, v]) => v.trim() !== '').map(([k, v]) => [k, v.trim()]));
      rt.setStatus(what === 'up' ? await call('cluster.up', { backend, topology, ...(backend === 'kubernetes' ? { kubernetes } : {}) }) : await call('cluster.down', {}));
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
          <select value={backend} onChange={(e) => pickBackend(e.target.value as Backend)} disabled={!!s?.up} data-testid="cluster-backend">
            <option value="process">process</option>
            <option value="docker">docker</option>
            <option value="kubernetes">kubernetes</option>
          </select>
          <label className="muted small">topology</label>
          <input className="mono topo-input" value={topology} onChange={(e) => setTopology(e.target.value)} disabled={!!s?.up} data-testid="cluster-topology" title={backend === 'kubernetes' ? "'cluster': the cluster's own Ready nodes, mapped from their labels; or a topology file naming them" : undefined} />
          {s?.up ? (
            <button
              className="button small"
              disabled={!!busy}
              onClick={() => {
                // stopping takes deployed functions down with it: asked first
                if (deployed.length) setConfirmStop(true);
                else void act('down');
              }}
              data-testid="cluster-stop"
            >
              ■ Stop
            </button>
          ) : (
            <button className="button primary small" disabled={!!busy} onClick={() => void act('up')} data-testid="cluster-start">
              ▶ Start
            </button>
          )}
        </div>
        {backend === 'kubernetes' && !s?.up && (
          <div className="rt-head kube-fields" data-testid="kube-fields">
            <label className="muted small" htmlFor="kube-kubeconfig">kubeconfig</label>
            <input id="kube-kubeconfig" className="mono" value={kube.kubeconfig} placeholder="$KUBECONFIG or ~/.kube/config" onChange={(e) => setKube({ ...kube, kubeconfig: e.target.value })} data-testid="kube-kubeconfig" />
            <label className="muted small" htmlFor="kube-context">context</label>
            <input id="kube-context" className="mono" value={kube.context} placeholder="current context" onChange={(e) => setKube({ ...kube, context: e.target.value })} data-testid="kube-context" />
            <label className="muted small" htmlFor="kube-namespace">namespace</label>
            <input id="kube-namespace" className="mono" value={kube.namespace} placeholder="edgeai" onChange={(e) => setKube({ ...kube, namespace: e.target.value })} data-testid="kube-namespace" />
          </div>
        )}
        {confirmStop && s?.up && (
          <div className="confirm-line" role="alertdialog" aria-label="stop the cluster?" data-testid="cluster-stop-confirm" onKeyDown={(e) => e.key === 'Escape' && setConfirmStop(false)}>
            <span>
              Stopping the cluster stops {deployed.length} deployed function{deployed.length === 1 ? '' : 's'} ({deployed.join(', ')}); their requests will fail until you start it and deploy again.
            </span>
            <button
              className="button danger small"
              autoFocus
              data-testid="cluster-stop-confirmed"
              onClick={() => {
                setConfirmStop(false);
                void act('down');
              }}
            >
              Stop them
            </button>
            <button className="button ghost small" data-testid="cluster-stop-cancel" onClick={() => setConfirmStop(false)}>
              Cancel
            </button>
          </div>
        )}
        {busy && (
          <div className="progress-line">
            <div className="bar" /> {busy} {rt.progress ? `— ${rt.progress}` : ''}
          </div>
        )}
        <DataTable<NodeDto>
          className="rt-table"
          testId="nodes"
          columns={NODE_COLUMNS}
          rows={s?.nodes ?? []}
          rowKey={(n) => n.name}
          rowAttrs={(n) => ({ 'data-testid': `node-row-${n.name}`, 'data-status': n.status })}
          detail={acceleratorLines}
          empty={
            <>
              The cluster is stopped. Start it: the <b>process</b> backend runs each node as a local process (nothing to install); <b>docker</b> runs containers; <b>kubernetes</b> runs one agent pod per node of a cluster you reach with a kubeconfig (docs/kubernetes.md).
            </>
          }
        />
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
              {explain.deployedOn && s?.up && <span className="muted"> · runs on {explain.deployedOn}</span>}
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
