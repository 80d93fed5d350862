/**
 * `npm start` (scripts/start.mjs) and `npm install` (scripts/postinstall.mjs, package.json):
 * the studio runs in Electron when its binary is installed, else in browser mode with a
 * per-start token URL; it opens samples/mnist unless given a project. The binary is a stand-in
 * named by ELECTRON_OVERRIDE_DIST_PATH (as the electron package reads it): a shell script that
 * writes down how it was started. Browser mode runs from the sources (EDGEAI_WEB_BUNDLE=0), so
 * this file never rebuilds dist/web under the launcher test that uses it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chooseMode, desktopProject, findElectron, installNotice } from './electron-binary.mjs';
import { builtRenderer } from '../e2e/harness';

const ROOT = resolve(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'npm-start-'));
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill('SIGKILL');
      await new Promise((ok) => c.once('exit', ok));
    }
  }
  rmSync(work, { recursive: true, force: true });
});

/** A fake electron package: node_modules/electron/path.txt naming dist/<exe>, with or without the binary. */
function fakePackage(name: string, withBinary: boolean): string {
  const pkg = join(work, name, 'node_modules', 'electron');
  mkdirSync(join(pkg, 'dist'), { recursive: true });
  writeFileSync(join(pkg, 'path.txt'), 'electron');
  if (withBinary) writeFileSync(join(pkg, 'dist', 'electron'), '');
  return join(pkg, 'path.txt');
}

describe('which studio npm start runs (scripts/electron-binary.mjs)', () => {
  it('finds the binary the electron package names, and says why when there is none', () => {
    const withBin = fakePackage('with', true);
    expect(findElectron({ env: {}, resolvePathFile: () => withBin })).toEqual({ binary: join(work, 'with', 'node_modules', 'electron', 'dist', 'electron') });
    const without = fakePackage('without', false);
    expect(findElectron({ env: {}, resolvePathFile: () => without }).reason).toMatch(/the electron package is installed but its binary is missing/);
    const notInstalled = (): string => {
      throw Object.assign(new Error("Cannot find module 'electron/path.txt'"), { code: 'MODULE_NOT_FOUND' });
    };
    const none = findElectron({ env: {}, resolvePathFile: notInstalled });
    expect(none).toEqual({ reason: expect.stringMatching(/the electron package is not installed/) });
    // ELECTRON_OVERRIDE_DIST_PATH, as electron's own index.js reads it
    const dist = join(work, 'override');
    mkdirSync(dist);
    expect(findElectron({ env: { ELECTRON_OVERRIDE_DIST_PATH: dist }, resolvePathFile: notInstalled }).reason).toMatch(/ELECTRON_OVERRIDE_DIST_PATH names no Electron binary/);
    writeFileSync(join(dist, 'electron'), '');
    expect(findElectron({ env: { ELECTRON_OVERRIDE_DIST_PATH: dist }, resolvePathFile: () => without }).binary).toBe(join(dist, 'electron'));
  });

  it('chooses Electron when its binary is installed, else browser mode with the reason', () => {
    expect(chooseMode({ binary: '/x/electron' })).toEqual({ mode: 'electron', binary: '/x/electron' });
    expect(chooseMode({ reason: 'no binary' })).toEqual({ mode: 'browser', reason: 'no binary' });
  });

  it('the desktop studio opens the project named, else $EDGEAI_PROJECT, else samples/mnist', () => {
    expect(desktopProject([], {}, '/repo')).toBe('/repo/samples/mnist');
    expect(desktopProject(['--inspect', 'my/proj'], {}, '/repo')).toBe(resolve('my/proj'));
    expect(desktopProject([], { EDGEAI_PROJECT: '/p' }, '/repo')).toBe('/p');
  });
});

