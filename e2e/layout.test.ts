/**
 * Layout, end to end in Chromium at 1440×900 and 1024×700 (issue 13, items 1 and 3): the first
 * open is readable (the canvas never fits below zoom 0.75; a project opened or created is fitted
 * again), no panel's content spills out of its panel (long text wraps, tables scroll inside their
 * panel), and every tab and button can be clicked. Screenshots of the first open at both sizes go
 * to test-results/.
 *
 * Without /usr/bin/chromium (and CI unset) the suite is skipped with the reason printed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { VIEWPORT_SAVE_MS } from '../renderer/commands/project';
import { openSample, openStudio, renderedFrames, RESULTS, ROOT, screenshotOnFailure, skipWithoutChromium, type StudioE2E } from './harness';

const skip = skipWithoutChromium('e2e/layout.test.ts');

const SIZES = [
  { width: 1440, height: 900 },
  { width: 1024, height: 700 },
] as const;
const TABS = ['Code', 'Problems', 'Table', 'Simulate', 'Deploy', 'Cluster', 'Runs', 'Artifacts'];
/** the readable zoom (viewport.ts): about 10 px text */
const READABLE = 0.75;

type Flow = { __studio: { flow: { getViewport(): { x: number; y: number; zoom: number } } } };
const zoomOf = (page: Page) => page.evaluate(() => (window as unknown as Flow).__studio.flow.getViewport().zoom);

/**
 * What spills out of the studio's panels, in words: an element outside the box that should hold
 * it (its nearest ancestor that clips or scrolls, or the panel itself), unless that box scrolls;
 * a panel outside the window; two side-by-side panels overlapping. Monaco and the canvas's nodes
 * are left out (they scroll and pan by design).
 */
