/**
 * Why a function would run where it runs: the studio's "explain placement" and `edgeai
 * schedule --explain` read the same plan. On a running cluster the plan is made on the
 * cluster's topology (where a deploy would put it); otherwise on the project's (app/topology.ts).
 */
import { StudioError } from '../common/errors';
import type { Project } from '../project/index';
import type { Topology } from '../topology/model';
import { DEPLOY_PROFILE, type Plan } from '../planning/plan';
import { planProject } from './plan';
import { projectTopology, type TopologySource } from './topology';

export interface Explained {
  plan: Plan;
  topology: Topology;
  source: TopologySource;
}

export async function explainPlacement(project: Project, fn: string, running: Topology | undefined): Promise<Explained> {
  if (!project.functions.some((f) => f.id === fn)) {
    throw new StudioError('function-not-found', `${project.workflow.name} has no function '${fn}'`, `functions: ${project.functions.map((f) => f.id).join(', ') || '(none)'}`);
  }
  const { topology, source } = running ? { topology: running, source: 'running cluster' as const } : await projectTopology(project);
  return { plan: planProject(project, topology, DEPLOY_PROFILE, { explain: true }), topology, source };
}
