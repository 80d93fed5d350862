/**
 * Gates in the simulation, as the runtime evaluates them (cluster/runtime/controller/gates.ts,
 * invoker.ts), on modelled values instead of real outputs:
 *
 * - @gate.drift: the metric of each output is drawn from its modelled distribution
 *   (`outputMetrics`: normal(mean + driftPerHour · hours since the model the function reads was
 *   published, sd)); its drift is the distance of the mean of the last `window` values (default
 *   50) from the mean of the first full window, and the gate passes while the predicate holds on
 *   it. A failing drift gate does not block the output; it fires the workflow's gate triggers
 *   (e.g. retrain). Without a model of the metric the gate is not evaluated (a note says so).
 * - @gate.bias: passes on a run with the configured probability (`gatePassRates`, default 1);
 *   a failing bias gate blocks publication (the run's outputs are not published, no data or
 *   model trigger fires) and fires the gate triggers.
 *
 * Gate triggers fire as the runtime's do: a trigger whose `source` is the function, for any
 * failed gate or only for its `gate` kind.
 */
import type { Gate } from '../spec/function';
import { isPredicateError, parsePredicate, testPredicate, type Predicate } from '../spec/predicate';
import { Rng } from './engine';
import type { GateTrigger } from './workflow';
import { gateTriggerFires } from '../planning/triggers';

/** The modelled distribution of one output metric of a function. */
export interface MetricModel {
  mean: number;
  /** standard deviation per invocation (default 0) */
  sd?: number;
  /** how far the mean moves per hour since the model the function reads was published (default 0) */
  driftPerHour?: number;
}

/** The default drift window (docs/reference.md §10: DriftWatch's 50 invocations). */
export const DRIFT_WINDOW = 50;

interface DriftState {
  gate: Extract<Gate, { kind: 'drift' }>;
  model: MetricModel;
  predicate: Predicate | undefined;
  values: number[];
  baseline: number | undefined;
  rng: Rng;
}

export interface GateVerdict {
  /** kinds of the gates that failed on this run */
  failed: Array<'bias' | 'drift'>;
  /** a bias gate failed: the outputs are not published */
  blocked: boolean;
}

/** One function's gates over a run. */
export class FunctionGates {
  private readonly drift: DriftState[] = [];
  private readonly bias: { passRate: number; rng: Rng } | undefined;
  evaluated = 0;
  failed = 0;
  blocked = 0;

  /** is any gate evaluated at all (a drift gate with a model of its metric, or a bias gate)? */
  get active(): boolean {
    return this.drift.length > 0 || this.bias !== undefined;
  }

  constructor(fn: string, gates: readonly Gate[], seed: number, metrics: Record<string, MetricModel> | undefined, passRate: number | undefined, notes: string[]) {
    for (const g of gates) {
      if (g.kind === 'drift') {
        const model = metrics?.[g.metric];
        if (!model) {
          notes.push(`gate drift of ${fn} ('${g.metric}' ${g.predicate}) is not evaluated: give a model of the metric (outputMetrics.${fn}.${g.metric}: mean, sd, driftPerHour)`);
          continue;
        }
        const p = parsePredicate(g.predicate);
        this.drift.push({ gate: g, model, predicate: isPredicateError(p) ? undefined : p, values: [], baseline: undefined, rng: Rng.stream(seed, `metric:${fn}:${g.metric}`) });
      }
    }
    if (gates.some((g) => g.kind === 'bias')) {
      const rate = passRate ?? 1;
      if (passRate === undefined) notes.push(`gate bias of ${fn} passes on every run (no gatePassRates.${fn} given)`);
      this.bias = { passRate: rate, rng: Rng.stream(seed, `bias:${fn}`) };
    }
  }

  /** Evaluates the gates on one finished run; `modelAgeS` is how long ago the model it read was published. */
  evaluate(modelAgeS: number): GateVerdict {
    const failed: Array<'bias' | 'drift'> = [];
    let blocked = false;
    if (this.bias) {
      this.evaluated++;
      if (!(this.bias.rng.uniform() < this.bias.passRate)) {
        failed.push('bias');
        blocked = true;
      }
    }
    for (const d of this.drift) {
      this.evaluated++;
      const v = d.model.mean + (d.model.driftPerHour ?? 0) * (modelAgeS / 3600) + (d.model.sd ?? 0) * d.rng.normal();
      const win = d.gate.window ?? DRIFT_WINDOW;
      d.values.push(v);
      if (d.values.length > win) d.values.shift();
      const mean = d.values.reduce((a, b) => a + b, 0) / d.values.length;
      if (d.baseline === undefined && d.values.length >= win) d.baseline = mean;
      if (d.baseline === undefined) continue; // collecting the reference window: passes
      const pass = d.predicate !== undefined && testPredicate(d.predicate, Math.abs(mean - d.baseline));
      if (!pass) failed.push('drift');
    }
    if (failed.length) this.failed++;
    if (blocked) this.blocked++;
    return { failed, blocked };
  }
}

/** The gate triggers a function's failed gates fire: planning/triggers.ts's rule, the runtime's too. */
export function gateTriggersFired(triggers: readonly GateTrigger[], fn: string, failed: ReadonlyArray<'bias' | 'drift'>): GateTrigger[] {
  if (!failed.length) return [];
  return triggers.filter((t) => gateTriggerFires(t, fn, failed));
}
