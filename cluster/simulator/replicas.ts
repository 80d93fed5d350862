/**
 * Replicas and pulls (docs/reference.md §3, function lifecycle): at t = 0 the workflow is placed
 * by the planner (placeWorkflow, as `edgeai schedule` and a deploy place it); a scale-up runs the
 * scheduler once more (requirementsAt: the artifacts where they are now). A new replica pulls its
 * images from the registry as a flow (full size if missing, 10% if present: shared layers), then
 * waits cold until an invocation needs its worker, which starts in the device's startup time (§4).
 * Idle replicas are removed every reconcile (after 300 s without use), down to minReplicas.
 */
import { placeWorkflow, requirementsAt } from '../planning/plan';
import { schedule } from '../scheduler/schedule';
import { DEFAULT_STARTUP_S, PRESENT_IMAGE_FRACTION, STARTUP_S } from './constants';
import type { FnState, Replica, SimContext } from './state';

export class Replicas {
  private nextReplica = 0;

  constructor(private readonly sim: SimContext) {}

  /** t = 0: the workflow's first placements are the planner's, exactly as `edgeai schedule` and a deploy make them. */
  deployAll(): void {
    const { sim } = this;
    const plan = placeWorkflow(sim.wf, sim.t, sim.profile, { snapshot: sim.snap });
    for (const a of plan.artifacts) {
      const mine = sim.artifacts.get(a.urn);
      if (mine && !mine.locations.length) mine.locations = [...a.locations];
    }
    for (const p of plan.placements) {
      const fs = sim.fns.get(p.function)!;
      if (p.node === null) {
        fs.lastInfeasible = plan.infeasible[p.function]?.message ?? `no node can run ${p.function}`;
        sim.deploy.push({ function: p.function, node: null, reason: fs.lastInfeasible });
        continue;
      }
      this.start(fs, sim.snap.nodeIndex(p.node), p.neededImages);
      sim.deploy.push({ function: p.function, node: p.node });
    }
  }

  /** Runs the real scheduler for one more replica of fs (a scale-up); returns the replica or undefined. */
  place(fs: FnState): Replica | undefined {
    const { sim } = this;
    const r = schedule(sim.snap, sim.profile, requirementsAt(fs.def, sim.artifacts));
    if (r.node === null) {
      fs.lastInfeasible = r.infeasible?.message ?? `no node can run ${fs.def.id}`;
      return undefined;
    }
    return this.start(fs, sim.snap.nodeIndex(r.node), r.neededImages);
  }

  private start(fs: FnState, node: number, neededImages: string[]): Replica {
    const now = this.sim.engine.now;
    const rep: Replica = { id: this.nextReplica++, fn: fs, node, state: 'pulling', active: 0, lastUsed: now, createdAt: now, coldNext: false, warmAt: NaN };
    fs.replicas.push(rep);
    fs.replicasStarted++;
    this.sim.accounting.hosted[node] = 1;
    this.sim.accounting.allocate(node, fs.def.base.cpuMillis);
    this.pull(rep, neededImages);
    return rep;
  }

  /** Pulls the function's images to the replica's node: full size if missing, 10% if present (docs/reference.md §3). */
  private pull(rep: Replica, needed: string[]): void {
    const { sim } = this;
    const arch = sim.t.nodes[rep.node].arch;
    let bytes = 0;
    for (const im of rep.fn.def.base.images) {
      const size = typeof im.size === 'number' ? im.size : (im.size[arch] ?? Object.values(im.size).find((v) => v !== undefined) ?? 0);
      bytes += needed.includes(im.name) ? size : Math.round(PRESENT_IMAGE_FRACTION * size);
    }
    const src = sim.sources.registry(rep.node);
    const nodeName = sim.t.nodes[rep.node].name;
    const done = () => {
      if (!rep.fn.replicas.includes(rep)) return;
      rep.state = 'cold';
      rep.lastUsed = sim.engine.now;
      sim.dispatcher.dispatch(rep.fn);
    };
    if (src.extra) {
      sim.net.start(src.extra, src.rttS ?? 0, bytes, done);
      return;
    }
    sim.accounting.flow(src.at, nodeName, bytes, done);
  }

  /** Starts the replica's worker: the cold start (docs/reference.md §3 startup/setup; times §4). */
  startWorker(r: Replica): void {
    const { sim } = this;
    r.state = 'starting';
    const device = sim.t.nodes[r.node].device;
    sim.engine.after(STARTUP_S[device] ?? DEFAULT_STARTUP_S, () => {
      if (!r.fn.replicas.includes(r)) return;
      r.state = 'warm';
      r.coldNext = true;
      r.warmAt = sim.engine.now;
      r.lastUsed = sim.engine.now;
      sim.dispatcher.dispatch(r.fn);
    });
  }

  /** Every reconcile interval: removes replicas idle for idleTimeoutS, down to minReplicas (docs/reference.md §3). */
  reconcile(): void {
    const { sim } = this;
    const { minReplicas, idleTimeoutS, reconcileS } = sim.settings;
    const now = sim.engine.now;
    for (const fs of sim.order) {
      if (fs.queue.length) continue;
      for (const r of [...fs.replicas]) {
        if (fs.replicas.length <= minReplicas) break;
        if ((r.state === 'warm' || r.state === 'cold') && r.active === 0 && now - r.lastUsed >= idleTimeoutS) this.remove(r);
      }
    }
    const next = now + reconcileS;
    if (next <= sim.opts.durationS) sim.engine.at(next, () => this.reconcile());
  }

  private remove(r: Replica): void {
    const fs = r.fn;
    fs.replicas.splice(fs.replicas.indexOf(r), 1);
    this.sim.snap.release(r.node, fs.def.base.cpuMillis, fs.def.base.memoryBytes);
    this.sim.accounting.allocate(r.node, -fs.def.base.cpuMillis);
  }
}
