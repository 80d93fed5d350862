/**
 * The inspector: forms that edit a function's decorators (policies, gates, selectors) through
 * decorators.edit, and the workflow.json entries of data sources and triggers.
 */
import { useEffect, useState } from 'react';
import type { DecoratorPatchDto, FunctionSpecDto, GraphNodeDto, ProjectSnapshot, SelectorPreview } from '../../cluster/api/contract';
import { call } from '../api';
import { fnNodeId } from '../../cluster/common/graph-ids';

const NODE_TYPES = ['cloud', 'edge', 'user_device', 'local'] as const;
const CAPABILITIES = ['gpu', 'tpu', 'vpu', 'cuda', 'npu', 'fpga', 'camera'] as const;
const BIAS_METRICS = ['disparate_impact', 'statistical_parity_difference', 'equal_opportunity_difference'] as const;

export interface InspectorProps {
  snapshot: ProjectSnapshot;
  node: GraphNodeDto | undefined;
  onPatch(fn: FunctionSpecDto, patch: DecoratorPatchDto, label: string): Promise<boolean>;
  onWorkflow(workflow: ProjectSnapshot['workflow'], label: string): Promise<boolean>;
  onOpenCode(path: string, line?: number): void;
}

const one = <T,>(xs: T[]): T | T[] => (xs.length === 1 ? xs[0] : xs);

export function Inspector(props: InspectorProps) {
  const { node, snapshot } = props;
  if (!node) {
    const fnCount = snapshot.functions.length;
    return (
      <div className="inspector" data-testid="inspector">
        <h2>{snapshot.name}</h2>
        <p className="muted">{snapshot.workflow.description}</p>
        <dl className="facts">
          <dt>Functions</dt>
          <dd>{fnCount}</dd>
          <dt>Data sources</dt>
          <dd>{snapshot.workflow.dataSources.length}</dd>
          <dt>Triggers</dt>
          <dd>{snapshot.workflow.triggers.length}</dd>
          <dt>Folder</dt>
          <dd className="mono small">{snapshot.dir}</dd>
        </dl>
        <p className="muted small">Select a node to edit it. Drag from a node's right handle to a function to connect; Shift+drag selects a box.</p>
      </div>
    );
  }
  if (node.kind === 'function') {
    const fn = snapshot.functions.find((f) => fnNodeId(f.id) === node.id);
    if (!fn) return <div className="inspector">Function {node.label} has errors; see Problems.</div>;
    return <FunctionInspector key={fn.id + fn.file} fn={fn} {...props} />;
  }
  if (node.kind === 'data-source') return <DataSourceInspector key={node.id} {...props} node={node} />;
  if (node.kind === 'trigger') return <TriggerInspector key={node.id} {...props} node={node} />;
  return (
    <div className="inspector" data-testid="inspector">
      <h2>
        <span className="kind-chip">{node.kind}</span> {node.label}
      </h2>
      <dl className="facts">
        {node.detail.urn && (
          <>
            <dt>URN</dt>
            <dd className="mono">{node.detail.urn}</dd>
          </>
        )}
        {node.detail.type && (
          <>
            <dt>Type</dt>
            <dd>{node.detail.type}</dd>
          </>
        )}
        {node.detail.tags?.length ? (
          <>
            <dt>Tags</dt>
            <dd>{node.detail.tags.join(', ')}</dd>
          </>
        ) : null}
        {node.detail.data_tags?.length ? (
          <>
            <dt>Data tags</dt>
            <dd>{node.detail.data_tags.join(', ')}</dd>
          </>
        ) : null}
        {node.detail.gate && (
          <>
            <dt>Gate</dt>
            <dd>
              {node.detail.gate.kind} · {node.detail.gate.kind === 'bias' ? `${node.detail.gate.metric}(${node.detail.gate.attribute})` : node.detail.gate.metric} {node.detail.gate.predicate}
            </dd>
          </>
        )}
      </dl>
      <p className="muted small">{node.kind === 'gate' ? 'Edit gates on their function.' : 'Produced by a function: edit its @produces decorator.'}</p>
    </div>
  );
}

