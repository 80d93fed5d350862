/**
 * `simulate(opts)`: a deterministic discrete-event simulation of a workflow on a topology
 * (docs/architecture.md "The simulator"), running the real scheduler (cluster/scheduler, pure and
 * synchronous) for every placement.
 *
 * Lifecycle (docs/reference.md §3): at t = 0 every function is placed (producers first) and its
 * bundle or image is pulled from the registry as a network flow (replicas.ts). The replica's
 * worker is not started until an invocation needs it: that invocation is a cold start (startup
 * time per device, §4); later ones are warm. A replica idle for 300 s is removed (reconciled
 * every 30 s), down to `minReplicas` (default 0: scale to zero); an invocation finding no
 * replica places one at once (scale from zero), and more are added by Knative's KPA rule
 * (scaling.ts: a concurrency target per replica over stable and panic windows, up to 20
 * replicas, §3); each placement runs the scheduler again. Concurrency is 1 per replica (the FGCS code) or `workers` per replica with
 * execution time × max(1, active / workers) (§3, later faas-sim).
 *
 * An invocation: wait (queue, pull, cold start) → transfer of its inputs from their best copies
 * (sources.ts) to its node, as flows (a node keeps each version it fetched: only the first
 * invocation there moves it, as the controller's mover does; not under the faas-sim preset) → execution, sampled lognormally around the device's mean
 * for the function's workload (§4) → its outputs written (on the node, or to a storage node as
 * flows). Produced artifacts move to where they were written and fire data/model triggers.
 * An invocation none of whose candidates for a @consumes has a version fails (its producer has
 * not published one: it fails, cannot be placed, or a gate blocks it); gates are evaluated on
 * modelled values and gate triggers fire (gates.ts). What is counted is in accounting.ts, the
 * report is built in report.ts.
 *
 * Random numbers come from independent seeded streams per arrival process, so every scheduler
 * profile sees the same external arrivals (and the same per-invocation noise) for one seed.
 */
import { profileByName, type Profile } from '../scheduler/profiles';
import { buildSnapshot, type ClusterSnapshot } from '../scheduler/snapshot';
import type { Topology } from '../topology/model';
import { StudioError } from '../common/errors';
import { Accounting } from './accounting';
import { DEFAULT_EXEC_SIGMA, DEFAULT_WORKERS, IDLE_TIMEOUT_S, MAX_REPLICAS, RECONCILE_S } from './constants';
import { Dispatcher } from './dispatch';
import { Autoscaler } from './scaling';
import { Engine, SimulationError } from './engine';
import { faasSimWorkflow } from './faas-sim';
import { FlowNetwork } from './network';
import { FunctionGates } from './gates';
import { FaasSimOracles } from './faas-sim-oracles';
import { fetchesOnStart, FAAS_SIM_DEPLOY_INTERVAL_S, minReplicasOf, presetDeployments, presetTopology, PRESETS } from './preset';
import { Replicas } from './replicas';
import { buildReport } from './report';
import { Sources } from './sources';
import { newFnState, type FnState, type Settings, type SimContext } from './state';
import type { SimulationOptions, SimulationReport } from './types';
import { workflowFrom, workflowOfProject, type SimArtifact, type SimWorkflow } from './workflow';

/** Builds the workflow the options describe. */
export function workflowOf(opts: SimulationOptions): SimWorkflow {
  if (opts.workflow) return opts.workflow;
  if (opts.workload === 'faas-sim') {
    const faasSim = opts.preset === 'faas-sim';
    return faasSimWorkflow(opts.topology, {
      deployments: opts.deployments ?? (faasSim ? presetDeployments(opts.topology) : undefined),
      deployIntervalS: opts.deployIntervalS ?? (faasSim ? FAAS_SIM_DEPLOY_INTERVAL_S : undefined),
      seed: opts.seed,
      ...(faasSim ? { buckets: 'uniform' as const } : {}),
    });
  }
  if (opts.project) return workflowOfProject(opts.project, opts.topology, opts);
  if (opts.functions) {
    return workflowFrom({ name: opts.name ?? 'workflow', functions: opts.functions, triggers: opts.triggers ?? [], dataSources: opts.dataSources ?? [] }, opts.topology, opts);
  }
  throw new SimulationError('nothing to simulate: give a project, functions with triggers, or workload "faas-sim"');
}

