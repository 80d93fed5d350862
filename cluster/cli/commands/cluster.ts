import { parseCommandArgs, UserError, type Command, type CliIO } from '../command';
import { inspectKubernetes, startCluster } from '../../app/cluster';
import { describeMapping, mappingToFile } from '../../topology/kubernetes';
import { BACKEND_KINDS, type BackendKind } from '../../common/status';
import { fmtBytes, fmtMemory } from '../../common/units';
import { CLUSTER_OPTIONS, openController } from '../runtime-support';
import type { ClusterStatus } from '../../runtime/controller';
import { COMMANDS } from './meta';

const { usage } = COMMANDS.cluster;

export function printStatus(s: ClusterStatus, io: CliIO): void {
  io.out(`cluster ${s.cluster}: ${s.up ? 'up' : 'down'}${s.backend ? ` (${s.backend} backend` : ''}${s.topology ? `, topology ${s.topology})` : s.backend ? ')' : ''}`);
  if (!s.nodes.length) return;
  const rows = s.nodes.map((n) => [n.name, n.status, n.device, n.type, n.network, `${n.cpuMillis}m/${fmtMemory(n.memoryBytes)}`, n.capabilities.join(',') || '-', n.functions.join(', ') || '-']);
  const head = ['NODE', 'STATUS', 'DEVICE', 'TYPE', 'NETWORK', 'CPU/MEM', 'CAPS', 'FUNCTIONS'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const r of [head, ...rows]) io.out('  ' + r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd());
  for (const n of s.nodes) if (n.status === 'NotReady' && n.reason) io.out(`  ${n.name}: ${n.reason}`);
  // a node sticks were attached to: what it has of them, what it lost (since when, why), its Edge TPU check
  for (const n of s.nodes) for (const l of n.accelerators?.lines ?? []) io.out(`  ${n.name}: ${l}`);
  for (const d of s.deployments) io.out(`deployment ${d.workflow} revision ${d.revision}: ${d.status}${d.functions.filter((f) => f.status === 'failed').map((f) => `\n  ${f.id}: ${f.reason}`).join('')}`);
  if (s.links.length) io.out(`bytes moved: ${s.links.map((l) => `${l.link} ${fmtBytes(l.bytes)}`).join(', ')}`);
  if (s.unavailable.length) io.out(`unavailable artifacts (only copies on stopped nodes): ${s.unavailable.map((u) => `${u.urn}@${u.version} [${u.locations.join(',')}]`).join(', ')}`);
}

export const command: Command = {
  usage,
  summary: COMMANDS.cluster.summary,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      argv,
      { ...CLUSTER_OPTIONS, backend: { type: 'string', default: 'process' }, topology: { type: 'string' }, json: { type: 'boolean' }, 'accelerators-on': { type: 'string', default: 'laptop' }, 'keep-state': { type: 'boolean' }, kubeconfig: { type: 'string' }, context: { type: 'string' }, namespace: { type: 'string' }, 'privileged-usb': { type: 'boolean' } },
      usage,
    );
    const sub = positionals[0];
    if (!['up', 'status', 'down', 'inspect'].includes(sub ?? '')) throw new UserError(`expected up, status, down or inspect\nusage: edgeai ${usage}`);
    if (!(BACKEND_KINDS as readonly string[]).includes(values.backend!)) throw new UserError(`--backend must be ${BACKEND_KINDS.join(', ')}, not '${values.backend}'`);
    const kube = values.backend === 'kubernetes';
    const k8s = { ...(values.kubeconfig ? { kubeconfig: values.kubeconfig } : {}), ...(values.context ? { context: values.context } : {}), ...(values.namespace ? { namespace: values.namespace } : {}), ...(values['privileged-usb'] ? { privilegedUsb: true } : {}) };
    if (!kube && (values.kubeconfig || values.context || values.namespace || values['privileged-usb'])) throw new UserError('--kubeconfig, --context, --namespace and --privileged-usb go with --backend kubernetes');
    if (sub === 'inspect') {
      if (!kube) throw new UserError(`cluster inspect reads a Kubernetes cluster's nodes: add --backend kubernetes\nusage: edgeai ${usage}`);
      const m = await inspectKubernetes(k8s, values.topology);
      if (values.json) io.out(JSON.stringify({ target: m.target, nodes: m.nodes, assumed: m.assumed, missing: m.missing, topology: mappingToFile(m) }, null, 2));
      else {
        io.out(`Kubernetes cluster ${m.target.server} (context ${m.target.context}): ${m.topology.nodes.length} node(s) mapped to topology '${m.topology.name}'`);
        for (const line of describeMapping(m)) io.out(line);
        io.out(`next: edgeai cluster up --backend kubernetes${values.kubeconfig ? ` --kubeconfig ${values.kubeconfig}` : ''}${values.context ? ` --context ${values.context}` : ''}${values.topology ? ` --topology ${values.topology}` : ''} (agents in namespace ${m.target.namespace})`);
      }
      return 0;
    }
    const c = await openController(values, io, !!values.json);
    try {
      if (sub === 'up') {
        const t0 = Date.now();
        // USB sticks plugged into this machine join the node that stands for it (default: laptop);
        // kubernetes: the cluster's nodes, mapped, unless --topology names a scenario or a file
        const s = await startCluster(c, { backend: values.backend as BackendKind, ...(values.topology || !kube ? { topology: values.topology ?? 'local' } : {}), acceleratorsOn: values['accelerators-on']!, ...(kube ? { kubernetes: k8s } : {}) }, (note) => {
          if (!values.json) io.err(`  … ${note}`);
        });
        if (values.json) io.out(JSON.stringify(s, null, 2));
        else {
          printStatus(s, io);
          io.out(`up in ${((Date.now() - t0) / 1000).toFixed(1)} s; next: edgeai deploy <project>`);
        }
      } else if (sub === 'status') {
        // one heartbeat round: what the agents say now (their sticks included)
        const s = await c.heartbeat();
        if (values.json) io.out(JSON.stringify(s, null, 2));
        else printStatus(s, io);
      } else {
        const keep = values['keep-state'] === true;
        await c.down({ keepState: keep });
        io.out(keep ? `cluster ${c.cluster} is down: every node stopped; deployments (stopped), node stores and artifacts kept for the next up` : `cluster ${c.cluster} is down: every node stopped and removed, with its deployments and what lived only on the nodes`);
      }
      return 0;
    } finally {
      c.close();
    }
  },
};
