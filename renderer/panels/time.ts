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
