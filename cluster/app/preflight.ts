/**
 * What is checked before a deploy, the same for `edgeai deploy` and the studio's Deploy button:
 * the project's diagnostics (decorators, workflow.json, data files that are not there) and the
 * derived graph's warnings (a selector that matches nothing, a cycle). Errors stop a deploy;
 * warnings stop it unless the user accepts them (`--accept-warnings`, "Deploy anyway").
 * A function no node of the deploy's topology can run (a capability no node has, a deadline no
 * node meets) is a warning too, found by planning the workflow as the deploy would: the studio
 * shows it in Problems and on the node as soon as it is true, not when the deploy fails.
 * `edgeai inspect` reports the same list.
 */
import { basename } from 'node:path';
import { StudioError } from '../common/errors';
import { deriveGraph, fnNodeId, type Project } from '../project/index';
import type { Diagnostic } from '../preprocessor/diagnostic';
import { DEPLOY_PROFILE, infeasibleReason } from '../planning/plan';
import type { Topology } from '../topology/model';
import { planProject } from './plan';
import { projectTopologySync } from './topology';

export interface DeployCheck {
  workflow: string;
  errors: Diagnostic[];
  warnings: Diagnostic[];
  /** the functions a deploy would ship */
  functions: string[];
}

/**
 * Every problem a deploy would meet, found without touching a cluster. `topology`: where the
 * deploy would place the functions (a running cluster's); the project's own when not given.
 */
export function deployCheck(project: Project, topology?: Topology): DeployCheck {
  const diags = [...projectDiagnostics(project), ...placementProblems(project, topology)];
  return {
    workflow: project.workflow.name || basename(project.dir),
    errors: diags.filter((d) => d.severity === 'error'),
    warnings: diags.filter((d) => d.severity !== 'error'),
    functions: project.functions.map((f) => f.id),
  };
}

/** The project's own diagnostics and its graph's: what a deploy checks before any placement. */
function projectDiagnostics(project: Project): Diagnostic[] {
  return [...project.diagnostics, ...deriveGraph(project).warnings];
}

/**
 * The errors a deploy refuses: deployCheck(...).errors without planning a placement, since
 * placement problems are warnings (placementProblems) — what the next-steps guide counts.
 */
export function deployErrors(project: Project): Diagnostic[] {
  return projectDiagnostics(project).filter((d) => d.severity === 'error');
}

const where = (d: Diagnostic) => `${d.file}:${d.line}:${d.column}: ${d.message}`;

/** Refuses a deploy with errors, or with warnings not accepted; says which and what to do. */
export function requireDeployable(check: DeployCheck, acceptWarnings: boolean): void {
  const { errors, warnings, workflow } = check;
  if (errors.length) {
    throw new StudioError('deploy-invalid', `${workflow} has ${errors.length} error${errors.length === 1 ? '' : 's'}; nothing was deployed:\n${errors.slice(0, 5).map(where).join('\n')}`, 'fix them (the Problems panel and `edgeai inspect` list them all) and deploy again');
  }
  if (warnings.length && !acceptWarnings) {
    throw new StudioError('deploy-warnings', `${workflow} has ${warnings.length} warning${warnings.length === 1 ? '' : 's'}:\n${warnings.slice(0, 5).map(where).join('\n')}`, 'review them; "Deploy anyway" (or `edgeai deploy --accept-warnings`) deploys with the warnings');
  }
}

/**
 * The functions no node of the topology can run, as warnings at the function (the scheduler's
 * reason, with what each filter removed). The project's topology when none is given; a topology that does
 * not load gives none here (its own diagnostic says why).
 */
export function placementProblems(project: Project, topology?: Topology): Diagnostic[] {
  if (!project.functions.length) return [];
  let topo = topology;
  if (!topo) {
    try {
      topo = projectTopologySync(project).topology;
    } catch {
      return [];
    }
  }
  const plan = planProject(project, topo, DEPLOY_PROFILE);
  const out: Diagnostic[] = [];
  for (const f of project.functions) {
    const i = plan.infeasible[f.id];
    if (!i) continue;
    out.push({
      // a warning, never an error: deployErrors counts a deploy's errors without planning
      severity: 'warning',
      code: 'placement-infeasible',
      message: `on topology '${topo.name}': ${i.message}`,
      file: f.file,
      line: f.line,
      column: f.column,
      node: fnNodeId(f.id),
      hint: `relax the function's policies, or deploy to a topology that has such a node (the project's topology.json or workflow.json target.topology); "explain placement" on the node shows every filter`,
    });
  }
  return out;
}