function overflowsIn(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    const W = window.innerWidth;
    const H = window.innerHeight;
    const name = (el: Element) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.getAttribute('data-testid') ? `[${el.getAttribute('data-testid')}]` : ''}.${[...el.classList].slice(0, 2).join('.')} "${(el.textContent ?? '').trim().slice(0, 40)}"`;
    const panels = ['.topbar', '.palette', '.center-column', '.canvas', '.bottom-panel', '.inspector', '.statusbar'].map((s) => document.querySelector(s)).filter((e): e is HTMLElement => !!e);
    for (const p of panels) {
      const r = p.getBoundingClientRect();
      if (r.left < -1 || r.top < -1 || r.right > W + 1 || r.bottom > H + 1) out.push(`${name(p)} is outside the window (${Math.round(r.left)},${Math.round(r.top)} → ${Math.round(r.right)},${Math.round(r.bottom)} in ${W}×${H})`);
    }
    const row = ['.palette', '.center-column', '.inspector'].map((s) => document.querySelector(s)?.getBoundingClientRect()).filter((r): r is DOMRect => !!r);
    for (let i = 1; i < row.length; i++) if (row[i].left < row[i - 1].right - 1) out.push(`side-by-side panels overlap: ${Math.round(row[i - 1].right)} > ${Math.round(row[i].left)}`);
    const clips = (el: Element) => {
      const s = getComputedStyle(el);
      return s.overflowX !== 'visible' || s.overflowY !== 'visible';
    };
    const scrolls = (el: Element) => {
      const s = getComputedStyle(el);
      return /auto|scroll/.test(s.overflowX) || /auto|scroll/.test(s.overflowY);
    };
    for (const p of panels.filter((x) => !x.matches('.canvas, .center-column'))) {
      for (const el of p.querySelectorAll('*')) {
        if (el.closest('.monaco-editor, .react-flow, .recharts-wrapper, svg')) continue;
        const r = el.getBoundingClientRect();
        if (!r.width || !r.height || getComputedStyle(el).visibility === 'hidden') continue;
        let box: Element = p;
        for (let a = el.parentElement; a && a !== p; a = a.parentElement) {
          if (clips(a)) {
            box = a;
            break;
          }
        }
        if (scrolls(box)) continue;
        const b = box.getBoundingClientRect();
        if (r.right > b.right + 1 || r.left < b.left - 1 || r.bottom > b.bottom + 1) out.push(`${name(el)} (${Math.round(r.left)}–${Math.round(r.right)} × ${Math.round(r.top)}–${Math.round(r.bottom)}) spills out of ${name(box)} (${Math.round(b.left)}–${Math.round(b.right)} × ${Math.round(b.top)}–${Math.round(b.bottom)})`);
      }
    }
    return [...new Set(out)].slice(0, 12);
  });
}

/** Every button and tab on screen that a click at its centre would not reach (covered, or off the window), scrolled into view first. */
async function unclickable(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    for (const b of document.querySelectorAll<HTMLElement>('button, [role="tab"]')) {
      if (!b.offsetParent || b.closest('.react-flow__node, .monaco-editor')) continue;
      b.scrollIntoView({ block: 'nearest', inline: 'nearest' });
      const r = b.getBoundingClientRect();
      if (!r.width || !r.height) continue;
      const x = r.left + r.width / 2;
      const y = r.top + r.height / 2;
      const hit = x >= 0 && y >= 0 && x < window.innerWidth && y < window.innerHeight ? document.elementFromPoint(x, y) : null;
      if (!hit || !(hit === b || b.contains(hit))) out.push(`"${(b.textContent ?? b.getAttribute('aria-label') ?? '').trim().slice(0, 30)}" at ${Math.round(x)},${Math.round(y)} is ${hit ? `under ${hit.tagName.toLowerCase()}.${[...hit.classList].join('.')}` : 'off the window'}`);
    }
    return out;
  });
}

describe.skipIf(skip)('layout at 1440×900 and 1024×700 (Chromium)', () => {
  let studio: StudioE2E;
  let page: Page;

  screenshotOnFailure('layout', () => page);

  /** the layouts the page asks the service to save (layout.save requests on its socket) */
  const layoutSaves: Array<{ viewport: unknown }> = [];

  beforeAll(async () => {
    studio = await openStudio('layout-e2e');
    page = studio.page;
    // the page's timers on a clock the first-open test can move on (time flows as usual otherwise)
    await page.clock.install();
    page.on('websocket', (ws) =>
      ws.on('framesent', (f) => {
        if (typeof f.payload !== 'string' || !f.payload.includes('"layout.save"')) return;
        const m = JSON.parse(f.payload) as { method: string; params: { layout: { viewport: unknown } } };
        if (m.method === 'layout.save') layoutSaves.push({ viewport: m.params.layout.viewport });
      }),
    );
  }, 400_000);

  afterAll(async () => {
    await studio?.close();
  });

  for (const size of SIZES) {
    const label = `${size.width}x${size.height}`;

    it(`${label}: the first open is readable — the canvas is not fitted below zoom ${READABLE}, the workflow's start is in view; the open writes nothing into layout.json, a zoom by hand is saved`, async () => {
      // a first open: the sample's layout.json as shipped (positions, no saved viewport)
      copyFileSync(join(ROOT, 'samples', 'mnist', 'layout.json'), join(studio.project, 'layout.json'));
      await page.setViewportSize(size);
      layoutSaves.length = 0;
      await page.goto(studio.server.url);
      await page.locator('.react-flow__node[data-id="source:mnist:data"]').waitFor({ timeout: 30_000 });
      await page.locator('.monaco-editor .view-lines').first().waitFor({ timeout: 30_000 });
      await expect.poll(() => zoomOf(page), { timeout: 10_000 }).toBeGreaterThanOrEqual(READABLE - 0.001);
      // the data source the workflow starts from is on the canvas, whole
      const canvas = (await page.getByTestId('canvas').boundingBox())!;
      const source = (await page.locator('.react-flow__node[data-id="source:mnist:data"]').boundingBox())!;
      expect(source.x).toBeGreaterThanOrEqual(canvas.x);
      expect(source.x + source.width).toBeLessThanOrEqual(canvas.x + canvas.width);
      expect(source.y).toBeGreaterThanOrEqual(canvas.y);
      expect(source.y + source.height).toBeLessThanOrEqual(canvas.y + canvas.height);
      // the minimap would cover a third of a narrow canvas: there it starts hidden (its toggle shows it)
      await expect(page.locator('.react-flow__minimap').count()).resolves.toBe(canvas.width >= 640 ? 1 : 0);
      await renderedFrames(page);
      await page.screenshot({ path: join(RESULTS, `layout-first-open-${label}.png`) });
      // opening writes nothing: the fit is the studio's, not the user's, and is not saved into the
      // project (a shipped sample stays as checked out). The page's clock is moved past the delay a
      // move of the view waits before it is saved (a save the open left pending is asked for then),
      // then a zoom by hand and the clock again: once the zoom's save is sent, every save asked
      // before it has been sent too (one socket, in order) — and there is only the zoom's.
      await page.clock.fastForward(VIEWPORT_SAVE_MS + 100);
      // a zoom with the wheel (over a node or the pane alike: a drag might move a node instead)
      const pane = (await page.locator('.react-flow__pane').boundingBox())!;
      await page.mouse.move(pane.x + pane.width / 2, pane.y + pane.height / 2);
      await page.mouse.wheel(0, 200);
      await expect.poll(() => zoomOf(page), { timeout: 10_000 }).toBeLessThan(READABLE - 0.01);
      await page.clock.fastForward(VIEWPORT_SAVE_MS + 100);
      await expect.poll(() => layoutSaves.length, { timeout: 10_000 }).toBeGreaterThan(0);
      await expect.poll(() => (JSON.parse(readFileSync(join(studio.project, 'layout.json'), 'utf8')) as { viewport: { zoom: number } }).viewport.zoom, { timeout: 10_000 }).toBeLessThan(READABLE - 0.01);
      expect(layoutSaves, JSON.stringify(layoutSaves)).toHaveLength(1);
      const saved = (JSON.parse(readFileSync(join(studio.project, 'layout.json'), 'utf8')) as { viewport: { x: number; y: number; zoom: number } }).viewport;
      const sent = layoutSaves[0].viewport as typeof saved;
      for (const k of ['x', 'y', 'zoom'] as const) expect(sent[k]).toBeCloseTo(saved[k], 2);
      expect(studio.pageErrors).toEqual([]);
    }, 120_000);
  }

  it('the sample deployed (the deploy starts the cluster): the Deploy, Cluster and Artifacts panels have content to lay out', async () => {
    await page.setViewportSize(SIZES[0]);
    await openSample(page, studio.server.url);
    await page.getByTestId('deploy-button').click();
    for (const f of ['train', 'trainFair', 'inference', 'refine']) await expect.poll(() => page.getByTestId(`deploy-fn-${f}`).getAttribute('data-status'), { timeout: 180_000 }).toMatch(/ready|failed/);
    await expect(page.getByTestId('deploy-summary').textContent()).resolves.toMatch(/4\/4 ready/);
  }, 240_000);

  for (const size of SIZES) {
    const label = `${size.width}x${size.height}`;
    it(`${label}: every tab can be clicked, and no panel's content spills out of its panel (with a deploy and a simulation shown)`, async () => {
      await page.setViewportSize(size);
      await openSample(page, studio.server.url);
      await page.locator('.monaco-editor .view-lines').first().waitFor({ timeout: 30_000 });
      // a simulation on the sample's topology (its results are the widest table)
      await page.getByRole('tab', { name: /^Simulate/ }).click();
      await page.getByTestId('sim-duration').fill('2m');
      await page.getByTestId('sim-run').click();
      await page.getByTestId('sim-functions').waitFor({ timeout: 120_000 });
      const shown: Record<string, string> = { Code: '.monaco-editor', Problems: '[data-testid="problems"]', Table: '[data-testid="node-table"]', Simulate: '[data-testid="sim-functions"]', Deploy: '[data-testid="deploy-fn-inference"]', Cluster: '[data-testid="node-row-cloud-1"]', Runs: '[data-testid="runs-panel"]', Artifacts: '[data-testid="artifact-row"]' };
      const found: Record<string, { overflow: string[]; unclickable: string[] }> = {};
      for (const tab of TABS) {
        // a click that another element would receive fails here (Playwright checks what is hit)
        await page.getByRole('tab', { name: new RegExp(`^${tab}`) }).click({ timeout: 5_000 });
        await page.locator(shown[tab]).first().waitFor({ timeout: 30_000 });
        await renderedFrames(page);
        if (tab === 'Simulate' || tab === 'Deploy' || tab === 'Cluster') await page.screenshot({ path: join(RESULTS, `layout-${tab.toLowerCase()}-${label}.png`) });
        found[tab] = { overflow: await overflowsIn(page), unclickable: await unclickable(page) };
      }
      expect(found).toEqual(Object.fromEntries(TABS.map((t) => [t, { overflow: [], unclickable: [] }])));
      expect(studio.pageErrors).toEqual([]);
    }, 240_000);
  }

  it('a project created is fitted again (readable, its nodes in view), not shown at the zoom of the one before; one reopened gets its saved viewport back', async () => {
    await page.setViewportSize(SIZES[0]);
    await openSample(page, studio.server.url);
    // zoomed far out by hand first: the next project must not open at this zoom
    await page.evaluate(() => (window as unknown as { __studio: { flow: { setViewport(v: unknown): void } } }).__studio.flow.setViewport({ x: 0, y: 0, zoom: 0.3 }));
    await expect.poll(() => zoomOf(page)).toBe(0.3);
    await page.getByTestId('project-name').click();
    await page.getByTestId('create-project-path').fill(join(studio.work, 'fresh-layout'));
    await page.getByTestId('create-project').click();
    const fresh = page.locator('.react-flow__node[data-id="fn:summarize"]');
    await fresh.waitFor({ timeout: 30_000 });
    await expect.poll(() => zoomOf(page), { timeout: 10_000 }).toBeGreaterThanOrEqual(READABLE - 0.001);
    const canvas = (await page.getByTestId('canvas').boundingBox())!;
    for (const n of await page.locator('.react-flow__node').all()) {
      const b = (await n.boundingBox())!;
      expect(b.x).toBeGreaterThanOrEqual(canvas.x - 1);
      expect(b.x + b.width).toBeLessThanOrEqual(canvas.x + canvas.width + 1);
    }
    // back to the sample from the recent list: it opens at the viewport saved in its layout.json
    // (the zoom-out above, the user's own choice), not at the fresh project's
    await expect.poll(() => (JSON.parse(readFileSync(join(studio.project, 'layout.json'), 'utf8')) as { viewport: { zoom: number } }).viewport.zoom).toBe(0.3);
    await page.getByTestId('project-name').click();
    await page.getByTestId('recent-project').filter({ hasText: studio.project }).click();
    await page.locator('.react-flow__node[data-id="fn:train"]').waitFor({ timeout: 30_000 });
    await expect.poll(() => zoomOf(page), { timeout: 10_000 }).toBe(0.3);
  }, 120_000);

  it('side panels resize (drag their edge) and collapse, and keep their sizes after a reload', async () => {
    await page.setViewportSize(SIZES[0]);
    await openSample(page, studio.server.url);
    const width = async (testId: string) => (await page.getByTestId(testId).boundingBox())!.width;
    const inspector = await width('inspector-panel');
    // the inspector's left edge dragged 100 px to the left
    const handle = (await page.getByTestId('inspector-resize').boundingBox())!;
    await page.mouse.move(handle.x + handle.width / 2, handle.y + 200);
    await page.mouse.down();
    await page.mouse.move(handle.x + handle.width / 2 - 50, handle.y + 200);
    await page.mouse.move(handle.x + handle.width / 2 - 100, handle.y + 200);
    await page.mouse.up();
    await expect.poll(() => width('inspector-panel')).toBeCloseTo(inspector + 100, -1);
    // the palette collapsed to a strip: the canvas gets its room
    const canvas = await width('canvas');
    await page.getByTestId('palette-toggle').click();
    await expect(page.getByTestId('palette').count()).resolves.toBe(0);
    await expect.poll(() => width('palette-panel')).toBeLessThan(40);
    await expect.poll(() => width('canvas')).toBeGreaterThan(canvas + 150);
    // remembered
    await page.reload();
    await page.locator('.react-flow__node[data-id="fn:train"]').waitFor({ timeout: 30_000 });
    await expect.poll(() => width('inspector-panel')).toBeCloseTo(inspector + 100, -1);
    await expect(page.getByTestId('palette').count()).resolves.toBe(0);
    // Ctrl+K (the palette's search) shows it again, its search focused
    await page.keyboard.press('ControlOrMeta+k');
    await page.getByTestId('palette').waitFor();
    await expect.poll(() => page.getByTestId('palette-search').evaluate((el) => el === document.activeElement)).toBe(true);
    expect(await overflowsIn(page)).toEqual([]);
    await page.evaluate(() => localStorage.removeItem('edgeai.panelSizes'));
  }, 120_000);
});
