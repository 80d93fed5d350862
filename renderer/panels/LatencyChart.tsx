/**
 * Where the time of each recent run went: queueing, moving its inputs, a cold start, executing —
 * stacked per run, oldest left. A cold start or a slow transfer stands out at a glance, which a
 * table of totals hides. Loaded only when the Runs tab opens (recharts is not on the first screen).
 */
import { useState } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { RunDto } from '../../cluster/api/contract';

const PARTS = [
  { key: 'queue', label: 'queue', color: '#6b7a90' },
  { key: 'transfer', label: 'transfer', color: '#5b8def' },
  { key: 'coldStart', label: 'cold start', color: '#e0a526' },
  { key: 'exec', label: 'exec', color: '#3fb68b' },
] as const;

/** The chart's rows: the last `max` finished runs, oldest first, ms per part. */
export function latencyRows(runs: RunDto[], max = 40) {
  const t = (r: RunDto, k: string) => Math.max(0, Math.round(((r.timings as Record<string, number>)[`${k}Ms`] ?? 0) * 10) / 10);
  return runs
    .filter((r) => r.status !== 'running')
    .sort((a, b) => (a.started < b.started ? -1 : a.started > b.started ? 1 : 0))
    .slice(-max)
    .map((r) => ({ id: r.id, label: r.function, node: r.node ?? '–', queue: t(r, 'queue'), transfer: t(r, 'transfer'), coldStart: t(r, 'coldStart'), exec: t(r, 'exec') }));
}

export default function LatencyChart({ runs }: { runs: RunDto[] }) {
  // 'share': each run's bar as 100% — a 3 ms inference next to a 5 s training run is then still readable
  const [scale, setScale] = useState<'ms' | 'share'>('ms');
  const rows = latencyRows(runs);
  if (!rows.length) return null;
  return (
    <div className="latency-chart" data-testid="latency-chart" data-scale={scale}>
      <div className="seg latency-scale" role="group" aria-label="bar scale">
        <button type="button" className={`seg-b${scale === 'ms' ? ' on' : ''}`} onClick={() => setScale('ms')} data-testid="latency-scale-ms" title="bar heights in milliseconds">
          ms
        </button>
        <button type="button" className={`seg-b${scale === 'share' ? ' on' : ''}`} onClick={() => setScale('share')} data-testid="latency-scale-share" title="each run as 100%: where its time went, however long it took">
          % of run
        </button>
      </div>
      <ResponsiveContainer width="100%" height={170}>
        <BarChart data={rows} margin={{ top: 26, right: 8, bottom: 0, left: 0 }} stackOffset={scale === 'share' ? 'expand' : 'none'}>
          <CartesianGrid stroke="#263041" vertical={false} />
          <XAxis dataKey="label" tick={{ fill: '#8b96a8', fontSize: 10 }} interval="preserveStartEnd" />
          {scale === 'ms' ? <YAxis unit=" ms" tick={{ fill: '#8b96a8', fontSize: 10 }} width={58} /> : <YAxis tickFormatter={(v: number) => `${Math.round(v * 100)}%`} tick={{ fill: '#8b96a8', fontSize: 10 }} width={58} />}
          <Tooltip
            contentStyle={{ background: '#151b24', border: '1px solid #2a3342', fontSize: 12 }}
            labelFormatter={(_l, p) => (p?.[0] ? `${p[0].payload.label} on ${p[0].payload.node}` : '')}
            formatter={(v) => `${v} ms`}
          />
          <Legend wrapperStyle={{ fontSize: 11 }} itemSorter={null} />
          {PARTS.map((p) => (
            <Bar key={p.key} dataKey={p.key} name={p.label} stackId="t" fill={p.color} isAnimationActive={false} />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
