/** Time for people in the runtime panels: a duration in ms or s, and a clock that ticks while something runs. */
import { useEffect, useState } from 'react';

export function ms(n: number | undefined): string {
  if (n === undefined) return '–';
  return n >= 1000 ? `${(n / 1000).toFixed(2)} s` : `${Math.round(n)} ms`;
}

/** Seconds since `since`, ticking while `active`. */
export function useElapsed(active: boolean): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!active) return;
    const t = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(t);
  }, [active]);
  return now;
}

/** The parts of a run's latency, in the order they happen; with the platform's own work they add up to the total. */
const PARTS: Array<[key: string, label: string]> = [
  ['queueMs', 'queue'],
  ['transferMs', 'transfer'],
  ['coldStartMs', 'cold start'],
  ['execMs', 'exec'],
  ['overheadMs', 'platform'],
];

/**
 * "exec 68 ms + transfer 53 ms + … + platform 345 ms = 466 ms": each part rounded so that the
 * shown parts sum to the shown total (largest remainder), parts under a millisecond left out.
 */
export function latencyBreakdown(t: Partial<Record<string, number>>): string {
  const total = t.totalMs;
  const parts = PARTS.map(([k, label]) => [label, t[k]] as const).filter((p): p is readonly [string, number] => typeof p[1] === 'number' && p[1] > 0);
  if (total === undefined) return parts.map(([l, v]) => `${l} ${ms(v)}`).join(' + ');
  const whole = Math.round(total);
  const floors = parts.map(([, v]) => Math.floor(v));
  let left = whole - floors.reduce((a, b) => a + b, 0);
  const order = parts.map(([, v], i) => [v - Math.floor(v), i] as const).sort((a, b) => b[0] - a[0]);
  for (const [, i] of order) {
    if (left <= 0) break;
    floors[i]++;
    left--;
  }
  // a part that rounds to 0 ms says nothing
  return `${parts.flatMap(([l], i) => (floors[i] > 0 ? [`${l} ${ms(floors[i])}`] : [])).join(' + ') || '0 ms'} = ${ms(whole)}`;
}
