/**
 * A project's plan: what `edgeai schedule` prints and the studio's explain shows. The data
 * sources are where the project says (their `node`, else the registry's store) with the sizes
 * the registry will give them; everything else is the planner's (cluster/planning).
 */
import type { Project } from '../project/index';
import type { Topology } from '../topology/model';
import { dataSourceArtifacts } from '../planning/artifacts';
import { planWorkflow, type Plan } from '../planning/plan';
import type { ExecModel } from '../planning/exec-model';

export interface PlanProjectOptions {
  explain?: boolean;
  exec?: ExecModel;
}

/** Places every function of the project on the topology with the profile. */
export function planProject(project: Project, topology: Topology, profile: string, opts: PlanProjectOptions = {}): Plan {
  return planWorkflow({
    workflow: project.workflow.name,
    functions: project.functions,
    artifacts: dataSourceArtifacts(project.workflow.dataSources, project.dataBytes, topology),
    topology,
    profile,
    ...(opts.exec ? { exec: opts.exec } : {}),
    explain: opts.explain === true,
  });
}
