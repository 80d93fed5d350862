/** Custom node types of the workflow canvas: data source, function (λ), model, data, trigger, gate. */
import { memo, useLayoutEffect, useRef, type CSSProperties, type RefObject } from 'react';
import { Handle, Position, type Node, type NodeProps } from '@xyflow/react';
import type { GraphNodeDto } from '../../cluster/api/contract';
import { useDetail, type Detail } from './detail';

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

/**
 * The size a node had in full detail, kept for its low-detail box (detail.ts): the box stays
 * where and as large as the node was, so its edges do not move when the zoom crosses the level.
 * A node first drawn in low detail gets nodeSize's estimate.
 */
function useKeptSize(detail: Detail, node: GraphNodeDto): { ref: RefObject<HTMLDivElement | null>; style: CSSProperties | undefined } {
  const ref = useRef<HTMLDivElement>(null);
  const size = useRef<{ width: number; height: number } | undefined>(undefined);
  useLayoutEffect(() => {
    if (detail === 'full' && ref.current && ref.current.offsetWidth) size.current = { width: ref.current.offsetWidth, height: ref.current.offsetHeight };
  });
  if (detail === 'full') return { ref, style: undefined };
  const s = size.current ?? nodeSize(node);
  return { ref, style: { width: s.width, height: s.height } };
}

/**
 * A node in low detail: its box (the same element and classes as in full detail, so its kind's
 * colour, the selection outline, errors and an unparsed file's dashed border show), its name in
 * large type at the 'name' level, a coloured bar for a problem or a placement's status, and its
 * handles (kept for the edges to end at; hidden by styles.css).
 */
function LowDetailNode(props: { detail: Detail; kept: ReturnType<typeof useKeptSize>; className: string; name: string; target: boolean; problem?: NodeProblem['severity']; status?: string; title: string }) {
  const { ref, style } = props.kept;
  return (
    <div ref={ref} style={style} className={`${props.className} lod`} data-detail={props.detail} title={props.title}>
      {props.target && <Handle type="target" position={Position.Left} />}
      {props.detail === 'name' && <div className="node-lod-name">{props.name}</div>}
      {(props.problem || props.status) && <div className={`node-lod-status${props.problem ? ` sev-${props.problem}` : ` st-${props.status}`}`} />}
      <Handle type="source" position={Position.Right} />
    </div>
  );
}

/** A data or model node's name in low detail: its URN without the namespace (`mnist:digits` → `digits`), which would not fit in large type; the whole URN is its tooltip. */
export function lodName(urn: string): string {
  const tail = urn.slice(urn.lastIndexOf(':') + 1);
  return tail || urn;
}

/** The worst severity among a node's problems (for its low-detail bar). */
function worst(problems?: NodeProblem[], unparsed?: boolean): NodeProblem['severity'] | undefined {
  if (unparsed || problems?.some((p) => p.severity === 'error')) return 'error';
  return problems?.some((p) => p.severity === 'warning') ? 'warning' : problems?.length ? 'info' : undefined;
}

export const FunctionNode = memo(function FunctionNode({ data, selected }: NodeProps<StudioNode>) {
  const detail = useDetail();
  const kept = useKeptSize(detail, data.node);
  const d = data.node.detail;
  const className = `node node-function${selected ? ' selected' : ''}${data.errors ? ' has-errors' : ''}${d.unparsed ? ' unparsed' : ''}`;
  if (detail !== 'full') {
    const problem = worst(data.problems, !!d.unparsed);
    return <LowDetailNode detail={detail} kept={kept} className={className} name={data.node.label} target title={data.node.label} {...(problem ? { problem } : {})} {...(data.placement ? { status: data.placement.status } : {})} />;
  }
  const p = d.policies ?? {};
  const dangling = d.dangling?.length ?? 0;
  return (
    <div ref={kept.ref} className={className}>
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
  const detail = useDetail();
  const kept = useKeptSize(detail, n);
  const className = `node node-${n.kind}${selected ? ' selected' : ''}`;
  if (detail !== 'full') {
    const problem = worst(data.problems);
    return <LowDetailNode detail={detail} kept={kept} className={className} name={lodName(d.urn ?? n.label)} target={n.kind !== 'data-source'} title={d.urn ?? n.label} {...(problem ? { problem } : {})} />;
  }
  return (
    <div ref={kept.ref} className={className}>
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
  const detail = useDetail();
  const kept = useKeptSize(detail, data.node);
  const className = `node node-trigger${selected ? ' selected' : ''}`;
  if (detail !== 'full') return <LowDetailNode detail={detail} kept={kept} className={className} name={t?.id ?? data.node.label} target title={t?.id ?? data.node.label} />;
  return (
    <div ref={kept.ref} className={className}>
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
  const detail = useDetail();
  const kept = useKeptSize(detail, data.node);
  const className = `node node-gate${selected ? ' selected' : ''}`;
  const name = g ? `${g.kind} gate` : data.node.label;
  if (detail !== 'full') return <LowDetailNode detail={detail} kept={kept} className={className} name={name} target title={name} />;
  return (
    <div ref={kept.ref} className={className}>
      <Handle type="target" position={Position.Left} />
      <div className="node-head">
        <span className="node-icon icon-gate">◈</span>
        <span className="node-title">{name}</span>
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
