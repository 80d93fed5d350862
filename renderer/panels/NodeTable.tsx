/**
 * The table view: every node of the graph as a row — kind, name, where it is defined, its
 * policies and gates, problems, where it runs and its deploy state, and (functions) the last run
 * with its inputs and outputs. For large graphs, where the canvas shows only part of the picture:
 * filter, sort by any column, click a row to select the node and bring it into view.
 */
import { useEffect, useMemo, useState } from 'react';
import type { DiagnosticDto, GraphDto, RunDto } from '../../cluster/api/contract';
import { call } from '../api';
import { DataTable } from './DataTable';
import type { FnDeployState } from './runtime-state';

type GraphNodeDto = GraphDto['nodes'][number];

export interface NodeRow {
  id: string;
  kind: string;
  name: string;
  where: string;
  policies: string;
  gates: string;
  problems: number;
  deploy: string;
  node: string;
  lastRun: string;
  io: string;
}

const KINDS = ['function', 'data-source', 'data', 'model', 'trigger', 'gate'] as const;

function policiesOf(n: GraphNodeDto): string {
  const p = n.detail.policies;
  if (!p) return '';
  const out: string[] = [];
  if (p.deadline) out.push(`deadline ${p.deadline.text}`);
  if (p.fn?.node?.length) out.push(`on ${p.fn.node.join('|')}`);
  if (p.fn?.capability?.length) out.push(`needs ${p.fn.capability.join('+')}`);
  if (p.data) out.push(`data in ${p.data.network.join(',')}${p.data.strict ? ' (strict)' : ''}`);
  return out.join(' · ');
}

function gatesOf(n: GraphNodeDto): string {
  return (n.detail.gates ?? []).map((g) => (g.kind === 'bias' ? `bias ${g.attribute} ${g.predicate}` : `drift ${g.metric} ${g.predicate}`)).join(' · ');
}

/** The rows, pure: tested without a browser. */
export function nodeRows(graph: GraphDto, problems: DiagnosticDto[], deploy: Record<string, FnDeployState>, lastRuns: Record<string, RunDto>): NodeRow[] {
  const problemsByFile = new Map<string, number>();
  for (const d of problems) problemsByFile.set(d.file, (problemsByFile.get(d.file) ?? 0) + 1);
  return graph.nodes.map((n) => {
    const fn = n.kind === 'function' ? n.label : undefined;
    const d = fn ? deploy[fn] : undefined;
    const run = fn ? lastRuns[fn] : undefined;
    const ms = run ? ((run.timings as { totalMs?: number }).totalMs ?? (run.ended ? Date.parse(run.ended) - Date.parse(run.started) : undefined)) : undefined;
    return {
      id: n.id,
      kind: n.kind,
      name: n.label,
      where: n.detail.file ? `${n.detail.file}${n.detail.line ? `:${n.detail.line}` : ''}` : n.detail.urn ?? '',
      policies: policiesOf(n),
      gates: gatesOf(n),
      problems: n.detail.file && n.kind === 'function' ? (problemsByFile.get(n.detail.file) ?? 0) : 0,
      deploy: d ? `${d.status}${d.reason ? `: ${d.reason}` : ''}` : '',
      node: d?.node ?? '',
      lastRun: run ? `${run.status}${ms !== undefined ? ` in ${Math.round(ms)} ms` : ''}${run.node ? ` on ${run.node}` : ''}` : '',
      io: run ? `${run.inputs.join(', ') || '—'} → ${run.outputs.join(', ') || (run.output !== undefined && run.output !== null ? JSON.stringify(run.output).slice(0, 60) : '—')}` : '',
    };
  });
}

const COLUMNS: Array<{ key: keyof NodeRow; title: string }> = [
  { key: 'kind', title: 'Kind' },
  { key: 'name', title: 'Name' },
  { key: 'where', title: 'Defined in' },
  { key: 'policies', title: 'Policies' },
  { key: 'gates', title: 'Gates' },
  { key: 'problems', title: 'Problems' },
  { key: 'deploy', title: 'Deploy' },
  { key: 'node', title: 'Runs on' },
  { key: 'lastRun', title: 'Last run' },
  { key: 'io', title: 'Last inputs → outputs' },
];

export function NodeTable(props: {
  graph: GraphDto;
  problems: DiagnosticDto[];
  deploy: Record<string, FnDeployState>;
  workflow: string;
  runsVersion: number;
  selected: string[];
  onPick(id: string): void;
}) {
  const [q, setQ] = useState('');
  const [kind, setKind] = useState<string>('');
  const [sort, setSort] = useState<{ key: keyof NodeRow; dir: 1 | -1 }>({ key: 'kind', dir: 1 });
  const [lastRuns, setLastRuns] = useState<Record<string, RunDto>>({});
  useEffect(() => {
    let live = true;
    call('runs.list', { workflow: props.workflow, limit: 500 }).then(
      (runs) => {
        if (!live) return;
        const last: Record<string, RunDto> = {};
        for (const r of runs) if (!last[r.function] || r.started > last[r.function].started) last[r.function] = r;
        setLastRuns(last);
      },
      () => undefined, // no cluster yet: the table simply has no run columns filled
    );
    return () => {
      live = false;
    };
  }, [props.workflow, props.runsVersion]);

  const rows = useMemo(() => nodeRows(props.graph, props.problems, props.deploy, lastRuns), [props.graph, props.problems, props.deploy, lastRuns]);
  const shown = useMemo(() => {
    const words = q.toLowerCase().split(/\s+/).filter(Boolean);
    const out = rows.filter((r) => (!kind || r.kind === kind) && words.every((w) => Object.values(r).join(' ').toLowerCase().includes(w)));
    out.sort((a, b) => {
      const x = a[sort.key];
      const y = b[sort.key];
      const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
      return (c || a.id.localeCompare(b.id)) * sort.dir;
    });
    return out;
  }, [rows, q, kind, sort]);

  return (
    <div className="node-table-wrap" data-testid="node-table">
      <div className="node-table-tools">
        <input placeholder="Filter (name, node, status, policy …)" value={q} onChange={(e) => setQ(e.target.value)} data-testid="node-table-filter" />
        <select value={kind} onChange={(e) => setKind(e.target.value)} aria-label="kind">
          <option value="">every kind</option>
          {KINDS.map((k) => (
            <option key={k} value={k}>
              {k}
            </option>
          ))}
        </select>
        <span className="muted small">
          {shown.length} of {rows.length} nodes
        </span>
      </div>
      <DataTable<NodeRow>
        className="node-table"
        boxClassName="grow"
        columns={COLUMNS.map((c) => ({
          key: c.key,
          title: c.title,
          sort: sort.key === c.key ? (sort.dir === 1 ? 'ascending' : 'descending') : 'none',
          onSort: () => setSort((s) => ({ key: c.key, dir: s.key === c.key ? (s.dir === 1 ? -1 : 1) : 1 })),
          cellTitle: (r) => String(r[c.key]),
          className: (r) => (c.key === 'problems' && r.problems ? 'error' : undefined),
          cell: (r) => (c.key === 'problems' ? r.problems || '' : r[c.key]),
        }))}
        rows={shown}
        rowKey={(r) => r.id}
        selected={(r) => props.selected.includes(r.id)}
        selectedClass="selected"
        onRowClick={(r) => props.onPick(r.id)}
        rowAttrs={(r) => ({ 'data-id': r.id })}
      />
      {!shown.length && <div className="muted small pad">No node matches.</div>}
    </div>
  );
}
