/**
 * gate.drift, evaluated by the controller over a function's recent outputs: the metric (a
 * number in the output) is averaged over the last `window` invocations; its drift is the
 * distance of that mean from the mean of the first full window after deploy. The gate passes
 * while the predicate holds on the drift. (gate.bias is measured when a model is trained, on
 * its holdout; see the agent's worker.)
 */
import type { FunctionSpec } from '../../spec/function';
import { isPredicateError, parsePredicate, testPredicate } from '../../spec/predicate';
import type { GateResult } from '../agent/protocol';

export class DriftWatch {
  private readonly windows = new Map<string, number[]>();
  private readonly baselines = new Map<string, number>();

  /** The drift gates' verdicts on one more output of `spec`. */
  observe(workflow: string, spec: FunctionSpec, output: unknown): GateResult[] {
    const out: GateResult[] = [];
    for (const g of spec.gates) {
      if (g.kind !== 'drift') continue;
      const key = `${workflow}/${spec.id}/${g.metric}`;
      const v = output && typeof output === 'object' ? (output as Record<string, unknown>)[g.metric] : undefined;
      if (typeof v !== 'number') {
        out.push({ kind: 'drift', metric: g.metric, value: null, predicate: g.predicate, pass: true, detail: `the output has no numeric '${g.metric}'; nothing to watch` });
        continue;
      }
      const win = g.window ?? 50;
      const values = [...(this.windows.get(key) ?? []), v].slice(-win);
      this.windows.set(key, values);
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      if (!this.baselines.has(key) && values.length >= win) this.baselines.set(key, mean);
      const baseline = this.baselines.get(key);
      if (baseline === undefined) {
        out.push({ kind: 'drift', metric: g.metric, value: null, predicate: g.predicate, pass: true, detail: `collecting the reference window (${values.length}/${win} invocations)` });
        continue;
      }
      const drift = Math.abs(mean - baseline);
      const p = parsePredicate(g.predicate);
      const pass = !isPredicateError(p) && testPredicate(p, drift);
      out.push({ kind: 'drift', metric: g.metric, value: drift, predicate: g.predicate, pass, detail: `mean ${g.metric} over the last ${values.length} is ${mean.toFixed(3)}, reference ${baseline.toFixed(3)}: drift ${drift.toFixed(3)}` });
    }
    return out;
  }
}
