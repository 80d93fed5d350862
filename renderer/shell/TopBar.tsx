/** The top bar: the project's name (its menu: open, create, recent), undo/redo, layout and fit, Simulate, Cluster and Deploy. */
import { ProjectMenu } from '../ProjectMenu';
import { startDeploy } from '../commands/deploy';
import { runAutoLayout, undoRedo } from '../commands/edit';
import { createProject, openProject } from '../commands/project';
import { useStudio, useStudioContext } from '../state/studio';

export function TopBar() {
  const ctx = useStudioContext();
  const { store } = ctx;
  const snap = useStudio((s) => s.snap)!;
  const undo = useStudio((s) => s.undo);
  const redo = useStudio((s) => s.redo);
  const rt = useStudio((s) => s.rt);
  const dirty = useStudio((s) => Object.keys(s.buffers).length);
  const menuOpen = useStudio((s) => s.projectMenu);
  const recent = useStudio((s) => s.recent);
  const busy = useStudio((s) => s.busy);
  return (
    <>
      <header className="topbar">
        <div className="brand">
          <span className="logo">λ</span> <span className="label">Edge AI Studio</span>
        </div>
        <div className="project-name clickable" title={`${snap.dir} — click to open or create another project`} onClick={() => store.setState((s) => ({ projectMenu: !s.projectMenu }))} data-testid="project-name">
          {snap.name} <span className="muted small">▾</span>
          <span className="muted small project-counts"> · {snap.functions.length} functions · {snap.workflow.dataSources.length} data sources · {snap.workflow.triggers.length} triggers</span>
        </div>
        <div className="toolbar">
          <button className="button ghost" onClick={() => void undoRedo(ctx, 'undo')} disabled={!undo.length} title={`Undo ${undo[undo.length - 1]?.label ?? ''} (Ctrl+Z)`} data-testid="undo">
            ↶ <span className="label">Undo</span>
          </button>
          <button className="button ghost" onClick={() => void undoRedo(ctx, 'redo')} disabled={!redo.length} title="Redo (Ctrl+Shift+Z)" data-testid="redo">
            ↷ <span className="label">Redo</span>
          </button>
          <button className="button ghost" onClick={() => void runAutoLayout(ctx)} title="Auto-layout (L)">
            ⇄ <span className="label">Auto-layout</span>
          </button>
          <button className="button ghost" onClick={() => void ctx.flow()?.fitView({ padding: 0.12, duration: 250 })} title="Fit view (F)">
            ⤢ <span className="label">Fit</span>
          </button>
          <span className="toolbar-sep" />
          <button className="button ghost" onClick={() => store.setState({ bottomTab: 'simulate' })} title="Simulate the workflow on an edge topology, compare schedulers" data-testid="simulate-button">
            ◇ <span className="label">Simulate</span>
          </button>
          <button className="button ghost" onClick={() => store.setState({ bottomTab: 'cluster' })} title="The local edge cluster" data-testid="cluster-button">
            <span className={`dot dot-${rt.status?.up ? 'Ready' : 'Stopped'}`} /> <span className="label">Cluster</span>
          </button>
          <button className="button primary" disabled={rt.deploying} onClick={() => void startDeploy(ctx)} title="Validate, then deploy every function to the local cluster" data-testid="deploy-button">
            {rt.deploying ? 'Deploying…' : dirty ? '▶ Deploy ●' : '▶ Deploy'}
          </button>
        </div>
      </header>
      {menuOpen && (
        <ProjectMenu
          current={snap.dir}
          recent={recent}
          unsaved={dirty}
          {...(rt.deploying ? { blocked: `A deploy of ${snap.workflow.name} is running: open another project once it has finished (its progress is in the Deploy tab).` } : {})}
          onOpen={(d) => void openProject(ctx, d)}
          onCreate={(d) => void createProject(ctx, d)}
          onClose={() => store.setState({ projectMenu: false })}
        />
      )}
      {busy && (
        <div className="progress-line top" role="progressbar">
          <div className="bar" /> {busy}
        </div>
      )}
    </>
  );
}
