import { resolveTopologyArg } from '../../topology/index';
import { attachLocalAccelerators } from '../../accelerators/index';
import { parseCommandArgs, UserError, type Command, type CliIO } from '../command';
import { CLUSTER_OPTIONS, openController } from '../runtime-support';
import type { ClusterStatus } from '../../runtime/controller';

const usage = 'cluster up|status|down [--backend process|docker] [--topology <name|file>] [--accelerators-on <node>|none] [--json]';

function mib(n: number): string {
  return n >= 1024 ** 3 ? `${(n / 1024 ** 3).toFixed(1)} GiB` : `${Math.round(n / 1024 ** 2)} MiB`;
}

export function printStatus(s: ClusterStatus, io: CliIO): void {
  io.out(`cluster ${s.cluster}: ${s.up ? 'up' : 'down'}${s.backend ? ` (${s.backend} backend` : ''}${s.topology ? `, topology ${s.topology})` : s.backend ? ')' : ''}`);
  if (!s.nodes.length) return;
  const rows = s.nodes.map((n) => [n.name, n.status, n.device, n.type, n.network, `${n.cpuMillis}m/${mib(n.memoryBytes)}`, n.capabilities.join(',') || '-', n.functions.join(', ') || '-']);
  const head = ['NODE', 'STATUS', 'DEVICE', 'TYPE', 'NETWORK', 'CPU/MEM', 'CAPS', 'FUNCTIONS'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const r of [head, ...rows]) io.out('  ' + r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd());
  for (const n of s.nodes) if (n.status === 'NotReady' && n.reason) io.out(`  ${n.name}: ${n.reason}`);
  for (const d of s.deployments) io.out(`deployment ${d.workflow} revision ${d.revision}: ${d.status}${d.functions.filter((f) => f.status === 'failed').map((f) => `\n  ${f.id}: ${f.reason}`).join('')}`);
  if (s.links.length) io.out(`bytes moved: ${s.links.map((l) => `${l.link} ${l.bytes}`).join(', ')}`);
  if (s.unavailable.length) io.out(`unavailable artifacts (only copies on stopped nodes): ${s.unavailable.map((u) => `${u.urn}@${u.version} [${u.locations.join(',')}]`).join(', ')}`);
}

export const command: Command = {
  usage,
  summary: 'start, inspect or stop the local edge cluster (process or docker backend)',
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { ...CLUSTER_OPTIONS, backend: { type: 'string', default: 'process' }, topology: { type: 'string', default: 'local' }, json: { type: 'boolean' }, 'accelerators-on': { type: 'string', default: 'laptop' } }, usage);
    const sub = positionals[0];
    if (!['up', 'status', 'down'].includes(sub ?? '')) throw new UserError(`expected up, status or down\nusage: edgeai ${usage}`);
    if (values.backend !== 'process' && values.backend !== 'docker') throw new UserError(`--backend must be process or docker, not '${values.backend}'`);
    const c = await openController(values, io, !!values.json);
    try {
      if (sub === 'up') {
        let topology = await resolveTopologyArg(values.topology!).catch((e: Error) => {
          throw new UserError(e.message);
        });
        // USB sticks plugged into this machine join the node that stands for it (default: laptop)
        const joined = attachLocalAccelerators(topology, values['accelerators-on']!);
        topology = joined.topology;
        if (joined.attached.length && !values.json) io.err(`  … ${joined.note}`);
        const t0 = Date.now();
        const s = await c.up({ backend: values.backend, topology });
        if (values.json) io.out(JSON.stringify(s, null, 2));
        else {
          printStatus(s, io);
          io.out(`up in ${((Date.now() - t0) / 1000).toFixed(1)} s; next: edgeai deploy <project>`);
        }
      } else if (sub === 'status') {
        // give the health loop one round to refresh what it knows
        await new Promise((r) => setTimeout(r, 600));
        const s = c.status();
        if (values.json) io.out(JSON.stringify(s, null, 2));
        else printStatus(s, io);
      } else {
        await c.down();
        io.out(`cluster ${c.cluster} is down: every node stopped and removed`);
      }
      return 0;
    } finally {
      c.close();
    }
  },
};
