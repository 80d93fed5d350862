/**
 * A simulation request, checked the same way for `edgeai simulate` and the studio's Simulate
 * tab: the profiles (known, each once, at most four), the seed, the simulated duration, the
 * request rates (of a function, or of an http trigger), the execution profiles and the workers
 * per replica; and bounded: a request whose arrivals (Σ rate × duration, plus schedules) exceed
 * SIM_MAX_ARRIVALS is refused before anything runs.
 */
import type { Project } from '../project/index';
import type { Topology } from '../topology/model';
import type { Controller } from '../runtime/controller';
import { StudioError } from '../common/errors';
import { parseDuration } from '../spec/predicate';
import { profileByName } from '../scheduler/profiles';
import { parseWorkloads } from '../planning/exec-model';
import { workflowOf, type SimulationOptions } from '../simulator/sim';
import type { ServiceTime, SimulationReport } from '../simulator/types';
import { SIM_MAX_ARRIVALS } from '../common/sim-choices';

/** The longest simulated time a request may ask for (the termination tests run up to 30 days). */
export const SIM_MAX_DURATION_MS = 30 * 24 * 3600_000;
/** At most this many profiles compared at once (each runs the whole simulation). */
export const SIM_MAX_PROFILES = 4;

export interface SimulationInput {
  /** the project, or none for the faas-sim workload */
  project?: Project;
  workload?: 'faas-sim';
  topology: Topology;
  profiles: string[];
  seed: number;
  /** simulated time with arrivals: 600s, 30m, 1h, … */
  duration: string;
  /** function id or http trigger id → requests per second */
  rates?: Record<string, number>;
  /** function id → execution profile (a workload of docs/reference.md §4) */
  workloads?: Record<string, string>;
  /** workers per replica (default: one invocation per replica at a time) */
  workers?: number;
  /** execution-time distribution: 'lognormal' (σ 0.2), 'lognormal:<σ>', 'exponential', 'deterministic' */
  service?: string;
  /** false: no cold starts (replicas ready at once) */
  coldStarts?: boolean;
  /** function id → when its arrivals begin (a duration: 30s, 5m) */
  starts?: Record<string, string>;
  /** replicas per function: at least `min` kept (scale-to-zero off when ≥ 1), at most `max` */
  replicas?: { min?: number; max?: number };
}

/** A service-time choice as the simulator takes it; one rule for the CLI and the studio. */
export function parseServiceTime(text: string): ServiceTime {
  const [kind, arg, extra] = text.split(':');
  if (kind === 'exponential' || kind === 'deterministic') {
    if (arg !== undefined) throw new StudioError('bad-service', `service '${text}': ${kind} takes no parameter`, 'write exponential or deterministic');
    return { kind };
  }
  if (kind === 'lognormal' && extra === undefined) {
    if (arg === undefined) return { kind };
    const sigma = Number(arg);
    if (!(arg.trim() !== '' && Number.isFinite(sigma) && sigma > 0 && sigma <= 3)) throw new StudioError('bad-service', `service '${text}': σ must be a number above 0 and at most 3`, 'e.g. lognormal:0.5');
    return { kind, sigma };
  }
  throw new StudioError('bad-service', `service '${text}': use lognormal, lognormal:<σ>, exponential or deterministic`, 'lognormal (σ 0.2) is the default');
}

export interface SimulationRequest {
  options: Omit<SimulationOptions, 'profile'>;
  profiles: string[];
  /** invocations per profile the arrivals will generate (about) */
  arrivals: number;
}