function Section({ title, children, testId }: { title: string; children: React.ReactNode; testId?: string }) {
  return (
    <section className="section" data-testid={testId}>
      <h3>{title}</h3>
      {children}
    </section>
  );
}

function FunctionInspector({ fn, onPatch, onOpenCode, snapshot }: InspectorProps & { fn: FunctionSpecDto }) {
  const p = fn.policies;
  const [deadline, setDeadline] = useState(p.deadline?.text ?? '');
  const [nodes, setNodes] = useState<string[]>(p.fn?.node ?? []);
  const [caps, setCaps] = useState<string[]>(p.fn?.capability ?? []);
  const [networks, setNetworks] = useState((p.data?.network ?? []).join(', '));
  const [strict, setStrict] = useState(p.data?.strict ?? false);
  useEffect(() => {
    setDeadline(p.deadline?.text ?? '');
    setNodes(p.fn?.node ?? []);
    setCaps(p.fn?.capability ?? []);
    setNetworks((p.data?.network ?? []).join(', '));
    setStrict(p.data?.strict ?? false);
  }, [p.deadline?.text, p.fn?.node?.join(), p.fn?.capability?.join(), p.data?.network.join(), p.data?.strict]); // eslint-disable-line react-hooks/exhaustive-deps

  const patch = (pt: DecoratorPatchDto, label: string) => onPatch(fn, pt, label);
  const applyDeadline = () => {
    const v = deadline.trim();
    if (!v) return p.deadline ? patch({ op: 'remove', decorator: 'policy.deadline' }, 'remove deadline') : undefined;
    return patch({ op: 'set', decorator: 'policy.deadline', args: [v] }, `deadline ${v}`);
  };
  const applyFn = (n: string[], c: string[]) => {
    if (!n.length && !c.length) return p.fn ? patch({ op: 'remove', decorator: 'policy.fn' }, 'remove placement policy') : undefined;
    const arg: Record<string, unknown> = {};
    if (n.length) arg.node = one(n);
    if (c.length) arg.capability = one(c);
    return patch({ op: 'set', decorator: 'policy.fn', args: [arg] }, 'placement policy');
  };
  const applyData = () => {
    const list = networks.split(',').map((s) => s.trim()).filter(Boolean);
    if (!list.length) return p.data ? patch({ op: 'remove', decorator: 'policy.data' }, 'remove data policy') : undefined;
    return patch({ op: 'set', decorator: 'policy.data', args: [{ network: one(list), ...(strict ? { strict: true } : {}) }] }, 'data policy');
  };

  return (
    <div className="inspector" data-testid="inspector">
      <h2>
        <span className="node-icon lambda">λ</span> {fn.id}
      </h2>
      <div className="muted small">
        {fn.className}.{fn.method} ·{' '}
        <button className="link" onClick={() => onOpenCode(fn.file, fn.line)}>
          {fn.file}:{fn.line}
        </button>
      </div>

      <Section title="Inputs">
        {fn.consumes.length === 0 && <p className="muted small">No inputs. Drag an edge from a data source or model onto this function.</p>}
        {fn.consumes.map((c, i) => {
          const occurrence = fn.consumes.slice(0, i).filter((x) => x.kind === c.kind).length;
          return <SelectorEditor key={`${i}:${JSON.stringify(c.selector)}`} project={snapshot.dir} kind={c.kind} selector={c.selector} label={`@consumes.${c.kind} #${occurrence + 1}`} onApply={(sel) => patch({ op: 'setOption', decorator: `consumes.${c.kind}`, option: 'selector', value: sel, index: occurrence }, `selector of ${fn.id}`)} />;
        })}
      </Section>

      <Section title="Outputs">
        {fn.produces.length === 0 && <p className="muted small">Produces nothing.</p>}
        {fn.produces.map((o, i) => (
          <div key={i} className="row mono small">
            {o.kind} {o.urn}
            {o.type ? ` (${o.type})` : ''}
          </div>
        ))}
      </Section>

      <Section title="Policies" testId="policies">
        <label className="field">
          <span>Deadline</span>
          <div className="inline">
            <input data-testid="deadline-input" value={deadline} placeholder="e.g. 2s, 150ms" onChange={(e) => setDeadline(e.target.value)} onKeyDown={(e) => e.key === 'Enter' && applyDeadline()} />
            <button className="button small" data-testid="deadline-apply" onClick={applyDeadline}>
              Apply
            </button>
          </div>
        </label>
        <div className="field">
          <span>Node type</span>
          <div className="chips">
            {NODE_TYPES.map((t) => (
              <label key={t} className={`chip${nodes.includes(t) ? ' on' : ''}`}>
                <input
                  type="checkbox"
                  checked={nodes.includes(t)}
                  onChange={(e) => {
                    const next = e.target.checked ? [...nodes, t] : nodes.filter((x) => x !== t);
                    setNodes(next);
                    void applyFn(next, caps);
                  }}
                />
                {t}
              </label>
            ))}
          </div>
        </div>
        <div className="field">
          <span>Capability</span>
          <div className="chips">
            {CAPABILITIES.map((t) => (
              <label key={t} className={`chip${caps.includes(t) ? ' on' : ''}`}>
                <input
                  type="checkbox"
                  checked={caps.includes(t)}
                  onChange={(e) => {
                    const next = e.target.checked ? [...caps, t] : caps.filter((x) => x !== t);
                    setCaps(next);
                    void applyFn(nodes, next);
                  }}
                />
                {t}
              </label>
            ))}
          </div>
        </div>
        <label className="field">
          <span>Networks</span>
          <div className="inline">
            <input value={networks} placeholder="e.g. local, lan" onChange={(e) => setNetworks(e.target.value)} onKeyDown={(e) => e.key === 'Enter' && applyData()} />
            <label className="check">
              <input type="checkbox" checked={strict} onChange={(e) => setStrict(e.target.checked)} /> strict
            </label>
            <button className="button small" onClick={applyData}>
              Apply
            </button>
          </div>
        </label>
      </Section>

      <Section title="Gates" testId="gates">
        {fn.gates.map((g, i) => {
          const occurrence = fn.gates.slice(0, i).filter((x) => x.kind === g.kind).length;
          return (
            <div key={i} className="gate-row">
              <span className="badge badge-gate">
                ◈ {g.kind} {g.kind === 'bias' ? `${g.metric}(${g.attribute})` : g.metric} {g.predicate}
              </span>
              <button className="icon-button" title="remove this gate" onClick={() => patch({ op: 'remove', decorator: `gate.${g.kind}`, index: occurrence }, `remove ${g.kind} gate`)}>
                ×
              </button>
            </div>
          );
        })}
        <GateForm onAdd={(kind, args) => patch({ op: 'add', decorator: `gate.${kind}`, args: [args] }, `add ${kind} gate`)} />
      </Section>
    </div>
  );
}

