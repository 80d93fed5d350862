/**
 * What a plan knows of data and models before anything runs: each artifact's identity (for
 * selector matching), its size and the nodes holding its bytes, and the rules that tie them to
 * functions — which artifacts a function consumes, and in which order functions are placed
 * (producers first, so that a consumer sees where its inputs will be). One definition for
 * `edgeai schedule`, the studio's explain, the simulator and the deployer. Pure: no node:*.
 */
import type { FunctionSpec } from '../spec/function';
import { matchSelector } from '../spec/selector';
import type { Topology } from '../topology/model';
import type { DataSource } from '../spec/workflow';

export interface PlannedArtifact {
  urn: string;
  kind: 'data' | 'model';
  type?: string;
  tags?: string[];
  /** bytes (0: unknown, e.g. an output not produced yet) */
  size: number;
  /** nodes holding its bytes; an output not produced yet is located where its producer is placed */
  locations: string[];
}

/** The selector-matching view of an artifact. */
export function candidateOf(a: Pick<PlannedArtifact, 'urn' | 'kind' | 'type' | 'tags'>) {
  return { kind: a.kind, urn: a.urn, ...(a.type ? { type: a.type } : {}), ...(a.tags ? { tags: a.tags } : {}) };
}

/**
 * Does the function consume this artifact? Selectors are matched with metrics unknown passing
 * and urn templates as patterns: before a run nobody knows a model's accuracy or a request's
 * parameters, so a plan assumes they fit.
 */
export function consumesArtifact(f: FunctionSpec, a: Pick<PlannedArtifact, 'urn' | 'kind' | 'type' | 'tags'>): boolean {
  return f.consumes.some((c) => c.kind === a.kind && matchSelector(c.selector, candidateOf(a), { candidateIsPattern: true, metricsUnknownPass: true }).ok);
}

/** What a function's outputs look like before they exist (size 0 unless known). */
export function outputsOf(f: FunctionSpec, bytes: Record<string, number> = {}): PlannedArtifact[] {
  return f.produces.map((p) => ({ urn: p.urn, kind: p.kind, ...(p.type ? { type: p.type } : {}), ...(p.tags ? { tags: p.tags } : {}), size: bytes[p.urn] ?? 0, locations: [] }));
}

/** Producers before consumers (Kahn's algorithm; source order among equals; cycles broken in source order). */
export function placementOrder(fns: FunctionSpec[]): FunctionSpec[] {
  const feeds = (p: FunctionSpec, c: FunctionSpec) => p !== c && outputsOf(p).some((o) => consumesArtifact(c, o));
  const left = [...fns];
  const out: FunctionSpec[] = [];
  while (left.length) {
    const i = left.findIndex((c) => !left.some((p) => feeds(p, c)));
    out.push(...left.splice(i >= 0 ? i : 0, 1));
  }
  return out;
}

/** The node holding data sources without a `node` (the registry's store): the first registry location that is a node. */
export function registryNode(topology: Topology): string | undefined {
  return topology.registry.at.find((a) => topology.nodes.some((n) => n.name === a));
}

/** The data sources of a workflow as a plan sees them: where they live, with the bytes the registry will hold (by urn; 0 when unknown). */
export function dataSourceArtifacts(dataSources: readonly DataSource[], bytes: Readonly<Record<string, number>>, topology: Topology): PlannedArtifact[] {
  return dataSources.map((ds) => ({
    urn: ds.urn,
    kind: 'data',
    ...(ds.type ? { type: ds.type } : {}),
    tags: ds.tags,
    size: bytes[ds.urn] ?? 0,
    locations: dataSourceLocations(ds, topology),
  }));
}

/**
 * Where a data source's bytes are: on its `node` alone when it names one (the data lives
 * there: a camera's frames, a factory's records — policy.data judges routes from there), else in
 * the registry's store on the registry node.
 */
export function dataSourceLocations(ds: { node?: string }, topology: Topology): string[] {
  if (ds.node) return [ds.node];
  const reg = registryNode(topology);
  return reg ? [reg] : [];
}
