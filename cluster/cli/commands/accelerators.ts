/**
 * `edgeai accelerators [--json] [--sysfs <root>] [--dev <root>] [--watch] [--save <topology.json>]`
 *
 * Lists the USB accelerators plugged into this machine (Google Coral USB Accelerator, Intel
 * Neural Compute Stick 2 / 1) with their state, bus and device, capability and whether their
 * device node can be opened (with the udev rule to add when not). `--watch` prints hot-plug
 * events until Ctrl+C. `--save` writes a topology with the sticks attached to the host node, for
 * `edgeai cluster up --topology <file>` and `edgeai schedule --topology <file>`.
 *
 * When the cluster (--cluster, --home; default $EDGEAI_CLUSTER, else local) is up on a local
 * backend, each stick also names the cluster node it is attached to and whether that node has it
 * now — or lost it, since when and why (the node's agent, the studio's watcher or a run saw it go:
 * controller/accelerators.ts StickBook) — after one heartbeat round, so it is what the agents say now.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  describeAccelerator,
  discoverAccelerators,
  KIND_NAMES,
  hostSysfsRoot,
  platformNote,
  udevRulesText,
  UDEV_RELOAD,
  UDEV_RULES_FILE,
  type Accelerator,
  type DiscoverOptions,
} from '../../accelerators/discover';
import { watchAccelerators, type AcceleratorEvent } from '../../accelerators/watch';
import { edgeTpuReadiness, ncs2Readiness } from '../../accelerators/runtimes';
import { acceleratorAttributes, withAccelerators } from '../../accelerators/attach';
import { resolveTopologyArg, saveTopology, type Topology } from '../../topology/index';
import { StudioError } from '../../common/errors';
import { parseCommandArgs, UserError, type CliIO, type Command } from '../command';
import { COMMANDS } from './meta';
import { CLUSTER_OPTIONS, openController } from '../runtime-support';
import { clusterIsUp, DEFAULT_CLUSTER } from '../../runtime/home';
import type { NodeAcceleratorsView } from '../../runtime/controller/accelerators';

const { usage } = COMMANDS.accelerators;

function pad3(n: number): string {
  return String(n).padStart(3, '0');
}

function accessText(a: Accelerator): string {
  if (!a.access) return '';
  if (a.access.ok) return 'ok';
  return a.access.problem === 'missing' ? 'missing' : 'no access';
}

function printList(list: Accelerator[], io: CliIO): void {
  io.out(`${list.length} USB accelerator${list.length === 1 ? '' : 's'} on this machine:`);
  const head = ['KIND', 'STATE', 'ID', 'BUS/DEV', 'PORT', 'CAPABILITY', 'DEVICE NODE', 'ACCESS'];
  const rows = list.map((a) => [a.kind, a.state, `${a.vendorId}:${a.productId}`, `${pad3(a.busnum)}/${pad3(a.devnum)}`, a.port, a.capability, a.devPath, accessText(a)]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const r of [head, ...rows]) io.out('  ' + r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd());
  for (const a of list) {
    if (a.state === 'bootloader') io.out(`  ${a.kind} on ${a.port}: firmware not loaded yet; it re-enumerates with new ids at first use (that is expected)`);
    if (a.access && !a.access.ok) io.out(`  ${a.kind} on ${a.port}: ${a.access.path}: ${a.access.hint}`);
  }
}

function printNone(io: CliIO, sysfsRoot: string, explicitSysfs: boolean): void {
  const dir = join(sysfsRoot, 'bus', 'usb', 'devices');
  const note = explicitSysfs ? undefined : platformNote();
  io.out(`no USB accelerator found${existsSync(dir) ? ` (scanned ${dir})` : ` (${dir} does not exist: this machine has no USB bus visible)`}.`);
  if (note) io.out(note);
  io.out('to attach one, plug a Google Coral USB Accelerator or an Intel Neural Compute Stick 2 into this (Linux) machine.');
  io.out(`first give your user access to both USB ids of each stick (they re-enumerate after firmware load) with udev rules in ${UDEV_RULES_FILE}:`);
  for (const l of udevRulesText().split('\n')) io.out(`  ${l}`);
  io.out(`then run ${UDEV_RELOAD} (and for the Coral: sudo usermod -aG plugdev $USER, log in again).`);
  io.out('Docker Desktop on macOS and Windows has no USB passthrough: a container there starts without the stick and without an error.');
}

function eventText(e: AcceleratorEvent): string[] {
  const a = e.accelerator;
  const lines = [`${e.type.padEnd(8)}  ${describeAccelerator(a)}${e.previous ? ` (was ${e.previous.vendorId}:${e.previous.productId} ${e.previous.state}, device ${pad3(e.previous.devnum)})` : ''}`];
  if (e.type !== 'detached' && a.access && !a.access.ok) lines.push(`          ${a.access.path}: ${a.access.hint}`);
  return lines;
}

/** Where a stick is in the running cluster: the node it is attached to, and whether that node has it now. */
interface StickInCluster {
  cluster: string;
  /** the node `cluster up` attached sticks of this kind to; null: none (plugged in after up, or none attached) */
  node: string | null;
  /** whether that node offers the stick now (its capability and label) */
  has: boolean;
  /** when it lost it, and why */
  lostSince?: string;
  why?: string;
}

