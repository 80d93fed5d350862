/**
 * Dispatch and scaling: arrivals (seeded streams per arrival process, so every scheduler profile
 * sees the same ones), the queue of each function, which replica takes an invocation (the least
 * busy warm one; else a cold one's worker is started; else, with none, one is placed; more
 * come from the autoscaler, scaling.ts), and an invocation's phases: its inputs moved from their best copies as flows →
 * execution, sampled lognormally around the device's mean (docs/reference.md §4; with workers,
 * × max(1, active / workers), §3) → its outputs written (on the node, or to storage as flows) →
 * the data and model triggers its outputs fire.
 */
import { empiricalFromNormal, exponentialFromNormal, lognormalFromNormal, Rng, type SimEvent } from './engine';
import { checksum } from './accounting';
import { gateTriggersFired } from './gates';
import type { FnState, Invocation, Replica, Settings, SimContext } from './state';
import { missingEdgeTpu } from '../planning/exec-model';
import { followUpMatches, type ArrivalProcess, type FollowUp, type SimArtifact } from './workflow';
import { UrnIndex } from '../spec/selector';

export class Dispatcher {
  /** per artifact urn: the follow-ups (data and model triggers) a write of it fires; an artifact's identity does not change */
  private readonly firedBy = new Map<string, FollowUp[]>();
  /** per function: the models whose age its drift metric follows */
  private readonly modelsRead = new Map<FnState, string[]>();

  constructor(private readonly sim: SimContext) {}

  /** the follow-ups found by the urn they name (each artifact's first lookup checks those, not every follow-up) */
  private byUrn: UrnIndex<FollowUp> | undefined;

  private followUpsOf(a: SimArtifact): FollowUp[] {
    let us = this.firedBy.get(a.urn);
    if (!us) {
      this.byUrn ??= new UrnIndex(this.sim.wf.followUps, (u) => u.selector.urn);
      us = this.byUrn.candidates({ urn: a.urn }).filter((u) => followUpMatches(u, a));
      this.firedBy.set(a.urn, us);
    }
    return us;
  }

  startArrivals(a: ArrivalProcess): void {
    const { sim } = this;
    const rng = Rng.stream(sim.opts.seed, `arrivals:${a.source}:${a.function}`);
    const fs = sim.fns.get(a.function);
    if (!fs) return;
    const gap = (): number => (a.kind === 'periodic' ? a.everyS : a.kind === 'poisson' ? rng.exponential(1 / a.ratePerS) : a.baseS + rng.exponential(a.meanS));
    // one event per process, queued again for each arrival (engine.rescheduleAt: the next sequence number, the same order as a new event)
    let at = 0;
    let ev: SimEvent | undefined;
    const run = () => {
      const t = at;
      fs.arrivals++;
      fs.arrivalHash = checksum(fs.arrivalHash, t);
      this.arrive(fs);
      next(t + gap());
    };
    const next = (t: number) => {
      if (t >= sim.opts.durationS) return;
      at = t;
      if (ev) sim.engine.rescheduleAt(ev, t);
      else ev = sim.engine.at(t, run);
    };
    // a process with a start time sends its first request then (faas-sim's request generator), else after one gap;
    // a function's arrival offset (arrivalStartS) delays all of its processes
    const offset = sim.opts.arrivalStartS?.[a.function] ?? 0;
    next(offset + (a.kind === 'periodic-exp' && a.startS !== undefined ? a.startS : gap()));
  }

  /** Replays recorded arrival times (seconds from 0) of a function, each with its own service time when given. */
  replayArrivals(fn: string, times: number[], services?: number[]): void {
    const { sim } = this;
    const fs = sim.fns.get(fn);
    if (!fs) return;
    times.forEach((t, i) => {
      if (!(t >= 0 && t < sim.opts.durationS)) return;
      sim.engine.at(t, () => {
        fs.arrivals++;
        fs.arrivalHash = checksum(fs.arrivalHash, t);
        this.arrive(fs, services?.[i]);
      });
    });
  }

  arrive(fs: FnState, service?: number): void {
    fs.invocations++;
    fs.queue.push({ fn: fs, arrival: this.sim.engine.now, z: fs.noise.normal(), replica: undefined, service, cold: false, wait: 0, transfer: 0, execution: 0, pendingFlows: 0, phaseStart: 0 });
    this.dispatch(fs);
  }

