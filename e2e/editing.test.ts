/**
 * End to end, browser mode: the canvas' editing features the README's tour names — palette
 * search, undo/redo, box select, auto-layout and copy/paste — on the real renderer build, the real
 * service over the WebSocket and Debian's Chromium driven by playwright-core. Every test opens a
 * fresh copy of samples/mnist (its own service, server and browser), so none depends on another.
 *
 * Without /usr/bin/chromium (and CI unset) the suite is skipped with the reason printed; in CI
 * (CI=true) it runs and fails when Chromium is missing.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { openStudio, renderedFrames, RESULTS, screenshotOnFailure, skipWithoutChromium, type StudioE2E } from './harness';

const skip = skipWithoutChromium('e2e/editing.test.ts');

/** The nodes of samples/mnist. */
const NODES = [
  'fn:train',
  'fn:trainFair',
  'fn:inference',
  'fn:refine',
  'source:mnist:data',
  'source:mnist:user:alice',
  'model:mnist:model',
  'model:model:base',
  'model:model:user:{usr}',
  'data:mnist:predictions',
  'trigger:classify',
  'trigger:nightly-training',
  'trigger:retrain-on-drift',
  'trigger:user-batch',
  'gate:inference:0',
  'gate:trainFair:0',
];

type Rect = { x: number; y: number; width: number; height: number };
type XY = { x: number; y: number };
/** React Flow's instance (the page's __studio handle): the positions it shows. */
type FlowHandle = { __studio: { flow: { getNodes(): Array<{ id: string; position: XY }> } } };

const node = (page: Page, id: string) => page.locator(`.react-flow__node[data-id="${id}"]`);
const edge = (page: Page, id: string) => page.locator(`.react-flow__edge[data-id="${id}"]`);

/** The ids of the nodes selected on the canvas, sorted. */
const selectedNodes = (page: Page) => page.locator('.react-flow__node.selected').evaluateAll((els) => els.map((e) => e.getAttribute('data-id') ?? '').sort());

/** Every node's box on the screen, read in one go (one frame). */
const nodeBoxes = (page: Page) =>
  page.locator('.react-flow__node').evaluateAll((els) =>
    Object.fromEntries(
      els.map((e) => {
        const r = e.getBoundingClientRect();
        return [e.getAttribute('data-id') ?? '', { x: r.x, y: r.y, width: r.width, height: r.height }];
      }),
    ),
  ) as Promise<Record<string, Rect>>;

/** Whether two boxes share any area (touching edges do not count). */
const intersects = (a: Rect, b: Rect) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

/** Every pair of ids whose boxes intersect. */
function overlaps(boxes: Record<string, Rect>): string[] {
  const ids = Object.keys(boxes).sort();
  const out: string[] = [];
  for (let i = 0; i < ids.length; i++) for (let j = i + 1; j < ids.length; j++) if (intersects(boxes[ids[i]], boxes[ids[j]])) out.push(`${ids[i]} × ${ids[j]}`);
  return out;
}

/**
 * Every node's box once the canvas has stopped moving (a fit-view animates): all `count` nodes
 * rendered (the canvas renders only what is in view) and the same boxes over two reads.
 */
async function settledBoxes(page: Page, count: number): Promise<Record<string, Rect>> {
  let boxes: Record<string, Rect> = {};
  await expect
    .poll(
      async () => {
        const a = await nodeBoxes(page);
        await renderedFrames(page, 4);
        boxes = await nodeBoxes(page);
        return Object.keys(boxes).length === count && JSON.stringify(a) === JSON.stringify(boxes);
      },
      { timeout: 15_000 },
    )
    .toBe(true);
  return boxes;
}

