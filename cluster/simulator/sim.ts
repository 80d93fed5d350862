/**
 * `simulate(opts)`: a deterministic discrete-event simulation of a workflow on a topology
 * (docs/architecture.md "The simulator"), running the real scheduler (cluster/scheduler, pure and synchronous)
 * for every placement.
 *
 * Lifecycle (docs/reference.md §3): at t = 0 every function is placed (producers first) and its bundle or
 * image is pulled from the registry as a network flow (only 10% of the size when the node already
 * holds it — shared layers). The replica's worker is not started until an invocation needs it:
 * that invocation is a cold start (startup time per device, §4); later ones are warm. A replica
 * idle for 300 s is removed (reconciled every 30 s), down to `minReplicas` (default 0: scale to
 * zero); an invocation with no replica able to take it scales up (up to 20 replicas, §3), which
 * runs the scheduler again. Concurrency is 1 per replica (the FGCS code) or `workers` per replica
 * with execution time × max(1, active / workers) (§3, later faas-sim).
 *
 * An invocation: wait (queue, pull, cold start) → transfer of its inputs from where they are
 * (data sources, previous outputs) to its node, as flows → execution, sampled lognormally around
 * the device's mean for the function's workload (§4) → its outputs written (on the node, or to a
 * storage node as flows). Produced artifacts move to where they were written and fire data/model
 * triggers.
 *
 * Random numbers come from independent seeded streams per arrival process, so every scheduler
 * profile sees the same external arrivals (and the same per-invocation noise) for one seed.
 *
 * Why one file of ~930 lines: the simulation's state machine (replicas and pulls, dispatch and scaling, accounting, report) in one class; splitting it along those jobs is issue 15's.
 */
import type { Project } from '../project/index';
import type { FunctionSpec } from '../spec/function';
import type { DataSource, Trigger } from '../spec/workflow';
import { buildSnapshot, type ClusterSnapshot } from '../scheduler/snapshot';
import { profileByName, type Profile } from '../scheduler/profiles';
import { schedule } from '../scheduler/schedule';
import { placeWorkflow, requirementsAt } from '../planning/plan';
import type { Topology } from '../topology/model';
import { MBPS_TO_BPS } from '../topology/routes';
import { Engine, lognormalFromNormal, Rng, SimulationError } from './engine';
import { faasSimWorkflow } from './faas-sim';
import { FlowNetwork, type Flow, type LinkBytes } from './network';
import { followUpMatches, workflowFrom, workflowOfProject, type ArrivalProcess, type SimArtifact, type SimFunction, type SimWorkflow, type WorkflowOptions } from './workflow';
import { StudioError } from '../common/errors';

// ------------------------------------------------------------------------------------------
// Constants (with their sources)

/** Idle replicas are removed after 300 s, reconciled every 30 s (docs/reference.md §3). */
export const IDLE_TIMEOUT_S = 300;
export const RECONCILE_S = 30;
/** Scaling defaults: max 20 replicas (docs/reference.md §3). */
export const MAX_REPLICAS = 20;
/** A node already holding the image pulls only 10% of it — shared layers (docs/reference.md §3). */
export const PRESENT_IMAGE_FRACTION = 0.1;
/** 4 workers per replica in later faas-sim (docs/reference.md §3). */
export const DEFAULT_WORKERS = 4;
/**
 * Worker startup with the image present, seconds: ~2 s (TX2, NUC) to ~7 s (cloud VM, RPi3)
 * (docs/reference.md §4). Devices the reference does not name are assumptions: Jetson NX, the cloudlet
 * and the laptop like the NUC; rpi4 5 s; rockpi, coral and nano 3 s.
 */
export const STARTUP_S: Record<string, number> = {
  tx2: 2,
  nuc: 2,
  'xeon-cpu': 7,
  'xeon-gpu': 7,
  rpi3: 7,
  nx: 2,
  cloudlet: 2,
  laptop: 2,
  rpi4: 5,
  rockpi: 3,
  coral: 3,
  nano: 3,
};
const DEFAULT_STARTUP_S = 5;
/** Log-space sigma of sampled execution times around the device mean (an assumption; §4 gives means only). */
export const DEFAULT_EXEC_SIGMA = 0.2;
/**
 * Lambda-like cloud cost (docs/reference.md §1): $0.000016667 per GB-second with execution rounded up to
 * 100 ms, $0.20 per million invocations, $0.07 per GB leaving the cloud. GB = 2^30 bytes here.
 */
