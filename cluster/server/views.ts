/**
 * The platform's records as the StudioApi shows them (the contract's DTOs): runs, artifacts,
 * lineage, USB accelerators, and a selector's preview against what a workflow declares.
 */
import type { Artifact } from '../spec/artifact';
import { checkSelector, matchSelector, type Selector } from '../spec/selector';
import { deriveGraph, type Project } from '../project/index';
import type { AcceleratorDto, ArtifactViewDto, LineageDto, RunDto, SelectorPreview } from '../api/contract';

export function acceleratorView(a: import('../accelerators/index').Accelerator, names: Record<string, string>): AcceleratorDto {
  return {
    kind: a.kind,
    name: names[a.kind] ?? a.kind,
    capability: a.capability,
    state: a.state,
    vendorId: a.vendorId,
    productId: a.productId,
    port: a.port,
    devPath: a.devPath,
    ...(a.product ? { product: a.product } : {}),
    ...(a.manufacturer ? { manufacturer: a.manufacturer } : {}),
    ...(a.serial ? { serial: a.serial } : {}),
    ...(a.access ? { access: a.access } : {}),
  };
}

/** Matches a selector against what the workflow declares or produces, with the reason for each miss. */
export function previewSelector(project: Pick<Project, 'workflow' | 'functions'>, kind: 'data' | 'model', selectorIn: Record<string, unknown>): SelectorPreview {
  const problems = checkSelector(selectorIn);
  const graph = deriveGraph(project);
  const selector = selectorIn as Selector;
  const matches: SelectorPreview['matches'] = [];
  const misses: SelectorPreview['misses'] = [];
  for (const n of graph.nodes) {
    if (n.kind !== 'data-source' && n.kind !== 'data' && n.kind !== 'model') continue;
    const candKind = n.kind === 'model' ? 'model' : 'data';
    const urn = n.detail.urn ?? n.label;
    if (candKind !== kind) {
      misses.push({ nodeId: n.id, urn, kind: candKind, clause: 'kind', reason: `is a ${candKind}, this input takes a ${kind}` });
      continue;
    }
    const fmt = n.kind === 'data-source' ? project.workflow.dataSources.find((d) => d.urn === urn)?.format : undefined;
    const r = problems.length
      ? ({ ok: false, clause: problems[0].clause, reason: 'the selector has errors' } as const)
      : matchSelector({ ...selector, kind }, { kind: candKind, urn, type: n.detail.type, tags: n.detail.tags, data_tags: n.detail.data_tags, ...(fmt ? { format: fmt } : {}) }, { candidateIsPattern: true, metricsUnknownPass: true });
    if (r.ok) matches.push({ nodeId: n.id, urn, kind: candKind });
    else misses.push({ nodeId: n.id, urn, kind: candKind, clause: r.clause, reason: r.reason });
  }
  return { problems, matches, misses, scope: 'workflow' };
}

function parseJson(text: string | null | undefined, fallback: unknown): unknown {
  if (text === null || text === undefined || text === '') return fallback;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.map((x) => (typeof x === 'string' ? x : typeof x === 'object' && x && 'urn' in x ? `${(x as { urn: string }).urn}${'version' in x ? `@${(x as { version: number }).version}` : ''}` : JSON.stringify(x))) : [];
}

export function runView(r: import('../runtime/state').RunRow): RunDto {
  const timings = parseJson(r.timings, {});
  const logs = parseJson(r.logs, []);
  return {
    id: r.id,
    workflow: r.workflow,
    function: r.function,
    node: r.node,
    status: r.status,
    started: r.started,
    ended: r.ended,
    request: parseJson(r.request, null),
    inputs: strings(parseJson(r.inputs, [])),
    outputs: strings(parseJson(r.outputs, [])),
    output: parseJson(r.output, null),
    timings: Object.fromEntries(Object.entries(typeof timings === 'object' && timings ? timings : {}).filter(([, v]) => typeof v === 'number')) as Record<string, number>,
    logs: Array.isArray(logs) ? logs.map(String) : [String(logs)],
    error: r.error,
    attempts: r.attempts,
    ...(r.ran_on ? { modelRanOn: r.ran_on } : {}),
  };
}

export function artifactView(a: Artifact): ArtifactViewDto {
  return {
    kind: a.kind as 'data' | 'model',
    urn: a.urn,
    version: a.version,
    ...(a.type ? { type: a.type } : {}),
    tags: a.tags,
    data_tags: a.data_tags,
    metrics: a.metrics,
    format: a.format,
    size: a.size,
    sha256: a.sha256,
    created: a.created,
    lineage: { ...(a.lineage.run ? { run: a.lineage.run } : {}), ...(a.lineage.function ? { function: a.lineage.function } : {}), ...(a.lineage.source ? { source: a.lineage.source } : {}), inputs: a.lineage.inputs.map((i) => ({ urn: i.urn, version: i.version })) },
    locations: a.locations.map((l) => l.node),
  };
}

export type LineageTree = Array<{ artifact: Artifact; inputs: LineageTree } | { missing: { urn: string; version: number } }>;
export function lineageView(r: { artifact: Artifact; inputs: LineageTree; outputs: Array<{ artifact: Artifact; inputs: LineageTree }> }): LineageDto {
  const flat = (nodes: LineageTree, depth: number, out: LineageDto['inputs']) => {
    for (const n of nodes) {
      if ('missing' in n) out.push({ urn: n.missing.urn, version: n.missing.version, depth, missing: true });
      else {
        const l = n.artifact.lineage;
        out.push({ urn: n.artifact.urn, version: n.artifact.version, kind: n.artifact.kind, depth, ...(l.function ? { function: l.function } : {}), ...(l.run ? { run: l.run } : {}), ...(l.source ? { source: l.source } : {}) });
        flat(n.inputs, depth + 1, out);
      }
    }
    return out;
  };
  return { artifact: artifactView(r.artifact), inputs: flat(r.inputs, 1, []), outputs: flat(r.outputs, 1, []) };
}