export function simulationRequest(input: SimulationInput): SimulationRequest {
  const { project } = input;
  if (!input.profiles.length) throw new StudioError('bad-profile', 'no scheduler profile given', 'pick at least one: edge-ai, skippy, kube-default');
  if (input.profiles.length > SIM_MAX_PROFILES) throw new StudioError('bad-profile', `${input.profiles.length} profiles: compare at most ${SIM_MAX_PROFILES} at once`, 'drop some');
  if (new Set(input.profiles).size !== input.profiles.length) throw new StudioError('bad-profile', `profiles ${input.profiles.join(', ')}: each profile once`, 'remove the repeated one');
  for (const p of input.profiles) profileByName(p);
  if (!Number.isInteger(input.seed) || input.seed < 0) throw new StudioError('bad-seed', `seed ${input.seed}: give a whole number ≥ 0`);
  const ms = parseDuration(input.duration);
  if (typeof ms !== 'number') throw new StudioError('bad-duration', `duration '${input.duration}': ${ms.error}`, 'write it like 600s, 30m or 1h');
  if (ms <= 0 || ms > SIM_MAX_DURATION_MS) throw new StudioError('bad-duration', `duration '${input.duration}': give more than 0 and at most 30 days of simulated time`, 'e.g. 10m for a quick look, 1h for steady state');
  if (input.workers !== undefined && !(Number.isInteger(input.workers) && input.workers >= 1)) throw new StudioError('bad-workers', `workers ${input.workers}: give a whole number ≥ 1`);
  const rates = input.rates ?? {};
  const functions = project ? new Set(project.functions.map((f) => f.id)) : undefined;
  if (project) {
    const httpTriggers = new Set(project.workflow.triggers.filter((t) => t.kind === 'http').map((t) => t.id));
    for (const [key, rate] of Object.entries(rates)) {
      if (!functions!.has(key) && !httpTriggers.has(key)) {
        throw new StudioError('function-not-found', `rate for '${key}': ${project.workflow.name} has no function or http trigger of that name`, `functions: ${[...functions!].join(', ') || '(none)'}${httpTriggers.size ? `; http triggers: ${[...httpTriggers].join(', ')}` : ''}`);
      }
      if (!(Number.isFinite(rate) && rate > 0 && rate <= 10_000)) throw new StudioError('bad-rate', `rate for '${key}': ${rate} requests per second; give a number above 0 and at most 10000`);
    }
  }
  const workloads = parseWorkloads(Object.entries(input.workloads ?? {}), functions);
  const service = input.service !== undefined ? parseServiceTime(input.service) : undefined;
  const arrivalStartS: Record<string, number> = {};
  for (const [fn, d] of Object.entries(input.starts ?? {})) {
    if (functions && !functions.has(fn)) throw new StudioError('function-not-found', `start offset for '${fn}': the workflow has no such function`, `functions: ${[...functions].join(', ') || '(none)'}`);
    const at = parseDuration(d);
    if (typeof at !== 'number' || at < 0 || at >= ms) throw new StudioError('bad-duration', `start offset for '${fn}': '${d}' ${typeof at !== 'number' ? at.error : 'must be at least 0 and less than the simulated duration'}`, 'e.g. 30s or 5m');
    arrivalStartS[fn] = at / 1000;
  }
  const { min, max } = input.replicas ?? {};
  for (const [name, v, lo] of [['min', min, 0], ['max', max, 1]] as const) {
    if (v !== undefined && !(Number.isInteger(v) && v >= lo && v <= 1000)) throw new StudioError('bad-replicas', `${name} replicas ${v}: give a whole number from ${lo} to 1000`);
  }
  if (min !== undefined && max !== undefined && min > max) throw new StudioError('bad-replicas', `min replicas ${min} is more than max replicas ${max}`, 'for a fixed count give the same number for both');
  const options: Omit<SimulationOptions, 'profile'> = {
    ...(input.workload === 'faas-sim' || !project ? { workload: 'faas-sim' as const } : { project }),
    topology: input.topology,
    seed: input.seed,
    durationS: ms / 1000,
    rates,
    workloads,
    ...(input.workers !== undefined ? { concurrency: { kind: 'workers' as const, workers: input.workers } } : {}),
    ...(service ? { service } : {}),
    ...(input.coldStarts === false ? { coldStarts: false } : {}),
    ...(Object.keys(arrivalStartS).length ? { arrivalStartS } : {}),
    ...(min !== undefined ? { minReplicas: min } : {}),
    ...(max !== undefined ? { maxReplicas: max } : {}),
  };
  const wf = workflowOf({ ...options, profile: input.profiles[0] });
  const arrivals = wf.arrivals.reduce((n, a) => n + (a.kind === 'poisson' ? a.ratePerS * options.durationS : a.kind === 'periodic' ? options.durationS / a.everyS : options.durationS / (a.baseS + a.meanS)), 0);
  if (arrivals > SIM_MAX_ARRIVALS) {
    throw new StudioError('simulation-too-large', `${Math.round(arrivals).toLocaleString('en-US')} invocations per profile (${input.duration} × the rates) is more than the ${SIM_MAX_ARRIVALS.toLocaleString('en-US')} a simulation may run`, 'shorten the duration or lower the rates');
  }
  return { options, profiles: input.profiles, arrivals };
}