function GateForm({ onAdd }: { onAdd(kind: 'bias' | 'drift', args: Record<string, unknown>): void }) {
  const [kind, setKind] = useState<'bias' | 'drift'>('drift');
  const [subject, setSubject] = useState('');
  const [predicate, setPredicate] = useState('');
  const [metric, setMetric] = useState<string>(BIAS_METRICS[0]);
  const ready = subject.trim() && predicate.trim();
  return (
    <div className="gate-form">
      <select value={kind} onChange={(e) => setKind(e.target.value as 'bias' | 'drift')}>
        <option value="drift">drift</option>
        <option value="bias">bias</option>
      </select>
      <input value={subject} placeholder={kind === 'bias' ? 'attribute, e.g. gender' : 'metric, e.g. confidence'} onChange={(e) => setSubject(e.target.value)} />
      <input value={predicate} placeholder={kind === 'bias' ? "e.g. >=0.8" : 'e.g. <0.2'} onChange={(e) => setPredicate(e.target.value)} className="narrow" />
      {kind === 'bias' && (
        <select value={metric} onChange={(e) => setMetric(e.target.value)}>
          {BIAS_METRICS.map((m) => (
            <option key={m}>{m}</option>
          ))}
        </select>
      )}
      <button
        className="button small"
        disabled={!ready}
        onClick={() => {
          onAdd(kind, kind === 'bias' ? { attribute: subject.trim(), predicate: predicate.trim(), metric } : { metric: subject.trim(), predicate: predicate.trim() });
          setSubject('');
          setPredicate('');
        }}
      >
        Add gate
      </button>
    </div>
  );
}

