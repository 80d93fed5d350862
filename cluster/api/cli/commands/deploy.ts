import { parseCommandArgs, UserError, type Command } from '../command';
import { CLUSTER_OPTIONS, openController } from '../runtime-support';

const usage = 'deploy <project> [--json]';

export const command: Command = {
  usage,
  summary: 'validate, schedule and ship a workflow to the running cluster (per-function progress)',
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { ...CLUSTER_OPTIONS, json: { type: 'boolean' } }, usage);
    if (positionals.length !== 1) throw new UserError(`expected one project folder\nusage: edgeai ${usage}`);
    const c = await openController(values, io, !!values.json);
    try {
      const t0 = Date.now();
      const r = await c.deploy(positionals[0]);
      if (values.json) io.out(JSON.stringify(r, null, 2));
      else {
        for (const w of r.warnings) io.out(`warning: ${w}`);
        io.out(`deployed ${r.workflow} revision ${r.revision} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        for (const f of r.functions) io.out(`  ${f.id.padEnd(16)} ${f.status.padEnd(7)} ${f.node ?? '-'}${f.coldStartMs ? `  (cold start ${Math.round(f.coldStartMs)} ms)` : ''}${f.reason ? `\n      ${f.reason.replace(/\n/g, '\n      ')}` : ''}`);
      }
      return r.functions.some((f) => f.status === 'failed') ? 1 : 0;
    } finally {
      c.close();
    }
  },
};