// ---------------------------------------------------------------------------------------------
// Sim vs real (issue 15, item 6): profiles from the recorded runs of a deployed workflow, and the
// comparison of a simulation with those runs.

/** What a recorded run gives the comparison (cluster state's RunRow, the fields read). */
export interface RecordedRun {
  function: string;
  node: string | null;
  status: string;
  started: string;
  /** JSON of the run's InvokeTimings (ms): queueMs, transferMs, coldStartMs, execMs, overheadMs, totalMs */
  timings: string;
}

/** What `edgeai load` recorded of one load: when it began, its function, and the bytes each link carried meanwhile. */
export interface LoadRecord {
  workflow: string;
  function: string;
  rate: number;
  durationS: number;
  seed: number;
  startedAt: string;
  sent: number;
  ok: number;
  failed: number;
  /** topology link ("a→b", as cluster status names it) → bytes moved during the load */
  links: Record<string, number>;
}

export interface RunProfiles {
  /** function → node → sorted seconds of what a run spends neither waiting for a worker nor moving inputs: execution + the platform's overhead */
  execProfiles: Record<string, Record<string, number[]>>;
  /** function → node → mean seconds a cold start took */
  startupS: Record<string, Record<string, number>>;
  /** function → seconds from the first run's start at which each run began */
  arrivalTimes: Record<string, number[]>;
  /** function → each of those runs' service time, in the same order (a cold run: the warm median there) */
  serviceTimes: Record<string, number[]>;
  /** when the first run began (ms since the epoch) */
  originMs: number;
  runs: number;
}