/** A selector as editable text, with a live "matches N artifacts" preview and the reasons for misses. */
export function SelectorEditor({ project, kind, selector, label, onApply }: { project: string; kind: 'data' | 'model'; selector: Record<string, unknown>; label: string; onApply(sel: Record<string, unknown>): void }) {
  const [text, setText] = useState(selectorText(selector));
  const [preview, setPreview] = useState<SelectorPreview | undefined>();
  const [parseError, setParseError] = useState<string | undefined>();
  const parsed = parseSelectorText(text);
  useEffect(() => {
    if ('error' in parsed) {
      setParseError(parsed.error);
      return;
    }
    setParseError(undefined);
    let live = true;
    const t = window.setTimeout(() => {
      call('selector.preview', { project, kind, selector: parsed.value })
        .then((p) => live && setPreview(p))
        .catch(() => undefined);
    }, 150);
    return () => {
      live = false;
      window.clearTimeout(t);
    };
  }, [text, project, kind]); // eslint-disable-line react-hooks/exhaustive-deps
  const changed = text !== selectorText(selector);
  const sameKindMisses = preview?.misses.filter((m) => m.kind === kind) ?? [];
  return (
    <div className="selector-editor" data-testid="selector-editor">
      <div className="muted small">{label}</div>
      <div className="inline">
        <input className="mono" value={text} onChange={(e) => setText(e.target.value)} onKeyDown={(e) => e.key === 'Enter' && !('error' in parsed) && onApply(parsed.value)} spellCheck={false} />
        <button className="button small" disabled={!changed || 'error' in parsed} onClick={() => !('error' in parsed) && onApply(parsed.value)}>
          Apply
        </button>
      </div>
      {parseError && <div className="error small">{parseError}</div>}
      {preview && !parseError && (
        <div className="preview small">
          {preview.problems.map((p, i) => (
            <div key={i} className="error">
              {p.clause}: {p.message}
            </div>
          ))}
          <div className={preview.matches.length ? 'ok' : 'warn'} data-testid="match-count">
            matches {preview.matches.length} artifact{preview.matches.length === 1 ? '' : 's'} in this workflow
            {preview.matches.length ? `: ${preview.matches.map((m) => m.urn).join(', ')}` : ''}
          </div>
          {sameKindMisses.length > 0 && (
            <details>
              <summary>why {sameKindMisses.length} other{sameKindMisses.length === 1 ? '' : 's'} miss</summary>
              <ul>
                {sameKindMisses.map((m) => (
                  <li key={m.nodeId}>
                    <span className="mono">{m.urn}</span>: {m.reason}
                  </li>
                ))}
              </ul>
            </details>
          )}
        </div>
      )}
    </div>
  );
}

