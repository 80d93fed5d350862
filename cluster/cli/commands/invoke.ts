import { existsSync, readFileSync } from 'node:fs';
import { parseCommandArgs, UserError, type Command } from '../command';
import { CLUSTER_OPTIONS, openController } from '../runtime-support';
import { COMMANDS } from './meta';

const { usage } = COMMANDS.invoke;

export function parseInput(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  const raw = existsSync(text) ? readFileSync(text, 'utf8') : text;
  try {
    return JSON.parse(raw);
  } catch (e) {
    throw new UserError(`--input is neither a file nor JSON: ${(e as Error).message}`);
  }
}

export function parseParams(list: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of list ?? []) {
    const i = p.indexOf('=');
    if (i <= 0) throw new UserError(`--param '${p}' must look like name=value`);
    out[p.slice(0, i)] = p.slice(i + 1);
  }
  return out;
}

export const command: Command = {
  usage,
  summary: COMMANDS.invoke.summary,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { ...CLUSTER_OPTIONS, input: { type: 'string' }, param: { type: 'string', multiple: true }, json: { type: 'boolean' } }, usage);
    const m = /^([^/]+)\/([^/]+)$/.exec(positionals[0] ?? '');
    if (!m || positionals.length !== 1) throw new UserError(`expected <workflow>/<function>, e.g. mnist/inference\nusage: edgeai ${usage}`);
    const input = parseInput(values.input);
    const params = parseParams(values.param);
    const c = await openController(values, io, !!values.json);
    try {
      const a = await c.invoke(m[1], m[2], { input, params });
      if (values.json) io.out(JSON.stringify(a, null, 2));
      else {
        io.out(JSON.stringify(a.output, null, 2));
        const t = a.timings;
        io.out(`node ${a.node}${a.models.length ? `, model ${a.models.join(', ')}` : ''}${a.modelRanOn ? ` on ${a.modelRanOn}` : ''}; ${Math.round(t.totalMs)} ms = queue ${Math.round(t.queueMs)} + transfer ${Math.round(t.transferMs)} + cold start ${Math.round(t.coldStartMs)} + execution ${Math.round(t.execMs)} + platform ${Math.round(t.overheadMs)}; run ${a.run}${a.attempts > 1 ? `; retried on another node` : ''}`);
        if (a.produced.length) io.out(`produced ${a.produced.join(', ')}`);
        for (const g of a.gates) io.out(`gate ${g.kind} ${g.metric} ${g.predicate}: ${g.pass ? 'pass' : 'FAIL'} — ${g.detail}`);
      }
      return 0;
    } finally {
      c.close();
    }
  },
};
