/** The logs streamed from the nodes for the open workflow (of the last 500 lines kept), kept scrolled to the newest. */
import { useEffect, useMemo, useRef } from 'react';
import type { Runtime } from './runtime-state';

export function LogView({ rt, workflow }: { rt: Runtime; workflow: string }) {
  const ref = useRef<HTMLDivElement>(null);
  // another project's lines stay kept for it, never shown here
  const lines = useMemo(() => rt.logs.filter((l) => l.workflow === workflow), [rt.logs, workflow]);
  useEffect(() => {
    const el = ref.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [lines]);
  return (
    <>
      <div className="rt-head">
        <h3>Logs</h3>
        <span className="muted small">streamed from the nodes</span>
        <span className="spacer" />
        <button className="button ghost small" onClick={() => rt.setLogs((ls) => ls.filter((l) => l.workflow !== workflow))} disabled={!lines.length}>
          Clear
        </button>
      </div>
      <div className="logs mono" ref={ref} data-testid="logs">
        {!lines.length && <div className="muted">No logs yet: invoke a function.</div>}
        {lines.map((l, i) => (
          <div key={i} className="log-line">
            <span className="muted">{new Date(l.at).toLocaleTimeString()}</span> <span className="log-fn">{l.fn || l.run.slice(0, 8)}</span> {l.line}
          </div>
        ))}
      </div>
    </>
  );
}
