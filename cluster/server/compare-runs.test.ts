/**
 * simulate.compareRuns (issue 15, item 6, studio side): the open workflow's recorded runs on the
 * open cluster beside a simulation of them, the comparison `edgeai simulate --exec-from-runs
 * --compare-runs` prints (app/simulation.ts, one rule). With no cluster up, and with runs of
 * which none ended ok, the answer says so and what to do; with runs, a row per function that
 * ran (the real runs counted as recorded, the simulation replaying each of them) and the bytes
 * per link, real and simulated. On the process backend, local topology.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { StudioService } from './service';
import { METHODS, type ApiResult } from '../api/contract';
import { tempDirs } from '../runtime/testing/temp';

const SAMPLE = join(import.meta.dirname, '..', '..', 'samples', 'mnist');
const tmp = tempDirs();

function value<T>(r: ApiResult<T>): T {
  if (!r.ok) throw new Error(`expected ok, got ${r.error.code}: ${r.error.message}`);
  return r.value;
}

describe('simulate.compareRuns (process backend)', () => {
  const home = tmp('studio-cmp-home-');
  const dir = tmp('studio-cmp-');
  let svc: StudioService;

  beforeAll(() => {
    cpSync(SAMPLE, dir, { recursive: true });
    svc = new StudioService({ runtime: { home, cluster: `svc-cmp-${process.pid}` } });
  });
  afterAll(async () => {
    await svc?.close({ down: true });
  }, 120_000);

  it('no cluster up, then runs none of which ended ok: an empty answer that says what to do', async () => {
    value(await svc.call('project.open', { dir }));
    const down = value(await svc.call('simulate.compareRuns', { project: dir }));
    expect(METHODS['simulate.compareRuns'].response.safeParse(down).success).toBe(true);
    expect(down).toMatchObject({ workflow: 'mnist', rows: [], links: [], runs: 0, empty: { message: expect.stringMatching(/the cluster is not up/), hint: expect.stringMatching(/cluster up/) } });

    value(await svc.call('cluster.up', { backend: 'process', topology: 'local' }));
    value(await svc.call('deploy', { project: dir }));
    const none = value(await svc.call('simulate.compareRuns', { project: dir }));
    expect(none.empty?.message).toMatch(/no recorded runs of mnist/);
    // inference without a trained model fails: recorded, but nothing to take times from
    expect((await svc.call('invoke', { workflow: 'mnist', function: 'inference', input: { pixels: Array(784).fill(0) } })).ok).toBe(false);
    const failed = value(await svc.call('simulate.compareRuns', { project: dir }));
    expect(failed.empty?.message).toMatch(/none of the 1 recorded runs of mnist ended ok/);
    expect(failed.rows).toEqual([]);
  }, 240_000);

  it('with runs: per function real vs simulated runs, p50, p95 and cold starts, and bytes per link', async () => {
    value(await svc.call('invoke', { workflow: 'mnist', function: 'train', input: {} }));
    for (let i = 0; i < 4; i++) {
      const digit = value(await svc.call('samples.digit', { digit: i, index: i }));
      value(await svc.call('invoke', { workflow: 'mnist', function: 'inference', input: { pixels: digit.pixels } }));
    }
    const a = value(await svc.call('simulate.compareRuns', { project: dir, seed: 2 }));
    expect(METHODS['simulate.compareRuns'].response.safeParse(a).success).toBe(true);
    expect(a.empty).toBeUndefined();
    expect(a).toMatchObject({ workflow: 'mnist', profile: 'edge-ai', topology: 'local' });
    expect(a.runs).toBeGreaterThanOrEqual(6); // the failed inference, train, 4 inferences (and what train's triggers ran)
    const inf = a.rows.find((r) => r.function === 'inference')!;
    // the real figures count the runs that ended ok; the simulation replays each of them
    expect(inf.real.runs).toBe(4);
    expect(inf.sim.runs).toBe(4);
    expect(inf.real.p50).toBeGreaterThan(0);
    expect(inf.sim.p50).toBeGreaterThan(0);
    expect(inf.real.p95!).toBeGreaterThanOrEqual(inf.real.p50!);
    expect(a.rows.find((r) => r.function === 'train')?.real.runs).toBeGreaterThanOrEqual(1);
    // links in the runtime's naming, sorted, each with both figures
    expect(a.links.map((l) => l.link)).toEqual([...a.links.map((l) => l.link)].sort());
    for (const l of a.links) expect(l.link).toMatch(/→/);
    expect(a.links.some((l) => l.real > 0)).toBe(true);
  }, 300_000);
});
