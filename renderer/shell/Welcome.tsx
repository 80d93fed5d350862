/** The first screen when no project is open: a folder to open. */
import { openProject } from '../commands/project';
import { Toasts } from '../panels/Toast';
import { useStudio, useStudioContext } from '../state/studio';

export function Welcome() {
  const ctx = useStudioContext();
  const input = useStudio((s) => s.projectInput);
  const busy = useStudio((s) => s.busy);
  const toasts = useStudio((s) => s.toasts);
  return (
    <div className="welcome">
      <div className="welcome-card">
        <h1>
          <span className="logo">λ</span> Edge AI Studio
        </h1>
        <p className="muted">Open a workflow project: a folder with workflow.json and functions/*.ts.</p>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (input.trim()) void openProject(ctx, input.trim());
          }}
        >
          <input className="mono" value={input} placeholder="/path/to/project" onChange={(e) => ctx.store.setState({ projectInput: e.target.value })} data-testid="project-path" />
          <button className="button primary" type="submit">
            Open
          </button>
        </form>
        {busy && (
          <div className="progress-line">
            <div className="bar" /> {busy}
          </div>
        )}
      </div>
      <Toasts items={toasts} onDismiss={(id) => ctx.store.setState((s) => ({ toasts: s.toasts.filter((x) => x.id !== id) }))} />
    </div>
  );
}
