/** The Artifacts panel: data and models in the cluster's registry, and one artifact's lineage (made from, used to make). */
import { useEffect, useMemo, useState } from 'react';
import type { ApiError, ArtifactViewDto, LineageDto } from '../../cluster/api/contract';
import { call, errorOf } from '../api';
import { fmtBytes, fmtMetric } from '../format';
import { ErrorBox } from './ErrorBox';
import type { Runtime } from './runtime-state';
import { DataTable, type Column } from './DataTable';

const keyOf = (a: ArtifactViewDto) => `${a.urn}@${a.version}`;

const ARTIFACT_COLUMNS: Array<Column<ArtifactViewDto>> = [
  { key: 'artifact', title: 'artifact', className: 'mono', cell: keyOf },
  { key: 'kind', title: 'kind', className: 'nowrap', cell: (a) => `${a.kind}${a.type ? ` · ${a.type}` : ''}` },
  { key: 'metrics', title: 'metrics', className: 'small', cell: (a) => Object.entries(a.metrics).map(([k, v]) => `${k} ${fmtMetric(v)}`).join(' · ') || '–' },
  { key: 'size', title: 'size', className: 'nowrap', cell: (a) => fmtBytes(a.size) },
  { key: 'on', title: 'on', cell: (a) => a.locations.join(', ') || 'registry' },
  { key: 'by', title: 'made by', className: 'small', cell: (a) => (a.lineage.function ? `λ ${a.lineage.function}` : (a.lineage.source ?? '–')) },
];

export function ArtifactsPanel({ rt }: { rt: Runtime }) {
  const [list, setList] = useState<ArtifactViewDto[]>([]);
  const [sel, setSel] = useState<string | undefined>();
  const [lineage, setLineage] = useState<LineageDto | undefined>();
  const [error, setError] = useState<ApiError | undefined>();
  useEffect(() => {
    call('artifacts.list', {}).then(
      (r) => (setList(r), setError(undefined)),
      (e) => setError(errorOf(e)),
    );
  }, [rt.runsVersion, rt.lastDeploy]);
  const chosen = useMemo(() => list.find((a) => `${a.urn}@${a.version}` === sel), [list, sel]);
  useEffect(() => {
    if (!chosen) return setLineage(undefined);
    call('artifacts.lineage', { urn: chosen.urn, version: chosen.version }).then(setLineage, (e) => setError(errorOf(e)));
  }, [chosen]);
  return (
    <div className="runtime-grid two" data-testid="artifacts-panel">
      <section className="rt-col wide">
        <div className="rt-head">
          <h3>Artifacts</h3>
          <span className="muted small">data and models in the cluster's registry</span>
        </div>
        {error && <ErrorBox error={error} />}
        <DataTable<ArtifactViewDto>
          className="rt-table"
          columns={ARTIFACT_COLUMNS}
          rows={list}
          rowKey={keyOf}
          selected={(a) => keyOf(a) === sel}
          onRowClick={(a) => setSel(keyOf(a))}
          rowAttrs={() => ({ 'data-testid': 'artifact-row' })}
          empty="Nothing yet: a deploy imports the data sources; functions publish models and data when invoked."
        />
      </section>
      <section className="rt-col">
        <div className="rt-head">
          <h3>Lineage</h3>
        </div>
        {!lineage && <div className="muted small pad">Pick an artifact to see what it was made from, and what was made from it.</div>}
        {lineage && (
          <div className="lineage" data-testid="lineage">
            <div className="muted small">made from</div>
            {lineage.inputs.map((e, i) => (
              <div key={i} className="lineage-entry" style={{ paddingLeft: e.depth * 14 }}>
                ↖ <span className="mono">{e.urn}@{e.version}</span> {e.function ? <span className="muted">by λ {e.function}</span> : e.source ? <span className="muted">{e.source}</span> : null}
                {e.missing ? <span className="error"> (missing)</span> : null}
              </div>
            ))}
            {!lineage.inputs.length && <div className="muted small lineage-entry">{lineage.artifact.lineage.source ?? 'nothing (imported)'}</div>}
            <div className="lineage-self">
              ● <span className="mono strong">{lineage.artifact.urn}@{lineage.artifact.version}</span>
              {lineage.artifact.lineage.function && <span className="muted"> by λ {lineage.artifact.lineage.function}, run {lineage.artifact.lineage.run?.slice(0, 8)}</span>}
            </div>
            <div className="muted small">used to make</div>
            {lineage.outputs.map((e, i) => (
              <div key={i} className="lineage-entry" style={{ paddingLeft: e.depth * 14 }}>
                ↘ <span className="mono">{e.urn}@{e.version}</span> {e.function ? <span className="muted">by λ {e.function}</span> : null}
              </div>
            ))}
            {!lineage.outputs.length && <div className="muted small lineage-entry">nothing yet</div>}
          </div>
        )}
      </section>
    </div>
  );
}