  dispatch(fs: FnState): void {
    this.take(fs);
    this.sim.autoscaler.observe(fs);
  }

  /**
   * Hands queued invocations to replicas: the least busy warm one; else a cold replica's worker is
   * started (when more are queued than the replicas starting can take); else, with no replica at
   * all, one is placed (scale from zero); more replicas come from the autoscaler's tick
   * (scaling.ts). At the replica limit, workers take more than their number, slower.
   */
  private take(fs: FnState): void {
    const { sim } = this;
    const { cap, workers } = sim.settings.concurrency;
    while (fs.queue.length) {
      let warm: Replica | undefined;
      for (const r of fs.replicas) if (r.state === 'warm' && r.active < cap && (!warm || r.active < warm.active)) warm = r;
      if (warm) {
        this.assign(fs.queue.shift()!, warm);
        continue;
      }
      let pending = 0;
      for (const r of fs.replicas) if (r.state === 'pulling' || r.state === 'starting') pending += cap;
      if (fs.queue.length <= pending) break;
      const cold = fs.replicas.find((r) => r.state === 'cold');
      if (cold) {
        sim.replicas.startWorker(cold);
        continue;
      }
      if (!fs.replicas.length && sim.replicas.place(fs) > 0) continue;
      if (workers !== null && (fs.replicas.length >= sim.settings.maxReplicas || fs.cannotGrow)) {
        // at the replica limit, workers take more than their number, slower (docs/reference.md §3)
        let least: Replica | undefined;
        for (const r of fs.replicas) if (r.state === 'warm' && (!least || r.active < least.active)) least = r;
        if (least) {
          this.assign(fs.queue.shift()!, least);
          continue;
        }
      }
      if (!fs.replicas.length) {
        const reason = fs.lastInfeasible ?? `no node can run ${fs.def.id}`;
        for (const inv of fs.queue.splice(0)) this.fail(inv, reason);
      }
      break;
    }
  }

  private assign(inv: Invocation, r: Replica): void {
    r.active++;
    inv.replica = r;
    inv.wait = this.sim.engine.now - inv.arrival;
    if (r.coldNext) {
      // a cold start: the invocation waited for this worker to start
      r.coldNext = false;
      if (inv.arrival < r.warmAt) {
        inv.cold = true;
        inv.fn.coldStarts++;
      }
    }
    const { sim } = this;
    if (sim.settings.concurrency.perWorkerStart && sim.settings.coldStarts && r.active > r.workersUp) {
      // agent concurrency: every started worker is busy, so one more is started for this invocation (a cold start)
      r.workersUp++;
      inv.cold = true;
      inv.fn.coldStarts++;
      sim.engine.after(sim.replicas.startupS(inv.fn, r.node), () => {
        inv.wait = sim.engine.now - inv.arrival;
        this.transferInputs(inv);
      });
      return;
    }
    this.transferInputs(inv);
  }

  /**
   * Why the invocation cannot read its inputs: a @consumes none of whose artifacts has a version
   * yet (its producer has not published one, e.g. because it fails or a gate blocks it), as the
   * runtime's "nothing in the registry matches"; undefined when it can.
   */
  private missingInput(fs: FnState): string | undefined {
    const { sim } = this;
    for (const group of fs.needs) {
      if (!group.length || group.some((urn) => sim.versions.has(urn))) continue;
      const producers = [...new Set(group.flatMap((urn) => sim.producers.get(urn) ?? []))];
      const why = producers.length
        ? producers
            .map((p) => {
              const failure = p.failures.values().next();
              const because = !failure.done
                ? ` (it fails: ${failure.value})`
                : !p.replicas.length && p.lastInfeasible
                  ? ` (it cannot be placed: ${p.lastInfeasible})`
                  : p.gates?.blocked
                    ? ' (its bias gate blocks its outputs)'
                    : '';
              return `${p.def.id} has not published one${because}`;
            })
            .join('; ')
        : 'nothing produces it';
      return `no version of ${group.join(' or ')} to read: ${why}`;
    }
    return undefined;
  }

