/** Custom node types of the workflow canvas: data source, function (λ), model, data, trigger, gate. */
import { memo } from 'react';
import { Handle, Position, type Node, type NodeProps } from '@xyflow/react';
import type { GraphNodeDto } from '../../cluster/api/contract';

/** A problem the project has with one node (a diagnostic naming it), shown on the node. */
export interface NodeProblem {
  severity: 'error' | 'warning' | 'info';
  code: string;
  message: string;
  hint?: string;
}
export type StudioNodeData = { node: GraphNodeDto; errors: number; placement?: { node: string | null; status: string }; problems?: NodeProblem[] };
export type StudioNode = Node<StudioNodeData>;

/** The few words a node shows for a problem (the whole message is its tooltip and in Problems). */
const PROBLEM_WORDS: Record<string, string> = {
  'placement-infeasible': 'no node can run it',
  'data-file-missing': 'data file missing',
  'data-file-outside': 'data file outside the project',
};

function Problems({ problems }: { problems?: NodeProblem[] }) {
  if (!problems?.length) return null;
  return (
    <>
      {problems.map((p, i) => (
        <div key={i} className={`node-problem sev-${p.severity}`} data-testid="node-problem" data-code={p.code} title={`${p.message}${p.hint ? `\n${p.hint}` : ''}`}>
          {p.severity === 'error' ? '✗' : '▲'} {PROBLEM_WORDS[p.code] ?? p.code}
        </div>
      ))}
    </>
  );
}

function Badge({ kind, children, title }: { kind: string; children: React.ReactNode; title?: string }) {
  return (
    <span className={`badge badge-${kind}`} title={title}>
      {children}
    </span>
  );
}

function shortUrn(urn: string): string {
  return urn.length > 28 ? urn.slice(0, 26) + '…' : urn;
}

export const FunctionNode = memo(function FunctionNode({ data, selected }: NodeProps<StudioNode>) {
  const d = data.node.detail;
  const p = d.policies ?? {};
  const dangling = d.dangling?.length ?? 0;
  return (
    <div className={`node node-function${selected ? ' selected' : ''}${data.errors ? ' has-errors' : ''}${d.unparsed ? ' unparsed' : ''}`}>
      <Handle type="target" position={Position.Left} />
      <div className="node-head">
        <span className="node-icon lambda">λ</span>
        <span className="node-title" title={data.node.label}>
          {data.node.label}
        </span>
        {data.errors ? <span className="node-alert" title={`${data.errors} error(s) in the code`}>!</span> : null}
      </div>
      <div className="node-sub" title={d.file}>
        {d.file}
      </div>
      <div className="badges">
        {p.deadline && <Badge kind="deadline" title="policy.deadline">deadline {p.deadline.text}</Badge>}
        {p.fn?.node && <Badge kind="node" title="policy.fn node">{p.fn.node.join(' | ')}</Badge>}
        {p.fn?.capability && <Badge kind="cap" title="policy.fn capability">{p.fn.capability.join(', ')}</Badge>}
        {p.data && <Badge kind="net" title="policy.data">net {p.data.network.join(', ')}{p.data.strict ? ' · strict' : ''}</Badge>}
        {(d.gates ?? []).map((g, i) => (
          <Badge key={i} kind="gate" title={`gate.${g.kind}`}>
            ◈ {g.kind} {g.kind === 'bias' ? g.attribute : g.metric} {g.predicate}
          </Badge>
        ))}
        {dangling ? <Badge kind="warn" title="an input whose selector matches nothing in this workflow">▲ {dangling} dangling</Badge> : null}
      </div>
      {d.unparsed && (
        <div className="node-problem sev-error" data-testid="node-unparsed" title={`${d.unparsed}\nthe canvas shows the function as it last parsed; it is not deployed until the file parses`}>
          ✗ can't parse: shown as it last parsed
        </div>
      )}
      <Problems problems={data.problems} />
      {data.placement && (
        <div className={`node-placement st-${data.placement.status}`} data-testid="node-placement" title={data.placement.status === 'simulated' ? 'where the simulated scheduler placed this function (Simulate panel)' : 'where this function runs on the local cluster'}>
          ▸ {data.placement.node ?? 'not placed'} · {data.placement.status}
        </div>
      )}
      <Handle type="source" position={Position.Right} />
    </div>
  );
});