export const PRICE_PER_GB_SECOND = 0.000016667;
export const PRICE_PER_INVOCATION = 0.2 / 1e6;
export const PRICE_PER_EGRESS_GB = 0.07;
export const BILLING_GRANULARITY_S = 0.1;
const GB = 1024 ** 3;

// ------------------------------------------------------------------------------------------
// Options and report

export type Concurrency = { kind: 'replica' } | { kind: 'workers'; workers?: number };

export interface SimulationOptions extends WorkflowOptions {
  /** a loaded project … */
  project?: Project;
  /** … or functions, triggers and data sources given directly … */
  functions?: FunctionSpec[];
  triggers?: Trigger[];
  dataSources?: DataSource[];
  name?: string;
  /** … or a ready SimWorkflow */
  workflow?: SimWorkflow;
  /** 'faas-sim': the default workload of docs/reference.md §3 instead of the workflow's triggers */
  workload?: 'triggers' | 'faas-sim';
  /** the faas-sim workload: copies of its chain (default 1; faas-sim's UrbanSensingScenario(cells) has 10 per cell) */
  deployments?: number;
  topology: Topology;
  profile: string | Profile;
  seed: number;
  /** simulated seconds during which arrivals happen; invocations in flight then are drained */
  durationS: number;
  concurrency?: Concurrency;
  idleTimeoutS?: number;
  reconcileS?: number;
  minReplicas?: number;
  maxReplicas?: number;
  execSigma?: number;
  /** images already on nodes at the start */
  images?: Array<{ name: string; nodes: string[] }>;
}

