import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { request, Agent } from 'node:http';
import { StudioError } from '../spec/errors';
import { MAX_REQUEST_BYTES } from '../api/limits';
import type { Controller, InvokeOptions } from './controller';
import { startGateway, type Gateway } from './gateway';

/**
 * The gateway only calls controller.invoke (and reads controller.cluster for /healthz), so a
 * stand-in answers here: these tests are about what reaches the HTTP server, not about a cluster.
 * Function names pick the stand-in's behaviour, including the ways a controller can fail.
 */
function standIn(calls: Array<{ workflow: string; fn: string; opts: InvokeOptions }> = []): Controller {
  const c = {
    cluster: 'fuzz',
    invoke(workflow: string, fn: string, opts: InvokeOptions = {}) {
      calls.push({ workflow, fn, opts });
      if (fn === 'throw-sync') throw new Error('the stand-in threw synchronously');
      if (fn === 'throw-value') return Promise.reject('not an Error');
      if (fn === 'missing') return Promise.reject(new StudioError('not-deployed', `${workflow}/${fn} is not deployed`, 'run edgeai deploy'));
      return Promise.resolve({ run: 'r1', workflow, function: fn, node: 'edge-1', output: { echo: opts.input ?? null, params: opts.params ?? {} }, models: [] });
    },
  };
  return c as unknown as Controller;
}

/** Writes raw bytes on a fresh connection, half-closes it and collects everything until the server closes. */
function raw(port: number, bytes: string | Buffer, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    const out: Buffer[] = [];
    const timer = setTimeout(() => (s.destroy(), reject(new Error(`no close within ${timeoutMs} ms; got: ${Buffer.concat(out).toString('latin1').slice(0, 300)}`))), timeoutMs);
    s.on('data', (d) => out.push(d));
    s.on('error', () => undefined); // a reset after the answer is fine: what was answered is what counts
    s.on('close', () => (clearTimeout(timer), resolve(Buffer.concat(out).toString('latin1'))));
    s.end(bytes);
  });
}

/** fetch with a timeout: before the fix, a request that crashed the handler never got an answer */
const f = (url: string, init: RequestInit = {}) => fetch(url, { signal: AbortSignal.timeout(5000), ...init });

function statusOf(response: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0);
}

function bodyOf(response: string): unknown {
  const i = response.indexOf('\r\n\r\n');
  return JSON.parse(response.slice(i + 4));
}

