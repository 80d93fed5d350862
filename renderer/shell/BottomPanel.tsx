/**
 * The bottom dock: its tabs, and the panel of the selected one — code (Monaco, loaded once the
 * canvas is up), problems, the node table, Simulate (kept mounted once opened), Deploy, Cluster,
 * Runs, Artifacts.
 */
import { lazy, Suspense } from 'react';
import { startDeploy } from '../commands/deploy';
import { editBuffer, saveFile } from '../commands/edit';
import { openCode } from '../commands/project';
import { ArtifactsPanel } from '../panels/ArtifactsPanel';
import { BottomTabs } from '../panels/BottomTabs';
import { ClusterPanel } from '../panels/ClusterPanel';
import { DeployPanel } from '../panels/DeployPanel';
import { NodeTable } from '../panels/NodeTable';
import { RunsPanel } from '../panels/RunsPanel';
import { useRuntime } from '../panels/runtime-state';
import { useProblems } from '../state/derived';
import { fail, useStudio, useStudioContext, type BottomTabId } from '../state/studio';
import { ProblemsPanel } from './ProblemsPanel';
import { useEffect, useMemo } from 'react';

// Monaco is large: the canvas becomes interactive first, the editor streams in after
const CodeEditor = lazy(() => import('../editor/CodeEditor').then((m) => ({ default: m.CodeEditor })));
// loaded with the Simulate tab, not with the first screen
const SimulatePanel = lazy(() => import('../panels/SimulatePanel').then((m) => ({ default: m.SimulatePanel })));

export function BottomPanel() {
  const ctx = useStudioContext();
  const { store } = ctx;
  const snap = useStudio((s) => s.snap)!;
  const tab = useStudio((s) => s.bottomTab);
  const buffers = useStudio((s) => s.buffers);
  const openPath = useStudio((s) => s.openPath);
  const reveal = useStudio((s) => s.reveal);
  const session = useStudio((s) => s.session);
  const editorWanted = useStudio((s) => s.editorWanted);
  const simulateOpened = useStudio((s) => s.simulateOpened);
  const simPlacements = useStudio((s) => s.simPlacements);
  const deployGate = useStudio((s) => s.deployGate);
  const selection = useStudio((s) => s.selection);
  const explainRequest = useStudio((s) => s.explainRequest);
  const rt = useRuntime();
  const { problems, errors, warnings } = useProblems();
  const dirtyCount = Object.keys(buffers).length;
  const functions = useMemo(() => snap.functions.map((f) => f.id), [snap]);
  const editorFiles = useMemo(() => snap.files.filter((f) => f.path.endsWith('.ts') || f.path === 'workflow.json').map((f) => ({ path: f.path, saved: f.source, revision: f.revision })), [snap]);
  const select = (t: BottomTabId) => store.setState({ bottomTab: t });
  // the Simulate panel stays mounted once opened (from its tab or the top bar)
  useEffect(() => {
    if (tab === 'simulate' && !simulateOpened) store.setState({ simulateOpened: true });
  }, [tab, simulateOpened, store]);

  return (
    <div className="bottom-panel">
      <BottomTabs
        current={tab}
        onSelect={select}
        tabs={[
          { id: 'code', label: <>Code{dirtyCount ? <span className="dirty-dot"> ●</span> : null}</> },
          { id: 'problems', label: <>Problems <span className={`count ${errors ? 'error' : warnings ? 'warn' : ''}`}>{problems.length}</span></>, testId: 'problems-tab' },
          { id: 'table', label: 'Table', testId: 'table-tab', title: 'Every node as a row: state, placement, last run' },
          { id: 'simulate', label: 'Simulate', testId: 'simulate-tab', title: 'Simulate the workflow on an edge topology and compare schedulers' },
          { id: 'deploy', label: <>Deploy{rt.deploying ? <span className="dirty-dot"> ●</span> : null}</>, testId: 'deploy-tab' },
          { id: 'cluster', label: 'Cluster', testId: 'cluster-tab' },
          { id: 'runs', label: 'Runs', testId: 'runs-tab' },
          { id: 'artifacts', label: 'Artifacts', testId: 'artifacts-tab' },
        ]}
      />
      <div className="bottom-body" style={{ display: tab === 'code' ? 'flex' : 'none' }}>
        <Suspense fallback={<div className="muted small pad">Loading the code editor…</div>}>
          {!editorWanted ? (
            <div className="muted small pad">Loading the code editor…</div>
          ) : (
            <CodeEditor
              files={editorFiles}
              openPath={openPath}
              buffers={buffers}
              reveal={reveal}
              onOpen={(p) => store.setState({ openPath: p })}
              onChange={(p, text) => editBuffer(ctx, p, text)}
              onSave={(p) => void saveFile(ctx, p)}
              project={snap.dir}
              session={session}
              onDiagnostics={(p, ds, graph) => {
                store.setState((s) => ({ liveDiagnostics: { ...s.liveDiagnostics, [p]: ds } }));
                if (!graph || ds.some((d) => d.severity === 'error')) return;
                if (store.getState().buffers[p] === undefined) store.setState((s) => ({ liveGraph: s.liveGraph?.path === p ? undefined : s.liveGraph }));
                else store.setState({ liveGraph: { path: p, graph } });
              }}
            />
          )}
        </Suspense>
      </div>
      {tab === 'deploy' && (
        <DeployPanel
          rt={rt}
          workflow={snap.workflow.name}
          functions={functions}
          gate={deployGate}
          onDeploy={(o) => void startDeploy(ctx, o)}
          onCancelGate={() => store.setState({ deployGate: undefined })}
          onOpenProblem={(d) => openCode(ctx, d.file, d.line)}
        />
      )}
      {tab === 'table' && (
        <NodeTable
          graph={snap.graph}
          problems={problems}
          deploy={rt.deploy}
          workflow={snap.workflow.name}
          runsVersion={rt.runsVersion}
          selected={selection.nodes}
          onPick={(id) => {
            store.setState({ selection: { nodes: [id], edges: [] } });
            const p = store.getState().positions[id];
            const flow = ctx.flow();
            if (p && flow) void flow.setCenter(p.x + 120, p.y + 40, { zoom: Math.max(flow.getZoom(), 0.8), duration: 250 });
          }}
        />
      )}
      {(simulateOpened || tab === 'simulate') && (
        <Suspense fallback={tab === 'simulate' ? <div className="muted small pad">Loading the simulator panel…</div> : null}>
          <SimulatePanel key={snap.dir} project={snap.dir} workflow={snap.workflow} functions={functions} hidden={tab !== 'simulate'} onCanvas={simPlacements?.profile} onShowOnCanvas={(p) => store.setState({ simPlacements: p })} />
        </Suspense>
      )}
      {tab === 'cluster' && <ClusterPanel rt={rt} project={snap.dir} functions={functions} onError={(t, e) => fail(ctx, t, e)} explain={explainRequest} />}
      {tab === 'runs' && <RunsPanel rt={rt} workflow={snap.workflow.name} />}
      {tab === 'artifacts' && <ArtifactsPanel rt={rt} />}
      {tab === 'problems' && <ProblemsPanel />}
    </div>
  );
}
