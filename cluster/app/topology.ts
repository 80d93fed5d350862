/**
 * Which topology a command runs on, one rule for every front end:
 * - named: a scenario (`urban-sensing:cells=8`) or a topology.json file;
 * - not named: the project's own topology.json, else workflow.json's target.topology (a scenario
 *   or a file), else the local cluster;
 * - placement questions about a running cluster (the studio's explain) use the cluster's topology:
 *   that is where a deploy would place the function.
 */
import { join, resolve } from 'node:path';
import type { Project } from '../project/index';
import type { Controller } from '../runtime/controller';
import { parseTopology, resolveTopologyArg, resolveTopologyArgSync, type Topology } from '../topology/index';

export type TopologySource = 'topology.json' | 'workflow.json target' | 'default (local)' | 'scenario' | 'file' | 'running cluster';

export async function projectTopology(project: Project): Promise<{ topology: Topology; source: TopologySource }> {
  return projectTopologySync(project);
}

/** projectTopology without the promise: the studio's snapshot checks placements with it on every edit. */
export function projectTopologySync(project: Project): { topology: Topology; source: TopologySource } {
  if (project.topology !== undefined) return { topology: parseTopology(project.topology, join(project.dir, 'topology.json')), source: 'topology.json' };
  const target = project.workflow.target?.topology;
  if (target !== undefined) return { topology: resolveTopologyArgSync(target.endsWith('.json') ? resolve(project.dir, target) : target), source: 'workflow.json target' };
  return { topology: resolveTopologyArgSync('local'), source: 'default (local)' };
}

/** The topology a command names (`--topology`), or the project's when it names none. */
export async function chooseTopology(project: Project | undefined, named: string | undefined): Promise<{ topology: Topology; source: TopologySource }> {
  if (named !== undefined && named !== 'project') {
    const file = named.endsWith('.json') || named.includes('/');
    return { topology: await resolveTopologyArg(file ? resolve(named) : named), source: file ? 'file' : 'scenario' };
  }
  if (project) return projectTopology(project);
  return { topology: await resolveTopologyArg('local'), source: 'default (local)' };
}

/**
 * The topology a running cluster was started with (accelerators attached to their nodes): where a
 * deploy places functions now. Undefined when the cluster is down (or not opened).
 */
export function runningTopology(c: Pick<Controller, 'status' | 'state'> | undefined): Topology | undefined {
  if (!c || !c.status().up) return undefined;
  const raw = c.state.get('topology');
  return raw ? (JSON.parse(raw) as Topology) : undefined;
}