/** A selector as a person writes it in TypeScript: { urn: 'mnist:data', tags: ['digits'] } */
export function selectorText(v: unknown): string {
  if (typeof v === 'string') return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (Array.isArray(v)) return `[${v.map(selectorText).join(', ')}]`;
  if (v && typeof v === 'object') {
    const e = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    return e.length ? `{ ${e.map(([k, x]) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : `'${k}'`}: ${selectorText(x)}`).join(', ')} }` : '{}';
  }
  return String(v);
}

/** Accepts JSON or the TypeScript literal people write ({ urn: 'x', tags: ['a'] }). */
export function parseSelectorText(text: string): { value: Record<string, unknown> } | { error: string } {
  const t = text.trim();
  if (!t) return { error: 'a selector is an object, e.g. { urn: "mnist:data" }' };
  const json = t
    .replace(/([{,]\s*)([A-Za-z_$][\w$]*)\s*:/g, '$1"$2":')
    .replace(/'((?:[^'\\]|\\.)*)'/g, (_m, s: string) => JSON.stringify(s.replace(/\\'/g, "'")))
    .replace(/,\s*([}\]])/g, '$1');
  try {
    const v = JSON.parse(json) as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) return { error: 'a selector is an object, e.g. { urn: "mnist:data" }' };
    return { value: v as Record<string, unknown> };
  } catch {
    return { error: 'not a valid object literal: check quotes, commas and braces' };
  }
}

function DataSourceInspector({ node, snapshot, onWorkflow }: InspectorProps & { node: GraphNodeDto }) {
  const idx = snapshot.workflow.dataSources.findIndex((d) => d.urn === node.detail.urn);
  const ds = snapshot.workflow.dataSources[idx] as Record<string, unknown> | undefined;
  const [urn, setUrn] = useState(String(ds?.urn ?? ''));
  const [type, setType] = useState(String(ds?.type ?? ''));
  const [tags, setTags] = useState(((ds?.tags as string[] | undefined) ?? []).join(', '));
  if (!ds) return <div className="inspector">Data source not found.</div>;
  const apply = () => {
    const next = { ...ds, urn: urn.trim(), tags: tags.split(',').map((s) => s.trim()).filter(Boolean) } as Record<string, unknown>;
    if (type.trim()) next.type = type.trim();
    else delete next.type;
    const dataSources = snapshot.workflow.dataSources.map((d, i) => (i === idx ? next : d));
    void onWorkflow({ ...snapshot.workflow, dataSources }, `data source ${urn}`);
  };
  return (
    <div className="inspector" data-testid="inspector">
      <h2>
        <span className="node-icon icon-data-source">⛁</span> {String(ds.urn)}
      </h2>
      <div className="muted small">data source · workflow.json · {String(ds.format)}</div>
      <Section title="Data source">
        <label className="field">
          <span>URN</span>
          <input className="mono" value={urn} onChange={(e) => setUrn(e.target.value)} />
        </label>
        <label className="field">
          <span>Type</span>
          <input value={type} onChange={(e) => setType(e.target.value)} />
        </label>
        <label className="field">
          <span>Tags</span>
          <input value={tags} onChange={(e) => setTags(e.target.value)} placeholder="comma separated" />
        </label>
        <button className="button small primary" onClick={apply}>
          Apply
        </button>
        {typeof ds.description === 'string' && <p className="muted small">{ds.description}</p>}
      </Section>
    </div>
  );
}

function TriggerInspector({ node, snapshot, onWorkflow }: InspectorProps & { node: GraphNodeDto }) {
  const t = node.detail.trigger;
  const [fnId, setFnId] = useState(t?.function ?? '');
  if (!t) return <div className="inspector">Trigger not found.</div>;
  const apply = () => {
    const triggers = snapshot.workflow.triggers.map((x) => (x.id === t.id ? { ...x, function: fnId } : x));
    void onWorkflow({ ...snapshot.workflow, triggers }, `trigger ${t.id}`);
  };
  return (
    <div className="inspector" data-testid="inspector">
      <h2>
        <span className="node-icon icon-trigger">⚡</span> {t.id}
      </h2>
      <div className="muted small">{t.kind} trigger · workflow.json</div>
      <Section title="Trigger">
        <label className="field">
          <span>Starts</span>
          <div className="inline">
            <select value={fnId} onChange={(e) => setFnId(e.target.value)}>
              {snapshot.functions.map((f) => (
                <option key={f.id}>{f.id}</option>
              ))}
            </select>
            <button className="button small" onClick={apply} disabled={fnId === t.function}>
              Apply
            </button>
          </div>
        </label>
        <pre className="mono small json">{JSON.stringify(t, null, 2)}</pre>
      </Section>
    </div>
  );
}
