/**
 * One deploy, as every front end makes it: the preflight (app/preflight.ts), then the
 * controller's deploy. A restart ships no new code, so it skips the preflight.
 */
import { loadProject } from '../project/index';
import type { Controller, DeployResult } from '../runtime/controller';
import type { DeployMode } from '../common/status';
import { deployCheck, requireDeployable, type DeployCheck } from './preflight';
import { runningTopology } from './topology';

export interface DeployRequest {
  mode?: DeployMode;
  expectedRevision?: number;
  acceptWarnings?: boolean;
  replace?: boolean;
  /** refuse a tpu function whose model would run on the CPU (a warning otherwise) */
  strictAccelerators?: boolean;
}

export async function deployProject(c: Controller, dir: string, req: DeployRequest, checked?: DeployCheck): Promise<DeployResult> {
  const opts = { mode: req.mode ?? 'full', ...(req.expectedRevision !== undefined ? { expectedRevision: req.expectedRevision } : {}), ...(req.replace ? { replace: true } : {}), ...(req.strictAccelerators ? { strictAccelerators: true } : {}) };
  if (opts.mode !== 'restart') requireDeployable(checked ?? deployCheck(loadProject(dir), runningTopology(c)), req.acceptWarnings === true);
  return c.deploy(dir, opts);
}
