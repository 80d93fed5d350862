/**
 * The topology a project runs on when none is named: its own topology.json, else workflow.json's
 * target.topology (a scenario or a file), else the local cluster. One rule for `edgeai schedule`,
 * `edgeai simulate` and the studio's Simulate tab.
 */
import { join } from 'node:path';
import type { Project } from '../project/index';
import { parseTopology, resolveTopologyArg, type Topology } from '../topology/index';

export type TopologySource = 'topology.json' | 'workflow.json target' | 'default (local)';

export async function projectTopology(project: Project): Promise<{ topology: Topology; source: TopologySource }> {
  if (project.topology !== undefined) return { topology: parseTopology(project.topology, join(project.dir, 'topology.json')), source: 'topology.json' };
  const target = project.workflow.target?.topology;
  if (target !== undefined) return { topology: await resolveTopologyArg(target), source: 'workflow.json target' };
  return { topology: await resolveTopologyArg('local'), source: 'default (local)' };
}
