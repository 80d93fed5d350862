/**
 * The report of a finished run: per function the invocations and their fates, cold starts,
 * deadline misses and latency parts; bytes per link and direction; per node the time busy and
 * the CPU reserved; edge utilisation and the cloud's cost (docs/reference.md §1).
 */
import { cloudCostOf, latencyStats } from './accounting';
import type { SimContext } from './state';
import type { FunctionReport, NodeUsage, SimulationReport } from './types';
import { edgeTpuDescription } from '../planning/exec-model';

const byName = ([a]: [string, number], [b]: [string, number]) => (a < b ? -1 : a > b ? 1 : 0);

export function buildReport(sim: SimContext): SimulationReport {
  const { opts, t, accounting: acc } = sim;
  const end = Math.max(sim.engine.now, opts.durationS);
  const n = t.nodes.length;
  let edgeAlloc = 0;
  let cloudAlloc = 0;
  const nodeUsage: NodeUsage[] = [];
  for (let v = 0; v < n; v++) {
    const { alloc, busy } = acc.usage(v, end);
    if (acc.isCloud[v]) cloudAlloc += alloc;
    else edgeAlloc += alloc;
    if (!acc.hosted[v] && !acc.invocationsAt[v]) continue;
    const node = t.nodes[v];
    nodeUsage.push({ node: node.name, type: node.type, device: node.device, invocations: acc.invocationsAt[v], busy: busy / end, allocated: alloc / (node.cpuMillis * end) });
  }
  const functions: FunctionReport[] = sim.order.map((fs) => ({
    function: fs.def.id,
    invocations: fs.invocations,
    arrivals: fs.arrivals,
    arrivalsChecksum: fs.arrivalHash.toString(16).padStart(8, '0'),
    completed: fs.completed,
    failed: fs.failed,
    unfinished: fs.invocations - fs.completed - fs.failed,
    coldStarts: fs.coldStarts,
    deadlineMs: fs.def.base.deadlineMs ?? null,
    deadlineMisses: fs.misses,
    wait: latencyStats(fs.waits),
    transfer: latencyStats(fs.transfers),
    execution: latencyStats(fs.executions),
    total: latencyStats(fs.totals),
    replicasStarted: fs.replicasStarted,
    nodes: Object.fromEntries([...fs.nodes.entries()].sort(byName)),
    failures: [...fs.failures],
    ...(fs.gates && fs.gates.evaluated > 0 ? { gates: { evaluated: fs.gates.evaluated, failed: fs.gates.failed, blocked: fs.gates.blocked } } : {}),
  }));
  // where a function ran on an Edge TPU, say so and with which figure (planning/exec-model.ts)
  const tpuNotes: string[] = [];
  for (const fs of sim.order) {
    const w = fs.def.base.workload;
    if (!w) continue;
    for (const name of [...fs.nodes.keys()].sort()) {
      const d = edgeTpuDescription(t.nodes[sim.snap.nodeIndex(name)], w);
      if (d) tpuNotes.push(`${fs.def.id}: ${d}`);
    }
  }
  const sum = (k: 'invocations' | 'completed' | 'failed' | 'unfinished' | 'coldStarts' | 'deadlineMisses') => functions.reduce((a, f) => a + f[k], 0);
  const cost = cloudCostOf(acc.cloudGbs, acc.cloudInvocations, acc.egressBytes);
  const { workers, cap, perWorkerStart } = sim.settings.concurrency;
  return {
    workflow: sim.wf.name,
    topology: t.name,
    nodes: n,
    profile: sim.profile.name,
    seed: opts.seed,
    durationS: opts.durationS,
    endS: end,
    // with the autoscaler's inert ticks, which are skipped (scaling.ts): the same count as a run that runs them
    // the skipped inert ticks as if run (scaling.ts), the network's refill events left out (network.ts settleSoon): the workflow's events
    events: sim.engine.processed + sim.autoscaler.skipped - sim.net.settles,
    concurrency: perWorkerStart ? `up to ${cap} workers per replica, each started on demand (the node agent's)` : workers === null ? '1 per replica' : `${workers} workers per replica`,
    deploy: sim.deploy,
    functions,
    totals: { invocations: sum('invocations'), completed: sum('completed'), failed: sum('failed'), unfinished: sum('unfinished'), coldStarts: sum('coldStarts'), deadlineMisses: sum('deadlineMisses') },
    links: sim.net.linkBytes().filter((l) => l.upBytes > 0 || l.downBytes > 0),
    nodeUsage,
    edgeUtilisation: edgeAlloc + cloudAlloc > 0 ? edgeAlloc / (edgeAlloc + cloudAlloc) : null,
    cloudCost: { cloudInvocations: acc.cloudInvocations, ...cost },
    notes: tpuNotes.length ? [...sim.notes, ...tpuNotes] : sim.notes,
  };
}
