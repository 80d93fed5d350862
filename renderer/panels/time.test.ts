import { describe, expect, it } from 'vitest';
import { latencyBreakdown } from './time';

describe('latencyBreakdown (issue 13, item 10: 466 ms = exec 68 + transfer 53 + queue 0?)', () => {
  it('names the platform’s own work, so the parts add up to the total', () => {
    expect(latencyBreakdown({ queueMs: 0.26, transferMs: 53.2, coldStartMs: 0, execMs: 68.4, overheadMs: 344.1, totalMs: 466 })).toBe('transfer 53 ms + exec 69 ms + platform 344 ms = 466 ms');
  });
  it('rounds the parts so that the shown numbers sum to the shown total', () => {
    const text = latencyBreakdown({ queueMs: 0.6, transferMs: 0.6, execMs: 0.6, overheadMs: 0.2, totalMs: 2 });
    const nums = [...text.matchAll(/(\d+) ms/g)].map((m) => Number(m[1]));
    expect(nums.slice(0, -1).reduce((a, b) => a + b, 0)).toBe(nums.at(-1));
    expect(text).toBe('queue 1 ms + transfer 1 ms = 2 ms');
  });
  it('seconds above 1,000 ms, and without a total just the parts', () => {
    expect(latencyBreakdown({ execMs: 899.6, overheadMs: 1734.5, transferMs: 22.5, totalMs: 2657 })).toBe('transfer 23 ms + exec 900 ms + platform 1.73 s = 2.66 s');
    expect(latencyBreakdown({ execMs: 5 })).toBe('exec 5 ms');
  });
});
