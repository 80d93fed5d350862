import { parseCommandArgs, UserError, type Command } from '../command';
import { CLUSTER_OPTIONS, openController } from '../runtime-support';
import { COMMANDS } from './meta';
import { fmtBytes } from '../../common/units';

const { usage } = COMMANDS.runs;

export const command: Command = {
  usage,
  summary: COMMANDS.runs.summary,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { ...CLUSTER_OPTIONS, workflow: { type: 'string' }, function: { type: 'string' }, limit: { type: 'string', default: '20' }, output: { type: 'boolean' }, json: { type: 'boolean' } }, usage);
    const [sub, id] = positionals;
    if (!['list', 'show', 'logs'].includes(sub ?? '')) throw new UserError(`expected list, show or logs\nusage: edgeai ${usage}`);
    const c = await openController(values, io, true);
    try {
      if (sub === 'list') {
        const runs = c.runs({ workflow: values.workflow, function: values.function, limit: Number(values.limit) });
        if (values.json) io.out(JSON.stringify(runs.map(decode), null, 2));
        else if (!runs.length) {
          const which = [values.workflow && `workflow ${values.workflow}`, values.function && `function ${values.function}`].filter(Boolean).join(', ');
          io.out(`no runs${which ? ` of ${which}` : ''} on this cluster yet: deploy a workflow and invoke a function (edgeai deploy <project>, then edgeai invoke <workflow>/<function>)`);
        } else for (const r of runs) io.out(`${r.id.slice(0, 8)}  ${r.started}  ${`${r.workflow}/${r.function}`.padEnd(24)} ${r.status.padEnd(13)} ${(r.node ?? '-').padEnd(10)}${r.ran_on ? ` model on ${r.ran_on}` : ''}`.trimEnd());
        return 0;
      }
      if (!id) throw new UserError(`which run? give its id (or its first characters)\nusage: edgeai ${usage}`);
      const r = c.run(id);
      if (!r) throw new UserError(`no run '${id}'; \`edgeai runs list\` shows the recent ones`);
      if (values.output) {
        if (sub !== 'show') throw new UserError(`--output goes with \`runs show <run>\`\nusage: edgeai ${usage}`);
        io.out(JSON.stringify(c.runOutput(r) ?? null, null, 2));
        return 0;
      }
      if (sub === 'logs') {
        for (const l of JSON.parse(r.logs) as string[]) io.out(l);
        return 0;
      }
      if (values.json) io.out(JSON.stringify(decode(r), null, 2));
      else for (const line of runText(decode(r))) io.out(line);
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

/** A run as a person reads it: what, where, how long (the parts add up), in → out, the error or the output, the logs. */
export function runText(r: ReturnType<typeof decode>): string[] {
  const lines = [`run ${r.id}  ${r.workflow}/${r.function}  ${r.status}${r.attempts > 1 ? ` (attempt ${r.attempts})` : ''}`, `  node      ${r.node ?? '-'}`, `  started   ${r.started}${r.ended ? `, ended ${r.ended}` : ''}`];
  const t = (r.timings ?? {}) as Record<string, number>;
  if (typeof t.totalMs === 'number') {
    const parts = (['queueMs', 'transferMs', 'coldStartMs', 'execMs', 'overheadMs'] as const).filter((k) => typeof t[k] === 'number').map((k) => `${k.replace(/Ms$/, '').replace('coldStart', 'cold start').replace('exec', 'execution')} ${Math.round(t[k])}`);
    lines.push(`  time      ${Math.round(t.totalMs)} ms = ${parts.join(' + ')}`);
  }
  const list = (v: unknown) => (Array.isArray(v) ? v.map((x) => (typeof x === 'string' ? x : `${(x as { urn: string }).urn}@${(x as { version: number }).version}`)).join(', ') : '');
  lines.push(`  inputs    ${list(r.inputs) || '-'}`, `  outputs   ${list(r.outputs) || '-'}`);
  // where its models ran (issue 14): edgetpu, cpu, or cpu (fallback: why)
  if (r.ran_on) lines.push(`  model on  ${r.ran_on}`);
  const err = r.error as { code?: string; message?: string; hint?: string } | null;
  if (err) lines.push(`  error     ${err.code ? `${err.code}: ` : ''}${err.message ?? ''}`, ...(err.hint ? [`  hint      ${err.hint}`] : []));
  const out = r.output as { output?: unknown; outputBlob?: { sha256: string; size: number }; gates?: Array<{ kind: string; metric: string; predicate: string; pass: boolean; detail: string }> } | null;
  if (out && out.output !== undefined) lines.push(`  output    ${JSON.stringify(out.output).slice(0, 300)}`);
  if (out?.outputBlob) lines.push(`  output    ${fmtBytes(out.outputBlob.size)} of JSON, kept beside the run: \`edgeai runs show ${r.id.slice(0, 8)} --output\``);
  for (const g of out?.gates ?? []) lines.push(`  gate      ${g.kind} ${g.metric} ${g.predicate}: ${g.pass ? 'pass' : 'FAIL'} — ${g.detail}`);
  const logs = Array.isArray(r.logs) ? (r.logs as string[]) : [];
  if (logs.length) lines.push('  logs', ...logs.map((l) => `    ${l}`));
  return lines;
}