interface ClusterSticks {
  cluster: string;
  up: boolean;
  backend: string | null;
  /** the nodes sticks were attached to, as `cluster status` shows them */
  nodes: Array<{ node: string } & NodeAcceleratorsView>;
  /** why no stick is mapped to a node (a kubernetes cluster's nodes are not this machine) */
  note?: string;
}

/** The running cluster's word on the sticks, when it is up; undefined when it has no state here (nothing is created). */
async function clusterSticks(values: { cluster?: string; home?: string }, io: CliIO): Promise<ClusterSticks | undefined> {
  const ref = { ...(values.home ? { home: values.home } : {}), cluster: values.cluster ?? process.env.EDGEAI_CLUSTER ?? DEFAULT_CLUSTER };
  if (!clusterIsUp(ref)) return undefined;
  const c = await openController(values, io, true);
  try {
    const s = await c.heartbeat();
    const nodes = s.nodes.flatMap((n) => (n.accelerators ? [{ node: n.name, ...n.accelerators }] : []));
    return { cluster: s.cluster, up: s.up, backend: s.backend, nodes, ...(s.backend === 'kubernetes' ? { note: "a kubernetes cluster's nodes are its own machines: the sticks of this one are not theirs" } : {}) };
  } finally {
    c.close();
  }
}

function whereIn(cs: ClusterSticks, a: Accelerator): StickInCluster {
  const host = cs.note ? undefined : cs.nodes.find((n) => (n.attached[a.kind] ?? 0) > 0);
  if (!host) return { cluster: cs.cluster, node: null, has: false };
  const lost = host.lost.find((l) => l.kind === a.kind);
  return { cluster: cs.cluster, node: host.node, has: (host.present[a.kind] ?? 0) > 0, ...(lost ? { lostSince: lost.since, why: lost.why } : {}) };
}

function printCluster(cs: ClusterSticks, list: Accelerator[], io: CliIO): void {
  io.out(`cluster ${cs.cluster} is up (${cs.backend ?? '?'} backend)${cs.note ? `: ${cs.note}` : ''}`);
  if (cs.note) return;
  for (const a of list) {
    const w = whereIn(cs, a);
    if (!w.node) io.out(`  ${a.kind} on ${a.port}: attached to no node of cluster ${cs.cluster} (plugged in after \`cluster up\`?): \`edgeai cluster down\`, then \`up\` attaches it to --accelerators-on (default laptop)`);
    else if (w.has) io.out(`  ${a.kind} on ${a.port}: attached to node ${w.node}, which has it (${cs.nodes.find((n) => n.node === w.node)!.lines.find((l) => l.startsWith(`${a.capability}:`)) ?? a.capability})`);
    else io.out(`  ${a.kind} on ${a.port}: attached to node ${w.node}, which lost it${w.lostSince ? ` since ${w.lostSince} (${w.why})` : ''}`);
  }
  // what a node lost that is not plugged in here any more
  for (const n of cs.nodes) for (const l of n.lost) if (!list.some((a) => a.kind === l.kind)) io.out(`  node ${n.node} lost its ${l.kind} since ${l.since} (${l.why}); plug it in again and the node gets ${l.kind === 'coral' ? 'tpu' : 'vpu'} back`);
}

