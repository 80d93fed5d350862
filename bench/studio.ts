/**
 * `npm run bench -- studio [--runs N] [--functions N]`
 *
 *  1. time to interactive: from starting `npm run web` to a canvas with samples/mnist's nodes
 *     drawn that answers a viewport change within a frame — timed in the page itself. Chromium is
 *     running with an idle tab open (the user pastes the printed URL), the renderer and the
 *     server bundle are built (a build is reported separately). Alternating runs start
 *     `node scripts/web.mjs` directly, to show npm's own share.
 *  2. panning a generated workflow of 500 functions (1001 nodes, 1000 edges): frame times while
 *     the viewport moves every animation frame for 3 s, at working zoom (1.0) and zoomed out —
 *     in steady state (after the code editor has loaded), the median of three pans, plus the
 *     renderer's own script time per frame, which the machine's other work disturbs less.
 *
 * The load average is printed: on a shared machine compare ratios measured in one run (or runs
 * made back to back), not absolute times across runs.
 *
 *  0. (`--only install`, or first without --only) the first start after a fresh install: a clean
 *     clone of this repository's HEAD with this checkout's node_modules linked in (what npm's
 *     fetch leaves), `node scripts/postinstall.mjs` run in it (what `npm install` runs last, which
 *     builds the studio), then `npm run web` to an interactive canvas: the first start after the
 *     install, then --runs warm ones (the median), all in one browser profile on disk as a user's
 *     browser keeps it (HTTP cache and V8 code cache).
 *
 * Goals (issue 6): interactive in < 2 s; panning at >= 50 frames per second. Issue 13: the first
 * start after an install < 5 s, a warm start < 1 s.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
}
function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
}

/**
 * Starts the studio in browser mode and resolves with its URL: `npm run web` itself (npm's own
 * start-up, ~0.25 s here, included), or with `direct` what npm runs (node scripts/web.mjs).
 */
function startWeb(project: string, direct = false, root = ROOT): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((ok, fail) => {
    // on the studio's own port, as a user starts it (start after start the same origin, so the
    // browser's cache of the renderer's hashed assets serves the warm starts; a free port if taken)
    const [cmd, args] = direct ? [process.execPath, [join(root, 'scripts', 'web.mjs'), project]] : ['npm', ['run', '--silent', 'web', '--', project]];
    // its own process group: npm runs a shell that runs node; stop() ends all of them
    const child = spawn(cmd as string, args as string[], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    const onData = (d: Buffer) => {
      out += String(d);
      const m = /open (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(out);
      if (m) ok({ child, url: m[1] });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (out += String(d)));
    child.on('exit', (code) => fail(new Error(`npm run web exited (${code}) before printing its URL:\n${out}`)));
  });
}

/**
 * Stops a started studio and waits until every process of its group has gone: npm exits at once on
 * SIGTERM while the node server it ran is still closing, and a next start measured meanwhile
 * would share the machine with it.
 */
async function stop(child: ChildProcess): Promise<void> {
  await new Promise<void>((ok) => {
    if (child.exitCode !== null) return ok();
    child.once('exit', () => ok());
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      child.kill('SIGTERM');
    }
  });
  const alive = () => {
    try {
      process.kill(-child.pid!, 0);
      return true;
    } catch {
      return false;
    }
  };
  for (let i = 0; i < 200 && alive(); i++) await new Promise((r) => setTimeout(r, 25));
  if (alive()) console.log(`note: the studio's processes were still running 5 s after SIGTERM (group ${child.pid})`);
}

