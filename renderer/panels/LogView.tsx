/** The logs streamed from the nodes (the last 500 lines), kept scrolled to the newest. */
import { useEffect, useRef } from 'react';
import type { Runtime } from './runtime-state';

export function LogView({ rt }: { rt: Runtime }) {
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
