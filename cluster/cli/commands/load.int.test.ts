/**
 * Sim vs real (issue 15, item 6): samples/mnist deployed on the process backend (local
 * topology), inference driven at a Poisson rate through the gateway (`edgeai load`), then
 * simulated on the same topology with the runs' own arrival times, execution-time profiles and
 * cold-start times (`edgeai simulate --exec-from-runs --compare-runs`): p50 and p95 latency
 * within 15%, cold starts and bytes per link equal. The table is printed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Controller } from '../../runtime/controller';
import { MNIST } from '../../runtime/runtime-suite';
import { tempDirs } from '../../runtime/testing/temp';
import { loadMnistSamples } from '../../registry/mnist';
import { run } from '../main';
import type { LoadRecord } from '../../app/simulation';

const tmp = tempDirs();

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(argv, { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('the simulation of a load agrees with the real runs (process backend)', () => {
  const home = tmp('edgeai-simreal-home-');
  const work = tmp('edgeai-simreal-');
  const project = join(work, 'mnist');
  const cluster = `simreal-${process.pid}`;
  let c: Controller;

  beforeAll(async () => {
    cpSync(MNIST, project, { recursive: true });
    c = await Controller.open({ home, cluster, triggers: 'off' });
    await c.up({ backend: 'process', topology: 'local' });
    const d = await c.deploy(project);
    expect(d.functions.filter((f) => f.status !== 'ready')).toEqual([]);
    // inference needs a model: the real training, once
    await c.invoke('mnist', 'train');
  }, 300_000);

  afterAll(async () => {
    if (c) {
      await c.down().catch(() => undefined);
      c.close();
    }
  }, 120_000);

  it('edgeai load, then simulate --exec-from-runs --compare-runs: p50 and p95 within 15%, cold starts and bytes per link equal', async () => {
    const { images } = loadMnistSamples(10_000);
    const input = join(work, 'digit.json');
    writeFileSync(input, JSON.stringify({ pixels: images[9999] }));
    const record = join(work, 'load.json');
    const where = ['--home', home, '--cluster', cluster];
    const load = await cli('load', 'mnist/inference', '--rate', '1', '--duration', '40s', '--seed', '3', '--input', input, '--record', record, ...where);
    expect(load.code, `${load.out}\n${load.err}`).toBe(0);
    const rec = JSON.parse(readFileSync(record, 'utf8')) as LoadRecord;
    expect(rec.ok).toBe(rec.sent);
    expect(rec.sent).toBeGreaterThan(25);

    const table = await cli('simulate', project, '--exec-from-runs', '--compare-runs', record, ...where);
    expect(table.code, table.err).toBe(0);
    console.log(`${load.out}\n\n${table.out}`);
    const json = await cli('simulate', project, '--exec-from-runs', '--compare-runs', record, '--json', ...where);
    const r = JSON.parse(json.out) as { comparison: Array<{ function: string; real: { runs: number; p50: number; p95: number; coldStarts: number }; sim: { runs: number; p50: number; p95: number; coldStarts: number } }>; links: Array<{ link: string; real: number; sim: number }> };
    const inf = r.comparison.find((x) => x.function === 'inference')!;
    expect(inf.sim.runs).toBe(inf.real.runs);
    expect(Math.abs(inf.sim.p50 - inf.real.p50) / inf.real.p50).toBeLessThan(0.15);
    expect(Math.abs(inf.sim.p95 - inf.real.p95) / inf.real.p95).toBeLessThan(0.15);
    expect(inf.sim.coldStarts).toBe(inf.real.coldStarts);
    expect(r.links.filter((l) => l.real !== l.sim)).toEqual([]);
  }, 240_000);
});