describe('npm install: only the npm registry, and a failed Electron download leaves browser mode', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, Record<string, string>>;

  it('every dependency is a registry version, the lockfile resolves none elsewhere, and no .npmrc names another registry', () => {
    const all = { ...pkg.dependencies, ...pkg.devDependencies, ...pkg.optionalDependencies };
    expect(Object.keys(all).length).toBeGreaterThan(10);
    // a version or a range: no git, http(s), file, link or alias specifier
    for (const [name, spec] of Object.entries(all)) expect(spec, name).toMatch(/^[\^~]?\d+(\.\d+){0,2}(-[\w.]+)?$/);
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { resolved?: string }> };
    for (const [name, p] of Object.entries(lock.packages)) if (p.resolved) expect(p.resolved, name).toMatch(/^https:\/\/registry\.npmjs\.org\//);
    if (existsSync(join(ROOT, '.npmrc'))) expect(readFileSync(join(ROOT, '.npmrc'), 'utf8')).not.toMatch(/registry\s*=/);
  });

  it('Electron, whose install downloads from its release host, is optional: npm keeps going when that fails', () => {
    expect(pkg.optionalDependencies).toHaveProperty('electron');
    expect(pkg.dependencies).not.toHaveProperty('electron');
    expect(pkg.devDependencies).not.toHaveProperty('electron');
    // and the install step that looks for it is the one this file tests
    expect(pkg.scripts.postinstall).toBe('node scripts/postinstall.mjs');
    expect(readFileSync(join(ROOT, 'scripts', 'postinstall.mjs'), 'utf8')).toMatch(/installNotice\(found\)/);
  });

  it('without the binary the install warns that the studio runs in browser mode; with it, says npm start opens the desktop', () => {
    const warn = installNotice({ reason: 'none' });
    expect(warn.level).toBe('warn');
    expect(warn.text).toMatch(/^edge-ai-studio: warning: the Electron binary is not installed/);
    expect(warn.text).toMatch(/browser mode: `npm start` serves it on 127\.0\.0\.1 and prints the URL/);
    expect(installNotice({ binary: '/x/electron' })).toEqual({ level: 'log', text: expect.stringMatching(/Electron binary found at \/x\/electron; `npm start` opens the desktop studio/) });
  });
});