describe('HTTP gateway: requests anyone on this machine (or any web page) can send', () => {
  // a throw out of the handler kills `edgeai gateway` in real life; vitest would only log it
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
  const calls: Array<{ workflow: string; fn: string; opts: InvokeOptions }> = [];
  let g: Gateway;
  beforeAll(async () => {
    g = await startGateway(standIn(calls));
  });
  afterAll(async () => {
    await g?.close();
  });

  const healthy = async () => {
    const r = await f(`${g.url}/healthz`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ ok: true, cluster: 'fuzz' });
  };

  it('routes a well-formed POST with the decoded names, the input and the params', async () => {
    const r = await f(`${g.url}/fn/my%20flow/echo`, { method: 'POST', body: JSON.stringify({ input: { x: 1 }, params: { k: 'v' } }) });
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ workflow: 'my flow', function: 'echo', output: { echo: { x: 1 }, params: { k: 'v' } } });
    // any other JSON is the input itself
    const bare = await f(`${g.url}/fn/ops/echo`, { method: 'POST', body: '[1,2]' });
    expect(await bare.json()).toMatchObject({ output: { echo: [1, 2], params: {} } });
  });

  it('answers POST /fn/%E0%A4%A/x (a malformed %-escape) with a 400 JSON error and keeps serving', async () => {
    const r = await f(`${g.url}/fn/%E0%A4%A/x`, { method: 'POST', body: '{}' });
    expect(r.status).toBe(400);
    const body = (await r.json()) as { error: { code: string; message: string; hint: string } };
    expect(body.error).toMatchObject({ code: 'bad-request', message: expect.stringMatching(/%E0%A4%A/), hint: expect.any(String) });
    // the same in the function name, and from a page with fetch(…, {mode: 'no-cors'}) (a simple POST)
    const fn = await f(`${g.url}/fn/ops/%ZZ`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
    expect(fn.status).toBe(400);
    await healthy();
  });

  it('turns a controller that throws (synchronously, or rejects with a non-Error) into a 500 JSON answer', async () => {
    const sync = await f(`${g.url}/fn/ops/throw-sync`, { method: 'POST', body: '{}' });
    expect(sync.status).toBe(500);
    expect(await sync.json()).toEqual({ error: { code: 'internal-error', message: 'the stand-in threw synchronously', hint: expect.any(String) } });
    const value = await f(`${g.url}/fn/ops/throw-value`, { method: 'POST', body: '{}' });
    expect(value.status).toBe(500);
    expect(((await value.json()) as { error: { message: string } }).error.message).toBe('not an Error');
    const missing = await f(`${g.url}/fn/ops/missing`, { method: 'POST', body: '{}' });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: { code: 'not-deployed', message: expect.stringMatching(/^ops\/missing is not deployed/), hint: 'run edgeai deploy' } });
    await healthy();
  });

  it('refuses params that are not an object of strings with a 400', async () => {
    const r = await f(`${g.url}/fn/ops/echo`, { method: 'POST', body: JSON.stringify({ input: 1, params: { n: 5 } }) });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'bad-request', message: expect.stringMatching(/params\.n/) });
  });

  it('answers other methods and paths with a JSON 404 or 405', async () => {
    const get = await f(`${g.url}/fn/ops/echo`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect(((await get.json()) as { error: { code: string } }).error.code).toBe('method-not-allowed');
    const other = await f(`${g.url}/nope`, { method: 'DELETE' });
    expect(other.status).toBe(404);
    expect(((await other.json()) as { error: { code: string; hint: string } }).error).toMatchObject({ code: 'not-found', hint: expect.stringMatching(/POST \/fn/) });
  });

  it('answers a body over the limit with a 413 JSON error (announced, or streamed) and keeps serving', async () => {
    const announced = await raw(g.port, `POST /fn/ops/echo HTTP/1.1\r\nHost: x\r\nContent-Length: ${MAX_REQUEST_BYTES + 1}\r\n\r\n{"input":`);
    expect(statusOf(announced)).toBe(413);
    expect(bodyOf(announced)).toMatchObject({ error: { code: 'request-too-large', message: expect.stringMatching(/64 MiB/), hint: expect.any(String) } });
    // chunked: the size shows only while it streams
    const streamed = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${g.url}/fn/ops/echo`, { method: 'POST', agent: new Agent({ keepAlive: false }) }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      const chunk = Buffer.alloc(4 * 1024 * 1024, 0x20);
      let sent = 0;
      const pump = () => {
        while (sent <= MAX_REQUEST_BYTES + chunk.length) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        req.end();
      };
      pump();
    }).catch((e: Error) => ({ status: -1, body: e.message }));
    // the answer may race the client's last writes (then the client sees a reset); either way the server lives
    if (streamed.status !== -1) {
      expect(streamed.status).toBe(413);
      expect(JSON.parse(streamed.body)).toMatchObject({ error: { code: 'request-too-large' } });
    }
    // neither body reached the controller
    expect(calls.some((c) => JSON.stringify(c.opts).length > 1000)).toBe(false);
    await healthy();
  });

  it('survives a body that is cut off (the client goes away mid-body)', async () => {
    const before = calls.length;
    const cut = await raw(g.port, 'POST /fn/ops/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"input":');
    // Node's HTTP parser answers a body cut off by the client's FIN with its own 400; nothing reached the controller
    expect([0, 400]).toContain(statusOf(cut));
    expect(calls.length).toBe(before);
    await healthy();
  });

  it('answers a path the URL parser refuses with a 400', async () => {
    const r = await raw(g.port, 'POST //[ HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}');
    expect([400, 404]).toContain(statusOf(r));
    await healthy();
  });
});
