import { afterEach, describe, expect, it } from 'vitest';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { StudioService } from './service';
import { initialAssets, startStudioServer, type StudioServer } from './ws-server';
import type { BootResponse } from './contract';

function rendererDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'studio-ws-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(
    join(dir, 'index.html'),
    '<!doctype html><link rel="icon" href="data:,"><script type="module" crossorigin src="./assets/index.js"></script><link rel="modulepreload" href="./assets/runtime.js"><link rel="stylesheet" href="./assets/index.css">',
  );
  writeFileSync(join(dir, 'assets', 'index.js'), 'console.log(1)');
  writeFileSync(join(dir, 'assets', 'runtime.js'), 'console.log(2)');
  writeFileSync(join(dir, 'assets', 'index.css'), 'body{}');
  return dir;
}

/** samples/mnist copied to a temporary folder (project.open writes nothing, but tests never touch the sample). */
function mnistCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'studio-ws-mnist-'));
  cpSync(join(import.meta.dirname, '..', '..', 'samples', 'mnist'), dir, { recursive: true });
  return dir;
}

function socket(server: StudioServer): WebSocket {
  return new WebSocket(`ws://127.0.0.1:${server.port}/api?token=${server.token}`);
}

describe('studio WebSocket server with a lazily loaded service', () => {
  let server: StudioServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('finds the files index.html loads first', () => {
    expect([...initialAssets(rendererDir())].sort()).toEqual(['/assets/index.css', '/assets/index.js', '/assets/runtime.js']);
    expect(initialAssets(join(tmpdir(), 'no-such-renderer')).size).toBe(0);
  });

  it('serves the page before loading the service, and loads it once every file the page loads first was sent', async () => {
    let loads = 0;
    server = await startStudioServer({ service: async () => (loads++, new StudioService()), rendererDir: rendererDir(), lazyServiceMs: 60_000 });
    const base = `http://127.0.0.1:${server.port}`;
    const html = await fetch(`${base}/`);
    expect(html.status).toBe(200);
    expect(html.headers.get('content-security-policy')).toMatch(/default-src/);
    expect(loads).toBe(0);
    await (await fetch(`${base}/assets/index.js`)).text();
    await (await fetch(`${base}/assets/runtime.js`)).text();
    await new Promise((r) => setTimeout(r, 50));
    expect(loads).toBe(0); // the style sheet is still to come: the service's load would hold it back
    await (await fetch(`${base}/assets/index.css`)).text();
    await expect.poll(() => loads).toBe(1);
  });

  it('GET /api/boot answers studio.info and the initial project in one response, with the token only', async () => {
    const project = mnistCopy();
    server = await startStudioServer({ service: async () => new StudioService({ initialProject: project }), rendererDir: rendererDir(), lazyServiceMs: 60_000 });
    const base = `http://127.0.0.1:${server.port}`;
    const refused = await fetch(`${base}/api/boot?token=wrong`);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toMatch(/open the URL that `npm run web` printed/);
    // a page of another name for this address (DNS rebinding) is refused even with the token
    const { request } = await import('node:http');
    const rebound = await new Promise<number>((ok, fail) => request(`${base}/api/boot?token=${server!.token}`, { headers: { host: 'evil.example:80' } }, (r) => ok(r.statusCode ?? 0)).on('error', fail).end());
    expect(rebound).toBe(403);
    const r = await fetch(`${base}/api/boot?token=${server.token}`);
    expect(r.status).toBe(200);
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
    const boot = (await r.json()) as BootResponse;
    expect(boot.info).toMatchObject({ ok: true, value: { initialProject: project } });
    expect(boot.project?.ok).toBe(true);
    if (!boot.project?.ok) return;
    expect(boot.project.value.functions.map((f) => f.id).sort()).toEqual(['inference', 'refine', 'train', 'trainFair']);
    // an explicit project, and one that does not exist: the error says what and where
    const missing = (await (await fetch(`${base}/api/boot?token=${server.token}&project=${encodeURIComponent(join(project, 'nope'))}`)).json()) as BootResponse;
    expect(missing.project).toMatchObject({ ok: false });
    expect(missing.project?.ok === false && missing.project.error.message).toMatch(/nope/);
  });

  it('answers a request sent the moment the socket opens, before the service has loaded', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    server = await startStudioServer({ service: () => gate.then(() => new StudioService()), rendererDir: rendererDir(), lazyServiceMs: 60_000 });
    const ws = socket(server);
    const frames: Array<{ type: string; id?: number; result?: { ok: boolean; value?: { features?: { runtime: boolean } } } }> = [];
    ws.on('message', (d) => frames.push(JSON.parse(String(d))));
    await new Promise((ok) => ws.once('open', ok));
    ws.send(JSON.stringify({ id: 1, method: 'studio.info', params: {} }));
    await new Promise((r) => setTimeout(r, 50));
    expect(frames).toEqual([]);
    release();
    await expect.poll(() => frames.find((f) => f.type === 'result')).toMatchObject({ id: 1, result: { ok: true, value: { features: { runtime: true } } } });
    expect(frames.some((f) => f.type === 'hello')).toBe(true);
    ws.close();
  });

  it('refuses a socket without the token', async () => {
    server = await startStudioServer({ service: new StudioService(), rendererDir: rendererDir() });
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api?token=wrong`);
    const err = await new Promise<Error>((ok) => ws.once('error', ok));
    expect(err.message).toMatch(/403/);
  });
});