/** node scripts/start.mjs as `npm start` runs it; resolves once `until` matches its output, or rejects when it exits first. */
function start(args: string[], env: NodeJS.ProcessEnv, until: RegExp): Promise<{ child: ChildProcess; out: () => string; match: RegExpExecArray; exit: Promise<number | null> }> {
  // the bundled server keeps its parse cache under the user's cache folder: here, under this test's folder
  const childEnv: NodeJS.ProcessEnv = { ...process.env, XDG_CACHE_HOME: join(work, 'cache'), ...env };
  // npm sets INIT_CWD to where it was run; a project there would be the default
  delete childEnv.INIT_CWD;
  delete childEnv.EDGEAI_PROJECT;
  const child = spawn(process.execPath, [join(ROOT, 'scripts', 'start.mjs'), ...args], { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  const exit = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
  return new Promise((ok, fail) => {
    const look = () => {
      const m = until.exec(out);
      if (m) ok({ child, out: () => out, match: m, exit });
    };
    child.stdout!.on('data', (d) => ((out += String(d)), look()));
    child.stderr!.on('data', (d) => ((out += String(d)), look()));
    void exit.then((code) => {
      look();
      fail(new Error(`npm start exited (${code}) before printing ${until}:\n${out}`));
    });
  });
}

async function stop(s: { child: ChildProcess; exit: Promise<number | null> }): Promise<void> {
  s.child.kill('SIGTERM');
  await s.exit;
}

describe('npm start without an Electron binary: browser mode', () => {
  const noBinary = join(work, 'no-electron');
  beforeAll(async () => {
    mkdirSync(noBinary);
    // built under the e2e harness's lock, so never at the same time as another suite
    await builtRenderer();
  }, 300_000);

  it('says there is no Electron, serves the studio on 127.0.0.1 with a per-start token and prints the URL; samples/mnist by default', async () => {
    const env = { ELECTRON_OVERRIDE_DIST_PATH: noBinary, EDGEAI_WEB_BUNDLE: '0' };
    const s = await start(['--port', '0'], env, /open (http:\/\/\S+)/);
    try {
      expect(s.out()).toMatch(/Edge AI Studio: no Electron here — ELECTRON_OVERRIDE_DIST_PATH names no Electron binary/);
      expect(s.out()).toContain(`Edge AI Studio (browser mode) — project ${join(ROOT, 'samples', 'mnist')}\n`);
      const url = new URL(s.match[1]);
      expect(url.hostname).toBe('127.0.0.1');
      const token = url.searchParams.get('token')!;
      expect(token).toMatch(/^[\w-]{24,}$/);
      expect((await fetch(url)).status).toBe(200);
      expect((await fetch(`${url.origin}/api/boot?token=not-the-token`)).status).toBe(403);
      const boot = (await (await fetch(`${url.origin}/api/boot?token=${token}`)).json()) as { info: { value: { initialProject: string } }; project: { ok: boolean } };
      expect(boot.info.value.initialProject).toBe(join(ROOT, 'samples', 'mnist'));
      expect(boot.project.ok).toBe(true);
      // per start: a second start prints another token
      const again = await start(['--port', '0'], env, /open (http:\/\/\S+)/);
      try {
        expect(new URL(again.match[1]).searchParams.get('token')).not.toBe(token);
      } finally {
        await stop(again);
      }
    } finally {
      await stop(s);
    }
  }, 180_000);

  it('npm start -- <project> opens that project', async () => {
    const project = join(work, 'other-project');
    cpSync(join(ROOT, 'samples', 'mnist'), project, { recursive: true });
    const s = await start([project, '--port', '0'], { ELECTRON_OVERRIDE_DIST_PATH: noBinary, EDGEAI_WEB_BUNDLE: '0' }, /open (http:\/\/\S+)/);
    try {
      expect(s.out()).toContain(`Edge AI Studio (browser mode) — project ${project}\n`);
      const url = new URL(s.match[1]);
      const boot = (await (await fetch(`${url.origin}/api/boot?token=${url.searchParams.get('token')}`)).json()) as { info: { value: { initialProject: string } } };
      expect(boot.info.value.initialProject).toBe(project);
    } finally {
      await stop(s);
    }
  }, 120_000);
});

describe('npm start with an Electron binary: the desktop studio', () => {
  const dist = join(work, 'electron-dist');
  const record = join(work, 'electron-started.txt');
  beforeAll(async () => {
    mkdirSync(dist);
    // the stand-in: writes down its arguments and the project it was given, and exits
    writeFileSync(join(dist, 'electron'), `#!/bin/sh\nprintf '%s\\n' "$@" > '${record}'\nprintf 'EDGEAI_PROJECT=%s\\n' "$EDGEAI_PROJECT" >> '${record}'\n`);
    chmodSync(join(dist, 'electron'), 0o755);
    await builtRenderer();
  }, 300_000);

  it('launches the binary on the bundled main process, with samples/mnist by default and the project named otherwise', async () => {
    const main = join(ROOT, 'dist', 'electron', 'main.mjs');
    for (const [args, project] of [
      [[], join(ROOT, 'samples', 'mnist')],
      [[join(work, 'a-project')], join(work, 'a-project')],
    ] as Array<[string[], string]>) {
      rmSync(record, { force: true });
      // browser mode, were it chosen instead, prints its URL and keeps running: stop at either
      const s = await start(args, { ELECTRON_OVERRIDE_DIST_PATH: dist }, /launching Electron \((.*)\)|open (http:\/\/\S+)/);
      if (s.match[2]) await stop(s);
      expect(s.match[1]).toBe(join(dist, 'electron'));
      expect(await s.exit).toBe(0);
      expect(s.out()).not.toMatch(/browser mode/);
      expect(readFileSync(record, 'utf8')).toBe(`${main}\nEDGEAI_PROJECT=${project}\n`);
      expect(existsSync(main)).toBe(true);
      expect(existsSync(join(ROOT, 'dist', 'electron', 'preload.cjs'))).toBe(true);
    }
  }, 180_000);
});
