/**
 * The workflow graph is derived, never stored: an edge exists wherever something produced (a
 * data source, a function's output) matches a consumer's selector. Drawing an edge is a
 * decorator edit on the consumer (`connect`); deleting one removes that input (`disconnect`).
 */
import { matchSelector, UrnIndex, type Selector, type SelectorCandidate } from '../spec/selector';
import type { FunctionSpec, Gate, Policies } from '../spec/function';
import type { Trigger } from '../spec/workflow';
import { editDecorators, type DecoratorPatch, type TextChange } from '../preprocessor/edit';
import type { Diagnostic } from '../preprocessor/diagnostic';
import type { Project } from './project';

export type GraphNodeKind = 'data-source' | 'function' | 'model' | 'data' | 'trigger' | 'gate';

export interface GraphNode {
  id: string;
  kind: GraphNodeKind;
  label: string;
  /** functions: contract summary; artifacts: urn, type, tags; triggers: the trigger; gates: the gate */
  detail: {
    urn?: string;
    type?: string;
    tags?: string[];
    data_tags?: string[];
    file?: string;
    line?: number;
    policies?: Policies;
    gates?: Gate[];
    consumes?: FunctionSpec['consumes'];
    produces?: FunctionSpec['produces'];
    trigger?: Trigger;
    gate?: Gate;
    dangling?: number[];
  };
}

export type GraphEdgeKind = 'consumes' | 'produces' | 'triggers' | 'guards' | 'fires';

export interface GraphEdge {
  id: string;
  source: string;
  target: string;
  kind: GraphEdgeKind;
  /** for consumes edges: which input of the target function the edge feeds */
  input?: number;
}

export interface WorkflowGraph {
  nodes: GraphNode[];
  edges: GraphEdge[];
  /** dangling inputs and cycles */
  warnings: Diagnostic[];
}

export { artifactNodeId, fnNodeId, gateNodeId, sourceNodeId, triggerNodeId } from '../common/graph-ids';
import { artifactNodeId, fnNodeId, gateNodeId, sourceNodeId, triggerNodeId } from '../common/graph-ids';

interface Producer {
  nodeId: string;
  candidate: SelectorCandidate;
  /** function id when a function produces it */
  by?: string;
  pattern: boolean;
}

function uniq(xs: string[]): string[] {
  return [...new Set(xs)];
}

