/** The Problems tab: every diagnostic and warning; a click opens its file at its line. */
import { openCode } from '../commands/project';
import { useProblems } from '../state/derived';
import { useStudioContext } from '../state/studio';

export function ProblemsPanel() {
  const ctx = useStudioContext();
  const { problems } = useProblems();
  return (
    <div className="problems" data-testid="problems">
      {!problems.length && <div className="muted small pad">No problems: the workflow inspects clean.</div>}
      {problems.map((d, i) => (
        <button key={i} className={`problem ${d.severity}`} onClick={() => openCode(ctx, d.file, d.line)}>
          <span className={`sev ${d.severity}`}>●</span>
          <span className="loc mono">
            {d.file}:{d.line}:{d.column}
          </span>
          <span className="msg">
            {d.message}
            {d.hint && <span className="hint"> — {d.hint}</span>}
          </span>
          <span className="code mono">{d.code}</span>
        </button>
      ))}
    </div>
  );
}
