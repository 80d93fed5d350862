/**
 * What is checked before a deploy, the same for `edgeai deploy` and the studio's Deploy button:
 * the project's diagnostics (decorators, workflow.json, data files that are not there) and the
 * derived graph's warnings (a selector that matches nothing, a cycle). Errors stop a deploy;
 * warnings stop it unless the user accepts them (`--accept-warnings`, "Deploy anyway").
 * `edgeai inspect` reports the same list.
 */
import { basename } from 'node:path';
import { StudioError } from '../common/errors';
import { deriveGraph, type Project } from '../project/index';
import type { Diagnostic } from '../preprocessor/diagnostic';

export interface DeployCheck {
  workflow: string;
  errors: Diagnostic[];
  warnings: Diagnostic[];
  /** the functions a deploy would ship */
  functions: string[];
}

/** Every problem a deploy would meet, found without touching a cluster. */
export function deployCheck(project: Project): DeployCheck {
  const diags = [...project.diagnostics, ...deriveGraph(project).warnings];
  return {
    workflow: project.workflow.name || basename(project.dir),
    errors: diags.filter((d) => d.severity === 'error'),
    warnings: diags.filter((d) => d.severity !== 'error'),
    functions: project.functions.map((f) => f.id),
  };
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