function timingsOf(r: RecordedRun): { queueMs: number; transferMs: number; coldStartMs: number; execMs: number; overheadMs: number; totalMs: number } | undefined {
  try {
    const t = JSON.parse(r.timings) as Record<string, unknown>;
    const n = (k: string) => (typeof t[k] === 'number' && Number.isFinite(t[k]) ? (t[k] as number) : NaN);
    const out = { queueMs: n('queueMs'), transferMs: n('transferMs'), coldStartMs: n('coldStartMs'), execMs: n('execMs'), overheadMs: n('overheadMs'), totalMs: n('totalMs') };
    return Object.values(out).every(Number.isFinite) ? out : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Execution-time profiles per function and node from recorded runs (those that ended ok), the
 * measured cold-start time, and the runs' arrival times. Modelling choices: a warm run's service
 * time is its execution plus the platform's overhead (resolving inputs, recording the run, the
 * HTTP round trips — time the simulator has no other place for), drawn from the measured samples (and, with the runs' arrival times replayed, each arrival gets its own run's
 * service time: serviceTimes);
 * a worker's start is a cold run's cold start and service less a warm run's median service there
 * (the first run on a worker loads its model); queueing, cold starts and transfers are the
 * simulator's own.
 */
export function profilesFromRuns(runs: RecordedRun[]): RunProfiles {
  const ok = runs.filter((r) => r.status === 'ok' && r.node !== null && timingsOf(r));
  if (!ok.length) throw new StudioError('no-runs', 'no recorded run ended ok: nothing to take execution times from', 'deploy the workflow and run it (edgeai load <workflow>/<function> --rate R --duration D), then simulate --exec-from-runs');
  const originMs = Math.min(...ok.map((r) => Date.parse(r.started)));
  const exec: Record<string, Record<string, number[]>> = {};
  const cold: Record<string, Record<string, number[]>> = {};
  const arrivalTimes: Record<string, number[]> = {};
  const coldRuns: Array<{ fn: string; node: string; s: number }> = [];
  const order: Record<string, Array<{ at: number; node: string; service?: number }>> = {};
  for (const r of ok) {
    const t = timingsOf(r)!;
    const node = r.node!;
    const service = (t.execMs + t.overheadMs) / 1000;
    // a cold run's service (its worker's first: loading the model, warming the runtime) is not a warm one's
    if (t.coldStartMs > 0) coldRuns.push({ fn: r.function, node, s: t.coldStartMs / 1000 + service });
    else ((exec[r.function] ??= {})[node] ??= []).push(service);
    (order[r.function] ??= []).push({ at: (Date.parse(r.started) - originMs) / 1000, node, ...(t.coldStartMs > 0 ? {} : { service }) });
  }
  for (const byNode of Object.values(exec)) for (const xs of Object.values(byNode)) xs.sort((a, b) => a - b);
  // a worker's start = the cold run's start and service, less a warm run's median service there
  for (const c of coldRuns) {
    const warm = exec[c.fn]?.[c.node];
    ((cold[c.fn] ??= {})[c.node] ??= []).push(Math.max(0, c.s - (warm?.length ? median(warm) : 0)));
    if (!warm?.length) ((exec[c.fn] ??= {})[c.node] ??= []).push(0);
  }
  const serviceTimes: Record<string, number[]> = {};
  for (const [fn, runsOf] of Object.entries(order)) {
    runsOf.sort((a, b) => a.at - b.at);
    arrivalTimes[fn] = runsOf.map((r) => r.at);
    serviceTimes[fn] = runsOf.map((r) => r.service ?? median(exec[fn]?.[r.node] ?? [0]));
  }
  const startupS = Object.fromEntries(Object.entries(cold).map(([fn, byNode]) => [fn, Object.fromEntries(Object.entries(byNode).map(([n, xs]) => [n, xs.reduce((a, b) => a + b, 0) / xs.length]))]));
  return { execProfiles: exec, startupS, arrivalTimes, serviceTimes, originMs, runs: ok.length };
}

function median(sorted: number[]): number {
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function quantile(sorted: number[], q: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** One function's figures, real and simulated. */
export interface ComparisonRow {
  function: string;
  real: { runs: number; p50: number; p95: number; coldStarts: number };
  sim: { runs: number; p50: number; p95: number; coldStarts: number };
}

/** The runs' latency figures per function (total seconds), and the simulation's. */
export function compareWithRuns(runs: RecordedRun[], report: SimulationReport): ComparisonRow[] {
  const byFn = new Map<string, { totals: number[]; cold: number }>();
  for (const r of runs) {
    const t = r.status === 'ok' ? timingsOf(r) : undefined;
    if (!t) continue;
    const e = byFn.get(r.function) ?? { totals: [], cold: 0 };
    e.totals.push(t.totalMs / 1000);
    if (t.coldStartMs > 0) e.cold++;
    byFn.set(r.function, e);
  }
  const rows: ComparisonRow[] = [];
  for (const [fn, e] of byFn) {
    e.totals.sort((a, b) => a - b);
    const f = report.functions.find((x) => x.function === fn);
    rows.push({
      function: fn,
      real: { runs: e.totals.length, p50: quantile(e.totals, 0.5), p95: quantile(e.totals, 0.95), coldStarts: e.cold },
      sim: { runs: f?.completed ?? 0, p50: f?.total.p50 ?? NaN, p95: f?.total.p95 ?? NaN, coldStarts: f?.coldStarts ?? 0 },
    });
  }
  return rows;
}

/** The simulation's bytes per link in the runtime's naming ("a→b" per direction: up = from → to). */
export function simulatedLinkBytes(report: SimulationReport): Record<string, number> {
  const out: Record<string, number> = {};
  for (const l of report.links) {
    if (l.upBytes) out[`${l.from}→${l.to}`] = l.upBytes;
    if (l.downBytes) out[`${l.to}→${l.from}`] = l.downBytes;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The comparison itself, one rule for `edgeai simulate --exec-from-runs [--compare-runs]` and the
// studio's simulate.compareRuns: the runs read off the cluster, the simulation options they give,
// and the rows and links of the table.

/** What the comparison reads of a running cluster (the Controller's methods it calls). */
export type RunsSource = Pick<Controller, 'status' | 'state' | 'runs' | 'registry'>;

export interface ClusterRuns {
  runs: Array<RecordedRun & { inputs: string }>;
  topology: Topology;
  /** seconds the runs span (a load record's duration, else first to last run + 1 s) */
  durationS: number;
  /** function → the node it is deployed on */
  placed: Record<string, string>;
  reads: NonNullable<SimulationOptions['reads']>;
}

/** The recorded runs of `workflow` on the running cluster (those of the load, with a record), its topology, placements and what the runs read. */
export function clusterRuns(c: RunsSource, workflow: string, record?: LoadRecord, what = 'the comparison'): ClusterRuns {
  const raw = c.state.get('topology');
  if (!c.status().up || !raw) throw new StudioError('cluster-down', `${what}: the cluster is not up`, 'start it and deploy the workflow: edgeai cluster up; edgeai deploy <project>');
  const since = record ? Date.parse(record.startedAt) : -Infinity;
  const runs = c.runs({ workflow, ...(record ? { function: record.function } : {}), limit: 100_000 }).filter((r) => Date.parse(r.started) >= since);
  if (!runs.length) throw new StudioError('no-runs', `${what}: no recorded runs of ${workflow}${record ? `/${record.function} since ${record.startedAt}` : ''}`, 'run it first: edgeai load <workflow>/<function> --rate R --duration D');
  const starts = runs.map((r) => Date.parse(r.started));
  const durationS = record ? Math.ceil(record.durationS) : Math.ceil((Math.max(...starts) - Math.min(...starts)) / 1000) + 1;
  // what the runs read: each artifact version's size, and the node that held it first (its producer's)
  const reads: Record<string, Array<{ urn: string; kind: 'data' | 'model'; size: number; at: string }>> = {};
  for (const r of runs) {
    let inputs: Array<{ urn: string; version: number; kind?: string }> = [];
    try {
      inputs = JSON.parse(r.inputs) as typeof inputs;
    } catch {
      /* a run without inputs */
    }
    for (const i of inputs) {
      const a = c.registry.artifact(i.urn, i.version);
      const at = a?.locations[0]?.node;
      const list = (reads[r.function] ??= []);
      if (a && at && !list.some((x) => x.urn === i.urn)) list.push({ urn: i.urn, kind: a.kind === 'model' ? 'model' : 'data', size: a.size, at });
    }
  }
  const placed: Record<string, string> = {};
  for (const f of c.status().deployments.find((d) => d.workflow === workflow)?.functions ?? []) if (f.node) placed[f.id] = f.node;
  return { runs, topology: JSON.parse(raw) as Topology, durationS, placed, reads };
}

/**
 * The simulation of the runs: the measured profiles, the runs' arrival times and service times;
 * the real cluster's shape — each function placed once (max 1 replica), up to 4 workers there,
 * each started on demand, deployed before the runs (each function's bundle on its node already:
 * nothing pulled).
 */
export function optionsFromRuns<O extends Omit<SimulationOptions, 'profile'>>(options: O, profile: string, from: ClusterRuns): O {
  const p = profilesFromRuns(from.runs);
  const wf = workflowOf({ ...options, profile });
  const images = wf.functions.flatMap((f) => (from.placed[f.id] ? f.base.images.map((im) => ({ name: im.name, nodes: [from.placed[f.id]] })) : []));
  return { ...options, images, reads: from.reads, keepInputs: true, warmAtStart: true, execProfiles: p.execProfiles, startupS: p.startupS, arrivalTimes: p.arrivalTimes, serviceTimes: p.serviceTimes, concurrency: { kind: 'agent', workers: 4 }, maxReplicas: options.maxReplicas ?? 1, fresh: false };
}

/** The table's figures: per function real vs simulated, and per link (runtime naming "a→b") real vs simulated bytes. */
export function runsComparison(runs: RecordedRun[], report: SimulationReport, realLinks: Record<string, number>): { rows: ComparisonRow[]; links: Array<{ link: string; real: number; sim: number }> } {
  const rows = compareWithRuns(runs, report);
  const sim = simulatedLinkBytes(report);
  const links = [...new Set([...Object.keys(realLinks), ...Object.keys(sim)])].sort().map((link) => ({ link, real: realLinks[link] ?? 0, sim: sim[link] ?? 0 }));
  return { rows, links };
}
