/**
 * `npm run web` as a user starts it: scripts/web.mjs, the prebuilt server bundle (dist/web, with
 * its minified TypeScript and V8 code cache) in a plain node process. No browser needed: the page's
 * files and GET /api/boot are fetched over HTTP. The bundle must answer exactly what the platform
 * answers from its sources (same parser results, diagnostics and graph).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BootResponse } from '../cluster/api/contract';
import { StudioService } from '../cluster/server/service';
import { newestMtime } from '../cluster/bundling';
import { SERVICE_BUNDLE, SERVICE_CODE_CACHE } from '../cluster/server/web';
import { generateProject } from '../bench/studio';
import { builtRenderer } from './harness';

const ROOT = resolve(import.meta.dirname, '..');
const WEB = join(ROOT, 'dist', 'web');

/**
 * A preload (`node --import record-loads.mjs`) for the launcher's process that writes down what it
 * loads into $EDGEAI_TEST_LOADS: every ES module (`import <url>`, from a load hook in
 * record-loads-hooks.mjs), and every file it reads under dist/ or TypeScript's own package
 * (`read <path>`: the bundle reads its minified TypeScript and compiles it itself).
 */
const RECORD_LOADS = [
  "import { register, syncBuiltinESMExports } from 'node:module';",
  "import fs from 'node:fs';",
  "register(new URL('./record-loads-hooks.mjs', import.meta.url));",
  'const read = fs.readFileSync;',
  'fs.readFileSync = function (path, ...rest) {',
  "  if (typeof path === 'string' && (path.includes('/dist/') || path.includes('/node_modules/typescript/'))) fs.appendFileSync(process.env.EDGEAI_TEST_LOADS, `read ${path}\\n`);",
  '  return read.call(this, path, ...rest);',
  '};',
  'syncBuiltinESMExports();',
].join('\n');
const RECORD_LOADS_HOOKS = [
  "import { appendFileSync } from 'node:fs';",
  'export async function load(url, context, next) {',
  "  if (url.startsWith('file:')) appendFileSync(process.env.EDGEAI_TEST_LOADS, `import ${url}\\n`);",
  '  return next(url, context);',
  '}',
].join('\n');

/** A project whose functions have problems: the diagnostics (codes, lines, columns) must match too. */
function brokenProject(dir: string): void {
  cpSync(join(ROOT, 'samples', 'mnist'), dir, { recursive: true });
  writeFileSync(
    join(dir, 'functions', 'typo.ts'),
    "import { consumes, produces, polcy, type Data } from 'edge-ai-studio/sdk';\n\nexport class Typo {\n  @consumes.data({ selector: { urn: 'mnist:data' } })\n  @produces.model({ urn: 'typo:model', type: 'layers' })\n  @polcy.deadline('2 s')\n  async typo(data: Data) {\n    return data.length;\n  }\n}\n",
  );
  writeFileSync(join(dir, 'functions', 'broken.ts'), "import { consumes } from 'edge-ai-studio/sdk';\nexport class Broken {\n  @consumes.data({ selector: { urn: 'x' } }\n  async broken( {\n");
}