export const ArtifactNode = memo(function ArtifactNode({ data, selected }: NodeProps<StudioNode>) {
  const n = data.node;
  const d = n.detail;
  const icon = n.kind === 'data-source' ? '⛁' : n.kind === 'model' ? '◆' : '▤';
  const label = n.kind === 'data-source' ? 'data source' : n.kind;
  return (
    <div className={`node node-${n.kind}${selected ? ' selected' : ''}`}>
      {n.kind !== 'data-source' && <Handle type="target" position={Position.Left} />}
      <div className="node-head">
        <span className={`node-icon icon-${n.kind}`}>{icon}</span>
        <span className="node-title" title={d.urn}>{shortUrn(d.urn ?? n.label)}</span>
      </div>
      <div className="node-sub">
        {label}
        {d.type ? ` · ${d.type}` : ''}
        {d.tags?.length ? ` · ${d.tags.join(', ')}` : ''}
      </div>
      <Problems problems={data.problems} />
      <Handle type="source" position={Position.Right} />
    </div>
  );
});

export const TriggerNode = memo(function TriggerNode({ data, selected }: NodeProps<StudioNode>) {
  const t = data.node.detail.trigger;
  const what = !t ? '' : t.kind === 'http' ? `${t.method} ${t.path ?? '/' + t.id}` : t.kind === 'schedule' ? `every ${t.every}` : t.kind === 'gate' ? `when ${t.source} ${t.gate ?? ''} gate fails` : `batch ${'batch' in t ? t.batch : 1}`;
  return (
    <div className={`node node-trigger${selected ? ' selected' : ''}`}>
      <Handle type="target" position={Position.Left} />
      <div className="node-head">
        <span className="node-icon icon-trigger">⚡</span>
        <span className="node-title">{t?.id ?? data.node.label}</span>
      </div>
      <div className="node-sub">
        {t?.kind} trigger · {what}
      </div>
      <Handle type="source" position={Position.Right} />
    </div>
  );
});

export const GateNode = memo(function GateNode({ data, selected }: NodeProps<StudioNode>) {
  const g = data.node.detail.gate;
  return (
    <div className={`node node-gate${selected ? ' selected' : ''}`}>
      <Handle type="target" position={Position.Left} />
      <div className="node-head">
        <span className="node-icon icon-gate">◈</span>
        <span className="node-title">{g ? `${g.kind} gate` : data.node.label}</span>
      </div>
      <div className="node-sub">{g ? `${g.kind === 'bias' ? `${g.metric}(${g.attribute})` : g.metric} ${g.predicate}` : ''}</div>
      <Handle type="source" position={Position.Right} />
    </div>
  );
});

export const nodeTypes = {
  function: FunctionNode,
  'data-source': ArtifactNode,
  data: ArtifactNode,
  model: ArtifactNode,
  trigger: TriggerNode,
  gate: GateNode,
};

/** Size estimates for auto-layout (before the DOM has measured the nodes). */
export function nodeSize(n: GraphNodeDto): { width: number; height: number } {
  if (n.kind === 'function') {
    const p = n.detail.policies ?? {};
    const badges = (p.deadline ? 1 : 0) + (p.fn?.node ? 1 : 0) + (p.fn?.capability ? 1 : 0) + (p.data ? 1 : 0) + (n.detail.gates?.length ?? 0);
    return { width: 250, height: 64 + Math.ceil(badges / 2) * 24 };
  }
  return { width: 220, height: 58 };
}