/** The producers in a project: data sources and every function output. */
function producersOf(project: Pick<Project, 'workflow' | 'functions'>): Producer[] {
  const out: Producer[] = project.workflow.dataSources.map((d) => ({
    nodeId: sourceNodeId(d.urn),
    candidate: { kind: 'data' as const, urn: d.urn, type: d.type, tags: d.tags, format: d.format },
    pattern: false,
  }));
  // the models the project ships (workflow.json `models`: TensorFlow Lite files)
  for (const m of project.workflow.models ?? []) out.push({ nodeId: sourceNodeId(m.urn), candidate: { kind: 'model', urn: m.urn, type: m.type, tags: m.tags, format: m.format }, pattern: false });
  // produced data first: a model's data_tags are the tags of the data its producer consumes
  for (const f of project.functions) {
    for (const p of f.produces) {
      if (p.kind !== 'data') continue;
      out.push({ nodeId: artifactNodeId('data', p.urn), candidate: { kind: 'data', urn: p.urn, type: p.type, tags: p.tags ?? [], format: p.format }, by: f.id, pattern: /[*{]/.test(p.urn) });
    }
  }
  const dataProducers = [...out];
  for (const f of project.functions) {
    for (const p of f.produces) {
      if (p.kind !== 'model') continue;
      const dataTags: string[] = [];
      for (const c of f.consumes) {
        if (c.kind !== 'data') continue;
        for (const d of dataProducers) if (d.by !== f.id && matchSelector({ ...c.selector, kind: 'data' }, d.candidate, { candidateIsPattern: true, metricsUnknownPass: true }).ok) dataTags.push(...(d.candidate.tags ?? []));
      }
      out.push({
        nodeId: artifactNodeId('model', p.urn),
        candidate: { kind: 'model', urn: p.urn, type: p.type, tags: p.tags ?? [], data_tags: uniq(dataTags) },
        by: f.id,
        pattern: /[*{]/.test(p.urn),
      });
    }
  }
  return out;
}

function matches(sel: Selector, kind: 'data' | 'model', p: Producer): boolean {
  return matchSelector({ ...sel, kind }, p.candidate, { candidateIsPattern: true, metricsUnknownPass: true }).ok;
}

export function deriveGraph(project: Pick<Project, 'workflow' | 'functions'>): WorkflowGraph {
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  const warnings: Diagnostic[] = [];
  const producers = producersOf(project);
  // each selector is checked against the producers it can match (by urn), not against every one
  const byUrn = new UrnIndex(producers, (p) => p.candidate.urn);
  const seen = new Set<string>();

  for (const d of project.workflow.dataSources) {
    nodes.push({ id: sourceNodeId(d.urn), kind: 'data-source', label: d.urn, detail: { urn: d.urn, type: d.type, tags: d.tags } });
  }
  for (const m of project.workflow.models ?? []) {
    nodes.push({ id: sourceNodeId(m.urn), kind: 'model', label: m.urn, detail: { urn: m.urn, type: m.type, tags: m.tags } });
  }
  for (const p of producers) {
    if (p.nodeId.startsWith('source:') || seen.has(p.nodeId)) continue;
    seen.add(p.nodeId);
    nodes.push({ id: p.nodeId, kind: p.candidate.kind, label: p.candidate.urn, detail: { urn: p.candidate.urn, type: p.candidate.type, tags: p.candidate.tags, ...(p.candidate.kind === 'model' ? { data_tags: p.candidate.data_tags } : {}) } });
  }

  // function → function adjacency through artifacts, for cycle detection
  const next = new Map<string, Set<string>>();
  for (const f of project.functions) {
    const dangling: number[] = [];
    nodes.push({
      id: fnNodeId(f.id),
      kind: 'function',
      label: f.id,
      detail: { file: f.file, line: f.line, policies: f.policies, gates: f.gates, consumes: f.consumes, produces: f.produces, dangling },
    });
    f.produces.forEach((p) => {
      const id = `${fnNodeId(f.id)}->${artifactNodeId(p.kind, p.urn)}`;
      if (!edges.some((e) => e.id === id)) edges.push({ id, source: fnNodeId(f.id), target: artifactNodeId(p.kind, p.urn), kind: 'produces' });
    });
    f.consumes.forEach((c, i) => {
      const hits = byUrn.candidates(c.selector).filter((p) => p.by !== f.id && matches(c.selector, c.kind, p));
      for (const p of hits) {
        edges.push({ id: `${p.nodeId}->${fnNodeId(f.id)}#${i}`, source: p.nodeId, target: fnNodeId(f.id), kind: 'consumes', input: i });
        if (p.by) {
          if (!next.has(p.by)) next.set(p.by, new Set());
          next.get(p.by)!.add(f.id);
        }
      }
      if (!hits.length) {
        dangling.push(i);
        warnings.push({
          severity: 'warning',
          code: 'dangling-input',
          message: `${f.id}: @consumes.${c.kind} #${i + 1} selector ${JSON.stringify(c.selector)} matches nothing this workflow produces or declares`,
          file: f.file,
          line: f.line,
          column: f.column,
          hint: 'it can still match artifacts already in the registry at run time; otherwise connect it to a producer in the canvas or declare a data source',
        });
      }
    });
    f.gates.forEach((g, gi) => {
      nodes.push({ id: gateNodeId(f.id, gi), kind: 'gate', label: `${g.kind} ${g.kind === 'bias' ? g.attribute : g.metric} ${g.predicate}`, detail: { gate: g } });
      edges.push({ id: `${fnNodeId(f.id)}->${gateNodeId(f.id, gi)}`, source: fnNodeId(f.id), target: gateNodeId(f.id, gi), kind: 'guards' });
    });
  }

  const fnIds = new Set(project.functions.map((f) => f.id));
  for (const t of project.workflow.triggers) {
    const tid = triggerNodeId(t.id);
    nodes.push({ id: tid, kind: 'trigger', label: `${t.kind}: ${t.id}`, detail: { trigger: t } });
    if (fnIds.has(t.function)) edges.push({ id: `${tid}->${fnNodeId(t.function)}`, source: tid, target: fnNodeId(t.function), kind: 'triggers' });
    if (t.kind === 'data' || t.kind === 'model') {
      for (const p of byUrn.candidates(t.selector)) if (matches(t.selector, t.kind, p)) edges.push({ id: `${p.nodeId}->${tid}`, source: p.nodeId, target: tid, kind: 'fires' });
    }
    if (t.kind === 'gate') {
      const src = project.functions.find((f) => f.id === t.source);
      src?.gates.forEach((g, gi) => {
        if (!t.gate || g.kind === t.gate) edges.push({ id: `${gateNodeId(src.id, gi)}->${tid}`, source: gateNodeId(src.id, gi), target: tid, kind: 'fires' });
      });
    }
  }

  for (const cycle of findCycles(project.functions.map((f) => f.id), next)) {
    const f = project.functions.find((x) => x.id === cycle[0])!;
    warnings.push({
      severity: 'warning',
      code: 'cycle',
      message: `the workflow has a cycle: ${[...cycle, cycle[0]].join(' → ')}`,
      file: f.file,
      line: f.line,
      column: f.column,
      hint: 'each run of one function will feed the next forever unless a trigger breaks the loop; narrow a selector (e.g. by urn) to cut it',
    });
  }
  return { nodes, edges, warnings };
}

/** Elementary cycles reported once each (Tarjan's strongly connected components). */
function findCycles(ids: string[], next: Map<string, Set<string>>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const strong = (v: string) => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    on.add(v);
    for (const w of next.get(v) ?? []) {
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        comp.unshift(w);
      } while (w !== v);
      if (comp.length > 1 || next.get(v)?.has(v)) out.push(comp);
    }
  };
  for (const v of ids) if (!idx.has(v)) strong(v);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Editing the graph = editing decorators

export type GraphEdit =
  | { ok: true; file: string; patch: DecoratorPatch; source: string; change: TextChange }
  /** choice: the edge could add an input or replace the connected one; the caller asks which (mode) */
  | { ok: false; reason: string; choice?: { replaces: number } };

function producerFor(project: Pick<Project, 'workflow' | 'functions'>, nodeId: string): { producer?: Producer; reason?: string } {
  const producers = producersOf(project);
  if (nodeId.startsWith('fn:')) {
    const fid = nodeId.slice(3);
    const f = project.functions.find((x) => x.id === fid);
    if (!f) return { reason: `no function '${fid}'` };
    if (!f.produces.length) return { reason: `${fid} produces nothing: add @produces.model or @produces.data to it first` };
    const p = f.produces[0];
    return { producer: producers.find((x) => x.nodeId === artifactNodeId(p.kind, p.urn)) };
  }
  const p = producers.find((x) => x.nodeId === nodeId);
  if (p) return { producer: p };
  if (nodeId.startsWith('trigger:')) return { reason: 'a trigger starts a function; it produces nothing to consume (wire triggers in the trigger inspector)' };
  if (nodeId.startsWith('gate:')) return { reason: 'a gate guards its function\'s output; connect a gate to a gate-failed trigger instead' };
  return { reason: `no producer '${nodeId}' in this workflow` };
}

/**
 * The decorator edit that makes the consumer's selector match the producer. Picks the
 * consumer's input of the producer's kind that matches nothing, or adds an input when it has none
 * of that kind. When its one input of that kind is connected already, it never replaces it
 * silently: without `mode` the answer is a choice (add a second input, or replace that one).
 * Refuses with a reason a person can act on.
 */
export function connect(project: Project, producerNodeId: string, consumerNodeId: string, input?: number, mode?: 'add' | 'replace'): GraphEdit {
  if (!consumerNodeId.startsWith('fn:')) return { ok: false, reason: 'only functions consume: connect to a function (λ) node' };
  const fid = consumerNodeId.slice(3);
  const f = project.functions.find((x) => x.id === fid);
  if (!f) return { ok: false, reason: `no function '${fid}' (it may have errors; see the diagnostics)` };
  const { producer, reason } = producerFor(project, producerNodeId);
  if (!producer) return { ok: false, reason: reason ?? 'unknown producer' };
  if (producer.by === f.id) return { ok: false, reason: `${fid} cannot consume its own output` };
  const kind = producer.candidate.kind;

  let i = input;
  if (i !== undefined) {
    const c = f.consumes[i];
    if (!c) return { ok: false, reason: `${fid} has no input #${i + 1}` };
    if (c.kind !== kind) return { ok: false, reason: `input #${i + 1} of ${fid} takes a ${c.kind}, but ${producer.candidate.urn} is a ${kind}` };
  } else {
    const sameKind = f.consumes.map((c, j) => ({ c, j })).filter(({ c }) => c.kind === kind);
    if (sameKind.some(({ c }) => matches(c.selector, kind, producer))) return { ok: false, reason: `${fid} already consumes ${producer.candidate.urn}` };
    const graph = deriveGraph(project);
    const dangling = (graph.nodes.find((n) => n.id === consumerNodeId)?.detail.dangling ?? []).filter((j) => f.consumes[j].kind === kind);
    if (mode === 'add') i = undefined;
    else if (dangling.length) i = dangling[0];
    else if (sameKind.length === 1 && mode === 'replace') i = sameKind[0].j;
    else if (sameKind.length === 1) return { ok: false, reason: `${fid} already has a ${kind} input (#${sameKind[0].j + 1}, ${JSON.stringify(sameKind[0].c.selector)}): add ${producer.candidate.urn} as another input, or replace that one`, choice: { replaces: sameKind[0].j } };
    else if (sameKind.length > 1) return { ok: false, reason: `${fid} has ${sameKind.length} ${kind} inputs, all connected: drop the edge on the input to replace, or add it as another input`, ...(mode ? {} : { choice: { replaces: -1 } }) };
  }

  const file = project.files.find((x) => x.path === f.file);
  if (!file) return { ok: false, reason: `source file ${f.file} is not loaded` };

  let patch: DecoratorPatch;
  if (i === undefined) {
    patch = { op: 'add', decorator: `consumes.${kind}`, args: [{ selector: { urn: producer.candidate.urn } }] };
  } else {
    const old = f.consumes[i].selector;
    const sel: Selector = { urn: producer.candidate.urn };
    // keep the clauses the producer satisfies (metric clauses are checked at run time)
    for (const [k, v] of Object.entries(old)) {
      if (k === 'urn' || v === undefined) continue;
      const trial = { ...sel, [k]: v } as Selector;
      if (matches(trial, kind, producer)) sel[k] = v;
    }
    const occurrence = f.consumes.slice(0, i).filter((c) => c.kind === kind).length;
    patch = { op: 'setOption', decorator: `consumes.${kind}`, option: 'selector', value: sel, index: occurrence };
  }
  const r = editDecorators(file.source, f.id, patch);
  if (!r.ok) return { ok: false, reason: r.error };
  return { ok: true, file: f.file, patch, source: r.source, change: r.change };
}

/** The decorator edit that removes the input an edge feeds. */
export function disconnect(project: Project, edgeId: string): GraphEdit {
  const graph = deriveGraph(project);
  const e = graph.edges.find((x) => x.id === edgeId);
  if (!e) return { ok: false, reason: `no edge '${edgeId}'` };
  if (e.kind !== 'consumes' || e.input === undefined) return { ok: false, reason: `a ${e.kind} edge follows from the code and workflow.json; remove the producer's decorator or the trigger instead` };
  const f = project.functions.find((x) => fnNodeId(x.id) === e.target)!;
  const c = f.consumes[e.input];
  const file = project.files.find((x) => x.path === f.file);
  if (!file) return { ok: false, reason: `source file ${f.file} is not loaded` };
  const occurrence = f.consumes.slice(0, e.input).filter((x) => x.kind === c.kind).length;
  const patch: DecoratorPatch = { op: 'remove', decorator: `consumes.${c.kind}`, index: occurrence };
  const r = editDecorators(file.source, f.id, patch);
  if (!r.ok) return { ok: false, reason: r.error };
  return { ok: true, file: f.file, patch, source: r.source, change: r.change };
}