function positiveInt(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UserError(`--${name} wants a whole number of at least 1, not '${v}'`);
  return n;
}

async function watch(opts: DiscoverOptions & { intervalMs: number; events?: number; json: boolean }, io: CliIO): Promise<number> {
  let seen = 0;
  let finish: () => void = () => {};
  const done = new Promise<void>((r) => (finish = r));
  // JSON lines start with an 'attached' event per stick already present (the state to build on)
  const stop = watchAccelerators({ ...opts, emitInitial: opts.json }, (e) => {
    if (opts.events !== undefined && seen >= opts.events) return;
    seen++;
    if (opts.json) io.out(JSON.stringify(e));
    else for (const l of eventText(e)) io.out(l);
    if (opts.events !== undefined && seen >= opts.events) finish();
  });
  const onSigint = () => finish();
  process.once('SIGINT', onSigint);
  // the watcher's timer is unref'd; this keeps the CLI alive until Ctrl+C (or --events)
  const keepAlive = setInterval(() => {}, 1 << 30);
  if (!opts.json) io.out(`watching for USB accelerators every ${opts.intervalMs} ms${opts.events !== undefined ? ` until ${opts.events} event(s)` : ''} (Ctrl+C to stop)…`);
  try {
    await done;
  } finally {
    stop();
    clearInterval(keepAlive);
    process.removeListener('SIGINT', onSigint);
  }
  return 0;
}