export function simulate(opts: SimulationOptions): SimulationReport {
  return new Simulation(opts).run();
}

/** What the flow network did in a run (benches): rate recomputations, flows and classes recomputed in all, flows active at them in all. */
export interface FlowWork {
  recomputations: number;
  recomputedFlows: number;
  recomputedClasses: number;
  /** of the classes refilled, those whose rate came out different (the rest were refilled for nothing) */
  changedClasses: number;
  activeAtRecomputations: number;
}

/** simulate, with the flow network's work (not part of the simulator's index: for bench/simulator.ts). */
export function simulateWithWork(opts: SimulationOptions, internal: SimulationInternals = {}): { report: SimulationReport; flows: FlowWork; engineEvents: number } {
  const sim = new Simulation(opts, internal);
  const report = sim.run();
  const { recomputations, recomputedFlows, recomputedClasses, changedClasses, activeAtRecomputations } = sim.net;
  // the workflow's events the engine ran: the network's refill events (network.ts settleSoon) left out, as in the report
  return { report, flows: { recomputations, recomputedFlows, recomputedClasses, changedClasses, activeAtRecomputations }, engineEvents: sim.engine.processed - sim.net.settles };
}

/** A simulation in slices of at most `eventsPerStep` events (not part of the simulator's index: bench/simulator.ts interleaves several). */
export function simulationSteps(opts: SimulationOptions, eventsPerStep: number): Generator<number, SimulationReport> {
  return new Simulation(opts).steps(eventsPerStep);
}

/** Switches for tests and benches, not options of a run (they do not change its report). */
export interface SimulationInternals {
  /** false: the autoscaler runs its inert ticks instead of skipping them (scaling.ts) */
  skipInertTicks?: boolean;
}

/** simulate with internal switches (tests: the same report with and without skipping). */
export function simulateInternal(opts: SimulationOptions, internal: SimulationInternals): SimulationReport {
  return new Simulation(opts, internal).run();
}

/** One run: the state its parts share (SimContext), the parts, and the event loop in slices. */
class Simulation implements SimContext {
  readonly engine = new Engine();
  readonly t: Topology;
  readonly snap: ClusterSnapshot;
  readonly net: FlowNetwork;
  readonly profile: Profile;
  readonly wf: SimWorkflow;
  readonly settings: Settings;
  readonly fns = new Map<string, FnState>();
  readonly order: FnState[] = [];
  readonly artifacts = new Map<string, SimArtifact>();
  readonly homes = new Map<string, string>();
  readonly versions = new Map<string, { count: number; at: number }>();
  readonly producers = new Map<string, FnState[]>();
  readonly accounting: Accounting;
  readonly sources: Sources;
  readonly replicas: Replicas;
  readonly dispatcher: Dispatcher;
  readonly autoscaler: Autoscaler;
  readonly deploy: SimulationReport['deploy'] = [];
  readonly notes: string[] = [];
  readonly oracles?: FaasSimOracles;

