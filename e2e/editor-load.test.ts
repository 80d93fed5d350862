/**
 * What the code editor asks of the service when a large project opens (issue 13, panning 500
 * functions): the file shown is checked, and a file opened later when it is shown — not every
 * function file the moment its model is made. Before, a project of 500 functions sent 500
 * `preprocess` calls at once, each answer carrying the whole graph (~317 KB), and the page was busy
 * for ~30 s after it opened (with Monaco's TypeScript worker checking every file for ~45 s more;
 * it now checks only the file shown, `onlyVisible`). Counts calls, no timings.
 *
 * Without /usr/bin/chromium (and CI unset) the suite is skipped with the reason printed.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openStudio, renderedFrames, screenshotOnFailure, skipWithoutChromium, type StudioE2E } from './harness';
import { generateProject } from '../bench/studio';

const skip = skipWithoutChromium('e2e/editor-load.test.ts');
const FUNCTIONS = 60;

describe.skipIf(skip)('the code editor on a large project (Chromium)', () => {
  let studio: StudioE2E;
  let page: Page;
  const calls: Array<{ method: string; path?: string }> = [];

  screenshotOnFailure('editor-load', () => page);

  beforeAll(async () => {
    studio = await openStudio('editor-load-e2e');
    page = studio.page;
    const dir = join(studio.work, 'big');
    generateProject(dir, FUNCTIONS);
    // every request the page makes, as the service gets it
    const call = studio.service.call.bind(studio.service);
    studio.service.call = ((method: string, params: unknown, ctx?: unknown) => {
      calls.push({ method, path: (params as { path?: string } | undefined)?.path });
      return call(method as never, params, ctx as never);
    }) as typeof studio.service.call;
    await page.goto(`${studio.server.url}&project=${encodeURIComponent(dir)}`);
    await page.locator('.react-flow__node[data-id="fn:f0"]').waitFor({ timeout: 60_000 });
  }, 400_000);

  afterAll(async () => {
    await studio?.close();
  });

  const preprocessed = () => calls.filter((c) => c.method === 'preprocess').map((c) => c.path);

  it(`checks the file shown, not all ${FUNCTIONS} function files, once the editor has loaded`, async () => {
    await page.getByTestId('code-editor').locator('.monaco-editor').waitFor({ timeout: 60_000 });
    const shown = await page.locator('.code-editor .tab[aria-selected="true"]').getAttribute('data-testid');
    expect(shown).toMatch(/^tab-functions\//);
    // the shown file's check: then nothing more comes (a positive signal first, then a quiet stretch)
    await expect.poll(() => preprocessed().length, { timeout: 20_000 }).toBeGreaterThanOrEqual(1);
    await renderedFrames(page, 30);
    await new Promise((r) => setTimeout(r, 1500));
    expect(preprocessed()).toEqual([shown!.slice('tab-'.length)]);
  }, 120_000);

  it('a file opened later is checked when it is shown (its markers follow)', async () => {
    const before = preprocessed().length;
    await page.getByTestId('tab-functions/f7.ts').click();
    await page.locator('[data-testid="tab-functions/f7.ts"][aria-selected="true"]').waitFor();
    await expect.poll(() => preprocessed().slice(before), { timeout: 20_000 }).toEqual(['functions/f7.ts']);
    expect(studio.pageErrors).toEqual([]);
  }, 60_000);
});