/** A generated project: a binary tree of `n` functions, each consuming its parent's data. */
export function generateProject(dir: string, n: number): void {
  mkdirSync(join(dir, 'functions'), { recursive: true });
  const nodes: Record<string, { x: number; y: number }> = { 'source:bench:data': { x: 0, y: 0 } };
  const perDepth = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const parent = i === 0 ? 'bench:data' : `bench:d${Math.floor((i - 1) / 2)}`;
    const policies = [i % 3 === 0 ? `  @policy.deadline('${(i % 5) + 1}s')\n` : '', i % 2 === 0 ? `  @policy.fn({ node: 'edge'${i % 4 === 0 ? ", capability: 'tpu'" : ''} })\n` : '', i % 7 === 0 ? "  @gate.drift({ metric: 'confidence', predicate: '<0.2' })\n" : ''].join('');
    writeFileSync(
      join(dir, 'functions', `f${i}.ts`),
      `import { consumes, produces, policy, gate, type Data, type Request } from 'edge-ai-studio/sdk';\n\nexport class F${i} {\n  @consumes.data({ selector: { urn: '${parent}' } })\n  @produces.data({ urn: 'bench:d${i}', format: 'json' })\n${policies}  async f${i}(data: Data, request: Request) {\n    return { n: data.length };\n  }\n}\n`,
    );
    const depth = Math.floor(Math.log2(i + 1));
    const row = perDepth.get(depth) ?? 0;
    perDepth.set(depth, row + 1);
    nodes[`fn:f${i}`] = { x: 320 + depth * 620, y: row * 150 };
    nodes[`data:bench:d${i}`] = { x: 320 + depth * 620 + 310, y: row * 150 };
    if (i % 7 === 0) nodes[`gate:f${i}:0`] = { x: 320 + depth * 620 + 310, y: row * 150 + 70 };
  }
  writeFileSync(
    join(dir, 'workflow.json'),
    JSON.stringify({ name: 'bench', version: 1, dataSources: [{ urn: 'bench:data', type: 'table', tags: [], format: 'json', source: { kind: 'file', path: 'data/x.json' } }], triggers: [] }, null, 2) + '\n',
  );
  writeFileSync(join(dir, 'layout.json'), JSON.stringify({ nodes, viewport: { x: 40, y: 40, zoom: 1 } }, null, 2) + '\n');
}

/**
 * In the page, from its first script on: when fn:train's node is drawn and visible, move the
 * viewport and wait one animation frame — then the canvas is interactive, and the wall-clock time
 * (Date.now(), the bench's clock too) is kept in window.__tti. Recorded in the page because
 * Playwright's own waiting polls (up to every 500 ms) and would add its polling interval.
 */
const TTI_PROBE = `(() => {
  const check = () => {
    const el = document.querySelector('.react-flow__node[data-id="fn:train"]');
    const flow = window.__studio && window.__studio.flow;
    if (!el || !flow || getComputedStyle(el).visibility !== 'visible' || el.getBoundingClientRect().width === 0) return false;
    const v = flow.getViewport();
    flow.setViewport({ ...v, x: v.x + 1 });
    requestAnimationFrame(() => { window.__tti = Date.now(); });
    return true;
  };
  const mo = new MutationObserver(() => { if (check()) mo.disconnect(); });
  const start = () => mo.observe(document.documentElement, { subtree: true, childList: true, attributes: true });
  if (document.documentElement) start(); else document.addEventListener('DOMContentLoaded', start);
})()`;

/**
 * `browser` is a browser context: one per series of starts, as one user's browser keeps its cache
 * start after start (a Browser's newPage makes a fresh context each time: a cold cache every time).
 */
async function timeToInteractive(browser: Browser | BrowserContext, project: string, direct = false, root = ROOT): Promise<{ total: number; marks: Record<string, number> }> {
  // a browser tab is open and idle, as when a user pastes the printed URL into it (creating a tab
  // is the browser's work, not the studio's: ~0.5 s for Playwright's fresh context here)
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  await page.addInitScript(TTI_PROBE);
  // the previous run's server and page have gone and the new tab is up: let the machine settle
  await new Promise((r) => setTimeout(r, 700));
  const t0 = Date.now();
  const { child, url } = await startWeb(project, direct, root);
  const tUrl = Date.now();
  try {
    await page.goto(url, { waitUntil: 'commit' });
    await page.waitForFunction(() => (window as unknown as { __tti?: number }).__tti, undefined, { timeout: 60_000, polling: 100 });
    const done = (await page.evaluate('window.__tti')) as number;
    const total = done - t0;
    // the page's marks are relative to its navigation start (performance.timeOrigin); shift them to t0
    const { origin, marks } = await page.evaluate(() => ({ origin: performance.timeOrigin, marks: Object.fromEntries(performance.getEntriesByType('mark').map((m) => [m.name, m.startTime])) }));
    const shifted = Object.fromEntries(Object.entries(marks).map(([k, v]) => [k, Math.round(origin + v - t0)]));
    return { total, marks: { 'url printed': tUrl - t0, 'navigation start': Math.round(origin - t0), ...shifted } };
  } finally {
    await page.close();
    await stop(child);
  }
}

