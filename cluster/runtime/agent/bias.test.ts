/** The bias metrics as the README states them (README "Gates"; agent/bias.ts). */
import { describe, expect, it } from 'vitest';
import { biasMetric } from './bias';

describe('bias metrics from group accuracies', () => {
  const groups = [0.9, 0.6, 0.75];

  it('disparate_impact is the lowest group accuracy over the highest', () => {
    expect(biasMetric('disparate_impact', groups)).toBeCloseTo(0.6 / 0.9, 12);
    expect(biasMetric('disparate_impact', [0.8, 0.8])).toBe(1);
    expect(biasMetric('disparate_impact', [0, 0])).toBe(0);
  });

  it('the two _difference metrics are the highest minus the lowest', () => {
    expect(biasMetric('statistical_parity_difference', groups)).toBeCloseTo(0.3, 12);
    expect(biasMetric('equal_opportunity_difference', groups)).toBeCloseTo(0.3, 12);
    expect(biasMetric('equal_opportunity_difference', [0.5])).toBe(0);
  });

  it('refuses an unknown metric and an empty holdout', () => {
    expect(() => biasMetric('fairness', groups)).toThrow(/unknown metric 'fairness'/);
    expect(() => biasMetric('disparate_impact', [])).toThrow(/no group/);
  });
});
