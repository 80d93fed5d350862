/**
 * The faas-sim preset against faas-sim's own run (issue 15, item 5): UrbanSensingScenario(4) —
 * 91 nodes, 40 deployments of preprocess → train → inference added every 255 s, to 34,040
 * simulated seconds — here under --preset faas-sim, and faas-sim@9c6e1b3's figures recorded in
 * faas-sim/fgcs-figures.json (how they were produced is in that file and faas-sim/fgcs-run.py).
 * Compared: bytes over the cells' uplinks and downlinks, and mean wait + execution (the whole
 * run, transfers included, as faas-sim's t_wait + t_exec) per function kind. The table is printed.
 *
 * The goal is within 10% on each figure; it is not met yet (see the known-gap case), so that case
 * is marked as failing: it turns red when the preset comes within 10%, to be made a plain test.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { topologyByName } from '../topology/scenarios';
import { simulate } from './sim';
import { wanBytes } from './format';

interface Figures {
  simulated_s: number;
  invocations: number;
  edge_uplink_bytes: number;
  edge_downlink_bytes: number;
  per_kind: Record<'preprocess' | 'train' | 'inference', { count: number; mean_wait_plus_exec_s: number }>;
}
const faasSim = JSON.parse(readFileSync(new URL('./faas-sim/fgcs-figures.json', import.meta.url), 'utf8')) as Figures;
const topology = topologyByName('urban-sensing:cells=4');
const r = simulate({ workload: 'faas-sim', preset: 'faas-sim', topology, profile: 'skippy', seed: 0, durationS: faasSim.simulated_s });
const w = wanBytes(r, topology);
const kinds = (['preprocess', 'train', 'inference'] as const).map((k) => {
  const fs = r.functions.filter((f) => f.function.startsWith(`${k}-`));
  const n = fs.reduce((a, f) => a + f.completed, 0);
  return { k, n, mean: fs.reduce((a, f) => a + f.total.mean * f.completed, 0) / n };
});
const rows: Array<[string, number, number]> = [
  ['edge uplink bytes', faasSim.edge_uplink_bytes, w.up],
  ['edge downlink bytes', faasSim.edge_downlink_bytes, w.down],
  ...kinds.map((x): [string, number, number] => [`${x.k} mean wait + exec (s)`, faasSim.per_kind[x.k].mean_wait_plus_exec_s, x.mean]),
];
const gap = (a: number, b: number) => (b - a) / a;
console.log(
  ['figure                        faas-sim      preset   difference', ...rows.map(([name, a, b]) => `${name.padEnd(28)} ${a.toPrecision(4).padStart(11)} ${b.toPrecision(4).padStart(11)} ${(gap(a, b) * 100).toFixed(1).padStart(9)}%`)].join('\n'),
);

describe('the faas-sim preset beside faas-sim@9c6e1b3 on UrbanSensingScenario(4)', () => {
  it('runs the same scenario: the invocation count within 1%, per kind within 2%', () => {
    expect(Math.abs(gap(faasSim.invocations, r.totals.invocations))).toBeLessThan(0.01);
    for (const x of kinds) expect([x.k, Math.abs(gap(faasSim.per_kind[x.k].count, x.n)) < 0.02]).toEqual([x.k, true]);
  });

  // known gap (2026-12-02): up 162 GB vs 14.6 GB, down 182 GB vs 28.3 GB, preprocess 37.5 s vs 68.4 s,
  // train 687 s vs 24.1 s, inference 5.1 s vs 2.1 s
  it.fails('bytes over up/downlinks and mean wait + exec per kind within 10% of faas-sim (not yet)', () => {
    for (const [name, a, b] of rows) expect([name, Math.abs(gap(a, b)) < 0.1]).toEqual([name, true]);
  });
});
