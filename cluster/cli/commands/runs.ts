import { parseCommandArgs, UserError, type Command } from '../command';
import { CLUSTER_OPTIONS, openController } from '../runtime-support';

const usage = 'runs list|show|logs [<run>] [--workflow w] [--function f] [--json]';

export const command: Command = {
  usage,
  summary: 'the recorded runs: inputs, outputs, node, timings, logs',
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { ...CLUSTER_OPTIONS, workflow: { type: 'string' }, function: { type: 'string' }, limit: { type: 'string', default: '20' }, json: { type: 'boolean' } }, usage);
    const [sub, id] = positionals;
    if (!['list', 'show', 'logs'].includes(sub ?? '')) throw new UserError(`expected list, show or logs\nusage: edgeai ${usage}`);
    const c = await openController(values, io, true);
    try {
      if (sub === 'list') {
        const runs = c.runs({ workflow: values.workflow, function: values.function, limit: Number(values.limit) });
        if (values.json) io.out(JSON.stringify(runs.map(decode), null, 2));
        else for (const r of runs) io.out(`${r.id.slice(0, 8)}  ${r.started}  ${`${r.workflow}/${r.function}`.padEnd(24)} ${r.status.padEnd(13)} ${r.node ?? '-'}`);
        return 0;
      }
      if (!id) throw new UserError(`which run? give its id (or its first characters)\nusage: edgeai ${usage}`);
      const r = c.run(id);
      if (!r) throw new UserError(`no run '${id}'; \`edgeai runs list\` shows the recent ones`);
      if (sub === 'logs') {
        for (const l of JSON.parse(r.logs) as string[]) io.out(l);
        return 0;
      }
      io.out(JSON.stringify(decode(r), null, 2));
      return 0;
    } finally {
      c.close();
    }
  },
};

function decode(r: ReturnType<import('../../runtime/controller').Controller['runs']>[number]) {
  const j = (s: string | null) => (s === null ? null : JSON.parse(s));
  return { ...r, request: j(r.request), inputs: j(r.inputs), outputs: j(r.outputs), output: j(r.output), timings: j(r.timings), logs: j(r.logs), error: j(r.error) };
}