describe('npm run web (the launcher and its prebuilt bundle)', () => {
  let child: ChildProcess;
  let url: URL;
  let out = '';
  const work = mkdtempSync(join(tmpdir(), 'web-launcher-'));
  const projects = { mnist: join(work, 'mnist'), generated: join(work, 'generated'), broken: join(work, 'broken') };
  const loads = join(work, 'loads.txt');
  /** the newest source under cluster/ when the launcher started: its bundle must be at least as new */
  let sourcesAt = 0;

  beforeAll(async () => {
    cpSync(join(ROOT, 'samples', 'mnist'), projects.mnist, { recursive: true });
    mkdirSync(projects.generated);
    generateProject(projects.generated, 60);
    brokenProject(projects.broken);
    // the launcher builds dist/renderer itself when it is stale; built here first, under the
    // harness's lock, so it never builds at the same time as another suite
    await builtRenderer();
    // it bundles dist/web itself when that is missing or stale
    sourcesAt = newestMtime(join(ROOT, 'cluster'));
    writeFileSync(join(work, 'record-loads.mjs'), RECORD_LOADS);
    writeFileSync(join(work, 'record-loads-hooks.mjs'), RECORD_LOADS_HOOKS);
    writeFileSync(loads, '');
    child = spawn(process.execPath, ['--import', pathToFileURL(join(work, 'record-loads.mjs')).href, join(ROOT, 'scripts', 'web.mjs'), projects.mnist, '--port', '0'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, EDGEAI_TEST_LOADS: loads, XDG_CACHE_HOME: join(work, 'cache') },
    });
    child.stdout!.on('data', (d) => (out += String(d)));
    child.stderr!.on('data', (d) => (out += String(d)));
    const printed = await new Promise<string>((ok, fail) => {
      const timer = setInterval(() => {
        const m = /open (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(out);
        if (m) {
          clearInterval(timer);
          ok(m[1]);
        }
      }, 50);
      child.once('exit', (code) => {
        clearInterval(timer);
        fail(new Error(`npm run web exited (${code}) before printing its URL:\n${out}`));
      });
    });
    url = new URL(printed);
  }, 240_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
    rmSync(work, { recursive: true, force: true });
  });

  const boot = async (project?: string): Promise<BootResponse> => {
    const q = new URLSearchParams({ token: url.searchParams.get('token')! });
    if (project) q.set('project', project);
    const r = await fetch(`${url.origin}/api/boot?${q}`);
    expect(r.status).toBe(200);
    return (await r.json()) as BootResponse;
  };

  it('prints the URL with a per-start token and serves the page with its CSP', async () => {
    expect(out).toMatch(/Edge AI Studio \(browser mode\)/);
    expect(url.hostname).toBe('127.0.0.1');
    expect(url.searchParams.get('token')).toMatch(/^[\w-]{24,}$/);
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<div id="root">/);
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect((await fetch(`${url.origin}/api/boot?token=not-the-token`)).status).toBe(403);
  });

  it('serves a production build of the renderer (React without its development code), even when the tests built it', async () => {
    const html = await (await fetch(url)).text();
    const main = /src="\.?(\/assets\/index-[^"]+\.js)"/.exec(html)![1];
    // React comes in the classic vendor script (renderer/vendor-classic.ts), the renderer's own code in the module
    const vendor = /<script src="\.?(\/assets\/vendor-[^"]+\.js)"><\/script>/.exec(html)![1];
    const js = (await Promise.all([main, vendor].map(async (p) => (await fetch(`${url.origin}${p}`)).text()))).join('\n');
    // React's development build spells its errors out; production has only their numbers
    expect(js).not.toContain('Maximum update depth exceeded');
    expect(js).toMatch(/react\.dev\/errors\//);
  });

  it('runs from the bundle, built from the sources as they were at its start, with the minified TypeScript and the code-cached service', async () => {
    // a parse: the service (and TypeScript) are loaded
    expect((await boot(projects.mnist)).project?.ok).toBe(true);
    const log = readFileSync(loads, 'utf8').split('\n');
    const imported = log.filter((l) => l.startsWith('import ')).map((l) => l.slice(7));
    expect(imported).toContain(pathToFileURL(join(WEB, 'web.mjs')).href);
    // nothing of the platform from its sources (the runtime, which stays on disk, is not loaded here)
    expect(imported.filter((u) => u.startsWith(pathToFileURL(join(ROOT, 'cluster')).href + '/'))).toEqual([]);
    expect(log).toContain(`read ${join(WEB, 'typescript.min.cjs')}`);
    // the service from its CommonJS bundle, compiled from the code cache the build wrote; no ES
    // module chunk holds a second copy of it, and nothing fell back to one
    expect(log).toContain(`read ${join(WEB, SERVICE_BUNDLE)}`);
    expect(log).toContain(`read ${join(WEB, SERVICE_CODE_CACHE)}`);
    const chunks = imported.filter((u) => u.startsWith(pathToFileURL(WEB).href + '/'));
    expect(chunks.filter((u) => readFileSync(new URL(u), 'utf8').includes('StudioService = class'))).toEqual([]);
    expect(out).not.toMatch(/failed to load/);
    expect(log.filter((l) => l.includes('/node_modules/typescript/lib/typescript.js'))).toEqual([]);
    // and that bundle is not an earlier build: at least as new as every source when the launcher started
    expect(statSync(join(WEB, 'web.mjs')).mtimeMs).toBeGreaterThanOrEqual(sourcesAt);
    // what the function files parsed to is kept for the next start, in one folder for this build
    const builds = readdirSync(join(work, 'cache', 'edge-ai-studio', 'parse'));
    expect(builds).toHaveLength(1);
    const functionFiles = readdirSync(join(projects.mnist, 'functions')).filter((f) => f.endsWith('.ts')).length;
    expect(readdirSync(join(work, 'cache', 'edge-ai-studio', 'parse', builds[0])).filter((f) => f.endsWith('.json')).length).toBeGreaterThanOrEqual(functionFiles);
  });

  it('answers project.open exactly as the platform does from its sources (sample, generated and broken projects)', async () => {
    const reference = new StudioService();
    try {
      for (const [name, dir] of Object.entries(projects)) {
        const expected = await reference.call('project.open', { dir });
        expect(expected.ok, `${name} from the sources`).toBe(true);
        const b = await boot(dir);
        expect(b.project, name).toEqual(expected);
      }
      const broken = await boot(projects.broken);
      const codes = broken.project?.ok ? broken.project.value.diagnostics.map((d) => d.code) : [];
      expect(codes.length).toBeGreaterThan(1); // the misspelled decorator and the syntax error
    } finally {
      await reference.close();
    }
  });

  it('the bundle runs what loads on demand (the simulator, USB discovery) exactly as the sources do', async () => {
    const { WebSocket } = await import('ws');
    const ws = new WebSocket(`ws://${url.host}/api?token=${url.searchParams.get('token')}`, { headers: { origin: url.origin } });
    let next = 1;
    const waiting = new Map<number, (r: unknown) => void>();
    ws.on('message', (data) => {
      const f = JSON.parse(String(data)) as { type: string; id?: number; result?: unknown };
      if (f.type === 'result') waiting.get(f.id!)?.(f.result);
    });
    await new Promise((ok, fail) => (ws.once('open', ok), ws.once('error', fail)));
    const ask = (method: string, params: unknown) =>
      new Promise<unknown>((ok) => {
        const id = next++;
        waiting.set(id, ok);
        ws.send(JSON.stringify({ id, method, params }));
      });
    const reference = new StudioService();
    try {
      const sim = { project: projects.mnist, topology: 'urban-sensing', profiles: ['edge-ai', 'skippy'], duration: '5m', seed: 3 };
      await ask('project.open', { dir: projects.mnist });
      await reference.call('project.open', { dir: projects.mnist });
      const fromBundle = (await ask('simulate.run', sim)) as { ok: boolean; value: { reports: unknown; summaries: unknown } };
      const fromSources = await reference.call('simulate.run', sim);
      // the reference must have answered: two failures are no agreement
      if (!fromSources.ok) throw new Error(`the reference (from the sources) failed: ${fromSources.error.code}: ${fromSources.error.message}`);
      expect(fromBundle.ok).toBe(true);
      expect(fromBundle.value.reports).toEqual(fromSources.value.reports);
      expect(fromBundle.value.summaries).toEqual(fromSources.value.summaries);
      const usb = (await ask('accelerators.list', {})) as { ok: boolean; value: { udevRules: string } };
      expect(usb).toMatchObject({ ok: true, value: { udevRules: expect.stringMatching(/1a6e/) } });
    } finally {
      ws.close();
      await reference.close();
    }
  });

  it('opens the initial project when none is named, and stops on SIGTERM', async () => {
    const b = await boot();
    expect(b.info).toMatchObject({ ok: true, value: { initialProject: projects.mnist, transport: 'websocket' } });
    expect(b.project?.ok && b.project.value.name).toBe('mnist');
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    expect(code).toBe(0);
  });
});
