/**
 * p95 total latency per function, one bar per scheduler profile: which scheduler serves which
 * function faster, at a glance. Loaded with the Simulate tab (recharts is not on the first screen).
 */
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { SimulationReportDto } from '../../cluster/api/contract';
import { p95Rows } from './sim-view';

const COLORS = ['#5b8def', '#3fb68b', '#e0a526', '#c768d8'];

export default function SimChart({ reports }: { reports: SimulationReportDto[] }) {
  const rows = p95Rows(reports);
  if (!rows.length) return null;
  return (
    <div className="sim-chart" data-testid="sim-chart">
      <div className="rt-head" style={{ position: 'static' }}>
        <h3 data-testid="sim-chart-title">p95 total latency per function (ms), one bar per profile</h3>
      </div>
      <ResponsiveContainer width="100%" height={160}>
        <BarChart data={rows} margin={{ top: 6, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid stroke="#263041" vertical={false} />
          <XAxis dataKey="function" tick={{ fill: '#8b96a8', fontSize: 11 }} />
          <YAxis unit=" ms" tick={{ fill: '#8b96a8', fontSize: 10 }} width={62} />
          <Tooltip contentStyle={{ background: '#151b24', border: '1px solid #2a3342', fontSize: 12 }} formatter={(v) => `${v} ms p95`} />
          <Legend wrapperStyle={{ fontSize: 11 }} itemSorter={null} />
          {reports.map((r, i) => (
            <Bar key={r.profile} dataKey={r.profile} name={r.profile} fill={COLORS[i % COLORS.length]} isAnimationActive={false} />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
