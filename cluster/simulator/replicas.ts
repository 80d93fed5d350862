/**
 * Replicas and pulls (docs/reference.md §3, function lifecycle): at t = 0 the workflow is placed
 * by the planner (placeWorkflow, as `edgeai schedule` and a deploy place it); a scale-up runs the
 * scheduler once more (requirementsAt: the artifacts where they are now). A new replica pulls the
 * images its node lacks from the registry as a flow, as faas-sim does (an image on the node is not
 * pulled; a missing one costs 10% of its size on a node that holds other images — shared layers —
 * and its full size on a node without any), then waits cold until an invocation needs its worker,
 * which starts in the device's startup time (§4).
 * Idle replicas are removed every reconcile (after 300 s without use), down to minReplicas.
 */
import { placeWorkflow, requirementsAt, type PlanWorkflow } from '../planning/plan';
import { scheduleReplicas } from '../scheduler/schedule';
import type { FunctionRequirements, ImageRef } from '../scheduler/requirements';
import type { Arch } from '../spec/topology';
import { DEFAULT_STARTUP_S, SHARED_LAYERS_FRACTION, STARTUP_S } from './constants';
import type { FnState, Replica, SimContext } from './state';

/** An image's size on an architecture (a single size, or the arch's, else the first given). */
function imageBytes(im: ImageRef, arch: Arch): number {
  return typeof im.size === 'number' ? im.size : (im.size[arch] ?? Object.values(im.size).find((v) => v !== undefined) ?? 0);
}

export class Replicas {
  private nextReplica = 0;
  /** per node: the distinct images it holds (given at the start, or placed there) */
  private readonly imagesHeld: Int32Array;

  constructor(private readonly sim: SimContext) {
    this.imagesHeld = new Int32Array(sim.t.nodes.length);
    const given = new Map<number, Set<string>>();
    for (const im of sim.opts.images ?? []) {
      for (const node of im.nodes) {
        const v = sim.snap.nodeIndex(node);
        if (!given.has(v)) given.set(v, new Set());
        given.get(v)!.add(im.name);
      }
    }
    for (const [v, names] of given) this.imagesHeld[v] = names.size;
  }

  /**
   * t = 0: the workflow's first placements are the planner's, exactly as `edgeai schedule` and a
   * deploy make them. Functions deployed later (the faas-sim workload's staggered deployments)
   * are placed by the planner at their time, each group on the snapshot as it is then.
   */
  deployAll(): void {
    const { sim } = this;
    const lifecycle = sim.wf.lifecycle ?? {};
    const later = new Map<number, string[]>();
    for (const f of sim.wf.functions) {
      const at = lifecycle[f.id]?.deployAtS ?? 0;
      if (at > 0) later.set(at, [...(later.get(at) ?? []), f.id]);
    }
    if (!later.size) {
      this.deployGroup(sim.wf);
      return;
    }
    this.deployGroup({ ...sim.wf, functions: sim.wf.functions.filter((f) => !((lifecycle[f.id]?.deployAtS ?? 0) > 0)) });
    for (const [at, ids] of [...later].sort(([a], [b]) => a - b)) {
      const group = new Set(ids);
      sim.engine.at(at, () => this.deployGroup({ name: sim.wf.name, functions: sim.wf.functions.filter((f) => group.has(f.id)), artifacts: [...sim.artifacts.values()] }), 'deploy');
    }
  }

