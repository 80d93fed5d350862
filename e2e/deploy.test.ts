/**
 * End to end, browser mode: the Cluster and Deploy panels against a real local cluster on the
 * process backend. Opens a copy of samples/mnist, starts the cluster from the Cluster panel,
 * deploys (every function must end ready), trains (real TensorFlow.js), classifies a real mnist
 * digit, and checks run history and lineage. The cluster lives under a temp home with a
 * unique name and is always brought down at the end, so no node process outlives the run.
 *
 * Without /usr/bin/chromium (and CI unset) the suite is skipped with the reason printed; in CI
 * (CI=true) it runs and fails when Chromium is missing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { openStudio, renderedFrames, RESULTS, screenshotOnFailure, skipWithoutChromium, type StudioE2E } from './harness';
import { coralBootloader, FakeSysfs, ncs2Ready } from '../cluster/accelerators/testing/fake-sysfs';

const skip = skipWithoutChromium('e2e/deploy.test.ts');

const FUNCTIONS = ['train', 'trainFair', 'inference', 'refine'];
const NODES = ['laptop', 'edge-1', 'edge-2', 'cloud-1'];

describe.skipIf(skip)('deploy and invoke from the studio (Chromium, process cluster)', () => {
  let studio: StudioE2E;
  let page: Page;
  let server: StudioE2E['server'];
  let pageErrors: string[] = [];

  screenshotOnFailure('deploy', () => page);

  let sysfs: FakeSysfs;

  beforeAll(async () => {
    // a Coral stick "plugged in" (a fake sysfs tree: this machine has no USB bus)
    sysfs = new FakeSysfs().plug(coralBootloader());
    studio = await openStudio('studio-deploy-e2e', { accelerators: { sysfsRoot: sysfs.sysfsRoot, devRoot: sysfs.devRoot, intervalMs: 100 } });
    ({ page, server, pageErrors } = studio);
  }, 400_000);

  afterAll(async () => {
    await studio?.close();
    sysfs?.dispose();
  }, 120_000);

  it('starts the local cluster from the Cluster panel: every node Ready with its profile', async () => {
    await page.goto(server.url);
    await page.locator('.react-flow__node[data-id="fn:train"]').waitFor({ timeout: 30_000 });
    await page.getByTestId('cluster-tab').click();
    await expect.poll(() => page.getByTestId('cluster-state').textContent()).toMatch(/stopped/);
    // the plugged-in Coral, and one plugged in while the panel is open (hot-plug), without a device node
    await expect.poll(() => page.getByTestId('accelerator-1-1.2').textContent()).toMatch(/Google Coral USB Accelerator.*tpu.*bootloader.*ok.*joins laptop as tpu when the cluster starts/);
    sysfs.plug({ ...ncs2Ready(), devNode: false });
    await expect.poll(() => page.getByTestId('accelerator-2-3').textContent(), { timeout: 10_000 }).toMatch(/Intel Neural Compute Stick 2.*vpu.*no device node/);
    await expect(page.getByTestId('accelerator-hints').textContent()).resolves.toMatch(/Intel Neural Compute Stick 2 \(2-3\): the device node does not exist here/);
    await page.getByTestId('cluster-start').click();
    for (const n of NODES) await page.locator(`[data-testid="node-row-${n}"][data-status="Ready"]`).waitFor({ timeout: 120_000 });
    // both sticks joined the laptop node
    await expect(page.getByTestId('node-row-laptop').textContent()).resolves.toMatch(/tpu.*vpu|vpu.*tpu/);
    await expect.poll(() => page.getByTestId('accelerator-1-1.2').textContent()).toMatch(/laptop offers tpu/);
    await expect(page.getByTestId('cluster-state').textContent()).resolves.toMatch(/up · process · local/);
    await expect(page.getByTestId('node-row-cloud-1').textContent()).resolves.toMatch(/cloud/);
    // a placement explanation for any function
    await page.getByTestId('explain-function').selectOption('inference');
    await expect.poll(() => page.getByTestId('explain').textContent(), { timeout: 15_000 }).toMatch(/places inference on edge-\d/);
    await expect(page.getByTestId('explain').textContent()).resolves.toMatch(/✗cloud-1/);
  }, 180_000);

  it('deploys with one button: every function ends ready, and the canvas shows where each runs', async () => {
    await page.getByTestId('deploy-button').click();
    await page.getByTestId('deploy-panel').waitFor();
    for (const f of FUNCTIONS) {
      const row = page.getByTestId(`deploy-fn-${f}`);
      await expect.poll(() => row.getAttribute('data-status'), { timeout: 180_000 }).toMatch(/ready|failed/);
      // a failure must say why; the sample must deploy cleanly
      if ((await row.getAttribute('data-status')) === 'failed') throw new Error(`${f} failed: ${await row.textContent()}`);
    }
    await expect(page.getByTestId('deploy-summary').textContent()).resolves.toMatch(/4\/4 ready/);
    const placement = (id: string) => page.locator(`.react-flow__node[data-id="fn:${id}"] [data-testid="node-placement"]`).textContent();
    await expect(placement('train')).resolves.toMatch(/cloud-1 · ready/);
    await expect(placement('refine')).resolves.toMatch(/laptop · ready/);
    await expect(placement('inference')).resolves.toMatch(/edge-\d · ready/);
  }, 240_000);

  it('trains, then classifies a real mnist digit: digit, confidence, node and model version are shown', async () => {
    await page.getByTestId('invoke-function').selectOption('train');
    await page.getByTestId('invoke-mode-json').click();
    await page.getByTestId('invoke-run').click();
    await expect.poll(() => page.getByTestId('invoke-node').textContent().catch(() => ''), { timeout: 180_000 }).toMatch(/cloud-1/);
    await expect(page.getByTestId('invoke-result').textContent()).resolves.toMatch(/produced.*mnist:model@1/);

    await page.getByTestId('invoke-function').selectOption('inference');
    await page.getByTestId('invoke-mode-digit').click();
    await page.getByTestId('sample-digit-choice').selectOption('7');
    await page.getByTestId('sample-digit').click();
    await expect.poll(() => page.getByTestId('invoke-result').locator('..').textContent()).toMatch(/a real 7 from mnist/);
    await page.getByTestId('invoke-run').click();
    await page.getByTestId('prediction').waitFor({ timeout: 60_000 });
    await expect(page.getByTestId('prediction-digit').textContent()).resolves.toMatch(/^[0-9]$/);
    await expect(page.getByTestId('prediction-confidence').textContent()).resolves.toMatch(/confidence \d+\.\d %/);
    await expect(page.getByTestId('invoke-node').textContent()).resolves.toMatch(/^edge-\d/);
    await expect(page.getByTestId('invoke-model').textContent()).resolves.toBe('mnist:model@1');
    await expect(page.getByTestId('invoke-latency').textContent()).resolves.toMatch(/\d+ ms|\d\.\d+ s/);
    await expect.poll(() => page.getByTestId('logs').textContent()).not.toMatch(/No logs yet/);
    // the picture for the README: the inference node selected, its placement on the canvas
    await page.locator('.react-flow__node[data-id="fn:inference"]').click();
    await page.locator('.react-flow__node.selected[data-id="fn:inference"]').waitFor();
    await renderedFrames(page);
    await page.screenshot({ path: join(RESULTS, 'studio-deploy.png') });
  }, 240_000);

  it('shows unsaved changes before a deploy, and deploys nothing until the user decides', async () => {
    const revision = (await page.getByTestId('deploy-summary').textContent()) ?? '';
    expect(revision).toMatch(/4\/4 ready · revision 1/);
    await page.locator('.react-flow__node[data-id="fn:refine"]').click();
    await page.locator('.bottom-tab', { hasText: 'Code' }).click();
    await page.getByTestId('tab-functions/refine.ts').click();
    await page.locator('.monaco-editor .view-lines').first().waitFor({ timeout: 30_000 });
    await page.evaluate(`(() => { const m = window.__studio.editor.getModel(); m.setValue(m.getValue() + '\\n// a note\\n'); })()`);
    await page.locator('[data-testid="dirty"]').first().waitFor();
    await page.getByTestId('deploy-button').click();
    const gate = page.getByTestId('deploy-gate');
    await gate.waitFor();
    await expect(gate.textContent()).resolves.toMatch(/1 file has unsaved changes: functions\/refine\.ts.*ships what is saved/);
    await gate.getByText('Cancel').click();
    await expect(gate.count()).resolves.toBe(0);
    // nothing was deployed: the same revision, every function still ready
    await expect(page.getByTestId('deploy-summary').textContent()).resolves.toBe(revision);
    await page.evaluate(`(() => { const m = window.__studio.editor.getModel(); m.setValue(m.getValue().replace('\\n// a note\\n', '')); })()`);
    await expect.poll(() => page.locator('[data-testid="dirty"]').count()).toBe(0);
  }, 60_000);

  it('shows the run history and the trained model’s lineage', async () => {
    await page.getByTestId('runs-tab').click();
    await expect.poll(() => page.getByTestId('run-row').count()).toBeGreaterThanOrEqual(2);
    await expect(page.getByTestId('runs-panel').textContent()).resolves.toMatch(/λ train.*cloud-1.*ok/s);
    // where each run's time went, as stacked bars (one stack per finished run)
    await expect.poll(() => page.locator('[data-testid="latency-chart"] .recharts-bar-rectangle').count(), { timeout: 15_000 }).toBeGreaterThanOrEqual(2);
    await expect(page.getByTestId('latency-chart').textContent()).resolves.toMatch(/cold start.*exec/s);
    // each run as 100%: the axis reads in percent
    const chartText = async () => (await page.getByTestId('latency-chart').textContent()) ?? '';
    await page.getByTestId('latency-scale-share').click();
    await expect.poll(chartText).toMatch(/100%/);
    expect(await chartText()).not.toMatch(/\d ms/);
    await page.getByTestId('latency-scale-ms').click();
    await expect.poll(chartText).toMatch(/\d ms/);
    expect(await chartText()).not.toMatch(/100%/);
    await page.screenshot({ path: join(RESULTS, 'studio-runs.png') });
    await page.getByTestId('artifacts-tab').click();
    await page.getByTestId('artifact-row').filter({ hasText: 'mnist:model@1' }).click();
    await expect.poll(() => page.getByTestId('lineage').textContent()).toMatch(/mnist:data@1.*mnist:model@1 by λ (mnist\/)?train/s);
    await page.screenshot({ path: join(RESULTS, 'studio-lineage.png') });
    await page.getByTestId('cluster-tab').click();
    await page.screenshot({ path: join(RESULTS, 'studio-cluster.png') });
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('deploys again with changed functions only (all kept as they were), then restarts them in place', async () => {
    await page.getByTestId('deploy-tab').click();
    await expect(page.getByTestId('deploy-mode').inputValue()).resolves.toBe('changed');
    await page.getByTestId('deploy-panel-button').click();
    for (const f of FUNCTIONS) await expect.poll(() => page.getByTestId(`deploy-action-${f}`).textContent().catch(() => ''), { timeout: 60_000 }).toBe('unchanged');
    // nothing changed: the workflow keeps its revision (another window that saw it is not in conflict)
    await expect.poll(() => page.getByTestId('deploy-panel').textContent()).toMatch(/nothing changed in mnist since revision 1: all 4 functions unchanged, kept running on their nodes, still revision 1/);
    await expect(page.getByTestId('deploy-summary').textContent()).resolves.toMatch(/4\/4 ready · revision 1/);
    await page.getByTestId('deploy-mode').selectOption('restart');
    await expect(page.getByTestId('deploy-panel-button').textContent()).resolves.toMatch(/Restart/);
    await page.getByTestId('deploy-panel-button').click();
    for (const f of FUNCTIONS) await expect.poll(() => page.getByTestId(`deploy-action-${f}`).textContent().catch(() => ''), { timeout: 120_000 }).toBe('restarted');
    // a restart ships no code: the revision stays
    await expect.poll(() => page.getByTestId('deploy-summary').textContent()).toMatch(/4\/4 ready · revision 1/);
    await page.getByTestId('deploy-mode').selectOption('changed');
    expect(pageErrors).toEqual([]);
  }, 240_000);

  it('stops the cluster from the Cluster panel, asking first while functions are deployed (issue 13, item 8)', async () => {
    await page.getByTestId('cluster-tab').click();
    await page.getByTestId('cluster-stop').click();
    const ask = page.getByTestId('cluster-stop-confirm');
    await expect(ask.textContent()).resolves.toMatch(/stops 4 deployed functions \(mnist\/\w+, .*\)/);
    // cancelled: still up
    await page.getByTestId('cluster-stop-cancel').click();
    expect(await ask.count()).toBe(0);
    await expect(page.getByTestId('cluster-state').textContent()).resolves.toMatch(/up/);
    await page.getByTestId('cluster-stop').click();
    await page.getByTestId('cluster-stop-confirmed').click();
    await expect.poll(() => page.getByTestId('cluster-state').textContent(), { timeout: 60_000 }).toMatch(/stopped/);
    const status = await studio.service.call('cluster.status', {});
    expect(status.ok).toBe(true);
    expect(status.ok && status.value).toMatchObject({ cluster: `studio-deploy-e2e-${process.pid}`, up: false });
    expect(readFileSync(join(studio.project, 'workflow.json'), 'utf8')).toMatch(/"name": "mnist"/);
  }, 90_000);
});
