/**
 * Plain-text rendering of simulation reports for the CLI: one report as tables, several
 * (one per scheduler profile, same seed) side by side.
 */
import type { Topology } from '../topology/model';
import type { SimulationReport } from './sim';
import { fmtBytes } from '../common/units';

export function fmtSeconds(s: number): string {
  if (s === 0) return '0';
  if (s < 1) return `${(s * 1000).toFixed(s < 0.01 ? 2 : 0)}ms`;
  if (s < 120) return `${s.toFixed(2)}s`;
  return `${(s / 60).toFixed(1)}m`;
}

export { fmtBytes } from '../common/units';

export function fmtUsd(x: number): string {
  return `$${x < 0.01 && x > 0 ? x.toFixed(6) : x.toFixed(4)}`;
}

function table(header: string[], rows: string[][], rightFrom = 1): string[] {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => '  ' + r.map((c, i) => (i < rightFrom ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}

/**
 * Bytes over the edge side's links into a wide-area network (kind wan) — the uplinks and
 * downlinks of docs/reference.md §1's objectives: up = towards the WAN, down = from it. A datacenter's
 * own link to the WAN is not an edge uplink and is left out.
 */
export function wanBytes(r: SimulationReport, t: Topology): { up: number; down: number } {
  const wan = new Set(t.networks.filter((n) => n.kind === 'wan').map((n) => n.name));
  const dc = new Set([...t.networks.filter((n) => n.kind === 'datacenter').map((n) => n.name), ...t.nodes.filter((n) => n.type === 'cloud').map((n) => n.name)]);
  let up = 0;
  let down = 0;
  for (const l of r.links) {
    if (dc.has(l.from) || dc.has(l.to)) continue;
    if (wan.has(l.to)) {
      up += l.upBytes;
      down += l.downBytes;
    } else if (wan.has(l.from)) {
      up += l.downBytes;
      down += l.upBytes;
    }
  }
  return { up, down };
}

/** One profile's line of a comparison (the CLI's table and the studio's Simulate panel). */
export interface ComparisonSummary {
  profile: string;
  completed: number;
  /** failed or unfinished when the simulation ended */
  failed: number;
  coldStarts: number;
  deadlineMisses: number;
  /** seconds, mean total latency over every completed invocation */
  meanS: number;
  /** seconds, the worst function's p95 total latency */
  p95S: number;
  /** bytes over edge uplinks (edge → WAN) and downlinks (WAN → edge) */
  wanUpBytes: number;
  wanDownBytes: number;
  edgeUtilisation: number | null;
  /** dollars */
  cloudCost: number;
}

export function comparisonSummary(r: SimulationReport, t: Topology): ComparisonSummary {
  const all = r.functions.filter((f) => f.completed > 0);
  const n = all.reduce((a, f) => a + f.completed, 0);
  const wan = wanBytes(r, t);
  return {
    profile: r.profile,
    completed: r.totals.completed,
    failed: r.totals.failed + r.totals.unfinished,
    coldStarts: r.totals.coldStarts,
    deadlineMisses: r.totals.deadlineMisses,
    meanS: n ? all.reduce((a, f) => a + f.total.mean * f.completed, 0) / n : 0,
    p95S: Math.max(0, ...all.map((f) => f.total.p95)),
    wanUpBytes: wan.up,
    wanDownBytes: wan.down,
    edgeUtilisation: r.edgeUtilisation,
    cloudCost: r.cloudCost.total,
  };
}

export function reportText(r: SimulationReport, t: Topology): string[] {
  const out: string[] = [];
  out.push(`${r.workflow} on ${r.topology} (${r.nodes} nodes), profile ${r.profile}, seed ${r.seed}, ${fmtSeconds(r.durationS)} simulated (${r.events} events), concurrency ${r.concurrency}`);
  out.push('');
  out.push('deployment');
  for (const d of r.deploy) out.push(d.node ? `  λ ${d.function} → ${d.node}` : `  λ ${d.function} ✗ ${d.reason ?? ''}`);
  out.push('');
  out.push('latency per function (p50 / p95 / p99)');
  out.push(
    ...table(
      ['function', 'runs', 'failed', 'cold', 'deadline miss', 'wait p50/p95', 'transfer p50/p95', 'execution p50/p95', 'total p50 / p95 / p99'],
      r.functions.map((f) => !f.completed ? [f.function, '0', String(f.failed + f.unfinished), '0', '–', '–', '–', '–', '–'] : [
        f.function,
        String(f.completed),
        String(f.failed + f.unfinished),
        String(f.coldStarts),
        f.deadlineMs === null ? '–' : `${f.deadlineMisses} (>${fmtSeconds(f.deadlineMs / 1000)})`,
        `${fmtSeconds(f.wait.p50)} / ${fmtSeconds(f.wait.p95)}`,
        `${fmtSeconds(f.transfer.p50)} / ${fmtSeconds(f.transfer.p95)}`,
        `${fmtSeconds(f.execution.p50)} / ${fmtSeconds(f.execution.p95)}`,
        `${fmtSeconds(f.total.p50)} / ${fmtSeconds(f.total.p95)} / ${fmtSeconds(f.total.p99)}`,
      ]),
    ),
  );
  const failures = r.functions.flatMap((f) => f.failures.map((m) => `  ${f.function}: ${m}`));
  if (failures.length) out.push('', 'failures', ...failures);
  if (r.links.length) {
    out.push('', 'bytes per link (up = from → to)');
    const links = [...r.links].sort((a, b) => b.upBytes + b.downBytes - (a.upBytes + a.downBytes)).slice(0, 10);
    out.push(...table(['link', 'up', 'down'], links.map((l) => [l.link, fmtBytes(l.upBytes), fmtBytes(l.downBytes)])));
    if (r.links.length > links.length) out.push(`  … ${r.links.length - links.length} more (--json for all)`);
  }
  const used = r.nodeUsage.filter((n) => n.invocations > 0).sort((a, b) => b.busy - a.busy).slice(0, 10);
  if (used.length) {
    out.push('', 'node utilisation');
    out.push(...table(['node', 'device', 'runs', 'busy', 'cpu reserved'], used.map((n) => [n.node, n.device, String(n.invocations), `${(n.busy * 100).toFixed(1)}%`, `${(n.allocated * 100).toFixed(1)}%`]), 2));
  }
  const wan = wanBytes(r, t);
  out.push('');
  out.push(`edge utilisation ${r.edgeUtilisation === null ? '–' : (r.edgeUtilisation * 100).toFixed(1) + '%'} · edge uplinks ${fmtBytes(wan.up)} · edge downlinks ${fmtBytes(wan.down)}`);
  const c = r.cloudCost;
  out.push(`cloud cost ${fmtUsd(c.total)} (${c.cloudInvocations} cloud invocations, ${c.gbSeconds.toFixed(2)} GB-s ${fmtUsd(c.compute)}, requests ${fmtUsd(c.requests)}, egress ${fmtBytes(c.egressBytes)} ${fmtUsd(c.egress)})`);
  for (const n of r.notes) out.push(`note: ${n}`);
  return out;
}

export function comparisonText(reports: SimulationReport[], t: Topology): string[] {
  const out: string[] = [];
  const r0 = reports[0];
  out.push(`${r0.workflow} on ${r0.topology} (${r0.nodes} nodes), seed ${r0.seed}, ${fmtSeconds(r0.durationS)} simulated: the same arrivals for every profile`);
  out.push(
    ...table(
      ['profile', 'runs', 'failed', 'cold', 'deadline miss', 'mean total', 'p95 total', 'uplinks', 'downlinks', 'edge util', 'cloud cost'],
      reports.map((r) => {
        const c = comparisonSummary(r, t);
        return [
          r.profile,
          String(c.completed),
          String(c.failed),
          String(c.coldStarts),
          String(c.deadlineMisses),
          fmtSeconds(c.meanS),
          fmtSeconds(c.p95S),
          fmtBytes(c.wanUpBytes),
          fmtBytes(c.wanDownBytes),
          c.edgeUtilisation === null ? '–' : `${(c.edgeUtilisation * 100).toFixed(1)}%`,
          fmtUsd(c.cloudCost),
        ];
      }),
    ),
  );
  out.push('  (p95 total: the worst function\'s p95)');
  out.push('', 'per function, total p50 / p95');
  const fns = r0.functions.map((f) => f.function);
  out.push(
    ...table(
      ['function', ...reports.map((r) => r.profile)],
      fns.map((fn) => [
        fn,
        ...reports.map((r) => {
          const f = r.functions.find((x) => x.function === fn)!;
          const placed = r.deploy.find((d) => d.function === fn)?.node ?? '✗';
          return f.completed ? `${fmtSeconds(f.total.p50)} / ${fmtSeconds(f.total.p95)} @${placed}` : `– @${placed}`;
        }),
      ]),
    ),
  );
  return out;
}