  /** Moves the inputs to the node in parallel; the transfer phase lasts until the last arrives. */
  private transferInputs(inv: Invocation): void {
    const { sim } = this;
    const r = inv.replica!;
    const missing = this.missingInput(inv.fn);
    if (missing) {
      r.active--;
      r.lastUsed = sim.engine.now;
      this.fail(inv, missing);
      this.dispatch(inv.fn);
      return;
    }
    const nodeName = sim.t.nodes[r.node].name;
    inv.phaseStart = sim.engine.now;
    const moves: Array<{ from: string; bytes: number; a: SimArtifact }> = [];
    // a function that fetched its inputs when its replica started (the faas-sim preset) moves none
    for (const urn of inv.fn.fetchOnStart ? [] : inv.fn.def.inputs) {
      const a = sim.artifacts.get(urn);
      if (!a || a.size <= 0 || !a.locations.length || a.locations.includes(nodeName) || !sim.versions.has(urn)) continue;
      moves.push({ from: sim.sources.artifact(a.locations, r.node), bytes: a.size, a });
    }
    if (!moves.length) {
      this.execute(inv);
      return;
    }
    inv.pendingFlows = moves.length;
    for (const m of moves) {
      sim.accounting.flow(m.from, nodeName, m.bytes, () => {
        // the node keeps its copy (the node agent's artifact store), when the run says so
        if (sim.settings.keepInputs && !m.a.locations.includes(nodeName)) m.a.locations.push(nodeName);
        if (--inv.pendingFlows === 0) {
          inv.transfer += sim.engine.now - inv.phaseStart;
          this.execute(inv);
        }
      });
    }
  }

  private meanExecution(fs: FnState, node: number): number {
    const b = fs.def.base;
    if (b.workload) return this.sim.snap.execSeconds(b.workload)[node];
    return (b.referenceSeconds ?? 0) * this.sim.snap.s.slowdown[node];
  }

  private execute(inv: Invocation): void {
    const { sim } = this;
    const r = inv.replica!;
    const fs = inv.fn;
    const measured = inv.service === undefined ? sim.opts.execProfiles?.[fs.def.id]?.[sim.t.nodes[r.node].name] : undefined;
    if (inv.service !== undefined || measured?.length) {
      // a replayed run's own service time, or a measured profile's sample at the invocation's quantile (the same draw for every profile compared)
      inv.execution = inv.service ?? empiricalFromNormal(measured!, inv.z);
      sim.accounting.markExecuting(r.node, +1);
      sim.engine.after(inv.execution, () => {
        sim.accounting.markExecuting(r.node, -1);
        this.executed(inv);
      });
      return;
    }
    // the faas-sim preset: its FittedExecutionTimeOracle where it has a fit (faas-sim-oracles.ts)
    const fitted = sim.oracles?.execution(fs.def.id, fs.def.base.images, sim.t.nodes[r.node].device, inv.z);
    if (fitted !== undefined) {
      inv.execution = fitted;
      sim.accounting.markExecuting(r.node, +1);
      sim.engine.after(fitted, () => {
        sim.accounting.markExecuting(r.node, -1);
        this.executed(inv);
      });
      return;
    }
    const mean = this.meanExecution(fs, r.node);
    if (!Number.isFinite(mean)) {
      r.active--;
      r.lastUsed = sim.engine.now;
      const node = sim.t.nodes[r.node];
      const w = fs.def.base.workload;
      const noTpu = w ? missingEdgeTpu(node, w) : undefined;
      this.fail(inv, `${node.name} (${node.device}) ${noTpu ? `has ${noTpu}` : `has no execution time for workload ${w} (docs/reference.md §4)`}`);
      this.dispatch(fs);
      return;
    }
    let t = serviceTime(sim.settings, mean, inv.z);
    // 4 workers per replica: execution time × max(1, active / workers) (docs/reference.md §3)
    const { workers } = sim.settings.concurrency;
    if (workers !== null) t *= Math.max(1, r.active / workers);
    inv.execution = t;
    sim.accounting.markExecuting(r.node, +1);
    sim.engine.after(t, () => {
      sim.accounting.markExecuting(r.node, -1);
      this.executed(inv);
    });
  }

  /** The run ended: its gates are evaluated; a failing bias gate keeps its outputs from being published. */
  private executed(inv: Invocation): void {
    const g = inv.fn.gates;
    if (!g) {
      this.writeOutputs(inv);
      return;
    }
    const verdict = g.evaluate(this.sim.engine.now - this.modelPublishedAt(inv.fn));
    for (const t of gateTriggersFired(this.sim.wf.gateTriggers ?? [], inv.fn.def.id, verdict.failed)) {
      const target = this.sim.fns.get(t.function);
      if (target) this.arrive(target);
    }
    if (verdict.blocked) this.finish(inv, []);
    else this.writeOutputs(inv);
  }

