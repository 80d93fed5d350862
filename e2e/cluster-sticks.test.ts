/**
 * End to end, browser mode (issue 14): the Cluster panel says per accelerator node what
 * `edgeai cluster status` says — the same lines (StickBook.view), carried by the StudioApi's
 * ClusterNode.accelerators. A Coral of a fake sysfs tree (this machine has no USB bus) joins the
 * laptop when the cluster starts from the panel; the laptop's row says what its agent sees of it
 * (`tpu: stick present, …`), the line wraps inside its cell at 1024×700; unplugged, the row loses
 * tpu and says `tpu: lost since … (its Coral USB Accelerator is unplugged …)`.
 *
 * Without /usr/bin/chromium (and CI unset) the suite is skipped with the reason printed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { openSample, openStudio, renderedFrames, RESULTS, screenshotOnFailure, skipWithoutChromium, type StudioE2E } from './harness';
import { coralReady, FakeSysfs } from '../cluster/accelerators/testing/fake-sysfs';

const skip = skipWithoutChromium('e2e/cluster-sticks.test.ts');

describe.skipIf(skip)('the Cluster panel follows a node’s stick (Chromium, process cluster)', () => {
  let studio: StudioE2E;
  let page: Page;
  let sysfs: FakeSysfs;

  screenshotOnFailure('cluster-sticks', () => page);

  beforeAll(async () => {
    sysfs = new FakeSysfs().plug(coralReady('1-1.2', 6));
    studio = await openStudio('studio-sticks-e2e', { accelerators: { sysfsRoot: sysfs.sysfsRoot, devRoot: sysfs.devRoot, intervalMs: 100 } });
    page = studio.page;
    await page.setViewportSize({ width: 1024, height: 700 });
  }, 400_000);

  afterAll(async () => {
    await studio?.close();
    sysfs?.dispose();
  }, 120_000);

  const line = () => page.getByTestId('node-accel-laptop').first().textContent();

  it('the laptop row says what its agent sees of its Coral, in a row of its own under the laptop, wrapped across the table', async () => {
    await openSample(page, studio.server.url);
    await page.getByTestId('cluster-tab').click();
    await expect.poll(() => page.getByTestId('accelerator-1-1.2').textContent()).toMatch(/joins laptop as tpu when the cluster starts/);
    await page.getByTestId('cluster-start').click();
    await page.locator('[data-testid="node-row-laptop"][data-status="Ready"]').waitFor({ timeout: 120_000 });
    // the agent watches the studio's tree: once it has reported, the line is its Edge TPU check
    await expect.poll(line, { timeout: 30_000 }).toMatch(/^tpu: stick present, /);
    await expect(page.getByTestId('node-row-laptop').locator('.badge-cap').allTextContents()).resolves.toContain('tpu');
    // the same words as `edgeai cluster status`: the status the service answers carries them
    const status = await studio.service.call('cluster.status', {});
    if (!status.ok) throw new Error(status.error.message);
    expect(status.value.nodes.find((n) => n.name === 'laptop')!.accelerators!.lines[0]).toBe(await line());
    // a node without sticks has no such line
    await expect(page.getByTestId('node-accel-cloud-1').count()).resolves.toBe(0);
    await renderedFrames(page);
    const fit = await page.getByTestId('node-accel-laptop').first().evaluate((el) => {
      const td = el.closest('td')!;
      const cell = td.getBoundingClientRect();
      const table = el.closest('table')!.getBoundingClientRect();
      const r = el.getBoundingClientRect();
      const lineHeight = parseFloat(getComputedStyle(el).lineHeight) || 16;
      return {
        wraps: el.scrollWidth <= el.clientWidth + 1,
        inCell: r.right <= cell.right + 1,
        page: document.documentElement.scrollWidth <= window.innerWidth,
        // a row of its own under the laptop's, across the whole table (not the narrow capabilities cell)
        acrossTable: td.colSpan > 1 && cell.width >= table.width * 0.9,
        underItsNode: td.closest('tr')!.previousElementSibling?.getAttribute('data-testid') === 'node-row-laptop',
        lines: Math.round(r.height / lineHeight),
      };
    });
    expect(fit).toMatchObject({ wraps: true, inCell: true, page: true, acrossTable: true, underItsNode: true });
    // the full Edge TPU line (a library path, an install hint) wrapped to ~15 lines in the capabilities cell
    expect(fit.lines).toBeLessThanOrEqual(5);
    // a node's name, status, device, type and network (single words) are never broken inside a
    // word at this size ("lapto / p", "Read / y", "user_devi / ce" before); the table scrolls instead
    const names = await page.locator('[data-testid^="node-row-"] td:is(:nth-child(1), :nth-child(2), :nth-child(3), :nth-child(4), :nth-child(5))').evaluateAll((tds) =>
      tds.map((td) => {
        const range = document.createRange();
        range.selectNodeContents(td);
        const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
        return `${td.textContent}: ${tops.size} line(s)`;
      }),
    );
    expect(names.length).toBeGreaterThan(16);
    expect(names.filter((n) => !n.endsWith(': 1 line(s)'))).toEqual([]);
    await page.getByTestId('node-row-laptop').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(RESULTS, 'cluster-sticks-1024.png') });
  }, 240_000);

  it('unplugged: the laptop has no tpu, and its row says lost since when and why', async () => {
    sysfs.unplug('1-1.2');
    await expect.poll(line, { timeout: 30_000 }).toMatch(/^tpu: lost since \d{4}-\d\d-\d\dT\S+ \(its Coral USB Accelerator is unplugged/);
    // whichever saw it first (the studio's watcher, the node's agent), nothing asks the user to re-plug it
    expect(await line()).not.toMatch(/sees one again/);
    await expect.poll(() => page.getByTestId('node-row-laptop').locator('.badge-cap').allTextContents(), { timeout: 10_000 }).not.toContain('tpu');
    await expect(page.getByTestId('node-accel-laptop').first().getAttribute('class')).resolves.toMatch(/warn/);
    await renderedFrames(page);
    await page.screenshot({ path: join(RESULTS, 'cluster-sticks-lost-1024.png') });
    expect(studio.pageErrors).toEqual([]);
  }, 60_000);
});
