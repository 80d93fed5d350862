import { describe, expect, it } from 'vitest';
import { fmtMetric } from './units';

describe('fmtMetric (issue 13, item 10: holdout_size 600.000)', () => {
  it('whole numbers without decimals, fractions to three places, extremes in exponent form', () => {
    expect(fmtMetric(600)).toBe('600');
    expect(fmtMetric(12000)).toBe('12,000');
    expect(fmtMetric(0.96733)).toBe('0.967');
    expect(fmtMetric(0.5)).toBe('0.5');
    expect(fmtMetric(-0.0001234)).toBe('-1.23e-4');
    expect(fmtMetric(1234567.89)).toBe('1.23e+6');
    expect(fmtMetric(0)).toBe('0');
    expect(fmtMetric(Number.NaN)).toBe('NaN');
  });
});
