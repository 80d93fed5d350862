/**
 * The Simulate tab's model controls (issue 15, item 3, studio side) and its Run button and chart
 * (issue 13, item 11), in Chromium against the studio server: service-time distribution and
 * spread, replicas (fixed, min/max), cold starts off and a per-function start offset reach the
 * simulation through simulate.run and change its figures; what the service refuses (one rule,
 * app/simulation.ts) shows with what to do; Run stays in view however the form is scrolled, and
 * the chart says what it shows. Sim vs real (item 6): with nothing recorded on the studio's
 * cluster, the comparison with the runs says so and what to do.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openStudio, screenshotOnFailure, skipWithoutChromium, type StudioE2E } from './harness';

const skip = skipWithoutChromium('e2e/simulate.test.ts');

describe.skipIf(skip)('the Simulate tab (Chromium)', () => {
  let studio: StudioE2E;
  let page: Page;

  screenshotOnFailure('simulate', () => page);

  beforeAll(async () => {
    studio = await openStudio('simulate-e2e');
    page = studio.page;
    await page.goto(studio.server.url);
    await page.locator('.react-flow__node[data-id="fn:inference"]').waitFor({ timeout: 30_000 });
    await page.getByTestId('simulate-button').click();
    await page.getByTestId('sim-duration').waitFor();
  }, 400_000);

  afterAll(async () => {
    await studio?.close();
  });

  const cell = (fn: string, i: number) => page.getByTestId(`sim-fn-${fn}`).locator('td').nth(i).textContent();

  it('the Run button stays in view wherever the form is scrolled, on a short panel too', async () => {
    await page.setViewportSize({ width: 1280, height: 640 });
    // the form's column scrolls (or, when the panel stacks its columns, the panel does): it is
    // taller than what shows of it here, and the button at its foot was out of view before
    const scrollTo = (where: 'top' | 'middle' | 'bottom') =>
      page.getByTestId('sim-run').evaluate((b, to) => {
        const column = b.closest('section.rt-col') as HTMLElement;
        let scroller: HTMLElement | null = column;
        while (scroller && !(/(auto|scroll)/.test(getComputedStyle(scroller).overflowY) && scroller.scrollHeight > scroller.clientHeight)) scroller = scroller.parentElement;
        if (!scroller) return -1;
        const range = column.getBoundingClientRect().height - scroller.clientHeight;
        scroller.scrollTop = to === 'top' ? 0 : to === 'middle' ? range / 2 : range;
        return range;
      }, where);
    const inView = () =>
      page.getByTestId('sim-run').evaluate((b) => {
        const r = b.getBoundingClientRect();
        const at = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        return { inside: r.top >= 0 && r.bottom <= window.innerHeight, hit: at === b || b.contains(at) };
      });
    for (const to of ['top', 'middle', 'bottom'] as const) {
      expect(await scrollTo(to)).toBeGreaterThan(100);
      expect([to, await inView()]).toEqual([to, { inside: true, hit: true }]);
    }
    await page.setViewportSize({ width: 1600, height: 1000 });
  });

  it('deterministic times, one fixed replica, no cold starts and a late start reach the simulation; the chart is titled', async () => {
    await page.getByTestId('sim-topology').fill('local');
    await page.getByTestId('sim-profile-kube-default').uncheck();
    await page.getByTestId('sim-duration').fill('10m');
    await page.getByTestId('sim-rate-inference').fill('2');
    await page.getByTestId('sim-service').selectOption('deterministic');
    await page.getByTestId('sim-replicas').selectOption('fixed');
    await page.getByTestId('sim-replicas-fixed').fill('1');
    await page.getByTestId('sim-cold-starts').uncheck();
    await page.getByTestId('sim-start-inference').fill('5m');
    await page.getByTestId('sim-run').click();
    await page.getByTestId('sim-fn-inference').waitFor({ timeout: 60_000 });
    // about 2/s over the last 5 of 10 minutes: ~600 runs (1,200 from t = 0)
    const runs = Number(await cell('inference', 2));
    expect(runs).toBeGreaterThan(480);
    expect(runs).toBeLessThan(720);
    expect(await cell('inference', 4)).toBe('0'); // cold starts
    expect(await page.getByTestId('sim-chart-title').textContent()).toBe('p95 total latency per function (ms), one bar per profile');

    // the same with cold starts and from t = 0: twice the runs, and a cold start
    await page.getByTestId('sim-cold-starts').check();
    await page.getByTestId('sim-start-inference').fill('');
    await page.getByTestId('sim-run').click();
    await expect.poll(async () => Number(await cell('inference', 2)), { timeout: 60_000 }).toBeGreaterThan(1000);
    expect(Number(await cell('inference', 4))).toBeGreaterThan(0);
  });

  it('sim vs real with no runs recorded says there is nothing to compare yet and what to do', async () => {
    await page.getByTestId('sim-compare-runs').click();
    await expect.poll(() => page.getByTestId('sim-runs-empty').textContent(), { timeout: 30_000 }).toMatch(/^Nothing to compare yet: sim vs real: (the cluster is not up|no recorded runs of mnist) — .*(cluster up|edgeai load)/);
    expect(await page.getByTestId('sim-runs-table').count()).toBe(0);
    expect(await page.getByTestId('sim-runs-error').count()).toBe(0);
  });

  it('a lognormal spread, and replicas from min to max, that the service refuses say what to do', async () => {
    await page.getByTestId('sim-service').selectOption('lognormal');
    await page.getByTestId('sim-sigma').fill('9');
    await page.getByTestId('sim-run').click();
    await expect.poll(() => page.getByTestId('sim-error').textContent(), { timeout: 30_000 }).toMatch(/service 'lognormal:9': σ must be a number above 0 and at most 3.*lognormal:0\.5/s);
    await page.getByTestId('sim-sigma').fill('0.5');
    await page.getByTestId('sim-replicas').selectOption('range');
    await page.getByTestId('sim-replicas-min').fill('3');
    await page.getByTestId('sim-replicas-max').fill('2');
    await page.getByTestId('sim-run').click();
    await expect.poll(() => page.getByTestId('sim-error').textContent(), { timeout: 30_000 }).toMatch(/min replicas 3 is more than max replicas 2.*same number for both/s);
    await page.getByTestId('sim-replicas-min').fill('1');
    await page.getByTestId('sim-run').click();
    await expect.poll(() => page.getByTestId('sim-error').count(), { timeout: 60_000 }).toBe(0);
    await page.getByTestId('sim-fn-inference').waitFor();
    expect(studio.pageErrors).toEqual([]);
  });
});
