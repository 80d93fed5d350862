/**
 * End to end, browser mode: the studio's first ten minutes with the next-steps guide (issue 13).
 * A copy of samples/mnist on a real process cluster: the guide says what to do and its button
 * does it — start the cluster, deploy, run train (and trainFair) for the models the functions
 * need, try classify — each step checked off from the real state. On the way: problems shown on
 * the node before any deploy (item 6), a model not trained yet told as what to do, never as a
 * studio bug (item 7), the invoke input following the function (item 11), and a function whose
 * file stopped parsing kept on the canvas as it last parsed (item 4). And the guide waits for
 * the first screen: what it asks loads the service's runtime (the warm start, item 12).
 *
 * Without /usr/bin/chromium (and CI unset) the suite is skipped with the reason printed; in CI
 * (CI=true) it runs and fails when Chromium is missing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { openSample, openStudio, renderedFrames, RESULTS, screenshotOnFailure, skipWithoutChromium, type StudioE2E } from './harness';

const skip = skipWithoutChromium('e2e/guide.test.ts');

describe.skipIf(skip)('the next-steps guide and honest problems (issue 13, items 2, 6, 7, 11; Chromium, process cluster)', () => {
  let studio: StudioE2E;
  let page: Page;
  screenshotOnFailure('guide', () => page);

  /** the service's methods the page called, in order */
  const calls: string[] = [];

  beforeAll(async () => {
    studio = await openStudio('studio-guide-e2e');
    page = studio.page;
    const call = studio.service.call.bind(studio.service);
    studio.service.call = ((method: string, params: unknown, ctx?: unknown) => {
      calls.push(method);
      return call(method as never, params, ctx as never);
    }) as typeof studio.service.call;
    await openSample(page, studio.server.url);
  }, 400_000);

  afterAll(async () => {
    await studio?.close();
  }, 120_000);

  const current = () => page.getByTestId('next-step-current').textContent();
  /** writes a project file through the service (another window's save): project.changed reaches the page */
  const write = async (path: string, source: string) => {
    const snap = await studio.service.call('project.snapshot', { project: studio.project });
    if (!snap.ok) throw new Error(snap.error.message);
    const r = await studio.service.call('project.files.write', { project: studio.project, path, source, expectedRevision: snap.value.files.find((x) => x.path === path)!.revision });
    if (!r.ok) throw new Error(r.error.message);
  };
  const act = () => page.getByTestId('next-step-action').click();

  it('asks for its steps only once the first screen is up (nothing the page asks at its start loads the runtime), keeping its place meanwhile (issue 13, warm start)', async () => {
    // the first cluster.status is held back until the canvas is drawn and the page idle (App's
    // useFirstStatus); the guide's steps need the runtime too, and asked at once they loaded it
    // (~0.5 s of the service's CPU) while the first screen was still rendering
    // its place above the canvas is kept meanwhile: the canvas does not move down when they come
    const before = (await page.locator('.react-flow__node[data-id="fn:train"]').boundingBox())!;
    await expect.poll(current, { timeout: 30_000 }).toMatch(/Start the local cluster/);
    await renderedFrames(page);
    const after = (await page.locator('.react-flow__node[data-id="fn:train"]').boundingBox())!;
    expect({ x: Math.round(after.x), y: Math.round(after.y) }).toEqual({ x: Math.round(before.x), y: Math.round(before.y) });
    const runtime = ['cluster.status', 'project.nextSteps', 'runs.list', 'artifacts.list'];
    const first = calls.findIndex((m) => runtime.includes(m));
    expect(calls[first]).toBe('cluster.status');
  }, 60_000);

  it("a file saved with a syntax error keeps its function, output and gate on the canvas, marked as not parsing (item 4)", async () => {
    const f = 'functions/inference.ts';
    const saved = readFileSync(join(studio.project, f), 'utf8');
    await write(f, saved.replace("@policy.deadline('2s')", "@policy.deadline('2s'"));
    const node = page.locator('.react-flow__node[data-id="fn:inference"]');
    await expect.poll(() => node.locator('[data-testid="node-unparsed"]').count(), { timeout: 20_000 }).toBe(1);
    await expect(node.locator('[data-testid="node-unparsed"]').getAttribute('title')).resolves.toMatch(/functions\/inference\.ts:7:19: '\(' is not closed/);
    for (const id of ['data:mnist:predictions', 'gate:inference:0']) expect(await page.locator(`.react-flow__node[data-id="${id}"]`).count()).toBe(1);
    await expect.poll(current).toMatch(/Fix \d+ errors?/);
    await write(f, saved);
    await expect.poll(() => node.locator('[data-testid="node-unparsed"]').count(), { timeout: 20_000 }).toBe(0);
  }, 120_000);

  it('a placement no node can take and a missing data file show on their nodes before any deploy (item 6)', async () => {
    const f = 'functions/train.ts';
    const saved = readFileSync(join(studio.project, f), 'utf8');
    const wfSaved = readFileSync(join(studio.project, 'workflow.json'), 'utf8');
    const wf = JSON.parse(wfSaved);
    wf.dataSources.push({ urn: 'sensor:rows', type: 'rows', tags: ['sensor'], format: 'jsonl', source: { kind: 'file', path: 'data/rows.jsonl' } });
    // written through the service, as another window would: the studio takes the change
    await write(f, saved.replace("@policy.fn({ node: 'cloud' })", "@policy.fn({ node: 'cloud', capability: 'gpu' })"));
    await write('workflow.json', JSON.stringify(wf, null, 2));
    const problem = (id: string) => page.locator(`.react-flow__node[data-id="${id}"] [data-testid="node-problem"]`);
    await expect.poll(() => problem('fn:train').textContent(), { timeout: 20_000 }).toMatch(/no node can run it/);
    await expect(problem('fn:train').getAttribute('title')).resolves.toMatch(/on topology 'local': no node can run train.*capability gpu/s);
    await expect.poll(() => problem('source:sensor:rows').textContent()).toMatch(/data file missing/);
    await page.getByTestId('problems-tab').click();
    await expect.poll(() => page.getByTestId('problems').textContent()).toMatch(/placement-infeasible.*|no node can run train/);
    // the guide's first step: fix the error (the missing file)
    await expect.poll(current).toMatch(/Fix 1 error/);
    await write(f, saved);
    await write('workflow.json', wfSaved);
    await expect.poll(() => problem('fn:train').count(), { timeout: 20_000 }).toBe(0);
    await expect.poll(current).toMatch(/Start the local cluster/);
  }, 120_000);

  it('says what to do first, and its button does it: start the cluster, then deploy (item 2)', async () => {
    await expect(page.getByTestId('next-steps').textContent()).resolves.toMatch(/Next step 1 of 5/);
    await page.getByTestId('next-steps-all').click();
    await expect(page.getByTestId('next-steps-list').textContent()).resolves.toMatch(/Start the local cluster.*Deploy mnist.*Run train: it makes the model inference needs.*Try classify: invoke inference.*Run trainFair: it makes the model refine needs/s);
    // Escape closes the list, as it closes the menus (item 11)
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByTestId('next-steps-list').count()).toBe(0);
    await act();
    await expect.poll(current, { timeout: 120_000 }).toMatch(/Deploy mnist/);
    await expect.poll(() => page.getByTestId('runtime-status').textContent(), { timeout: 60_000 }).toMatch(/4\/4 nodes ready/);
    await act();
    await expect.poll(current, { timeout: 240_000 }).toMatch(/Run train: it makes the model inference needs/);
    await expect(page.getByTestId('deploy-summary').textContent()).resolves.toMatch(/4\/4 ready/);
  }, 400_000);

  it('a model not trained yet is said as what to do, not as a studio bug (item 7); the input follows the function (item 11)', async () => {
    await page.getByTestId('deploy-tab').click();
    await page.getByTestId('invoke-function').selectOption('inference');
    // inference serves a model: the digit pad; train takes no image: JSON
    await expect.poll(() => page.getByTestId('invoke-mode-digit').getAttribute('class')).toMatch(/\bon\b/);
    await page.getByTestId('sample-digit').click();
    await page.getByTestId('invoke-run').click();
    const box = page.getByTestId('invoke-result').getByTestId('error-box');
    await box.waitFor({ timeout: 60_000 });
    const text = (await box.textContent()) ?? '';
    expect(text).toMatch(/model|classifier/);
    expect(text).toMatch(/train|publish|run/i);
    expect(text).not.toMatch(/please report|studio service failed/);
    await page.getByTestId('invoke-function').selectOption('train');
    await expect.poll(() => page.getByTestId('invoke-mode-json').getAttribute('class')).toMatch(/\bon\b/);
  }, 120_000);

  it('runs train for the model inference needs, opens the invoke console on inference; a classified digit checks off classify (item 2)', async () => {
    await act();
    await expect.poll(current, { timeout: 240_000 }).toMatch(/Try classify: invoke inference/);
    await page.getByTestId('invoke-function').selectOption('train');
    await act();
    await expect.poll(() => page.getByTestId('invoke-function').inputValue()).toBe('inference');
    await expect.poll(() => page.getByTestId('invoke-mode-digit').getAttribute('class')).toMatch(/\bon\b/);
    await page.getByTestId('sample-digit').click();
    await page.getByTestId('invoke-run').click();
    await page.getByTestId('prediction').waitFor({ timeout: 60_000 });
    // the latency's parts add up to it, the platform's own work named (item 10)
    await expect(page.getByTestId('invoke-latency-parts').textContent()).resolves.toMatch(/^\((warm|cold): .*exec \d+ ms.*platform .* = \d+(\.\d+)? m?s\)$/);
    await expect.poll(current, { timeout: 30_000 }).toMatch(/Run trainFair: it makes the model refine needs/);
    await page.getByTestId('next-steps-all').click();
    await expect(page.getByTestId('step-try:classify').getAttribute('data-done')).resolves.toBe('true');
    await page.getByTestId('next-steps-all').click();
  }, 600_000);

  it('a trainer whose gate keeps its model back: the step says so and what to do, instead of being checked off', async () => {
    await act();
    // (training is not seeded: when the base model happens to be fair, it is published and the guide is done)
    await expect.poll(() => page.getByTestId('next-steps').textContent(), { timeout: 240_000 }).toMatch(/trainFair ran, but its gate kept the model back \(bias disparate_impact 0\.\d{3}, needs >=0\.8\)|All steps done/);
    await page.screenshot({ path: join(RESULTS, 'studio-guide.png') });
  }, 300_000);

  it('renaming a data source in the inspector keeps its node in place and selected (item 9)', async () => {
    const old = page.locator('.react-flow__node[data-id="source:mnist:user:alice"]');
    await old.click();
    await page.locator('.react-flow__node.selected[data-id="source:mnist:user:alice"]').waitFor();
    const before = (await old.boundingBox())!;
    const urn = page.getByTestId('inspector').getByLabel('URN');
    await urn.fill('mnist:user:bob');
    await page.getByTestId('inspector').getByRole('button', { name: 'Apply' }).click();
    const renamed = page.locator('.react-flow__node.selected[data-id="source:mnist:user:bob"]');
    await renamed.waitFor({ timeout: 15_000 });
    const after = (await renamed.boundingBox())!;
    expect(Math.abs(after.x - before.x)).toBeLessThan(2);
    expect(Math.abs(after.y - before.y)).toBeLessThan(2);
    // layout.json keeps the position under the new id, and the old id is gone from it
    await expect.poll(() => JSON.parse(readFileSync(join(studio.project, 'layout.json'), 'utf8')).nodes['source:mnist:user:bob']).toBeDefined();
    expect(JSON.parse(readFileSync(join(studio.project, 'layout.json'), 'utf8')).nodes['source:mnist:user:alice']).toBeUndefined();
  }, 60_000);

  it('the guide can be hidden, stays hidden for the project after a reload, and comes back', async () => {
    await page.getByTestId('next-steps-hide').click();
    await page.getByTestId('next-steps-show').waitFor();
    await page.reload();
    await page.locator('.react-flow__node[data-id="fn:train"]').waitFor({ timeout: 30_000 });
    await page.getByTestId('next-steps-show').waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('next-steps').count()).toBe(0);
    await page.getByTestId('next-steps-show').click();
    await page.getByTestId('next-steps').waitFor();
    expect(studio.pageErrors).toEqual([]);
  }, 120_000);
});
