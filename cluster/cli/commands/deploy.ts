import { parseCommandArgs, UserError, type Command } from '../command';
import { CLUSTER_OPTIONS, openController } from '../runtime-support';
import { DEPLOY_MODES, type DeployMode } from '../../common/status';
import { deployProject, type DeployRequest } from '../../app/deploy';
import { COMMANDS } from './meta';

const { usage } = COMMANDS.deploy;

const help = `modes:
  full      place every function and ship its bundle (the default)
  changed   only functions whose code or decorators changed since the last deploy; the others
            keep their node and warm workers; functions removed from the project are undeployed
  restart   no new code: every deployed function gets fresh workers on its node (same revision)

--expect-revision N  deploy only if the workflow is still at revision N on the cluster (0: not
                     deployed yet); otherwise nothing is deployed and the command says who won
--accept-warnings    deploy although the project has warnings (errors always stop a deploy)
--replace            deploy although a workflow of the same name is deployed from another
                     project folder, replacing it (otherwise refused: workflow-name-taken)
--strict-accelerators
                     refuse a function that asks for capability tpu whose model would run on the
                     CPU (not TensorFlow Lite, not compiled for the Edge TPU, no runtime);
                     without it that is a warning in the deploy's answer`;

/** The deploy options the flags ask for; a UserError that says what is allowed otherwise. */
export function deployOptionsOf(values: { mode?: string; 'expect-revision'?: string; 'accept-warnings'?: boolean; replace?: boolean; 'strict-accelerators'?: boolean }): DeployRequest {
  const opts: DeployRequest = {};
  if (values['accept-warnings']) opts.acceptWarnings = true;
  if (values.replace) opts.replace = true;
  if (values['strict-accelerators']) opts.strictAccelerators = true;
  if (values.mode !== undefined) {
    if (!(DEPLOY_MODES as readonly string[]).includes(values.mode)) throw new UserError(`--mode '${values.mode}' is not a deploy mode: use one of ${DEPLOY_MODES.join(', ')}\nusage: edgeai ${usage}`);
    opts.mode = values.mode as DeployMode;
  }
  const rev = values['expect-revision'];
  if (rev !== undefined) {
    if (!/^\d+$/.test(rev.trim()) || !Number.isSafeInteger(Number(rev))) throw new UserError(`--expect-revision '${rev}' must be a whole number ≥ 0: the workflow's revision \`edgeai cluster status\` shows (0: not deployed yet)\nusage: edgeai ${usage}`);
    opts.expectedRevision = Number(rev);
  }
  return opts;
}

const ACTION_WORD = { deployed: 'deployed', unchanged: 'unchanged', restarted: 'restarted' } as const;

export const command: Command = {
  usage,
  summary: COMMANDS.deploy.summary,
  help,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { ...CLUSTER_OPTIONS, json: { type: 'boolean' }, mode: { type: 'string' }, 'expect-revision': { type: 'string' }, 'accept-warnings': { type: 'boolean' }, replace: { type: 'boolean' }, 'strict-accelerators': { type: 'boolean' } }, usage);
    if (positionals.length !== 1) throw new UserError(`expected one project folder\nusage: edgeai ${usage}`);
    const opts = deployOptionsOf(values);
    const c = await openController(values, io, !!values.json);
    try {
      const t0 = Date.now();
      const r = await deployProject(c, positionals[0], opts);
      if (values.json) io.out(JSON.stringify(r, null, 2));
      else {
        for (const w of r.warnings) io.out(`warning: ${w}`);
        const verb = r.mode === 'restart' ? 'restarted' : r.nothingChanged ? 'kept' : 'deployed';
        io.out(`${verb} ${r.workflow} revision ${r.revision}${r.mode !== 'full' ? ` (mode ${r.mode})` : ''} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        if (r.nothingChanged) io.out(`  ${r.summary}`);
        for (const f of r.functions) {
          const what = f.status === 'ready' ? (f.action ? ACTION_WORD[f.action] : 'ready') : f.status;
          io.out(`  ${f.id.padEnd(16)} ${what.padEnd(10)} ${f.node ?? '-'}${f.coldStartMs ? `  (cold start ${Math.round(f.coldStartMs)} ms)` : ''}${f.reason ? `\n      ${f.reason.replace(/\n/g, '\n      ')}` : ''}`);
        }
        for (const g of r.removed) io.out(`  ${g.id.padEnd(16)} ${'undeployed'.padEnd(10)} ${g.node ?? '-'}  (no longer in the project)`);
      }
      return r.functions.some((f) => f.status === 'failed') ? 1 : 0;
    } finally {
      c.close();
    }
  },
};
