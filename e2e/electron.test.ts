/**
 * The desktop window, through Playwright's _electron.launch. Runs where the Electron binary is
 * installed; elsewhere (the usual case here: the binary download needs the Electron release
 * host) it is skipped with the reason printed, and browser mode covers the same renderer.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { ElectronApplication } from 'playwright-core';

const ROOT = resolve(import.meta.dirname, '..');

function electronBinary(): { binary?: string; reason?: string } {
  try {
    const pathFile = createRequire(import.meta.url).resolve('electron/path.txt');
    const bin = join(dirname(pathFile), 'dist', readFileSync(pathFile, 'utf8').trim());
    return existsSync(bin) ? { binary: bin } : { reason: `the electron package has no binary at ${bin}` };
  } catch {
    return { reason: 'the optional electron package is not installed (its binary download needs the Electron release host)' };
  }
}

const found = electronBinary();
if (!found.binary) console.warn(`e2e/electron.test.ts skipped: ${found.reason}; the desktop (Electron) path is untested on this machine (the browser-mode e2e, e2e/studio.test.ts, covers the same renderer, not the main process)`);

// the title says it where the totals are read (scripts/test.mjs prints it again before them)
const title = `desktop studio (Electron)${found.binary ? '' : ' (skipped: no Electron binary can be downloaded here; the desktop path is untested on this machine)'}`;

describe.skipIf(!found.binary)(title, () => {
  let app: ElectronApplication | undefined;
  let work: string | undefined;
  afterAll(async () => {
    await app?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('opens a secure window on the app origin showing samples/mnist', async () => {
    const { _electron } = await import('playwright-core');
    const esbuild = await import('esbuild');
    await (await import('./harness')).builtRenderer();
    const out = join(ROOT, 'dist', 'electron');
    await esbuild.build({ entryPoints: [join(ROOT, 'electron', 'main.ts')], outfile: join(out, 'main.mjs'), bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', external: ['electron'], logLevel: 'warning' });
    await esbuild.build({ entryPoints: [join(ROOT, 'electron', 'preload.ts')], outfile: join(out, 'preload.cjs'), bundle: true, platform: 'node', format: 'cjs', target: 'node20', external: ['electron'], logLevel: 'warning' });
    work = mkdtempSync(join(tmpdir(), 'studio-electron-'));
    const project = join(work, 'mnist');
    cpSync(join(ROOT, 'samples', 'mnist'), project, { recursive: true });
    app = await _electron.launch({ executablePath: found.binary, args: ['--no-sandbox', join(out, 'main.mjs')], env: { ...process.env, EDGEAI_PROJECT: project } });
    const page = await app.firstWindow();
    expect(page.url()).toBe('studio://app/index.html');
    await page.locator('.react-flow__node[data-id="fn:train"]').waitFor({ timeout: 30_000 });
    // the renderer sees window.studio, never Node or ipcRenderer
    const globals = await page.evaluate(() => ({ studio: typeof (window as unknown as { studio?: unknown }).studio, require: typeof (window as unknown as { require?: unknown }).require, process: typeof (window as unknown as { process?: unknown }).process }));
    expect(globals).toEqual({ studio: 'object', require: 'undefined', process: 'undefined' });
  });
});