export interface LatencyStats {
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface FunctionReport {
  function: string;
  /** invocations that arrived (external arrivals and follow-ups) */
  invocations: number;
  /** external arrivals and a checksum of their times (equal across profiles for one seed) */
  arrivals: number;
  arrivalsChecksum: string;
  completed: number;
  failed: number;
  /** still queued or running when the simulation ended */
  unfinished: number;
  coldStarts: number;
  deadlineMs: number | null;
  deadlineMisses: number;
  /** seconds, over completed invocations */
  wait: LatencyStats;
  transfer: LatencyStats;
  execution: LatencyStats;
  total: LatencyStats;
  replicasStarted: number;
  /** node → invocations completed there */
  nodes: Record<string, number>;
  failures: string[];
}

export interface NodeUsage {
  node: string;
  type: string;
  device: string;
  invocations: number;
  /** fraction of the simulated time with at least one invocation executing */
  busy: number;
  /** time-averaged fraction of the node's CPU reserved by replicas */
  allocated: number;
}

export interface CloudCost {
  cloudInvocations: number;
  gbSeconds: number;
  compute: number;
  requests: number;
  egressBytes: number;
  egress: number;
  total: number;
}

export interface SimulationReport {
  workflow: string;
  topology: string;
  nodes: number;
  profile: string;
  seed: number;
  durationS: number;
  /** simulated time when the last event ran (≥ durationS when invocations were drained) */
  endS: number;
  events: number;
  concurrency: string;
  deploy: Array<{ function: string; node: string | null; reason?: string }>;
  functions: FunctionReport[];
  totals: { invocations: number; completed: number; failed: number; unfinished: number; coldStarts: number; deadlineMisses: number };
  /** topology links that carried bytes; up = from → to */
  links: LinkBytes[];
  /** nodes that ran or hosted something */
  nodeUsage: NodeUsage[];
  /** edge / (edge + cloud) of replica CPU allocation over time (docs/reference.md §1); null without allocation */
  edgeUtilisation: number | null;
  cloudCost: CloudCost;
  notes: string[];
}

// ------------------------------------------------------------------------------------------
// State

interface Replica {
  id: number;
  fn: FnState;
  node: number;
  state: 'pulling' | 'cold' | 'starting' | 'warm';
  active: number;
  lastUsed: number;
  createdAt: number;
  /** the next invocation it takes is the cold start (if it waited for the worker to start) */
  coldNext: boolean;
  warmAt: number;
}

interface Invocation {
  fn: FnState;
  arrival: number;
  /** standard normal for the execution-time noise, drawn at arrival */
  z: number;
  replica?: Replica;
  cold: boolean;
  /** seconds from arrival until a replica took it (queue, pull, cold start) */
  wait: number;
  transfer: number;
  execution: number;
  pendingFlows: number;
  phaseStart: number;
}

interface FnState {
  def: SimFunction;
  replicas: Replica[];
  queue: Invocation[];
  waits: number[];
  transfers: number[];
  executions: number[];
  totals: number[];
  invocations: number;
  arrivals: number;
  arrivalHash: number;
  completed: number;
  failed: number;
  coldStarts: number;
  misses: number;
  replicasStarted: number;
  nodes: Map<string, number>;
  failures: Set<string>;
  lastInfeasible?: string;
  noise: Rng;
  batch: Map<string, number>;
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  // nearest rank
  const k = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[k];
}

export function latencyStats(xs: number[]): LatencyStats {
  const s = [...xs].sort((a, b) => a - b);
  const mean = s.length ? s.reduce((a, b) => a + b, 0) / s.length : 0;
  return { mean, p50: percentile(s, 50), p95: percentile(s, 95), p99: percentile(s, 99), max: s.length ? s[s.length - 1] : 0 };
}

/** Lambda-like cost of one cloud invocation's compute (docs/reference.md §1): GB-seconds with execution rounded up to 100 ms. */
export function gbSeconds(memoryBytes: number, executionS: number): number {
  const billed = Math.ceil(executionS / BILLING_GRANULARITY_S - 1e-9) * BILLING_GRANULARITY_S;
  return (memoryBytes / GB) * billed;
}

export function cloudCostOf(gbs: number, invocations: number, egressBytes: number): Omit<CloudCost, 'cloudInvocations'> {
  const compute = gbs * PRICE_PER_GB_SECOND;
  const requests = invocations * PRICE_PER_INVOCATION;
  const egress = (egressBytes / GB) * PRICE_PER_EGRESS_GB;
  return { gbSeconds: gbs, compute, requests, egressBytes, egress, total: compute + requests + egress };
}

function fnv(h: number, x: number): number {
  const s = x.toFixed(9);
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export { SimulationError }; // defined in engine.ts: its stuck-run guard throws one too

// ------------------------------------------------------------------------------------------

/** Builds the workflow the options describe. */
export function workflowOf(opts: SimulationOptions): SimWorkflow {
  if (opts.workflow) return opts.workflow;
  if (opts.workload === 'faas-sim') return faasSimWorkflow(opts.topology, { deployments: opts.deployments, seed: opts.seed });
  if (opts.project) return workflowOfProject(opts.project, opts.topology, opts);
  if (opts.functions) {
    return workflowFrom({ name: opts.name ?? 'workflow', functions: opts.functions, triggers: opts.triggers ?? [], dataSources: opts.dataSources ?? [] }, opts.topology, opts);
  }
  throw new SimulationError('nothing to simulate: give a project, functions with triggers, or workload "faas-sim"');
}

export function simulate(opts: SimulationOptions): SimulationReport {
  return new Simulation(opts).run();
}

class Simulation {
  private readonly engine = new Engine();
  private readonly t: Topology;
  private readonly snap: ClusterSnapshot;
  private readonly net: FlowNetwork;
  private readonly profile: Profile;
  private readonly wf: SimWorkflow;
  private readonly fns = new Map<string, FnState>();
  private readonly order: FnState[] = [];
  private readonly artifacts = new Map<string, SimArtifact>();
  private readonly concurrency: { cap: number; workers: number | null };
  private readonly idleTimeoutS: number;
  private readonly reconcileS: number;
  private readonly minReplicas: number;
  private readonly maxReplicas: number;
  private readonly sigma: number;
  private readonly isCloud: Uint8Array;
  private readonly vertexInCloud: Uint8Array;
  private readonly registryFor = new Map<number, { at: string; extra?: number[]; rttS?: number; capBps?: number }>();
  private readonly storageFor = new Map<number, string>();
  private readonly storage: string[];
  private nextReplica = 0;
  // usage integrals
  private readonly executing: Int32Array;
  private readonly busySince: Float64Array;
  private readonly busy: Float64Array;
  private readonly allocSince: Float64Array;
  private readonly allocCpu: Float64Array;
  private readonly allocIntegral: Float64Array;
  private readonly invocationsAt: Int32Array;
  private readonly hosted: Uint8Array;
  private cloudGbs = 0;
  private cloudInvocations = 0;
  private egressBytes = 0;
  private readonly deploy: SimulationReport['deploy'] = [];
  private readonly notes: string[] = [];

  constructor(private readonly opts: SimulationOptions) {
    this.t = opts.topology;
    this.profile = typeof opts.profile === 'string' ? profileByName(opts.profile) : opts.profile;
    this.snap = buildSnapshot(this.t, opts.images ? { images: opts.images } : {});
    this.net = new FlowNetwork(this.engine, this.t, this.snap.s.graph);
    this.wf = workflowOf(opts);
    const c = opts.concurrency ?? { kind: 'replica' };
    const workers = c.kind === 'workers' ? (c.workers ?? DEFAULT_WORKERS) : null;
    this.concurrency = { cap: workers ?? 1, workers };
    this.idleTimeoutS = opts.idleTimeoutS ?? IDLE_TIMEOUT_S;
    this.reconcileS = opts.reconcileS ?? RECONCILE_S;
    this.minReplicas = opts.minReplicas ?? 0;
    this.maxReplicas = opts.maxReplicas ?? MAX_REPLICAS;
    this.sigma = opts.execSigma ?? DEFAULT_EXEC_SIGMA;
    const n = this.t.nodes.length;
    this.isCloud = Uint8Array.from(this.t.nodes.map((x) => (x.type === 'cloud' ? 1 : 0)));
    const g = this.snap.s.graph;
    this.vertexInCloud = new Uint8Array(g.vertexCount);
    for (let v = 0; v < g.vertexCount; v++) {
      this.vertexInCloud[v] = v < n ? this.isCloud[v] : this.t.networks.find((x) => x.name === g.names[v])?.kind === 'datacenter' ? 1 : 0;
    }
    this.storage = this.t.nodes.filter((x) => x.storage).map((x) => x.name);
    this.executing = new Int32Array(n);
    this.busySince = new Float64Array(n);
    this.busy = new Float64Array(n);
    this.allocSince = new Float64Array(n);
    this.allocCpu = new Float64Array(n);
    this.allocIntegral = new Float64Array(n);
    this.invocationsAt = new Int32Array(n);
    this.hosted = new Uint8Array(n);
    for (const a of this.wf.artifacts) this.artifacts.set(a.urn, { ...a, locations: [...a.locations] });
    for (const def of this.wf.functions) {
      const st: FnState = {
        def,
        replicas: [],
        queue: [],
        waits: [],
        transfers: [],
        executions: [],
        totals: [],
        invocations: 0,
        arrivals: 0,
        arrivalHash: 0x811c9dc5,
        completed: 0,
        failed: 0,
        coldStarts: 0,
        misses: 0,
        replicasStarted: 0,
        nodes: new Map(),
        failures: new Set(),
        noise: Rng.stream(opts.seed, `noise:${def.id}`),
        batch: new Map(),
      };
      this.fns.set(def.id, st);
      this.order.push(st);
    }
    this.notes.push(...this.wf.notes);
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
    this.engine.at(0, () => this.deployAll());
    for (const a of this.wf.arrivals) this.startArrivals(a);
    if (this.reconcileS > 0) this.engine.at(Math.min(this.reconcileS, duration), () => this.reconcile());
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
    return this.report();
  }

  // -------------------------------------------------------------------------- placement

  /** Runs the real scheduler for one more replica of fs (a scale-up); returns the replica or undefined. */
  private place(fs: FnState): Replica | undefined {
    const r = schedule(this.snap, this.profile, requirementsAt(fs.def, this.artifacts));
    if (r.node === null) {
      fs.lastInfeasible = r.infeasible?.message ?? `no node can run ${fs.def.id}`;
      return undefined;
    }
    return this.startReplica(fs, this.snap.nodeIndex(r.node), r.neededImages);
  }

  private startReplica(fs: FnState, node: number, neededImages: string[]): Replica {
    const rep: Replica = { id: this.nextReplica++, fn: fs, node, state: 'pulling', active: 0, lastUsed: this.engine.now, createdAt: this.engine.now, coldNext: false, warmAt: NaN };
    fs.replicas.push(rep);
    fs.replicasStarted++;
    this.hosted[node] = 1;
    this.allocate(node, fs.def.base.cpuMillis);
    this.pull(rep, neededImages);
    return rep;
  }

  /** t = 0: the workflow's first placements are the planner's, exactly as `edgeai schedule` and a deploy make them. */
  private deployAll(): void {
    const plan = placeWorkflow(this.wf, this.t, this.profile, { snapshot: this.snap });
    for (const a of plan.artifacts) {
      const mine = this.artifacts.get(a.urn);
      if (mine && !mine.locations.length) mine.locations = [...a.locations];
    }
    for (const p of plan.placements) {
      const fs = this.fns.get(p.function)!;
      if (p.node === null) {
        fs.lastInfeasible = plan.infeasible[p.function]?.message ?? `no node can run ${p.function}`;
        this.deploy.push({ function: p.function, node: null, reason: fs.lastInfeasible });
        continue;
      }
      this.startReplica(fs, this.snap.nodeIndex(p.node), p.neededImages);
      this.deploy.push({ function: p.function, node: p.node });
    }
  }

  private registrySource(node: number): { at: string; extra?: number[]; rttS?: number; capBps?: number } {
    let s = this.registryFor.get(node);
    if (s) return s;
    const g = this.snap.s.graph;
    let best = '';
    let bw = -1;
    let lat = Infinity;
    for (const at of this.t.registry.at) {
      const row = g.routesFrom(g.vertex(at));
      if (row.bwFrom[node] > bw || (row.bwFrom[node] === bw && row.latencyMs[node] < lat)) {
        best = at;
        bw = row.bwFrom[node];
        lat = row.latencyMs[node];
      }
    }
    if (this.t.registry.mbps !== undefined) {
      // a fixed registry → node bandwidth (docs/reference.md §2): a link of its own per node
      const link = this.net.addVirtualLink(`registry → ${this.t.nodes[node].name}`, this.t.registry.mbps * MBPS_TO_BPS);
      s = { at: best, extra: [link], rttS: (2 * lat) / 1000 };
    } else s = { at: best };
    this.registryFor.set(node, s);
    return s;
  }

  /** Pulls the function's images to the replica's node: full size if missing, 10% if present (docs/reference.md §3). */
  private pull(rep: Replica, needed: string[]): void {
    const arch = this.t.nodes[rep.node].arch;
    let bytes = 0;
    for (const im of rep.fn.def.base.images) {
      const size = typeof im.size === 'number' ? im.size : (im.size[arch] ?? Object.values(im.size).find((v) => v !== undefined) ?? 0);
      bytes += needed.includes(im.name) ? size : Math.round(PRESENT_IMAGE_FRACTION * size);
    }
    const src = this.registrySource(rep.node);
    const nodeName = this.t.nodes[rep.node].name;
    const done = () => {
      if (!rep.fn.replicas.includes(rep)) return;
      rep.state = 'cold';
      rep.lastUsed = this.engine.now;
      this.dispatch(rep.fn);
    };
    if (src.extra) {
      this.net.start(src.extra, src.rttS ?? 0, bytes, done);
      return;
    }
    this.flow(src.at, nodeName, bytes, done);
  }

  private flow(from: string, to: string, bytes: number, onDone: (f: Flow) => void): void {
    const g = this.snap.s.graph;
    const egress = this.vertexInCloud[g.vertex(from)] === 1 && this.vertexInCloud[g.vertex(to)] === 0;
    this.net.transfer(from, to, bytes, (f) => {
      if (egress) this.egressBytes += f.bytes;
      onDone(f);
    });
  }

  private allocate(node: number, cpu: number): void {
    const now = this.engine.now;
    this.allocIntegral[node] += this.allocCpu[node] * (now - this.allocSince[node]);
    this.allocSince[node] = now;
    this.allocCpu[node] += cpu;
  }

  // -------------------------------------------------------------------------- arrivals

  private startArrivals(a: ArrivalProcess): void {
    const rng = Rng.stream(this.opts.seed, `arrivals:${a.source}:${a.function}`);
    const fs = this.fns.get(a.function);
    if (!fs) return;
    const gap = (): number => (a.kind === 'periodic' ? a.everyS : a.kind === 'poisson' ? rng.exponential(1 / a.ratePerS) : a.baseS + rng.exponential(a.meanS));
    const next = (t: number) => {
      if (t >= this.opts.durationS) return;
      this.engine.at(t, () => {
        fs.arrivals++;
        fs.arrivalHash = fnv(fs.arrivalHash, t);
        this.arrive(fs);
        next(t + gap());
      });
    };
    next(gap());
  }

  private arrive(fs: FnState): void {
    fs.invocations++;
    fs.queue.push({ fn: fs, arrival: this.engine.now, z: fs.noise.normal(), cold: false, wait: 0, transfer: 0, execution: 0, pendingFlows: 0, phaseStart: 0 });
    this.dispatch(fs);
  }

  // -------------------------------------------------------------------------- scaling and dispatch

  private dispatch(fs: FnState): void {
    const cap = this.concurrency.cap;
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
        this.startWorker(cold);
        continue;
      }
      if (fs.replicas.length < this.maxReplicas && this.place(fs)) continue;
      if (this.concurrency.workers !== null) {
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

  /** Starts the replica's worker: the cold start (docs/reference.md §3 startup/setup; times §4). */
  private startWorker(r: Replica): void {
    r.state = 'starting';
    const device = this.t.nodes[r.node].device;
    this.engine.after(STARTUP_S[device] ?? DEFAULT_STARTUP_S, () => {
      if (!r.fn.replicas.includes(r)) return;
      r.state = 'warm';
      r.coldNext = true;
      r.warmAt = this.engine.now;
      r.lastUsed = this.engine.now;
      this.dispatch(r.fn);
    });
  }

  private assign(inv: Invocation, r: Replica): void {
    r.active++;
    inv.replica = r;
    inv.wait = this.engine.now - inv.arrival;
    if (r.coldNext) {
      // a cold start: the invocation waited for this worker to start
      r.coldNext = false;
      if (inv.arrival < r.warmAt) {
        inv.cold = true;
        inv.fn.coldStarts++;
      }
    }
    this.transferInputs(inv);
  }

  private bestLocation(locations: string[], node: number): string {
    const name = this.t.nodes[node].name;
    if (locations.includes(name)) return name;
    const g = this.snap.s.graph;
    let best = locations[0];
    let bw = -1;
    let lat = Infinity;
    for (const l of locations) {
      const row = g.routesFrom(g.vertex(l));
      if (row.bwFrom[node] > bw || (row.bwFrom[node] === bw && row.latencyMs[node] < lat)) {
        best = l;
        bw = row.bwFrom[node];
        lat = row.latencyMs[node];
      }
    }
    return best;
  }

  private storageNear(node: number): string {
    let s = this.storageFor.get(node);
    if (s) return s;
    const g = this.snap.s.graph;
    const row = g.routesFrom(node);
    s = this.storage.length ? this.storage[0] : this.t.nodes[node].name;
    let bw = -1;
    let lat = Infinity;
    for (const name of this.storage) {
      const v = g.vertex(name);
      if (row.bwFrom[v] > bw || (row.bwFrom[v] === bw && row.latencyMs[v] < lat)) {
        s = name;
        bw = row.bwFrom[v];
        lat = row.latencyMs[v];
      }
    }
    this.storageFor.set(node, s);
    return s;
  }

  /** Moves the inputs to the node in parallel; the transfer phase lasts until the last arrives. */
  private transferInputs(inv: Invocation): void {
    const r = inv.replica!;
    const nodeName = this.t.nodes[r.node].name;
    inv.phaseStart = this.engine.now;
    const moves: Array<{ from: string; bytes: number }> = [];
    for (const urn of inv.fn.def.inputs) {
      const a = this.artifacts.get(urn);
      if (!a || a.size <= 0 || !a.locations.length || a.locations.includes(nodeName)) continue;
      moves.push({ from: this.bestLocation(a.locations, r.node), bytes: a.size });
    }
    if (!moves.length) {
      this.execute(inv);
      return;
    }
    inv.pendingFlows = moves.length;
    for (const m of moves) {
      this.flow(m.from, nodeName, m.bytes, () => {
        if (--inv.pendingFlows === 0) {
          inv.transfer += this.engine.now - inv.phaseStart;
          this.execute(inv);
        }
      });
    }
  }

  private meanExecution(fs: FnState, node: number): number {
    const b = fs.def.base;
    if (b.workload) return this.snap.execSeconds(b.workload)[node];
    return (b.referenceSeconds ?? 0) * this.snap.s.slowdown[node];
  }

  private execute(inv: Invocation): void {
    const r = inv.replica!;
    const fs = inv.fn;
    const mean = this.meanExecution(fs, r.node);
    if (!Number.isFinite(mean)) {
      r.active--;
      r.lastUsed = this.engine.now;
      this.fail(inv, `${this.t.nodes[r.node].name} (${this.t.nodes[r.node].device}) has no execution time for workload ${fs.def.base.workload} (docs/reference.md §4)`);
      this.dispatch(fs);
      return;
    }
    let t = lognormalFromNormal(mean, this.sigma, inv.z);
    // 4 workers per replica: execution time × max(1, active / workers) (docs/reference.md §3)
    if (this.concurrency.workers !== null) t *= Math.max(1, r.active / this.concurrency.workers);
    inv.execution = t;
    this.markExecuting(r.node, +1);
    this.engine.after(t, () => {
      this.markExecuting(r.node, -1);
      this.writeOutputs(inv);
    });
  }

  private markExecuting(node: number, d: number): void {
    const now = this.engine.now;
    if (d > 0 && this.executing[node]++ === 0) this.busySince[node] = now;
    if (d < 0 && --this.executing[node] === 0) this.busy[node] += now - this.busySince[node];
  }

  private writeOutputs(inv: Invocation): void {
    const r = inv.replica!;
    const nodeName = this.t.nodes[r.node].name;
    inv.phaseStart = this.engine.now;
    const moves: Array<{ a: SimArtifact; to: string }> = [];
    const produced: SimArtifact[] = [];
    for (const urn of inv.fn.def.outputs) {
      const a = this.artifacts.get(urn);
      if (!a) continue;
      produced.push(a);
      if (a.store === 'storage') {
        const to = this.storageNear(r.node);
        if (to !== nodeName && a.size > 0) moves.push({ a, to });
        else a.locations = [to];
      } else a.locations = [nodeName];
    }
    const finish = () => this.finish(inv, produced);
    if (!moves.length) {
      finish();
      return;
    }
    inv.pendingFlows = moves.length;
    for (const m of moves) {
      this.flow(nodeName, m.to, m.a.size, () => {
        m.a.locations = [m.to];
        if (--inv.pendingFlows === 0) {
          inv.transfer += this.engine.now - inv.phaseStart;
          finish();
        }
      });
    }
  }

  private finish(inv: Invocation, produced: SimArtifact[]): void {
    const r = inv.replica!;
    const fs = inv.fn;
    const now = this.engine.now;
    r.active--;
    r.lastUsed = now;
    const total = now - inv.arrival;
    fs.completed++;
    fs.totals.push(total);
    fs.transfers.push(inv.transfer);
    fs.executions.push(inv.execution);
    fs.waits.push(inv.wait);
    const deadline = fs.def.base.deadlineMs;
    if (deadline !== undefined && total * 1000 > deadline) fs.misses++;
    const nodeName = this.t.nodes[r.node].name;
    fs.nodes.set(nodeName, (fs.nodes.get(nodeName) ?? 0) + 1);
    this.invocationsAt[r.node]++;
    if (this.isCloud[r.node]) {
      this.cloudInvocations++;
      this.cloudGbs += gbSeconds(fs.def.base.memoryBytes, inv.execution);
    }
    // data and model triggers
    for (const a of produced) {
      for (const u of this.wf.followUps) {
        if (!followUpMatches(u, a)) continue;
        const target = this.fns.get(u.function);
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

  // -------------------------------------------------------------------------- idle removal

  private reconcile(): void {
    const now = this.engine.now;
    for (const fs of this.order) {
      if (fs.queue.length) continue;
      for (const r of [...fs.replicas]) {
        if (fs.replicas.length <= this.minReplicas) break;
        if ((r.state === 'warm' || r.state === 'cold') && r.active === 0 && now - r.lastUsed >= this.idleTimeoutS) this.remove(r);
      }
    }
    const next = now + this.reconcileS;
    if (next <= this.opts.durationS) this.engine.at(next, () => this.reconcile());
  }

  private remove(r: Replica): void {
    const fs = r.fn;
    fs.replicas.splice(fs.replicas.indexOf(r), 1);
    this.snap.release(r.node, fs.def.base.cpuMillis, fs.def.base.memoryBytes);
    this.allocate(r.node, -fs.def.base.cpuMillis);
  }

  // -------------------------------------------------------------------------- report

  private report(): SimulationReport {
    const end = Math.max(this.engine.now, this.opts.durationS);
    const n = this.t.nodes.length;
    let edgeAlloc = 0;
    let cloudAlloc = 0;
    const nodeUsage: NodeUsage[] = [];
    for (let v = 0; v < n; v++) {
      const alloc = this.allocIntegral[v] + this.allocCpu[v] * (end - this.allocSince[v]);
      const busy = this.busy[v] + (this.executing[v] > 0 ? end - this.busySince[v] : 0);
      if (this.isCloud[v]) cloudAlloc += alloc;
      else edgeAlloc += alloc;
      if (!this.hosted[v] && !this.invocationsAt[v]) continue;
      const node = this.t.nodes[v];
      nodeUsage.push({ node: node.name, type: node.type, device: node.device, invocations: this.invocationsAt[v], busy: busy / end, allocated: alloc / (node.cpuMillis * end) });
    }
    const functions: FunctionReport[] = this.order.map((fs) => ({
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
      nodes: Object.fromEntries([...fs.nodes.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
      failures: [...fs.failures],
    }));
    const sum = (k: 'invocations' | 'completed' | 'failed' | 'unfinished' | 'coldStarts' | 'deadlineMisses') => functions.reduce((a, f) => a + f[k], 0);
    const cost = cloudCostOf(this.cloudGbs, this.cloudInvocations, this.egressBytes);
    return {
      workflow: this.wf.name,
      topology: this.t.name,
      nodes: n,
      profile: this.profile.name,
      seed: this.opts.seed,
      durationS: this.opts.durationS,
      endS: end,
      events: this.engine.processed,
      concurrency: this.concurrency.workers === null ? '1 per replica' : `${this.concurrency.workers} workers per replica`,
      deploy: this.deploy,
      functions,
      totals: { invocations: sum('invocations'), completed: sum('completed'), failed: sum('failed'), unfinished: sum('unfinished'), coldStarts: sum('coldStarts'), deadlineMisses: sum('deadlineMisses') },
      links: this.net.linkBytes().filter((l) => l.upBytes > 0 || l.downBytes > 0),
      nodeUsage,
      edgeUtilisation: edgeAlloc + cloudAlloc > 0 ? edgeAlloc / (edgeAlloc + cloudAlloc) : null,
      cloudCost: { cloudInvocations: this.cloudInvocations, ...cost },
      notes: this.notes,
    };
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