  /**
   * When the newest model the function reads was published (0: before the run): its model
   * inputs, or, when the planner cannot tell which models it reads (a selector on data_tags,
   * known only at run time), the models of the functions its gates retrain (its gate triggers).
   */
  private modelPublishedAt(fs: FnState): number {
    const { sim } = this;
    let urns = this.modelsRead.get(fs);
    if (!urns) {
      urns = fs.def.inputs.filter((u) => sim.artifacts.get(u)?.kind === 'model');
      if (!urns.length) {
        const retrained = (sim.wf.gateTriggers ?? []).filter((t) => t.source === fs.def.id).map((t) => sim.fns.get(t.function));
        urns = retrained.flatMap((t) => t?.def.outputs ?? []).filter((u) => sim.artifacts.get(u)?.kind === 'model');
      }
      this.modelsRead.set(fs, urns);
    }
    let at = 0;
    for (const urn of urns) at = Math.max(at, sim.versions.get(urn)?.at ?? 0);
    return at;
  }

  private writeOutputs(inv: Invocation): void {
    const { sim } = this;
    const r = inv.replica!;
    const nodeName = sim.t.nodes[r.node].name;
    inv.phaseStart = sim.engine.now;
    const moves: Array<{ a: SimArtifact; to: string }> = [];
    const produced: SimArtifact[] = [];
    for (const urn of inv.fn.def.outputs) {
      const a = sim.artifacts.get(urn);
      if (!a) continue;
      produced.push(a);
      if (a.store === 'storage') {
        const to = sim.homes.get(urn) ?? sim.sources.storage(r.node);
        if (to !== nodeName && a.size > 0) moves.push({ a, to });
        else a.locations = [to];
      } else a.locations = [nodeName];
    }
    if (!moves.length) {
      this.finish(inv, produced);
      return;
    }
    inv.pendingFlows = moves.length;
    for (const m of moves) {
      sim.accounting.flow(nodeName, m.to, m.a.size, () => {
        m.a.locations = [m.to];
        if (--inv.pendingFlows === 0) {
          inv.transfer += sim.engine.now - inv.phaseStart;
          this.finish(inv, produced);
        }
      });
    }
  }

  private finish(inv: Invocation, produced: SimArtifact[]): void {
    const { sim } = this;
    const r = inv.replica!;
    const fs = inv.fn;
    const now = sim.engine.now;
    r.active--;
    r.lastUsed = now;
    fs.lastCompleted = now;
    const total = now - inv.arrival;
    fs.completed++;
    fs.totals.push(total);
    fs.transfers.push(inv.transfer);
    fs.executions.push(inv.execution);
    fs.waits.push(inv.wait);
    const deadline = fs.def.base.deadlineMs;
    if (deadline !== undefined && total * 1000 > deadline) fs.misses++;
    const nodeName = sim.t.nodes[r.node].name;
    fs.nodes.set(nodeName, (fs.nodes.get(nodeName) ?? 0) + 1);
    sim.accounting.completed(r.node, fs.def.base.memoryBytes, inv.execution);
    // a new version of each output is published
    for (const a of produced) {
      const v = sim.versions.get(a.urn);
      sim.versions.set(a.urn, { count: (v?.count ?? 0) + 1, at: now });
    }
    // data and model triggers
    for (const a of produced) {
      for (const u of this.followUpsOf(a)) {
        const target = sim.fns.get(u.function);
        if (!target) continue;
        const k = `${u.source}`;
        const c = (target.batch.get(k) ?? 0) + 1;
        target.batch.set(k, c);
        if (c % u.batch === 0) this.arrive(target);
      }
    }
    this.dispatch(fs);
  }

  private fail(inv: Invocation, reason: string): void {
    inv.fn.failed++;
    inv.fn.failures.add(reason);
  }
}

/**
 * One execution time around the device's `mean`, from the invocation's own standard normal `z`
 * (so every profile compared sees the same draw): lognormal with σ (mean-preserving), exponential
 * (through the normal's CDF), or the mean itself.
 */
export function serviceTime(settings: Pick<Settings, 'service' | 'sigma'>, mean: number, z: number): number {
  if (settings.service === 'deterministic') return mean;
  if (settings.service === 'exponential') return exponentialFromNormal(mean, z);
  return lognormalFromNormal(mean, settings.sigma, z);
}
