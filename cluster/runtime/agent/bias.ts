/**
 * The bias metrics of @gate.bias (README "Gates"), from the accuracy of each group of the
 * attribute column on the holdout: disparate impact is the lowest group accuracy over the
 * highest (0 when no group is ever right); statistical parity difference and equal opportunity
 * difference are the highest minus the lowest. Pure; the evaluator (worker.ts, evaluator mode)
 * measures the group accuracies and checks the gate's predicate on this value.
 */
import { BIAS_METRICS } from '../../spec/function';

export function biasMetric(metric: string, groupAccuracies: readonly number[]): number {
  if (!(BIAS_METRICS as readonly string[]).includes(metric)) throw new Error(`biasMetric: unknown metric '${metric}' (one of ${BIAS_METRICS.join(', ')})`);
  if (!groupAccuracies.length) throw new Error('biasMetric: no group to measure');
  const lo = Math.min(...groupAccuracies);
  const hi = Math.max(...groupAccuracies);
  return metric === 'disparate_impact' ? (hi > 0 ? lo / hi : 0) : hi - lo;
}