describe.skipIf(skip)('editing on the studio canvas in browser mode (Chromium)', () => {
  let studio: StudioE2E | undefined;
  let page: Page | undefined;
  let project: string;
  let pageErrors: string[] = [];
  const read = (path: string) => readFileSync(join(project, path), 'utf8');
  const layout = () => JSON.parse(read('layout.json')) as { nodes: Record<string, XY> };

  // registered before the screenshot hook: after-hooks run last-registered first, so the
  // failure's screenshot is taken before the browser goes
  afterEach(async () => {
    await studio?.close();
    studio = undefined;
  }, 120_000);

  screenshotOnFailure('editing', () => page);

  beforeEach(async () => {
    studio = await openStudio('editing-e2e');
    ({ page, project, pageErrors } = studio);
  }, 400_000);

  /** Opens the studio on the project copy and waits for the canvas. */
  async function load(): Promise<Page> {
    const p = page!;
    await p.goto(studio!.server.url);
    await node(p, 'fn:train').waitFor({ timeout: 30_000 });
    // the first open shows the graph from its start at a readable zoom (e2e/layout.test.ts);
    // Fit shows all of it, as these tests need every node on screen
    await p.getByTitle('Fit view (F)').click();
    await expect.poll(() => p.locator('.react-flow__node').count(), { timeout: 15_000 }).toBe(NODES.length);
    return p;
  }

  it('palette search (Ctrl+K) filters the items as you type; Escape or an empty field shows them all again', async () => {
    const page = await load();
    const items = page.locator('[data-testid="palette"] .palette-item');
    const shown = () => items.evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')));
    const all = ['palette-item-0', 'palette-item-1', 'palette-item-2', 'palette-item-3', 'palette-item-4', 'palette-item-5', 'palette-item-6', 'palette-item-7', 'palette-item-8'];
    await expect(shown()).resolves.toEqual(all);
    const search = page.getByTestId('palette-search');
    await page.keyboard.press('ControlOrMeta+k');
    await expect.poll(() => search.evaluate((el) => el === document.activeElement)).toBe(true);
    // one word: title or description
    await page.keyboard.type('model');
    await expect.poll(shown).toEqual(['palette-item-1', 'palette-item-2', 'palette-item-8']);
    await expect(page.getByTestId('palette-item-2').isVisible()).resolves.toBe(true);
    await expect(page.getByTestId('palette-item-2').textContent()).resolves.toMatch(/Function: serve a model/);
    await expect(page.getByTestId('palette-item-3').count()).resolves.toBe(0);
    // every word must match, in any order
    await page.keyboard.type(' serve');
    await expect.poll(shown).toEqual(['palette-item-2']);
    // Escape clears the search
    await page.keyboard.press('Escape');
    await expect.poll(shown).toEqual(all);
    await expect(search.inputValue()).resolves.toBe('');
    // the CSV data source alone, then nothing at all (and the palette says so)
    await search.fill('csv');
    await expect.poll(shown).toEqual(['palette-item-3']);
    await expect(page.getByTestId('palette-item-3').isVisible()).resolves.toBe(true);
    await expect(page.getByTestId('palette-item-0').count()).resolves.toBe(0);
    await search.fill('no such item');
    await expect.poll(shown).toEqual([]);
    await expect(page.getByTestId('palette').textContent()).resolves.toMatch(/Nothing matches “no such item”/);
    // an empty field: every item again
    await search.fill('');
    await expect.poll(shown).toEqual(all);
    await expect(page.getByTestId('palette').textContent()).resolves.not.toMatch(/Nothing matches/);
    expect(pageErrors).toEqual([]);
  });

  it('undo and redo (Ctrl+Z, Ctrl+Shift+Z and the toolbar): an inspector edit and an edge deletion are undone last first and redone, in the files and on the canvas', async () => {
    const page = await load();
    const undo = page.getByTestId('undo');
    const redo = page.getByTestId('redo');
    const train0 = read('functions/train.ts');
    const refine0 = read('functions/refine.ts');
    const baseInput = "@consumes.model({ selector: { urn: 'model:base' } })";
    const cut = 'model:model:base->fn:refine#0';
    await expect(undo.isDisabled()).resolves.toBe(true);
    await expect(redo.isDisabled()).resolves.toBe(true);

    // edit 1: a deadline for train, from the inspector
    await node(page, 'fn:train').click();
    await page.getByTestId('deadline-input').fill('5s');
    await page.getByTestId('deadline-apply').click();
    await expect.poll(() => read('functions/train.ts'), { timeout: 15_000 }).toMatch(/@policy\.fn\(\{ node: 'cloud' \}\)\n\s+@policy\.deadline\('5s'\)\n/);
    const train1 = read('functions/train.ts');
    await expect.poll(() => node(page, 'fn:train').textContent()).toMatch(/deadline 5s/);
    // edit 2: delete refine's model input, on the canvas
    await edge(page, cut).locator('.react-flow__edge-interaction').dispatchEvent('click');
    await page.locator(`.react-flow__edge.selected[data-id="${cut}"]`).waitFor();
    await page.keyboard.press('Delete');
    await expect.poll(() => edge(page, cut).count(), { timeout: 15_000 }).toBe(0);
    await expect.poll(() => read('functions/refine.ts')).not.toContain(baseInput);
    const refine1 = read('functions/refine.ts');
    expect(refine1).not.toBe(refine0);
    expect(read('functions/train.ts')).toBe(train1);
    await expect(undo.getAttribute('title')).resolves.toBe('Undo delete selection (Ctrl+Z)');

    // Ctrl+Z: the last edit first — the edge and its input are back, train keeps its deadline
    await page.keyboard.press('ControlOrMeta+z');
    await expect.poll(() => read('functions/refine.ts'), { timeout: 15_000 }).toBe(refine0);
    await edge(page, cut).waitFor({ timeout: 15_000 });
    expect(read('functions/train.ts')).toBe(train1);
    await expect.poll(() => undo.getAttribute('title')).toBe('Undo deadline 5s (Ctrl+Z)');
    await expect(redo.isEnabled()).resolves.toBe(true);
    // Ctrl+Z again: the deadline is gone from the code and the node
    await page.keyboard.press('ControlOrMeta+z');
    await expect.poll(() => read('functions/train.ts'), { timeout: 15_000 }).toBe(train0);
    await expect.poll(() => node(page, 'fn:train').textContent()).not.toMatch(/deadline/);
    await expect.poll(() => undo.isDisabled()).toBe(true);
    expect(read('functions/refine.ts')).toBe(refine0);
    await expect(edge(page, cut).count()).resolves.toBe(1);

    // Ctrl+Shift+Z: redone in order — the deadline first, the edge still there
    await page.keyboard.press('ControlOrMeta+Shift+z');
    await expect.poll(() => read('functions/train.ts'), { timeout: 15_000 }).toBe(train1);
    await expect.poll(() => node(page, 'fn:train').textContent()).toMatch(/deadline 5s/);
    expect(read('functions/refine.ts')).toBe(refine0);
    await expect(edge(page, cut).count()).resolves.toBe(1);
    // then the deletion
    await page.keyboard.press('ControlOrMeta+Shift+z');
    await expect.poll(() => read('functions/refine.ts'), { timeout: 15_000 }).toBe(refine1);
    await expect.poll(() => edge(page, cut).count(), { timeout: 15_000 }).toBe(0);
    await expect.poll(() => redo.isDisabled()).toBe(true);
    expect(read('functions/train.ts')).toBe(train1);

    // the toolbar's buttons do the same
    await undo.click();
    await edge(page, cut).waitFor({ timeout: 15_000 });
    await expect.poll(() => read('functions/refine.ts'), { timeout: 15_000 }).toBe(refine0);
    await redo.click();
    await expect.poll(() => edge(page, cut).count(), { timeout: 15_000 }).toBe(0);
    await expect.poll(() => read('functions/refine.ts'), { timeout: 15_000 }).toBe(refine1);
    expect(read('functions/train.ts')).toBe(train1);
    await expect(page.getByTestId('toast-error').count()).resolves.toBe(0);
    expect(pageErrors).toEqual([]);
  });

  it('box select (Shift+drag on the empty canvas) selects the nodes inside the box and no other', async () => {
    const page = await load();
    await renderedFrames(page);
    const inside = ['fn:train', 'trigger:nightly-training'];
    const boxes = await nodeBoxes(page);
    const pad = 14;
    const left = Math.min(...inside.map((id) => boxes[id].x)) - pad;
    const top = Math.min(...inside.map((id) => boxes[id].y)) - pad;
    const right = Math.max(...inside.map((id) => boxes[id].x + boxes[id].width)) + pad;
    const bottom = Math.max(...inside.map((id) => boxes[id].y + boxes[id].height)) + pad;
    const box = { x: left, y: top, width: right - left, height: bottom - top };
    // the box touches no other node at all, so "not the others" holds whatever the selection mode
    expect(NODES.filter((id) => !inside.includes(id) && intersects(boxes[id], box))).toEqual([]);
    // the drag starts on the empty pane (not on a node or an edge)
    await expect(page.evaluate(([x, y]) => document.elementFromPoint(x, y)?.classList.contains('react-flow__pane') ?? false, [left, top] as const)).resolves.toBe(true);
    await expect(selectedNodes(page)).resolves.toEqual([]);

    await page.mouse.move(left, top);
    await page.keyboard.down('Shift');
    try {
      await page.mouse.down();
      await page.mouse.move((left + right) / 2, (top + bottom) / 2, { steps: 5 });
      await page.mouse.move(right, bottom, { steps: 5 });
      // the selection rectangle is drawn while dragging
      await page.locator('.react-flow__selection').waitFor({ timeout: 5_000 });
      await page.mouse.up();
    } finally {
      await page.keyboard.up('Shift');
    }
    await expect.poll(() => selectedNodes(page), { timeout: 10_000 }).toEqual([...inside].sort());
    // the studio has the selection too (the status bar counts it), not just React Flow
    await expect.poll(() => page.locator('.statusbar').textContent()).toMatch(/(?<!\d)2 node\(s\), \d+ edge\(s\) selected/);
    await renderedFrames(page);
    await expect(selectedNodes(page)).resolves.toEqual([...inside].sort());
    // nothing moved: a box select is not a drag of the nodes
    const after = await nodeBoxes(page);
    for (const id of inside) expect({ x: Math.round(after[id].x), y: Math.round(after[id].y) }).toEqual({ x: Math.round(boxes[id].x), y: Math.round(boxes[id].y) });
    expect(pageErrors).toEqual([]);
  });

  it('auto-layout (L) moves piled-up nodes apart: new positions, no two nodes overlapping, saved to layout.json', async () => {
    // a pile: every node 24 px right and below the one before, each covering most of the next
    const pile = Object.fromEntries(NODES.map((id, i) => [id, { x: 24 * i, y: 24 * i }]));
    writeFileSync(join(project, 'layout.json'), JSON.stringify({ nodes: pile, viewport: { x: 0, y: 0, zoom: 1 } }, null, 2) + '\n');
    const page = await load();
    const flowPositions = () => page.evaluate(() => Object.fromEntries((window as unknown as FlowHandle).__studio.flow.getNodes().map((n) => [n.id, { x: Math.round(n.position.x), y: Math.round(n.position.y) }])));
    // the canvas shows the pile as written: the nodes overlap
    await expect.poll(flowPositions).toEqual(pile);
    await renderedFrames(page);
    expect(overlaps(await nodeBoxes(page)).length).toBeGreaterThan(0);

    // the shortcut, with nothing focused that takes text
    await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('l');
    // layout.json gets the new positions, the ones the canvas shows
    await expect.poll(() => layout().nodes, { timeout: 15_000 }).not.toEqual(pile);
    const saved = layout().nodes;
    expect(Object.keys(saved).sort()).toEqual([...NODES].sort());
    await expect.poll(flowPositions, { timeout: 10_000 }).toEqual(saved);
    // every node has moved
    expect(NODES.filter((id) => saved[id].x === pile[id].x && saved[id].y === pile[id].y)).toEqual([]);
    // once the fit-view after the layout has settled
    const boxes = await settledBoxes(page, NODES.length);
    // no two nodes overlap, as measured on the screen (their real sizes, not the layout's estimates)
    expect(overlaps(boxes)).toEqual([]);
    await page.screenshot({ path: join(RESULTS, 'editing-auto-layout.png') });
    expect(pageErrors).toEqual([]);
  });

  it('copy and paste (Ctrl+C, Ctrl+V) of a function node creates a new function file and node with a name of its own, each time', async () => {
    const page = await load();
    const refine = read('functions/refine.ts');
    const workflow = read('workflow.json');
    await node(page, 'fn:refine').click();
    await page.locator('.react-flow__node.selected[data-id="fn:refine"]').waitFor();
    await page.keyboard.press('ControlOrMeta+c');
    await page.getByTestId('toast-info').filter({ hasText: 'Copied 1 item' }).waitFor({ timeout: 10_000 });
    // copying changes nothing
    expect(existsSync(join(project, 'functions/refineCopy.ts'))).toBe(false);

    await page.keyboard.press('ControlOrMeta+v');
    await expect.poll(() => existsSync(join(project, 'functions/refineCopy.ts')), { timeout: 15_000 }).toBe(true);
    // the new node goes right of everything, maybe out of view: F fits the view to it
    await expect.poll(() => page.evaluate(() => (window as unknown as FlowHandle).__studio.flow.getNodes().some((n) => n.id === 'fn:refineCopy')), { timeout: 15_000 }).toBe(true);
    await page.keyboard.press('f');
    await node(page, 'fn:refineCopy').waitFor({ timeout: 15_000 });
    // the copy: its own file, method and class; the same decorators and body
    const copy = read('functions/refineCopy.ts');
    expect(copy).toMatch(/export class MnistRefineCopy \{/);
    expect(copy).toMatch(/async refineCopy\(base: Model, data: Data, request: Request\)/);
    expect(copy).not.toMatch(/async refine\(/);
    expect(copy.replace('MnistRefineCopy', 'MnistRefine').replace('async refineCopy(', 'async refine(')).toBe(refine);
    // the original is untouched, and a function is code only: workflow.json is as it was
    expect(read('functions/refine.ts')).toBe(refine);
    expect(read('workflow.json')).toBe(workflow);
    // the new node is a function named refineCopy, wired like refine (the graph derives from its decorators)
    await expect(node(page, 'fn:refineCopy').textContent()).resolves.toMatch(/refineCopy.*functions\/refineCopy\.ts/);
    await edge(page, 'model:model:base->fn:refineCopy#0').waitFor({ timeout: 15_000 });
    await edge(page, 'source:mnist:user:alice->fn:refineCopy#1').waitFor();
    await edge(page, 'fn:refineCopy->model:model:user:{usr}').waitFor();
    await expect(node(page, 'fn:refine').count()).resolves.toBe(1);
    // it does not cover the nodes already there
    expect(overlaps(await settledBoxes(page, NODES.length + 1)).filter((o) => o.includes('fn:refineCopy'))).toEqual([]);

    // pasting again makes another, with yet another name
    await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('ControlOrMeta+v');
    await expect.poll(() => existsSync(join(project, 'functions/refineCopy2.ts')), { timeout: 15_000 }).toBe(true);
    await expect.poll(() => page.evaluate(() => (window as unknown as FlowHandle).__studio.flow.getNodes().some((n) => n.id === 'fn:refineCopy2')), { timeout: 15_000 }).toBe(true);
    await page.keyboard.press('f');
    await node(page, 'fn:refineCopy2').waitFor({ timeout: 15_000 });
    const copy2 = read('functions/refineCopy2.ts');
    expect(copy2).toMatch(/export class MnistRefineCopy2 \{/);
    expect(copy2).toMatch(/async refineCopy2\(/);
    expect(read('functions/refineCopy.ts')).toBe(copy);
    const boxes = await settledBoxes(page, NODES.length + 2);
    expect(Object.keys(boxes).sort()).toEqual([...NODES, 'fn:refineCopy', 'fn:refineCopy2'].sort());
    expect(overlaps(boxes).filter((o) => o.includes('Copy'))).toEqual([]);
    await expect(page.getByTestId('project-name').textContent()).resolves.toMatch(/6 functions/);
    await expect(page.getByTestId('toast-error').count()).resolves.toBe(0);
    expect(pageErrors).toEqual([]);
  });
});
