/**
 * What a machine without Chromium or a Docker engine does with the suites that need them: they
 * skip and say so, except under CI=true, where they run (and fail). e2e/harness.ts
 * skipWithoutChromium and cluster/runtime/testing/docker-skip.ts dockerSkipReason decide it.
 * Chromium is "missing" by CHROMIUM_PATH naming no file (the harness reads it when loaded, so each
 * case loads it afresh); the engine by DOCKER_HOST naming a socket nothing listens on, and
 * "answering" by a stand-in engine on a unix socket that answers the ping.
 */
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'skips-'));
const saved = { CI: process.env.CI, CHROMIUM_PATH: process.env.CHROMIUM_PATH, DOCKER_HOST: process.env.DOCKER_HOST };
afterEach(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  vi.restoreAllMocks();
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** e2e/harness.ts loaded afresh with this environment; what it warns is collected. */
async function harness(env: { CI?: string; CHROMIUM_PATH: string }) {
  if (env.CI === undefined) delete process.env.CI;
  else process.env.CI = env.CI;
  process.env.CHROMIUM_PATH = env.CHROMIUM_PATH;
  vi.resetModules();
  const warned: string[] = [];
  vi.spyOn(console, 'warn').mockImplementation((...a: unknown[]) => void warned.push(a.join(' ')));
  const h = await import('../e2e/harness');
  return { h, warned };
}

describe('without Chromium the e2e suites skip and say so; under CI=true they fail', () => {
  const missing = join(work, 'no-chromium-here');

  it('skips, naming the suite, where Chromium was looked for, how to install it, and that CI=true fails instead', async () => {
    const { h, warned } = await harness({ CHROMIUM_PATH: missing });
    expect(h.skipWithoutChromium('e2e/some.test.ts')).toBe(true);
    expect(warned).toEqual([`e2e/some.test.ts skipped: no Chromium at ${missing} (install it with \`apt-get install -y chromium\`, or set CHROMIUM_PATH); CI=true makes this a failure`]);
  });

  it('under CI=true does not skip, and opening the studio fails saying Chromium is missing', async () => {
    const { h, warned } = await harness({ CI: 'true', CHROMIUM_PATH: missing });
    expect(h.skipWithoutChromium('e2e/some.test.ts')).toBe(false);
    expect(warned).toEqual([]);
    await expect(h.openStudio('skips')).rejects.toThrow(`CI=true but there is no Chromium at ${missing}`);
  });

  it('with Chromium there it runs, saying nothing', async () => {
    const there = join(work, 'chromium');
    writeFileSync(there, '');
    const { h, warned } = await harness({ CHROMIUM_PATH: there });
    expect(h.skipWithoutChromium('e2e/some.test.ts')).toBe(false);
    expect(warned).toEqual([]);
  });

  it('every e2e suite that opens Chromium takes that rule', () => {
    const suites = readdirSync(join(ROOT, 'e2e')).filter((f) => f.endsWith('.test.ts'));
    const chromium = suites.filter((f) => /chromium\.launch\(|openStudio\(/.test(readFileSync(join(ROOT, 'e2e', f), 'utf8')));
    expect(chromium.length).toBeGreaterThan(2);
    for (const f of chromium) {
      const src = readFileSync(join(ROOT, 'e2e', f), 'utf8');
      expect(src, f).toMatch(/const (\w+) = skipWithoutChromium\(/);
      const name = /const (\w+) = skipWithoutChromium\(/.exec(src)![1];
      expect(src, f).toContain(`describe.skipIf(${name})(`);
    }
  });
});

describe('without a Docker engine the docker parts skip and say so; under CI=true they run (and fail)', () => {
  async function dockerSkip(env: { CI?: string; DOCKER_HOST: string }) {
    if (env.CI === undefined) delete process.env.CI;
    else process.env.CI = env.CI;
    process.env.DOCKER_HOST = env.DOCKER_HOST;
    const warned: string[] = [];
    vi.spyOn(console, 'warn').mockImplementation((...a: unknown[]) => void warned.push(a.join(' ')));
    const { dockerSkipReason } = await import('../cluster/runtime/testing/docker-skip');
    return { reason: await dockerSkipReason('some.int.test'), warned };
  }
  const nothing = `unix://${join(work, 'no-engine.sock')}`;

  it('skips with the reason and what to do, and says CI=true makes it a failure', async () => {
    const { reason, warned } = await dockerSkip({ DOCKER_HOST: nothing });
    expect(reason).toMatch(/^Docker is not running \(nothing answers at unix:\/\/.*no-engine\.sock\): start dockerd or use --backend process/);
    expect(warned).toEqual([`[some.int.test] docker part SKIPPED: ${reason} (CI=true makes this a failure)`]);
  });

  it('under CI=true runs (no skip), so a missing engine fails the suite', async () => {
    const { reason, warned } = await dockerSkip({ CI: 'true', DOCKER_HOST: nothing });
    expect(reason).toBe(false);
    expect(warned).toEqual([]);
  });

  it('with an engine answering it runs, saying nothing', async () => {
    const sock = join(work, 'engine.sock');
    const engine: Server = createServer((req, res) => {
      res.writeHead(req.url?.startsWith('/_ping') ? 200 : 404, { 'content-type': 'text/plain' });
      res.end('OK');
    });
    await new Promise<void>((ok) => engine.listen(sock, ok));
    try {
      const { reason, warned } = await dockerSkip({ DOCKER_HOST: `unix://${sock}` });
      expect(reason).toBe(false);
      expect(warned).toEqual([]);
    } finally {
      await new Promise((ok) => engine.close(ok));
    }
  });
});
