/**
 * What the Simulate panel shows, computed from the simulation answer (pure: unit-tested without
 * a browser). Seconds in, readable text out.
 */
import type { MethodResponse, ProjectSnapshot, SimulationReportDto } from '../../cluster/api/contract';

export function fmtS(s: number): string {
  if (!Number.isFinite(s)) return '–';
  if (s >= 60) return `${(s / 60).toFixed(1)} min`;
  if (s >= 1) return `${s.toFixed(2)} s`;
  if (s >= 0.001) return `${Math.round(s * 1000)} ms`;
  if (s > 0) return `${(s * 1000).toFixed(2)} ms`;
  return '0';
}

export function fmtUsd(x: number): string {
  return x >= 1 ? `$${x.toFixed(2)}` : `$${x.toFixed(6)}`;
}

export function fmtPercent(x: number | null): string {
  return x === null ? '–' : `${(x * 100).toFixed(1)}%`;
}

/** Where a function's invocations come from in a simulation, and the rate it gets by default. */
export function arrivalSource(workflow: ProjectSnapshot['workflow'], fn: string): { text: string; defaultRate: number } {
  const ts = workflow.triggers.filter((t) => t.function === fn);
  const http = ts.find((t) => t.kind === 'http');
  if (http) return { text: `http ${http.id}: 1/s unless set`, defaultRate: 1 };
  const parts = ts.map((t) => (t.kind === 'schedule' ? `every ${(t as { every?: string }).every}` : t.kind === 'gate' ? 'when a gate fails' : `on ${t.kind}`));
  return { text: parts.length ? `${parts.join(', ')}; a rate adds requests` : 'no trigger: give a rate to invoke it', defaultRate: 0 };
}

/** The chart's rows: per function that completed somewhere, its p95 total latency in ms per profile. */
export function p95Rows(reports: SimulationReportDto[]): Array<Record<string, number | string>> {
  const fns = reports[0]?.functions.map((f) => f.function) ?? [];
  return fns
    .map((fn) => {
      const row: Record<string, number | string> = { function: fn };
      for (const r of reports) {
        const f = r.functions.find((x) => x.function === fn);
        if (f && f.completed > 0) row[r.profile] = Math.round(f.total.p95 * 10_000) / 10;
      }
      return row;
    })
    .filter((row) => Object.keys(row).length > 1);
}

/** Parses the rate fields: blank = default; anything else must be a number > 0. */
export function parseRates(fields: Record<string, string>): { rates: Record<string, number> } | { error: string } {
  const rates: Record<string, number> = {};
  for (const [fn, text] of Object.entries(fields)) {
    const t = text.trim();
    if (!t) continue;
    const n = Number(t);
    if (!Number.isFinite(n) || n <= 0 || n > 10_000) return { error: `rate of ${fn}: '${t}' is not a number of requests per second from 0 to 10000 (leave it blank for the default)` };
    rates[fn] = n;
  }
  return { rates };
}

/** The model controls of the Simulate form (what a simulation can express, issue 15 item 3), as typed. */
export interface ModelFields {
  service: 'lognormal' | 'exponential' | 'deterministic';
  /** the lognormal's σ (blank: 0.2) */
  sigma: string;
  /** auto: 0 to 20, scaled by the KPA rule; fixed: `fixed` replicas; range: `min` to `max` */
  replicas: 'auto' | 'fixed' | 'range';
  fixed: string;
  min: string;
  max: string;
  coldStarts: boolean;
  /** function → when its arrivals begin (blank: at 0) */
  starts: Record<string, string>;
}

export const DEFAULT_MODEL: ModelFields = { service: 'lognormal', sigma: '', replicas: 'auto', fixed: '1', min: '0', max: '20', coldStarts: true, starts: {} };

/**
 * The fields as the simulate request takes them: the defaults are left out, text is passed as
 * typed — the service checks it (app/simulation.ts, the one rule for the CLI and the studio).
 */
export function modelRequest(f: ModelFields, functions: string[]): { service?: string; replicas?: { min?: number; max?: number }; coldStarts?: boolean; starts?: Record<string, string> } {
  const num = (t: string) => (t.trim() === '' ? undefined : Number(t));
  const sigma = f.sigma.trim();
  const service = f.service === 'lognormal' ? (sigma ? `lognormal:${sigma}` : undefined) : f.service;
  const replicas =
    f.replicas === 'fixed' ? { min: num(f.fixed), max: num(f.fixed) } : f.replicas === 'range' ? { min: num(f.min), max: num(f.max) } : undefined;
  const starts = Object.fromEntries(Object.entries(f.starts).filter(([fn, t]) => functions.includes(fn) && t.trim() !== '').map(([fn, t]) => [fn, t.trim()]));
  return {
    ...(service ? { service } : {}),
    ...(replicas ? { replicas: Object.fromEntries(Object.entries(replicas).filter(([, v]) => v !== undefined)) } : {}),
    ...(f.coldStarts ? {} : { coldStarts: false }),
    ...(Object.keys(starts).length ? { starts } : {}),
  };
}

/** One line of the sim-vs-real table: a figure of a function (or a link's bytes), real beside simulated. */
export interface RunsCompareLine {
  key: string;
  what: string;
  figure: string;
  real: string;
  sim: string;
  /** the simulated figure's difference from the real one: '+3.1%', 'equal', 'differ', '' */
  difference: string;
}

/**
 * The rows of simulate.compareRuns as the Simulate tab lists them (the same figures as
 * `edgeai simulate --compare-runs` prints): per function runs, p50, p95 and cold starts, then
 * bytes per link.
 */
export function runsCompareLines(a: Pick<MethodResponse<'simulate.compareRuns'>, 'rows' | 'links'>, bytes: (n: number) => string = (n) => String(n)): RunsCompareLine[] {
  const pct = (sim: number | null, real: number | null) => (sim !== null && real !== null && real > 0 ? `${sim >= real ? '+' : ''}${(((sim - real) / real) * 100).toFixed(1)}%` : '–');
  const ms = (s: number | null) => (s === null ? '–' : fmtS(s));
  const out: RunsCompareLine[] = [];
  for (const r of a.rows) {
    out.push({ key: `${r.function}:runs`, what: r.function, figure: 'runs', real: String(r.real.runs), sim: String(r.sim.runs), difference: r.real.runs === r.sim.runs ? 'equal' : 'differ' });
    out.push({ key: `${r.function}:p50`, what: '', figure: 'p50 latency', real: ms(r.real.p50), sim: ms(r.sim.p50), difference: pct(r.sim.p50, r.real.p50) });
    out.push({ key: `${r.function}:p95`, what: '', figure: 'p95 latency', real: ms(r.real.p95), sim: ms(r.sim.p95), difference: pct(r.sim.p95, r.real.p95) });
    out.push({ key: `${r.function}:cold`, what: '', figure: 'cold starts', real: String(r.real.coldStarts), sim: String(r.sim.coldStarts), difference: r.real.coldStarts === r.sim.coldStarts ? 'equal' : 'differ' });
  }
  for (const l of a.links) out.push({ key: `link:${l.link}`, what: 'bytes', figure: l.link, real: bytes(l.real), sim: bytes(l.sim), difference: l.real === l.sim ? 'equal' : 'differ' });
  return out;
}