  private deployGroup(wf: PlanWorkflow): void {
    const { sim } = this;
    const plan = placeWorkflow(wf, sim.t, sim.profile, { snapshot: sim.snap });
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
      // a placed producer's outputs have a version from before (unless the run starts fresh)
      if (!sim.opts.fresh) for (const urn of fs.def.outputs) if (!sim.versions.has(urn)) sim.versions.set(urn, { count: 1, at: sim.engine.now });
    }
  }

  /**
   * Per function: its requirements at the last placement and what they were built from (the sizes
   * and locations of its inputs and storage outputs). The scheduler compiles a requirements
   * object once (cluster/scheduler/compile.ts caches it per object), so the same object is given
   * again while what it was built from is the same: the same placements, without compiling it anew
   * for every replica (the FGCS case places ~3,500).
   */
  private readonly reqs = new Map<FnState, { key: string; req: FunctionRequirements }>();

  private requirements(fs: FnState): FunctionRequirements {
    const { artifacts } = this.sim;
    let key = '';
    for (const urn of fs.def.inputs) {
      const a = artifacts.get(urn);
      if (a && a.locations.length) key += `${a.size}@${a.locations.join(',')};`;
      else key += ';';
    }
    key += '|';
    for (const urn of fs.def.outputs) {
      const a = artifacts.get(urn);
      if (a && a.store === 'storage' && a.locations.length) key += `${a.size}@${a.locations.join(',')};`;
      else key += ';';
    }
    const had = this.reqs.get(fs);
    if (had && had.key === key) return had.req;
    const req = requirementsAt(fs.def, artifacts);
    this.reqs.set(fs, { key, req });
    return req;
  }

  /**
   * Runs the real scheduler for `k` more replicas of fs (one from zero, or the autoscaler's
   * scale-up): it places them as k placements one after another would (scheduleReplicas), then
   * each starts, in that order; a replica's start changes nothing the next placement reads (its
   * pull is a flow that starts later). Returns how many were placed (fewer than k: no node takes
   * another, and fs.lastInfeasible says why).
   */
  place(fs: FnState, k = 1): number {
    const { sim } = this;
    let placed = 0;
    for (const r of scheduleReplicas(sim.snap, sim.profile, this.requirements(fs), k)) {
      if (r.node === null) {
        fs.lastInfeasible = r.infeasible?.message ?? `no node can run ${fs.def.id}`;
        break;
      }
      this.start(fs, sim.snap.nodeIndex(r.node), r.neededImages);
      placed++;
    }
    return placed;
  }

  private start(fs: FnState, node: number, neededImages: string[]): Replica {
    const now = this.sim.engine.now;
    const rep: Replica = { id: this.nextReplica++, fn: fs, node, state: 'pulling', active: 0, lastUsed: now, createdAt: now, coldNext: false, warmAt: NaN, workersUp: 0, pulled: neededImages };
    fs.replicas.push(rep);
    fs.replicasStarted++;
    this.sim.accounting.hosted[node] = 1;
    this.sim.accounting.allocate(node, fs.def.base.cpuMillis);
    const held = this.imagesHeld[node];
    this.imagesHeld[node] += neededImages.length;
    this.pull(rep, neededImages, held);
    return rep;
  }

  /**
   * Pulls the images the replica's node lacks (`needed`, the scheduler's answer): nothing for an
   * image on the node, 10% of a missing one when the node held `held` > 0 other images before,
   * the full size otherwise (docs/reference.md §3, faas-sim@9c6e1b3 simulate_docker_pull).
   */
  private pull(rep: Replica, needed: string[], held: number): void {
    const { sim } = this;
    const arch = sim.t.nodes[rep.node].arch;
    let bytes = 0;
    for (const im of rep.fn.def.base.images) {
      if (!needed.includes(im.name)) continue;
      const size = imageBytes(im, arch);
      bytes += held > 0 ? Math.round(SHARED_LAYERS_FRACTION * size) : size;
    }
    const src = sim.sources.registry(rep.node);
    const nodeName = sim.t.nodes[rep.node].name;
    const done = () => {
      if (!rep.fn.replicas.includes(rep)) return;
      if (rep.fn.fetchOnStart) {
        this.fetchInputs(rep);
        return;
      }
      this.ready(rep);
    };
    if (bytes === 0 || !sim.settings.coldStarts) {
      // nothing to pull (faas-sim pulls only when images are needed), or cold starts are off
      sim.engine.after(0, done, 'nothing to pull');
      return;
    }
    if (src.extra) {
      sim.net.start(src.extra, src.rttS ?? 0, bytes, done);
      return;
    }
    sim.accounting.flow(src.at, nodeName, bytes, done);
  }

  /** The replica's images are there: it waits cold for an invocation, or (eagerStart) starts its worker now. */
  private ready(rep: Replica): void {
    const { sim } = this;
    rep.state = 'cold';
    rep.lastUsed = sim.engine.now;
    if (sim.opts.warmAtStart && rep.createdAt === 0) {
      // deployed before the simulated time: its worker is up
      rep.state = 'warm';
      rep.workersUp = 1;
      rep.warmAt = 0;
      sim.dispatcher.dispatch(rep.fn);
    } else if (sim.settings.eagerStart) this.startWorker(rep);
    else sim.dispatcher.dispatch(rep.fn);
  }

  /** The replica fetches its inputs once, before its worker starts (faas-sim's inference setup, the faas-sim preset). */
  private fetchInputs(rep: Replica): void {
    const { sim } = this;
    const nodeName = sim.t.nodes[rep.node].name;
    const moves: Array<{ from: string; bytes: number }> = [];
    for (const urn of rep.fn.def.inputs) {
      const a = sim.artifacts.get(urn);
      if (!a || a.size <= 0 || !a.locations.length || a.locations.includes(nodeName)) continue;
      moves.push({ from: sim.sources.artifact(a.locations, rep.node), bytes: a.size });
    }
    if (!moves.length) {
      this.ready(rep);
      return;
    }
    let pending = moves.length;
    for (const m of moves) {
      sim.accounting.flow(m.from, nodeName, m.bytes, () => {
        if (--pending === 0 && rep.fn.replicas.includes(rep)) this.ready(rep);
      });
    }
  }

  /** Starts the replica's worker: the cold start (docs/reference.md §3 startup/setup; times §4). */
  startWorker(r: Replica): void {
    const { sim } = this;
    r.state = 'starting';
    const device = sim.t.nodes[r.node].device;
    const { coldStarts } = sim.settings;
    sim.engine.after(coldStarts ? this.startupS(r.fn, r.node, r.pulled) : 0, () => {
      if (!r.fn.replicas.includes(r)) return;
      r.state = 'warm';
      r.workersUp = 1;
      r.coldNext = coldStarts;
      r.warmAt = sim.engine.now;
      r.lastUsed = sim.engine.now;
      sim.dispatcher.dispatch(r.fn);
    });
  }

  /** How long a worker of fs takes to start on the node: measured (opts.startupS), else the device's (docs/reference.md §4). */
  startupS(fs: FnState, node: number, pulled: readonly string[] = []): number {
    const { sim } = this;
    const n = sim.t.nodes[node];
    const measured = sim.opts.startupS?.[fs.def.id]?.[n.name];
    if (measured !== undefined) return measured;
    if (sim.oracles) {
      // the faas-sim preset: its HackedFittedStartupTimeOracle (faas-sim-oracles.ts)
      const images = fs.def.base.images.map((im) => ({ name: im.name, bytes: imageBytes(im, n.arch), pulled: pulled.includes(im.name) }));
      const t = sim.oracles.startup(fs.def.id, images, n.device);
      if (t !== undefined) return t;
    }
    return STARTUP_S[n.device] ?? DEFAULT_STARTUP_S;
  }

  /** Every reconcile interval: removes replicas idle for idleTimeoutS, down to minReplicas (docs/reference.md §3). */
  reconcile(): void {
    const { sim } = this;
    const { idleTimeoutS, reconcileS } = sim.settings;
    const now = sim.engine.now;
    const idle = (r: Replica) => (r.state === 'warm' || r.state === 'cold') && r.active === 0 && now - r.lastUsed >= idleTimeoutS;
    if (sim.settings.idleByLastCompletion) {
      // faas-sim's faas_idler (faas.py): per function, from its last completed invocation; removes its started replicas even mid-invocation
      for (const fs of sim.order) {
        if (fs.minReplicas > 0 || now - fs.lastCompleted < idleTimeoutS) continue;
        const started = fs.replicas.filter((r) => r.state === 'warm' || r.state === 'cold');
        if (!started.length) continue;
        for (const r of started) this.remove(r);
        if (fs.queue.length) sim.dispatcher.dispatch(fs);
      }
    } else {
      for (const fs of sim.order) {
        if (fs.queue.length || fs.replicas.length <= fs.minReplicas || !fs.replicas.some(idle)) continue;
        for (const r of [...fs.replicas]) {
          if (fs.replicas.length <= fs.minReplicas) break;
          if (idle(r)) this.remove(r);
        }
      }
    }
    const next = now + reconcileS;
    if (next <= sim.opts.durationS) sim.engine.at(next, () => this.reconcile());
  }

  private remove(r: Replica): void {
    const fs = r.fn;
    fs.replicas.splice(fs.replicas.indexOf(r), 1);
    fs.cannotGrow = false;
    this.sim.snap.release(r.node, fs.def.base.cpuMillis, fs.def.base.memoryBytes);
    this.sim.accounting.allocate(r.node, -fs.def.base.cpuMillis);
  }
}
