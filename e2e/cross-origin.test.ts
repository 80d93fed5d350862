/**
 * A web page open in the user's browser (Debian Chromium) against the servers on 127.0.0.1: the
 * gateway and the studio's browser-mode server. The page sends what any page can — a no-cors
 * text/plain POST, a JSON POST (which needs CORS), <img> requests with malformed %-escapes, a
 * WebSocket without the token — and neither server runs anything for it or stops serving
 * (issue 11, items 1–3 and 13).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, builtRenderer, skipWithoutChromium } from './harness';
import { startGateway, type Gateway } from '../cluster/runtime/gateway';
import type { Controller } from '../cluster/runtime/controller';
import { startStudioServer, type StudioServer } from '../cluster/server/ws-server';
import { StudioService } from '../cluster/server/service';

const skip = skipWithoutChromium('cross-origin e2e');

describe.skipIf(skip)('a cross-origin web page can neither crash nor invoke (Chromium)', () => {
  let browser: Browser;
  let gateway: Gateway;
  let studio: StudioServer;
  let evil: Server;
  let evilUrl: string;
  let home: string;
  const invoked: string[] = [];

  beforeAll(async () => {
    const standIn = { cluster: 'cross-origin', invoke: async (w: string, f: string) => (invoked.push(`${w}/${f}`), { run: 'r', output: null }) };
    gateway = await startGateway(standIn as unknown as Controller, 0);
    home = mkdtempSync(join(tmpdir(), 'edgeai-cross-'));
    studio = await startStudioServer({ service: new StudioService({ transport: 'websocket', runtime: { home, cluster: 'cross-origin' } }), rendererDir: await builtRenderer() });
    const page = `<!doctype html><meta charset="utf-8"><title>evil</title><script>
      const g = ${JSON.stringify(gateway.url)}, s = 'http://127.0.0.1:${studio.port}';
      const results = [];
      window.attack = (async () => {
        try { await fetch(g + '/fn/ops/echo', { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: '{"input":1}' }); results.push('no-cors post sent'); } catch (e) { results.push('no-cors post failed'); }
        try { await fetch(g + '/fn/ops/echo', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }); results.push('json post answered'); } catch (e) { results.push('json post blocked'); }
        try { await fetch(g + '/fn/ops/echo', { method: 'POST', mode: 'no-cors', body: new Blob(['{}'], { type: 'application/json' }) }); results.push('blob post sent'); } catch (e) { results.push('blob post failed'); }
        await Promise.all([g + '/fn/%E0%A4%A/x', s + '/%E0%A4%A', s + '/api/boot?token=guess'].map((src) => new Promise((r) => { const i = new Image(); i.onload = i.onerror = r; i.src = src; })));
        results.push(await new Promise((r) => { const ws = new WebSocket('ws://127.0.0.1:${studio.port}/api?token=guess'); ws.onopen = () => r('ws opened'); ws.onerror = () => r('ws refused'); }));
        return results;
      })();
    </script>`;
    evil = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(page));
    await new Promise<void>((ok) => evil.listen(0, '127.0.0.1', () => ok()));
    evilUrl = `http://localhost:${(evil.address() as AddressInfo).port}/`;
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
    await studio?.close();
    await new Promise((r) => evil?.close(r));
    rmSync(home, { recursive: true, force: true });
  });

  it('runs nothing, and both servers keep serving', async () => {
    const page = await browser.newPage();
    await page.goto(evilUrl);
    const results = await page.evaluate(() => (window as unknown as { attack: Promise<string[]> }).attack);
    // what the page could send went out; what needs CORS was blocked by the browser
    expect(results).toEqual(['no-cors post sent', 'json post blocked', 'blob post sent', 'ws refused']);
    expect(invoked).toEqual([]);
    expect((await fetch(`${gateway.url}/healthz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${studio.port}/`)).status).toBe(200);
    await page.close();
  }, 60_000);
});