  constructor(
    readonly opts: SimulationOptions,
    internal: SimulationInternals = {},
  ) {
    const { preset } = opts;
    if (preset !== undefined && !PRESETS.includes(preset)) throw new SimulationError(`preset '${String(preset)}': the only preset is faas-sim`);
    // the workflow's data live where the topology puts them; the preset moves only the registry
    this.t = preset === 'faas-sim' ? presetTopology(opts.topology, opts.seed) : opts.topology;
    this.profile = typeof opts.profile === 'string' ? profileByName(opts.profile) : opts.profile;
    this.snap = buildSnapshot(this.t, opts.images ? { images: opts.images } : {});
    this.net = new FlowNetwork(this.engine, this.t, this.snap.s.graph);
    this.wf = workflowOf(opts);
    const c = opts.concurrency ?? { kind: 'replica' };
    const workers = c.kind === 'workers' ? (c.workers ?? DEFAULT_WORKERS) : null;
    const agentWorkers = c.kind === 'agent' ? (c.workers ?? DEFAULT_WORKERS) : null;
    this.settings = {
      concurrency: { cap: workers ?? agentWorkers ?? 1, workers, perWorkerStart: agentWorkers !== null },
      idleTimeoutS: opts.idleTimeoutS ?? IDLE_TIMEOUT_S,
      reconcileS: opts.reconcileS ?? RECONCILE_S,
      maxReplicas: opts.maxReplicas ?? (preset === 'faas-sim' ? 1 : MAX_REPLICAS),
      sigma: (opts.service?.kind === 'lognormal' ? opts.service.sigma : undefined) ?? opts.execSigma ?? DEFAULT_EXEC_SIGMA,
      service: opts.service?.kind ?? 'lognormal',
      coldStarts: opts.coldStarts !== false,
      eagerStart: preset === 'faas-sim',
      idleByLastCompletion: preset === 'faas-sim',
      keepInputs: opts.keepInputs ?? preset !== 'faas-sim',
    };
    if (preset === 'faas-sim') this.oracles = new FaasSimOracles(opts.seed);
    this.accounting = new Accounting(this.engine, this.t, this.snap.s.graph, this.net);
    this.sources = new Sources(this.t, this.snap.s.graph, this.net);
    this.replicas = new Replicas(this);
    this.dispatcher = new Dispatcher(this);
    this.autoscaler = new Autoscaler(this, internal.skipInertTicks !== false);
    const produced = new Set(this.wf.functions.flatMap((f) => f.outputs));
    for (const a of this.wf.artifacts) {
      this.artifacts.set(a.urn, { ...a, locations: [...a.locations] });
      // what exists before anything runs: what no function produces (data sources) and what has a location
      if (a.locations.length || !produced.has(a.urn)) this.versions.set(a.urn, { count: 1, at: 0 });
      if (preset === 'faas-sim' && a.store === 'storage' && a.locations.length) this.homes.set(a.urn, a.locations[0]);
    }
    // measured reads (sim vs real): the artifacts, where they are at the start, and who reads them
    for (const list of Object.values(opts.reads ?? {})) {
      for (const r of list) {
        const a = this.artifacts.get(r.urn);
        if (a) Object.assign(a, { size: r.size, locations: [r.at] });
        else this.artifacts.set(r.urn, { urn: r.urn, kind: r.kind, size: r.size, locations: [r.at] });
        this.versions.set(r.urn, { count: 1, at: 0 });
      }
    }
    const gateNotes: string[] = [];
    for (const wfDef of this.wf.functions) {
      const extra = opts.reads?.[wfDef.id]?.map((r) => r.urn) ?? [];
      const def = extra.length ? { ...wfDef, inputs: [...new Set([...wfDef.inputs, ...extra])] } : wfDef;
      const min = opts.minReplicas ?? minReplicasOf(preset, this.wf, def, 0);
      const specGates = this.wf.gates?.[def.id];
      const gates = specGates?.length ? new FunctionGates(def.id, specGates, opts.seed, opts.outputMetrics?.[def.id], opts.gatePassRates?.[def.id], gateNotes) : undefined;
      const needs = this.wf.needs?.[def.id] ?? def.inputs.map((u) => [u]);
      const st = newFnState(def, opts.seed, min, fetchesOnStart(preset, def, this.artifacts), needs, gates?.active ? gates : undefined);
      this.fns.set(def.id, st);
      st.scaler.key = this.order.length;
      this.order.push(st);
      for (const urn of def.outputs) this.producers.set(urn, [...(this.producers.get(urn) ?? []), st]);
    }
    this.notes.push(...this.wf.notes, ...gateNotes);
  }

