import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { StudioService } from './service';
import { startStudioServer, type StudioServer } from './ws-server';

function rendererDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'studio-ws-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><script type="module" src="./assets/index.js"></script>');
  writeFileSync(join(dir, 'assets', 'index.js'), 'console.log(1)');
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

  it('serves the page before loading the service, then loads it once the script was served', async () => {
    let loads = 0;
    server = await startStudioServer({ service: async () => (loads++, new StudioService()), rendererDir: rendererDir(), lazyServiceMs: 60_000 });
    const html = await fetch(`http://127.0.0.1:${server.port}/`);
    expect(html.status).toBe(200);
    expect(html.headers.get('content-security-policy')).toMatch(/default-src/);
    expect(loads).toBe(0);
    await (await fetch(`http://127.0.0.1:${server.port}/assets/index.js`)).text();
    await expect.poll(() => loads).toBe(1);
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
