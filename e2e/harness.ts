/**
 * What the browser-mode e2e suites share: Chromium (Debian's, never downloaded), the built
 * renderer, a copy of samples/mnist, the studio server, and a page whose errors are collected.
 *
 * The renderer is built once into dist/renderer for all test files, which vitest runs in parallel
 * processes: the first to arrive builds under a lock directory, the others wait for it (a build
 * takes ~40 s of CPU on this 2-core machine; three suites used to build their own).
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { StudioService } from '../cluster/server/service';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
export const ROOT = resolve(import.meta.dirname, '..');
export const RESULTS = join(ROOT, 'test-results');
const haveChromium = existsSync(CHROMIUM);

/**
 * True when a Chromium suite must be skipped: no Chromium and not in CI (CI=true makes a missing
 * Chromium a failure in beforeAll instead). Prints why.
 */
export function skipWithoutChromium(suite: string): boolean {
  const skip = !haveChromium && process.env.CI !== 'true';
  if (skip) console.warn(`${suite} skipped: no Chromium at ${CHROMIUM} (install it with \`apt-get install -y chromium\`, or set CHROMIUM_PATH); CI=true makes this a failure`);
  return skip;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** dist/renderer, built when missing or older than its sources — once, whichever test file asks first. */
export async function builtRenderer(): Promise<string> {
  const { buildRenderer, rendererStale, RENDERER_OUT } = await import('../cluster/server/web');
  const lock = join(ROOT, 'dist', '.renderer-build.lock');
  mkdirSync(join(ROOT, 'dist'), { recursive: true });
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // another process builds: wait, unless it died holding the lock
      let holder = 0;
      try {
        holder = Number(readFileSync(join(lock, 'pid'), 'utf8'));
      } catch {
        /* written right after mkdir */
      }
      if (holder && !alive(holder)) rmSync(lock, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`waited 5 min for the renderer build of pid ${holder} (${lock}); remove the lock if that process is gone`);
      else await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    writeFileSync(join(lock, 'pid'), String(process.pid));
    if (rendererStale()) await buildRenderer();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
  return RENDERER_OUT;
}

export interface StudioE2E {
  browser: Browser;
  page: Page;
  service: StudioService;
  server: { url: string; close(): Promise<void> };
  /** the temporary folder (the project copy, the runtime home `home/`) */
  work: string;
  /** the copy of samples/mnist the studio opens */
  project: string;
  /** page errors, console errors and CSP reports: a suite expects it empty */
  pageErrors: string[];
  close(): Promise<void>;
}

/**
 * A copy of samples/mnist opened in the studio (browser mode, a StudioService in this process)
 * in a fresh Chromium page. The embedded controller always gets a home and a cluster name of the
 * suite's own (the renderer asks cluster.status at start, which opens the cluster's state: never
 * the user's ~/.edgeai/clusters/local); close() brings that cluster down, so no node process
 * outlives the suite, and removes the home. `accelerators`: where the service looks for USB
 * sticks (a fake sysfs tree).
 */
export async function openStudio(name: string, opts: { accelerators?: { sysfsRoot: string; devRoot: string; intervalMs?: number } } = {}): Promise<StudioE2E> {
  if (!haveChromium) throw new Error(`CI=true but there is no Chromium at ${CHROMIUM}: install it with \`apt-get install -y chromium\``);
  const { chromium } = await import('playwright-core');
  const { StudioService } = await import('../cluster/server/service');
  const { startStudioServer } = await import('../cluster/server/ws-server');
  const rendererDir = await builtRenderer();
  const work = mkdtempSync(join(tmpdir(), `${name}-`));
  const project = join(work, 'mnist');
  cpSync(join(ROOT, 'samples', 'mnist'), project, { recursive: true });
  const service = new StudioService({
    transport: 'websocket',
    initialProject: project,
    runtime: { home: join(work, 'home'), cluster: `${name}-${process.pid}` },
    ...(opts.accelerators ? { accelerators: opts.accelerators } : {}),
  });
  const server = await startStudioServer({ service, rendererDir });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' || /Content Security Policy/i.test(m.text())) pageErrors.push(m.text());
  });
  mkdirSync(RESULTS, { recursive: true });
  return {
    browser,
    page,
    service,
    server,
    work,
    project,
    pageErrors,
    close: async () => {
      await browser.close().catch(() => undefined);
      await server.close().catch(() => undefined);
      // stops every node process of the suite's cluster, whatever the tests did
      await service.close({ down: true });
      rmSync(work, { recursive: true, force: true });
    },
  };
}

/**
 * Opens the studio's URL (`url`: the printed one, or with `&project=…`) and resolves once the
 * canvas has drawn samples/mnist's fn:train: the sample's first screen is up.
 */
export async function openSample(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.locator('.react-flow__node[data-id="fn:train"]').waitFor({ timeout: 30_000 });
}

/**
 * Resolves once the page has rendered two more frames: what the last input changed has been laid
 * out and painted (a positive signal to wait for before a screenshot or a "nothing else happened"
 * check, instead of a fixed sleep).
 */
export function renderedFrames(page: Page, frames = 2): Promise<void> {
  return page.evaluate(
    (n) =>
      new Promise<void>((done) => {
        const step = (left: number) => (left === 0 ? done() : requestAnimationFrame(() => step(left - 1)));
        step(n);
      }),
    frames,
  );
}

/**
 * After a failed test, a screenshot of the page as it was, in test-results/failed-<suite>-<n>.png,
 * and its path in the output: what CI shows when a locator times out.
 */
export function screenshotOnFailure(suite: string, page: () => Page | undefined): void {
  let n = 0;
  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== 'fail') return;
    const p = page();
    if (!p) return;
    const file = join(RESULTS, `failed-${suite}-${++n}.png`);
    mkdirSync(RESULTS, { recursive: true });
    await p.screenshot({ path: file, timeout: 10_000 }).then(
      () => console.error(`${ctx.task.name}: the page at the failure is in ${file}`),
      (e: Error) => console.error(`${ctx.task.name}: no screenshot (${e.message})`),
    );
  });
}