/** Where a start's time went: the page's marks, in ms from starting `npm run web`. */
function breakdown(m: Record<string, number>, total: number): string {
  return `ms from the start: URL printed ${m['url printed']}, page requested ${m['navigation start']}, its script running ${m['studio:boot']}, service answering ${m['studio:connected']} (+${Math.max(0, m['studio:connected'] - m['studio:boot'])} waiting for the service to load), project open ${m['studio:opened']}, laid out ${m['studio:laid-out']}, interactive ${Math.round(total)}`;
}

/** Frame times while the viewport moves every animation frame, from (x, y) at `zoom`. */
async function panFrames(page: Page, from: { x: number; y: number }, zoom: number, ms: number): Promise<number[] & { script?: number[] }> {
  return page.evaluate(`new Promise((done) => {
    const flow = window.__studio.flow;
    const frames = [];
    const script = [];
    let x = ${from.x};
    let y = ${from.y};
    flow.setViewport({ x, y, zoom: ${zoom} });
    const start = performance.now();
    let last = start;
    const tick = (t) => {
      frames.push(t - last);
      last = t;
      x -= 6;
      y -= 10;
      // the renderer's own work per frame (React and xyflow update synchronously), apart from the
      // browser's style, layout and paint: less noisy than frame times on a busy machine
      const s0 = performance.now();
      flow.setViewport({ x, y, zoom: ${zoom} });
      // React flushes the store update in a microtask queued by setViewport; ours runs after it
      queueMicrotask(() => queueMicrotask(() => script.push(performance.now() - s0)));
      if (t - start < ${ms}) requestAnimationFrame(tick);
      else { const f = frames.slice(3); f.script = script.slice(3); done({ f, script: script.slice(3) }); }
    };
    requestAnimationFrame(tick);
  })`).then((r) => Object.assign((r as { f: number[] }).f, { script: (r as { script: number[] }).script }));
}