export const command: Command = {
  usage,
  summary: COMMANDS.accelerators.summary,
  help: [
    'options:',
    '  --json              machine-readable: {accelerators:[…]}; with --watch one event per line,',
    "                      starting with an 'attached' event per stick already plugged in",
    '  --sysfs <root>      where sysfs is mounted (default /sys)',
    '  --dev <root>        where device nodes live; each stick\'s /dev/bus/usb/BBB/DDD is checked (default /dev)',
    '  --watch             print attached / detached / changed events until Ctrl+C; a stick loading its',
    '                      firmware re-enumerates with new ids and shows as one "changed"',
    '  --interval <ms>     how often --watch rescans (default 1000)',
    '  --events <n>        with --watch: stop after n events',
    '  --save <file>       write a topology.json with the sticks attached to --host, for',
    '                      edgeai cluster up --topology <file> (the node then gets the USB bus passed through)',
    '  --topology <t>      the topology --save starts from (default local)',
    "  --host <node>       the node the sticks are plugged into (default laptop, the local topology's user device)",
    '  --cluster <name>    the cluster whose nodes the sticks are attached to (default $EDGEAI_CLUSTER, else local);',
    '                      when it is up, each stick names its node and whether the node has it (or lost it, since when)',
    '  --home <dir>        where clusters keep their state (default $EDGEAI_HOME, else ~/.edgeai)',
  ].join('\n'),
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      argv,
      {
        json: { type: 'boolean' },
        sysfs: { type: 'string' },
        dev: { type: 'string' },
        watch: { type: 'boolean' },
        interval: { type: 'string' },
        events: { type: 'string' },
        save: { type: 'string' },
        topology: { type: 'string' },
        host: { type: 'string' },
        ...CLUSTER_OPTIONS,
      },
      usage,
    );
    if (positionals.length) throw new UserError(`unexpected argument '${positionals[0]}'\nusage: edgeai ${usage}`);
    if (values.watch && values.save) throw new UserError('--save and --watch do not go together: save once, or watch');
    if (!values.save && (values.topology || values.host)) throw new UserError('--topology and --host only go with --save <file>');
    // where the node agents look too (EDGEAI_SYSFS_ROOT, else /sys)
    const sysfsRoot = values.sysfs ? resolve(values.sysfs) : (hostSysfsRoot() ?? '/sys');
    const devRoot = values.dev ? resolve(values.dev) : '/dev';
    const discover: DiscoverOptions = { sysfsRoot, devRoot };
    const intervalMs = positiveInt(values.interval, 'interval') ?? 1000;
    const events = positiveInt(values.events, 'events');
    if (!values.watch && (values.interval || values.events)) throw new UserError('--interval and --events only go with --watch');

    const list = discoverAccelerators(discover);
    if (values.watch) {
      if (!values.json) {
        if (list.length) printList(list, io);
        else io.out('no USB accelerator plugged in yet.');
      }
      return watch({ ...discover, intervalMs, ...(events !== undefined ? { events } : {}), json: !!values.json }, io);
    }

    if (values.save) {
      let base: Topology;
      try {
        base = await resolveTopologyArg(values.topology ?? 'local');
      } catch (e) {
        throw new UserError((e as Error).message);
      }
      const host = values.host ?? (base.nodes.some((n) => n.name === 'laptop') ? 'laptop' : base.nodes.find((n) => n.type === 'user_device')?.name ?? 'laptop');
      let attached: Topology;
      try {
        attached = withAccelerators(base, list, host);
      } catch (e) {
        if (e instanceof StudioError) throw new UserError(e.message);
        throw e;
      }
      const file = resolve(values.save);
      await saveTopology(file, attached);
      const { capabilities, labels } = acceleratorAttributes(list);
      if (values.json) io.out(JSON.stringify({ file, host, accelerators: list, capabilities, labels }, null, 2));
      else {
        if (list.length) {
          io.out(`wrote ${file}: topology ${attached.name} with ${list.map((a) => a.kind).join(', ')} attached to node '${host}' (capabilities ${capabilities.join(', ')}; labels ${Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(', ')})`);
          io.out(`next: edgeai cluster up --backend docker --topology ${values.save}   (node '${host}' gets /dev/bus/usb passed through)`);
        } else {
          io.out(`wrote ${file}: no USB accelerator found, so topology ${attached.name} is unchanged`);
        }
      }
      return 0;
    }

    // whether models can run on them here, not only whether they are plugged in (runtimes.ts)
    const runtimes = [
      ...(list.some((a) => a.kind === 'coral') ? [edgeTpuReadiness({ ...discover, sticks: list })] : []),
      ...(list.some((a) => a.kind !== 'coral') ? [ncs2Readiness({ ...discover, sticks: list })] : []),
    ].map(({ stick: _stick, ...r }) => r);
    const cs = await clusterSticks(values, io);
    if (values.json) {
      const note = values.sysfs ? undefined : platformNote();
      const accelerators = cs ? list.map((a) => ({ ...a, cluster: whereIn(cs, a) })) : list;
      io.out(JSON.stringify({ accelerators, runtimes, ...(note ? { note } : {}), ...(cs ? { cluster: cs } : {}) }, null, 2));
      return 0;
    }
    if (!list.length) {
      printNone(io, sysfsRoot, !!values.sysfs);
      if (cs) printCluster(cs, list, io);
      return 0;
    }
    printList(list, io);
    for (const r of runtimes) {
      const name = r.runtime === 'edgetpu' ? 'Edge TPU runtime' : 'OpenVINO runtime (NCS)';
      io.out(r.ready ? `${name}: ready (${r.detail})` : `${name}: not ready — ${r.reason}\n  ${r.hint}`);
    }
    if (cs) printCluster(cs, list, io);
    const kinds = [...new Set(list.map((a) => KIND_NAMES[a.kind]))];
    if (!cs) io.out(`to use ${kinds.join(' and ')} in the local cluster: edgeai accelerators --save topology.json, then edgeai cluster up --backend docker --topology topology.json`);
    return 0;
  },
};
