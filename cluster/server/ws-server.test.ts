import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { StudioService } from './service';
import { ASSETS_COOKIE, hasBuildCookie, initialAssets, rendererBuildId, startStudioServer, type StudioServer } from './ws-server';
import type { BootResponse } from '../api/contract';
import { MAX_REQUEST_BYTES } from '../common/limits';
import { connectWebSocketClient } from '../../renderer/studio-client';

/** the temporary folders this file made, removed after it */
const made: string[] = [];
afterAll(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

function rendererDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'studio-ws-'));
  made.push(dir);
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
  made.push(dir);
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
    // a cold cache: the browser asks for index.html's files right after it (grace long enough for a loaded machine)
    server = await startStudioServer({ service: async () => (loads++, new StudioService()), rendererDir: rendererDir(), lazyServiceMs: 60_000, assetGraceMs: 60_000 });
    const base = `http://127.0.0.1:${server.port}`;
    const html = await fetch(`${base}/`);
    expect(html.status).toBe(200);
    expect(html.headers.get('content-security-policy')).toMatch(/default-src/);
    expect(loads).toBe(0);
    await (await fetch(`${base}/assets/index.js`)).text();
    await (await fetch(`${base}/assets/runtime.js`)).text();
    // a later response from the same server: the load, had those two started it, would have begun
    // before it (the server starts it on the next turn of its loop after the last file was sent)
    expect((await fetch(`${base}/`)).status).toBe(200);
    expect(loads).toBe(0); // the style sheet is still to come: the service's load would hold it back
    await (await fetch(`${base}/assets/index.css`)).text();
    await expect.poll(() => loads).toBe(1);
  });

  it('with its files cached (a warm start) the browser asks for index.html only: the service loads right after it was sent', async () => {
    let loads = 0;
    server = await startStudioServer({ service: async () => (loads++, new StudioService()), rendererDir: rendererDir(), lazyServiceMs: 60_000, assetGraceMs: 20 });
    const base = `http://127.0.0.1:${server.port}`;
    // nothing asked yet: nothing loads (the lazy timer is a minute away)
    await new Promise((r) => setTimeout(r, 100));
    expect(loads).toBe(0);
    expect((await fetch(`${base}/`)).status).toBe(200);
    // the page's script comes from the browser's cache: only the grace passes, and the load starts
    await expect.poll(() => loads, { timeout: 5000 }).toBe(1);
    // and the socket the page opens next is served (ws loaded with the service)
    const ws = socket(server);
    await new Promise((ok, fail) => ws.once('open', ok).once('error', fail));
    ws.close();
  });

  it("a browser that loaded this build's page before (its cookie says so) has the files cached: the service loads right after index.html, without the grace", async () => {
    let loads = 0;
    // a grace of a minute: only the cookie can start the load within the test
    server = await startStudioServer({ service: async () => (loads++, new StudioService()), rendererDir: rendererDir(), lazyServiceMs: 60_000, assetGraceMs: 60_000 });
    const base = `http://127.0.0.1:${server.port}`;
    const first = await fetch(`${base}/`);
    const cookie = first.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(new RegExp(`^${ASSETS_COOKIE}=[\\w-]{16}; Path=/; Max-Age=\\d+; SameSite=Strict; HttpOnly$`));
    expect(cookie.split(';')[0]).toBe(`${ASSETS_COOKIE}=${rendererBuildId(rendererDir())}`);
    // another build's cookie (the renderer was rebuilt since): its files are not cached, the grace holds
    expect((await fetch(`${base}/`, { headers: { cookie: `${ASSETS_COOKIE}=another-build-id0; theme=dark` } })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 200));
    expect(loads).toBe(0);
    // the next start's page request carries this build's cookie (among others)
    expect((await fetch(`${base}/`, { headers: { cookie: `theme=dark; ${cookie.split(';')[0]}` } })).status).toBe(200);
    await expect.poll(() => loads, { timeout: 5000 }).toBe(1);
    expect(hasBuildCookie(undefined, 'x')).toBe(false);
    expect(hasBuildCookie(`${ASSETS_COOKIE}=x`, '')).toBe(false);
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
    // the pong to a ping sent after the request: the server has read the request, and sent nothing before it
    ws.ping();
    await new Promise((ok) => ws.once('pong', ok));
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

  it("refuses a socket with the token from another page's origin, and takes one from the studio's own", async () => {
    server = await startStudioServer({ service: new StudioService(), rendererDir: rendererDir() });
    const url = `ws://127.0.0.1:${server.port}/api?token=${server.token}`;
    for (const origin of ['http://evil.example', `http://127.0.0.1:${server.port + 1}`, 'null']) {
      const ws = new WebSocket(url, { origin });
      const err = await new Promise<Error>((ok) => ws.once('error', ok));
      expect([origin, err.message]).toEqual([origin, expect.stringMatching(/403/)]);
    }
    for (const origin of [`http://127.0.0.1:${server.port}`, `http://localhost:${server.port}`]) {
      const ws = new WebSocket(url, { origin });
      await new Promise<void>((ok, fail) => (ws.once('open', () => ok()), ws.once('error', fail)));
      ws.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Requests anyone can send (issue 11): none of them may take the server down.

/**
 * The real service for studio.info; `invoke` only reports how big its params were (these tests are
 * about the transport, not a cluster), and `test.throw` throws out of call() as a broken handler would.
 */
function transportService(): StudioService {
  const real = new StudioService();
  return {
    call: async (method: string, params: unknown, ctx: unknown) => {
      if (method === 'invoke') return { ok: true, value: { bytes: JSON.stringify(params).length } };
      if (method === 'test.throw') throw new Error('the stand-in service threw');
      return real.call(method as 'studio.info', params, ctx as { clientId?: string });
    },
    on: real.on.bind(real),
  } as unknown as StudioService;
}

/** Raw bytes on a fresh connection, half-closed; everything the server sends until it closes. */
function rawHttp(port: number, bytes: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    const out: Buffer[] = [];
    const timer = setTimeout(() => (s.destroy(), reject(new Error(`no close within ${timeoutMs} ms; got: ${Buffer.concat(out).toString('latin1').slice(0, 300)}`))), timeoutMs);
    s.on('data', (d) => out.push(d));
    s.on('error', () => undefined);
    s.on('close', () => (clearTimeout(timer), resolve(Buffer.concat(out).toString('latin1'))));
    s.end(bytes);
  });
}

const statusOf = (response: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0);
const get = (url: string, init: RequestInit = {}) => fetch(url, { signal: AbortSignal.timeout(5000), ...init });

interface Frame {
  type: string;
  id?: number;
  clientId?: string;
  result?: { ok: boolean; value?: unknown; error?: { code: string; message: string; hint?: string } };
}

async function opened(server: StudioServer): Promise<{ ws: WebSocket; frames: Frame[]; closed: Promise<{ code: number; reason: string }> }> {
  const ws = socket(server);
  const frames: Frame[] = [];
  ws.on('message', (d) => frames.push(JSON.parse(String(d)) as Frame));
  const closed = new Promise<{ code: number; reason: string }>((ok) => ws.once('close', (code, reason) => ok({ code, reason: String(reason) })));
  ws.on('error', () => undefined); // the client side of a protocol error; what counts is the close code
  await new Promise((ok, fail) => (ws.once('open', ok), ws.once('error', fail)));
  await expect.poll(() => frames.some((f) => f.type === 'hello')).toBe(true);
  return { ws, frames, closed };
}

/** studio.info over a new socket: the server is alive and answers a well-formed request. */
async function answers(server: StudioServer): Promise<void> {
  const { ws, frames } = await opened(server);
  ws.send(JSON.stringify({ id: 7, method: 'studio.info', params: {} }));
  await expect.poll(() => frames.find((f) => f.type === 'result' && f.id === 7)).toMatchObject({ result: { ok: true, value: { features: { runtime: true } } } });
  ws.close();
  const page = await get(`http://127.0.0.1:${server.port}/`);
  expect(page.status).toBe(200);
}

/**
 * A throw out of a server's handler kills `npm run web` in real life; under vitest the process
 * lives on (vitest catches it and fails the run). Each test below also checks that nothing
 * escaped, so a regression fails the test that caused it.
 */
function noCrashes(): void {
  const escaped: unknown[] = [];
  const onEscape = (e: unknown) => escaped.push(e);
  beforeAll(() => {
    process.on('uncaughtException', onEscape);
    process.on('unhandledRejection', onEscape);
  });
  afterAll(() => {
    process.off('uncaughtException', onEscape);
    process.off('unhandledRejection', onEscape);
  });
  afterEach(() => {
    expect(escaped.splice(0).map((e) => String((e as Error)?.stack ?? e))).toEqual([]);
  });
}

describe('studio server: requests anyone on this machine (or any web page) can send', () => {
  noCrashes();
  let server: StudioServer;
  beforeAll(async () => {
    server = await startStudioServer({ service: transportService(), rendererDir: rendererDir(), token: 'fixed-test-token' });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('answers GET /%E0%A4%A (a malformed %-escape, no token: an <img> on any page) with a 400 and keeps serving', async () => {
    const r = await get(`http://127.0.0.1:${server.port}/%E0%A4%A`);
    expect(r.status).toBe(400);
    expect(await r.text()).toMatch(/malformed %-escape/);
    const asset = await get(`http://127.0.0.1:${server.port}/assets/%ZZ.js`);
    expect(asset.status).toBe(400);
    await answers(server);
  });

  it('answers a request line the URL parser refuses (GET //[) with a 400, for pages and for upgrades', async () => {
    expect(statusOf(await rawHttp(server.port, 'GET //[ HTTP/1.1\r\nHost: x\r\n\r\n'))).toBe(400);
    const upgrade = await rawHttp(server.port, 'GET //[ HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
    expect(statusOf(upgrade)).toBe(400);
    expect(statusOf(await rawHttp(server.port, 'GET /api/boot?token=%E0%A4%A HTTP/1.1\r\nHost: x\r\n\r\n'))).toBe(403);
    await answers(server);
  });

  it('answers other methods with a 405', async () => {
    const r = await get(`http://127.0.0.1:${server.port}/`, { method: 'POST', body: 'x' });
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toBe('GET, HEAD');
  });

  it('closes a socket that sends invalid UTF-8 in a text frame with 1007, and keeps serving', async () => {
    const { ws, closed } = await opened(server);
    ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    expect((await closed).code).toBe(1007);
    await answers(server);
  });

  it('answers a real request over 8 MiB (an invoke input of 9 MiB): under the limit', async () => {
    expect(MAX_REQUEST_BYTES).toBeGreaterThanOrEqual(12 * 1024 * 1024); // a file write of 2,000,000 escaped chars
    const { ws, frames } = await opened(server);
    const input = 'x'.repeat(9 * 1024 * 1024);
    ws.send(JSON.stringify({ id: 1, method: 'invoke', params: { workflow: 'w', function: 'f', input } }));
    await expect.poll(() => frames.find((f) => f.id === 1), { timeout: 10_000 }).toMatchObject({ result: { ok: true, value: { bytes: expect.any(Number) } } });
    ws.close();
  });

  it('closes a socket that sends a frame over MAX_REQUEST_BYTES with 1009, and keeps serving', async () => {
    const { ws, closed } = await opened(server);
    ws.send(JSON.stringify({ id: 1, method: 'invoke', params: { workflow: 'w', function: 'f', input: 'x'.repeat(MAX_REQUEST_BYTES) } }));
    expect((await closed).code).toBe(1009);
    await answers(server);
  });

  it('answers a frame that is JSON but not a request with an error when it carries an id, and ignores it otherwise', async () => {
    const { ws, frames } = await opened(server);
    ws.send(JSON.stringify({ id: 3, method: 42 }));
    ws.send(JSON.stringify({ id: 'x', method: 'studio.info' }));
    ws.send('[1,2,3]');
    ws.send('null');
    ws.send('{not json');
    ws.send(JSON.stringify({ id: 4, method: 'test.throw', params: {} }));
    ws.send(JSON.stringify({ id: 5, method: 'studio.info', params: {} }));
    await expect.poll(() => frames.find((f) => f.id === 5)).toMatchObject({ result: { ok: true } });
    expect(frames.find((f) => f.id === 3)).toMatchObject({ type: 'result', result: { ok: false, error: { code: 'invalid-request', message: expect.stringMatching(/method/), hint: expect.any(String) } } });
    expect(frames.find((f) => f.id === 4)).toMatchObject({ type: 'result', result: { ok: false, error: { code: 'internal-error', message: expect.stringMatching(/test\.throw: the stand-in service threw/) } } });
    expect(frames.filter((f) => f.type === 'result').map((f) => f.id)).toEqual([3, 4, 5]);
    ws.close();
  });
});

describe('renderer WebSocket client (renderer/studio-client.ts) and the request size limit', () => {
  noCrashes();
  let server: StudioServer;
  beforeAll(async () => {
    server = await startStudioServer({ service: transportService(), rendererDir: rendererDir(), token: 'client-test-token' });
  });
  afterAll(async () => {
    await server?.close();
  });

  const where = (s: StudioServer) => ({ search: `?token=${s.token}`, host: `127.0.0.1:${s.port}` }) as Location;

  it('refuses to send a request over the limit with a readable error, and the connection stays usable', async () => {
    const client = await connectWebSocketClient(where(server), socket(server) as unknown as globalThis.WebSocket);
    // é is 2 bytes of UTF-8: 65 MiB on the wire, though only 32.5 M characters
    const big = await client.call('invoke', { workflow: 'w', function: 'f', input: 'é'.repeat((MAX_REQUEST_BYTES + 1024 * 1024) / 2) });
    expect(big).toEqual({
      ok: false,
      error: {
        code: 'request-too-large',
        message: 'invoke: the request is 65 MiB; the studio accepts at most 64 MiB per request',
        hint: expect.stringMatching(/send less at once/),
      },
    });
    const small = await client.call('invoke', { workflow: 'w', function: 'f', input: 'x'.repeat(1000) });
    expect(small).toMatchObject({ ok: true });
  });

  it('reports a readable error to pending calls when the server closes the connection with 1009 (not a hang)', async () => {
    // a stand-in socket: what the client does when the server refused a frame as too big
    const fake = { send: () => undefined } as unknown as globalThis.WebSocket & { onmessage: (m: { data: string }) => void; onclose: (e: { code: number; reason: string }) => void };
    const connecting = connectWebSocketClient(where(server), fake);
    fake.onmessage({ data: JSON.stringify({ type: 'hello', clientId: 'c1' }) });
    const client = await connecting;
    const pending = client.call('studio.info', {});
    fake.onclose({ code: 1009, reason: 'Max payload size exceeded' });
    expect(await pending).toEqual({ ok: false, error: { code: 'request-too-large', message: expect.stringMatching(/closed the connection: a request was larger than the 64 MiB it accepts/), hint: expect.any(String) } });
    // later calls say the connection is gone
    expect(await client.call('studio.info', {})).toMatchObject({ ok: false, error: { code: 'disconnected' } });
  });

  it('ignores a frame from the server that is not JSON instead of throwing in the socket handler', async () => {
    const fake = { send: () => undefined } as unknown as globalThis.WebSocket & { onmessage: (m: { data: string }) => void };
    const connecting = connectWebSocketClient(where(server), fake);
    expect(() => fake.onmessage({ data: '{not json' })).not.toThrow();
    fake.onmessage({ data: JSON.stringify({ type: 'hello', clientId: 'c2' }) });
    expect((await connecting).clientId).toBe('c2');
  });
});