export async function main(args: string[]): Promise<void> {
  const runs = Number(args[args.indexOf('--runs') + 1]) || 3;
  const functions = Number(args[args.indexOf('--functions') + 1]) || 500;
  const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined; // 'install', 'tti' or 'pan'
  if (!existsSync(CHROMIUM)) {
    console.log(`studio bench needs Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH); nothing measured`);
    return;
  }
  const { chromium } = await import('playwright-core');
  const web: { buildRenderer(): Promise<void>; rendererStale(): boolean; bundleWebServer?: () => Promise<void>; webBundleStale?: () => boolean } = await import('../cluster/server/web');
  const { buildRenderer, rendererStale, bundleWebServer, webBundleStale } = web;
  if (rendererStale()) {
    const t = performance.now();
    await buildRenderer();
    console.log(`renderer build (not part of the timings): ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  if (bundleWebServer && webBundleStale?.()) {
    // npm run web rebuilds it itself when a cluster/ source changed; a user's second start finds it fresh
    const t = performance.now();
    await bundleWebServer();
    console.log(`web server bundle (esbuild, not part of the timings): ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  const load = loadavg()[0];
  console.log(`machine: ${cpus().length} CPU cores, load average ${load.toFixed(1)}${load > cpus().length ? ' — busier than its cores: timings below are inflated by other work' : ''}`);
  const work = mkdtempSync(join(tmpdir(), 'studio-bench-'));
  // the studios the bench starts (they inherit the environment) keep their cluster home in the
  // bench's folder, removed at the end: a bench run leaves nothing under ~/.edgeai
  const homeBefore = process.env.EDGEAI_HOME;
  process.env.EDGEAI_HOME = join(work, 'home');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  try {
    const mnist = join(work, 'mnist');
    cpSync(join(ROOT, 'samples', 'mnist'), mnist, { recursive: true });

    // 0. the first start after a fresh install, then a warm one
    if (!only || only === 'install') {
      const fresh = join(work, 'fresh');
      const { spawnSync } = await import('node:child_process');
      const clone = spawnSync('git', ['clone', '--quiet', '--depth', '1', `file://${ROOT}`, fresh], { encoding: 'utf8' });
      if (clone.status !== 0) console.log(`fresh install: could not clone this repository (${clone.stderr.trim()}); not measured`);
      else {
        const { symlinkSync } = await import('node:fs');
        symlinkSync(join(ROOT, 'node_modules'), join(fresh, 'node_modules'), 'dir');
        const t = performance.now();
        const post = spawnSync(process.execPath, [join(fresh, 'scripts', 'postinstall.mjs')], { cwd: fresh, encoding: 'utf8', env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' } });
        const installS = (performance.now() - t) / 1000;
        if (post.status !== 0) console.log(`fresh install: postinstall failed (${post.status}):\n${post.stderr.slice(-2000)}`);
        console.log(`fresh install: postinstall (the builds npm install runs last: CLI, renderer, web server) ${installS.toFixed(1)} s`);
        // one browser profile on disk for the first start and the warm ones, as a user's browser:
        // empty at the first; at the next it holds the renderer's assets in its HTTP cache and
        // their compiled code in V8's code cache (an in-memory context, as newContext makes, keeps
        // no code cache: every start would compile the page's script again, which no user's does)
        const userBrowser = await chromium.launchPersistentContext(join(work, 'user-profile'), { executablePath: CHROMIUM, args: ARGS, viewport: { width: 1600, height: 1000 } });
        const firstRun = await timeToInteractive(userBrowser, mnist, false, fresh);
        const first = firstRun.total;
        // the warm starts after it: the median of --runs, so one disturbed start does not decide
        const warmRuns: Array<{ total: number; marks: Record<string, number> }> = [];
        for (let i = 0; i < runs; i++) warmRuns.push(await timeToInteractive(userBrowser, mnist, false, fresh));
        await userBrowser.close();
        const warmTotals = warmRuns.map((r) => r.total);
        const warm = median(warmTotals);
        console.log(`first start after the install (npm run web → interactive canvas): ${(first / 1000).toFixed(2)} s = ${(first / 5000).toFixed(2)} × the goal (< 5 s: ${first < 5000 ? 'met' : 'NOT met'})`);
        console.log(`  ${breakdown(firstRun.marks, first)}`);
        console.log(`warm start (the ones after it), median of ${runs}: ${(warm / 1000).toFixed(2)} s = ${(warm / 1000).toFixed(2)} × the goal (< 1 s: ${warm < 1000 ? 'met' : 'NOT met'}) [runs: ${warmTotals.map((t) => (t / 1000).toFixed(2)).join(', ')} s]; first / warm ${(first / warm).toFixed(2)}`);
        console.log(`  ${breakdown(warmRuns[warmRuns.length - 1].marks, warmRuns[warmRuns.length - 1].total)}`);
      }
    }

    // 1. npm run web → interactive canvas, samples/mnist
    const totals: number[] = [];
    const direct: number[] = [];
    let marks: Record<string, number> = {};
    for (let i = 0; i < (only === 'pan' || only === 'install' ? 0 : runs); i++) {
      // alternated, so both see the same machine
      const r = await timeToInteractive(browser, mnist);
      totals.push(r.total);
      marks = r.marks;
      if (process.env.BENCH_VERBOSE) console.log('  run', i, JSON.stringify(r.marks), Math.round(r.total));
      direct.push((await timeToInteractive(browser, mnist, true)).total);
    }
    const tti = median(totals);
    if (totals.length) {
      const secs = (xs: number[]) => xs.map((t) => (t / 1000).toFixed(2)).join(', ');
      console.log(`time to interactive (npm run web → canvas with samples/mnist), median of ${runs}: ${(tti / 1000).toFixed(2)} s  [runs: ${secs(totals)} s]  goal < 2 s: ${tti < 2000 ? 'met' : 'NOT met'}`);
      console.log(`  = ${(tti / 2000).toFixed(2)} × the goal; without npm's own start-up (node scripts/web.mjs, what npm runs): median ${(median(direct) / 1000).toFixed(2)} s [${secs(direct)} s]`);
      console.log(`  last npm run, ${breakdown(marks, totals[totals.length - 1])}`);
    }

    // 2. pan a workflow of N functions
    if (only === 'tti' || only === 'install') return;
    const big = join(work, 'big');
    generateProject(big, functions);
    const { child, url } = await startWeb(big);
    try {
      const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
      const t = performance.now();
      await page.goto(url);
      await page.locator('.react-flow__node[data-id="fn:f0"]').waitFor({ timeout: 120_000 });
      const openMs = performance.now() - t;
      const count = await page.evaluate(() => document.querySelectorAll('.react-flow__node').length);
      // steady state: the code editor (Monaco) and its workers have loaded
      await page.locator('.monaco-editor').first().waitFor({ timeout: 120_000 }).catch(() => undefined);
      await page.waitForTimeout(1000);
      console.log(`generated workflow: ${functions} functions; opened and drawn in ${(openMs / 1000).toFixed(2)} s (${count} nodes in the DOM at zoom 1, the rest culled)`);
      // start where the tree is widest (its deepest layers), so the screen is full of nodes
      const deep = 320 + 7 * 620;
      for (const [label, zoom] of [['working zoom 1.0', 1], ['zoomed out 0.25', 0.25]] as const) {
        const from = { x: -deep * zoom + 200, y: -200 * zoom };
        await panFrames(page, from, zoom, 800); // warm up
        const visible = await page.evaluate(() => document.querySelectorAll('.react-flow__node').length);
        // three 3 s pans; the median one is reported (the machine's other work makes single runs noisy)
        const reps: Array<{ frames: number[]; fps: number; script: number }> = [];
        for (let r = 0; r < 3; r++) {
          const frames = await panFrames(page, from, zoom, 3000);
          reps.push({ frames, fps: 1000 / (frames.reduce((a, b) => a + b, 0) / frames.length), script: median(frames.script ?? []) });
        }
        reps.sort((a, b) => a.fps - b.fps);
        const { frames, fps } = reps[1];
        const scriptMs = median(reps.map((x) => x.script));
        const mean = 1000 / fps;
        console.log(
          `pan at ${label} (~${visible} nodes on screen): median of 3 pans ${fps.toFixed(1)} fps (${(fps / 50).toFixed(2)} × the goal) [${reps.map((x) => x.fps.toFixed(1)).join(', ')}]; its frames: mean ${mean.toFixed(1)} ms, median ${median(frames).toFixed(1)} ms, p95 ${pct(frames, 95).toFixed(1)} ms; renderer script per frame (median) ${scriptMs.toFixed(2)} ms  goal >= 50 fps: ${fps >= 50 ? 'met' : 'NOT met'}`,
        );
      }
      await page.close();
    } finally {
      await stop(child);
    }
  } finally {
    await browser.close();
    rmSync(work, { recursive: true, force: true });
    if (homeBefore === undefined) delete process.env.EDGEAI_HOME;
    else process.env.EDGEAI_HOME = homeBefore;
  }
  console.log(`(headless Chromium with --disable-gpu: software rendering, frames capped at the 60 Hz animation clock; load average now ${loadavg()[0].toFixed(1)})`);
}