  run(): SimulationReport {
    const steps = this.steps(Infinity);
    for (;;) {
      const s = steps.next();
      if (s.done) return s.value;
    }
  }

  /**
   * The simulation in slices of at most `eventsPerStep` events; each yield is the fraction of the
   * simulated duration done. The same events run in the same order whatever the slice size, so
   * the report is the same as run()'s.
   */
  *steps(eventsPerStep: number): Generator<number, SimulationReport> {
    const duration = this.opts.durationS;
    if (!(duration > 0)) throw new SimulationError(`duration must be positive (got ${duration})`);
    this.engine.at(0, () => this.replicas.deployAll());
    const traced = this.opts.arrivalTimes ?? {};
    for (const a of this.wf.arrivals) if (!traced[a.function]) this.dispatcher.startArrivals(a);
    for (const [fn, times] of Object.entries(traced)) this.dispatcher.replayArrivals(fn, times, this.opts.serviceTimes?.[fn]);
    const { reconcileS } = this.settings;
    if (reconcileS > 0) this.engine.at(Math.min(reconcileS, duration), () => this.replicas.reconcile());
    for (;;) {
      this.engine.run(duration, eventsPerStep);
      if (this.engine.doneUntil(duration)) break;
      yield Math.min(1, this.engine.now / duration);
    }
    this.engine.run(duration); // moves the clock to the end of the arrivals
    // drain: no arrivals and no reconciling after the duration
    while (!this.engine.doneUntil()) {
      this.engine.run(Infinity, eventsPerStep);
      yield 1;
    }
    return buildReport(this);
  }
}

export interface SimulateAsyncOptions {
  /** called between slices: which profile (index), and the fraction of its simulated time done */
  onProgress?(p: { index: number; profile: string; fraction: number }): void;
  /** stops the simulation between slices; the promise rejects with SimulationCancelled */
  signal?: AbortSignal;
  /** events per slice (default 20,000: a few milliseconds) */
  eventsPerStep?: number;
}

export class SimulationCancelled extends StudioError {
  constructor(message: string) {
    super('cancelled', message, 'run it again when you are ready; nothing was kept');
    this.name = 'SimulationCancelled';
  }
}

/**
 * compareSchedulers without holding the event loop: the simulation runs in slices with a
 * macrotask between them, so a server in the same process (the studio's main process) keeps
 * answering, progress can be shown and the run cancelled. Same reports as compareSchedulers.
 */
export async function compareSchedulersAsync(opts: Omit<SimulationOptions, 'profile'>, profiles: Array<string | Profile>, run: SimulateAsyncOptions = {}): Promise<SimulationReport[]> {
  const out: SimulationReport[] = [];
  const yieldNow = () => new Promise<void>((r) => setImmediate(r));
  for (const [index, profile] of profiles.entries()) {
    const name = typeof profile === 'string' ? profile : profile.name;
    const steps = new Simulation({ ...opts, profile }).steps(run.eventsPerStep ?? 20_000);
    run.onProgress?.({ index, profile: name, fraction: 0 });
    for (;;) {
      if (run.signal?.aborted) throw new SimulationCancelled(`the simulation was cancelled (${name}, profile ${index + 1} of ${profiles.length})`);
      const s = steps.next();
      if (s.done) {
        out.push(s.value);
        break;
      }
      run.onProgress?.({ index, profile: name, fraction: s.value });
      await yieldNow();
    }
    run.onProgress?.({ index, profile: name, fraction: 1 });
  }
  return out;
}

/** Runs the same options (same seed, same arrivals) once per profile. */
export function compareSchedulers(opts: Omit<SimulationOptions, 'profile'>, profiles: Array<string | Profile>): SimulationReport[] {
  return profiles.map((profile) => simulate({ ...opts, profile }));
}

