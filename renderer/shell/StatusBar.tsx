/** The status bar: transport, errors and warnings, unsaved files, the selection, the cluster. */
import { studio } from '../api';
import { useProblems } from '../state/derived';
import { useStudio } from '../state/studio';

export function StatusBar() {
  const { errors, warnings } = useProblems();
  const dirty = useStudio((s) => Object.keys(s.buffers).length);
  const selection = useStudio((s) => s.selection);
  const status = useStudio((s) => s.rt.status);
  const connected = useStudio((s) => s.connected);
  return (
    <footer className="statusbar">
      <span>{studio().transport === 'electron' ? 'Desktop' : 'Browser mode'}</span>
      <span className={errors ? 'error' : ''} data-testid="error-count">
        ● {errors} error{errors === 1 ? '' : 's'}
      </span>
      <span className={warnings ? 'warn' : ''}>
        ▲ {warnings} warning{warnings === 1 ? '' : 's'}
      </span>
      <span data-testid="save-state" className={connected ? '' : 'error'}>
        {!connected ? 'disconnected from the studio service: changes cannot be saved' : dirty ? `${dirty} unsaved file${dirty === 1 ? '' : 's'}` : 'all changes saved'}
      </span>
      <span className="spacer" />
      <span>{selection.nodes.length + selection.edges.length ? `${selection.nodes.length} node(s), ${selection.edges.length} edge(s) selected` : ''}</span>
      <span data-testid="runtime-status">{status?.up ? `cluster ${status.cluster}: ${status.nodes.filter((n) => n.status === 'Ready').length}/${status.nodes.length} nodes ready (${status.backend})` : 'cluster stopped'}</span>
    </footer>
  );
}
