/**
 * The node agent (an HTTP server on 127.0.0.1 that anything on this machine can reach) against
 * malformed requests: focused cases, then ≥ 10,000 generated ones from a fixed seed, then
 * well-formed requests that must still be answered correctly by the same agent process.
 *
 * The agent is a program (it parses its argv and listens at import), so it runs as a child
 * process, bundled from agent.ts the way cluster/runtime/build.ts bundles it, given its cluster
 * secret on stdin as the process backend does. Without worker.cjs next to it no worker can
 * start; nothing here needs one. Most requests carry the secret (so the parsers behind it are
 * reached); the rest are refused (401, 403) before their body is read.
 *
 * Rerun a failure with the seed it prints: FUZZ_SEED=<n> npx vitest run cluster/runtime/agent/agent.fuzz.test.ts
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { Agent, request } from 'node:http';
import { build } from 'esbuild';
import { HealthSchema, RetireResultSchema } from './protocol';
import { bearer, newSecret } from './secret';

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed11);
const SECRET = newSecret();
const AUTH = { authorization: bearer(SECRET) };
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

// ---- a seeded PRNG (mulberry32): the same seed makes the same requests --------------------------
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T,>(xs: readonly T[]): T => xs[int(xs.length)];
  const bytes = (n: number, lo = 0, hi = 255) => Buffer.from(Array.from({ length: n }, () => lo + int(hi - lo + 1)));
  return { next, int, pick, bytes };
}

// ---- HTTP over raw sockets and keep-alive connections -------------------------------------------
/**
 * Raw bytes on a fresh connection, half-closed; everything the server sends until it closes. A
 * `Host: x` line becomes the agent's own Host and the secret, unless `authed` is false.
 */
function raw(port: number, bytes: string | Buffer, timeoutMs = 5000, authed = true): Promise<string> {
  if (typeof bytes === 'string' && authed) bytes = bytes.replaceAll('Host: x\r\n', `Host: 127.0.0.1:${port}\r\nAuthorization: ${AUTH.authorization}\r\n`);
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    const out: Buffer[] = [];
    const timer = setTimeout(() => (s.destroy(), reject(new Error(`no close within ${timeoutMs} ms after sending ${JSON.stringify(Buffer.from(bytes).toString('latin1').slice(0, 200))}`))), timeoutMs);
    s.on('data', (d) => out.push(d));
    s.on('error', () => undefined); // a reset after the answer is fine: what was answered is what counts
    s.on('close', () => (clearTimeout(timer), resolve(Buffer.concat(out).toString('latin1'))));
    s.end(bytes);
  });
}
const statusOf = (response: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0);

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(port: number, agent: Agent | false, method: string, path: string, body?: Buffer | string, headers: Record<string, string> = AUTH, retried = false): Promise<Reply> {
  // an explicit length: for DELETE, OPTIONS, TRACE Node's client sends a body with neither a length
  // nor chunking, and the server rightly reads it as the next request on the connection
  const sent = body !== undefined ? { ...headers, 'content-length': String(Buffer.byteLength(body)) } : headers;
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, agent, headers: sent, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within 10 s`)));
    req.on('error', (e: NodeJS.ErrnoException) => {
      // a kept-alive socket the server closed just as this request went out on it: the request was
      // never read, so it is sent again once on a fresh connection (Node's documented keep-alive race)
      if (!retried && req.reusedSocket && e.code === 'ECONNRESET') send(port, false, method, path, body, headers, true).then(resolve, reject);
      else reject(e);
    });
    req.end(body);
  });
}

/** Runs `jobs` with `concurrency` at a time. */
async function pool(total: number, concurrency: number, job: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < total) await job(next++);
  }));
}

// ---- the agent process ----------------------------------------------------------------------------
let child: ChildProcess;
let port = 0;
let pid = 0;
let dir: string | undefined;
let exited: string | undefined;
const stderr: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'agent-fuzz-'));
  await build({ entryPoints: [join(import.meta.dirname, 'agent.ts')], outfile: join(dir, 'agent.cjs'), bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'silent' });
  child = spawn(process.execPath, [join(dir, 'agent.cjs'), '--node', 'fuzz-1', '--cluster', 'fuzz', '--store', join(dir, 'store'), '--port', '0', '--secret-stdin'], { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin!.end(SECRET + '\n');
  child.stderr!.on('data', (d) => stderr.push(String(d)));
  child.on('exit', (code, signal) => (exited = `the agent exited (${signal ?? code}): ${stderr.join('').slice(-2000)}`));
  const reg = await new Promise<{ port: number; pid: number }>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the agent did not start within 20 s: ${stderr.join('')}`)), 20_000);
    child.stdout!.on('data', (d) => {
      out += String(d);
      const m = /EDGEAI_AGENT_READY (\{.*\})/.exec(out);
      if (m) (clearTimeout(timer), resolve(JSON.parse(m[1]) as { port: number; pid: number }));
    });
    child.once('exit', () => reject(new Error(exited)));
  });
  port = reg.port;
  pid = reg.pid;
}, 60_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await gone;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The agent still runs, as the same process, and answers well-formed requests correctly. */
async function wellFormed(): Promise<void> {
  expect(exited).toBeUndefined();
  const keep = new Agent({ keepAlive: false });
  const health = await send(port, keep, 'GET', '/health');
  expect(health.status).toBe(200);
  const h = HealthSchema.parse(JSON.parse(health.body));
  expect(h).toMatchObject({ node: 'fuzz-1', cluster: 'fuzz', pid });
  const bytes = Buffer.from(`a blob ${Math.random()}`);
  const put = await send(port, keep, 'PUT', `/blobs/${sha(bytes)}`, bytes);
  expect([put.status, JSON.parse(put.body)]).toEqual([200, { ok: true, size: bytes.length }]);
  const got = await send(port, keep, 'GET', `/blobs/${sha(bytes)}`);
  expect([got.status, got.body]).toEqual([200, bytes.toString()]);
  const head = await send(port, keep, 'HEAD', `/blobs/${sha(bytes)}`);
  expect([head.status, head.headers['content-length']]).toEqual([200, String(bytes.length)]);
  const retire = await send(port, keep, 'POST', '/retire', JSON.stringify({ workflow: 'w', id: 'f', bundle: 'a'.repeat(64) }));
  expect(retire.status).toBe(200);
  expect(RetireResultSchema.parse(JSON.parse(retire.body))).toEqual({ ok: true, retired: [] });
  keep.destroy();
}

const errorOf = (r: Reply) => (JSON.parse(r.body) as { ok: false; error: { code: string; message: string; hint?: string } }).error;

describe('node agent: malformed requests get a 4xx/5xx JSON answer and the agent keeps serving', () => {
  it('answers a body that is not JSON, or not the protocol, with a 400 that names the field', async () => {
    const bad = await send(port, false, 'POST', '/invoke', '{oops');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ ok: false, error: { code: 'bad-request', message: expect.stringMatching(/^POST \/invoke: the body is not JSON/), hint: expect.any(String) }, logs: [] });
    const shape = await send(port, false, 'POST', '/retire', JSON.stringify({ workflow: 'w', id: 'f', bundle: 'nope' }));
    expect(shape.status).toBe(400);
    expect(errorOf(shape)).toMatchObject({ code: 'bad-request', message: expect.stringMatching(/^POST \/retire: bundle: /) });
    const empty = await send(port, false, 'POST', '/warm');
    expect([empty.status, errorOf(empty).code]).toEqual([400, 'bad-request']);
    await wellFormed();
  });

  it('answers a wrong method with a 405 that says which, and an unknown route with a 404', async () => {
    const get = await send(port, false, 'GET', '/invoke');
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST');
    expect(errorOf(get)).toMatchObject({ code: 'method-not-allowed', message: 'GET /invoke: use POST' });
    const del = await send(port, false, 'DELETE', `/blobs/${'0'.repeat(64)}`);
    expect([del.status, del.headers.allow]).toEqual([405, 'GET, HEAD, PUT']);
    const unknown = await send(port, false, 'GET', '/nope');
    expect([unknown.status, errorOf(unknown).code]).toEqual([404, 'not-found']);
  });

  it('answers a request target the URL parser refuses, and a malformed %-escape, without failing', async () => {
    const r = await raw(port, 'GET //[ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(statusOf(r)).toBe(400);
    expect(JSON.parse(r.slice(r.indexOf('\r\n\r\n') + 4))).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    const esc = await send(port, false, 'POST', '/%E0%A4%A', '{}');
    expect(esc.status).toBe(404);
    await wellFormed();
  });

  it('answers a body announced over 1 GiB with a 413 before reading it', async () => {
    const r = await raw(port, `PUT /blobs/${'0'.repeat(64)} HTTP/1.1\r\nHost: x\r\nContent-Length: ${2 * 1024 ** 3}\r\n\r\nxx`);
    expect(statusOf(r)).toBe(413);
    expect(r).toMatch(/connection: close/i);
    expect(JSON.parse(r.slice(r.indexOf('\r\n\r\n') + 4))).toMatchObject({ ok: false, error: { code: 'request-too-large', message: expect.stringMatching(/the body is 2 GiB; node fuzz-1 accepts at most 1 GiB/) } });
    await wellFormed();
  });

  it('refuses a request without the secret, with a wrong one (401) or for a foreign Host (403) on every route, before reading its body', async () => {
    const sha0 = '0'.repeat(64);
    const routes: Array<[string, string]> = [['GET', '/health'], ['GET', `/blobs/${sha0}`], ['HEAD', `/blobs/${sha0}`], ['PUT', `/blobs/${sha0}`], ['PUT', `/bundles/${sha0}`], ['POST', '/warm'], ['POST', '/retire'], ['POST', '/invoke'], ['POST', '/shutdown'], ['GET', '/nope'], ['DELETE', '/health']];
    for (const [method, path] of routes) {
      for (const creds of [{}, { authorization: bearer(newSecret()) }, { authorization: SECRET }, { authorization: `bearer ${SECRET}` }] as Array<Record<string, string>>) {
        const r = await send(port, false, method, path, method === 'GET' || method === 'HEAD' ? undefined : '{}', creds);
        expect([method, path, r.status]).toEqual([method, path, 401]);
        expect(r.headers.connection).toBe('close');
        if (method !== 'HEAD') expect(errorOf(r).code).toBe('unauthorized');
      }
      for (const host of ['evil.example', `evil.example:${port}`, `127.0.0.1:${port + 1}`, `localhost.evil.example:${port}`, `127.0.0.1.nip.io:${port}`]) {
        const r = await send(port, false, method, path, undefined, { ...AUTH, host });
        expect([method, path, host, r.status]).toEqual([method, path, host, 403]);
      }
      // localhost is this agent too (not /shutdown: that one would be done)
      if (path !== '/shutdown') expect((await send(port, false, method, path, undefined, { ...AUTH, host: `localhost:${port}` })).status).not.toBe(403);
    }
    // a body announced over 1 GiB without the secret: 401, not 413 (nobody without it makes the agent read)
    const big = await raw(port, `PUT /blobs/${sha0} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Length: ${2 * 1024 ** 3}\r\n\r\nxx`, 5000, false);
    expect(statusOf(big)).toBe(401);
    // the shutdown it was refused did not happen
    await wellFormed();
  });

  it(`survives ≥ 10,000 generated malformed requests (seed ${SEED}) and then answers well-formed ones`, async () => {
    const r = prng(SEED);
    const t0 = performance.now();
    const statuses = new Map<number, number>();
    const count = (s: number) => statuses.set(s, (statuses.get(s) ?? 0) + 1);
    const sha0 = 'f'.repeat(64);
    const ROUTES = ['/health', `/blobs/${sha0}`, `/bundles/${sha0}`, '/warm', '/retire', '/invoke', '/nope', '/'];
    const BAD_ESCAPES = ['%', '%%', '%E0%A4%A', '%ZZ', '%C0%AF', '%ED%A0%80', '%FF', '%E0%A4', '%0', '%u0041', '%25%', '%F4%90%80%80'];
    const path = (): string => {
      const route = r.pick(ROUTES);
      switch (r.int(6)) {
        case 0: {
          const segs = route.split('/');
          segs[1 + r.int(Math.max(1, segs.length - 1))] = r.pick(BAD_ESCAPES);
          return segs.join('/') || '/';
        }
        case 1:
          return '/' + r.bytes(1 + r.int(60), 0x21, 0xff).toString('latin1');
        case 2:
          return `${route}?${r.pick(BAD_ESCAPES)}=${r.pick(BAD_ESCAPES)}&x=${r.bytes(r.int(10), 0x21, 0x7e).toString('latin1')}`;
        case 3:
          return route + r.pick(['/', '//', '/x', '/..', '/%2e%2e/warm', '/./', '/' + r.pick(BAD_ESCAPES)]);
        case 4:
          return '//' + r.bytes(1 + r.int(20), 0x21, 0x7e).toString('latin1');
        default:
          return route;
      }
    };
    const fnRef = () => ({ workflow: 'w', id: 'f', bundle: sha0, className: 'C', method: 'f', consumes: [], produces: [], gates: [] });
    const body = (): Buffer | string | undefined => {
      switch (r.int(10)) {
        case 0:
          return undefined;
        case 1:
          return r.bytes(r.int(300));
        case 2:
          return r.bytes(1 + r.int(200), 0x20, 0x7e).toString('latin1'); // printable, rarely JSON
        case 3:
          return r.pick(['null', '[]', '1', '"x"', '{}', 'true', '{"fn":1}', '{"fn":{}}', '{"workflow":1}', '{"__proto__":{"x":1}}', '{"inputs":"x"}']);
        case 4:
          return '['.repeat(1 + r.int(5000)) + ']'.repeat(r.int(5000));
        case 5: {
          // the protocol's shape with one field broken
          const b: Record<string, unknown> = { fn: fnRef(), inputs: [], request: { id: 'r', params: {} } };
          const broken = r.pick(['fn', 'inputs', 'request', 'fn.bundle', 'request.deadlineMs', 'request.params']);
          if (broken === 'fn.bundle') (b.fn as Record<string, unknown>).bundle = 'xyz';
          else if (broken === 'request.deadlineMs') (b.request as Record<string, unknown>).deadlineMs = -1;
          else if (broken === 'request.params') (b.request as Record<string, unknown>).params = { a: 1 };
          else b[broken] = r.pick([null, 1, 'x', [], {}]);
          return JSON.stringify(b);
        }
        case 6:
          // well-shaped: /invoke and /warm answer bundle-missing, /retire ok, blobs a hash mismatch
          return JSON.stringify(r.pick([{ fn: fnRef(), inputs: [], request: { id: 'r' } }, { fn: fnRef() }, { workflow: 'w', id: 'f', bundle: sha0 }]));
        case 7:
          return JSON.stringify({ input: 'x'.repeat(r.int(100_000)) });
        default:
          return '{'.repeat(r.int(3)) + JSON.stringify(r.bytes(r.int(20)).toString('latin1')) + '}'.repeat(r.int(3));
      }
    };
    // methods Node's HTTP parser knows (an unknown one is refused before the agent sees it: raw requests below send those)
    const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE', 'PROPFIND', 'SEARCH', 'PURGE', 'LOCK'];
    const notShutdown = (p: string) => {
      try {
        return new URL(p, 'http://agent').pathname !== '/shutdown';
      } catch {
        return true;
      }
    };

    // 1. well-framed HTTP, malformed content: 20 keep-alive connections
    const HTTP_REQUESTS = 9000;
    const keep = new Agent({ keepAlive: true, maxSockets: 20 });
    // mostly the secret (the parsers behind it are what is fuzzed); else none, a wrong one, another scheme, a foreign Host
    const creds = (): Record<string, string> =>
      r.pick([AUTH, AUTH, AUTH, AUTH, AUTH, AUTH, {}, { authorization: bearer(newSecret()) }, { authorization: `Basic ${SECRET}` }, { authorization: `Bearer ${SECRET} x` }, { ...AUTH, host: r.pick(['evil.example', `evil.example:${port}`, `127.0.0.1:${port + 1}`, `127.0.0.2:${port}`, '']) }]);
    const jobs = Array.from({ length: HTTP_REQUESTS }, () => ({ method: r.pick(METHODS), path: path(), body: body(), ct: r.pick(['application/json', 'text/plain', 'application/octet-stream', '']), creds: creds() }));
    const problems: string[] = [];
    let answered = 0;
    await pool(jobs.length, 20, async (i) => {
      const j = jobs[i];
      if (j.method === 'POST' && !notShutdown(j.path)) j.path = '/nope'; // the one request that ends the agent by design
      const reply = await send(port, keep, j.method, j.path, j.method === 'GET' || j.method === 'HEAD' ? undefined : j.body, { ...j.creds, ...(j.ct ? { 'content-type': j.ct } : {}) }).catch((e: Error) => ({ status: -1, headers: {}, body: e.message }));
      count(reply.status);
      answered++;
      if (reply.status < 200 || reply.status > 599) problems.push(`${j.method} ${j.path}: ${reply.status} ${reply.body.slice(0, 200)}`);
      else if (reply.status >= 400 && j.method !== 'HEAD') {
        try {
          const e = JSON.parse(reply.body) as { ok?: boolean; error?: { code?: unknown; message?: unknown } };
          if (e.ok !== false || typeof e.error?.code !== 'string' || typeof e.error?.message !== 'string') problems.push(`${j.method} ${j.path}: ${reply.status} not an AgentError: ${reply.body.slice(0, 200)}`);
        } catch {
          problems.push(`${j.method} ${j.path}: ${reply.status} not JSON: ${reply.body.slice(0, 200)}`);
        }
      }
      if (reply.status === 500 && !/bundle-missing|worker-died|cold-start/.test(reply.body)) problems.push(`${j.method} ${j.path}: an unexpected 500: ${reply.body.slice(0, 300)}`);
    });
    keep.destroy();

    // 2. malformed framing: one connection each, 20 at a time
    const RAW_REQUESTS = 1500;
    const rawJob = (): string | Buffer => {
      const p = notShutdown(path()) ? path() : '/nope';
      switch (r.int(11)) {
        case 0:
          return Buffer.concat([r.bytes(1 + r.int(200)), Buffer.from('\r\n\r\n')]);
        case 1:
          return `POST ${p} HTTP/1.1\r\nHost: x\r\nContent-Length: ${r.pick(['-1', 'abc', '1e3', '99999999999999999999', '18446744073709551616', ' 5', '5, 6', '0x10', ''])}\r\n\r\n{}`;
        case 2:
          return `PUT ${p} HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 30\r\n\r\nabc`;
        case 3:
          return `POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n${'{'.repeat(1 + r.int(900))}`;
        case 4:
          return `POST /warm HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${r.pick(['zz', '-1', 'fffffffffffffffff', '5\r\nab', '3\r\nabc\r\nq'])}\r\n`;
        case 5:
          return `POST /retire HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n2\r\n{}\r\n0\r\n\r\n`;
        case 6:
          return Buffer.concat([Buffer.from(`GET ${p} HTTP/1.1\r\n`), r.bytes(1 + r.int(100)), Buffer.from('\r\n\r\n')]);
        case 7:
          return `PUT /blobs/${sha0} HTTP/1.1\r\nHost: x\r\nContent-Length: ${1024 ** 3 + 1 + r.int(1e9)}\r\n\r\n${'x'.repeat(r.int(100))}`;
        case 8:
          return `GET ${p} ${r.pick(['HTTP/9.9', 'HTTP/1.1x', 'HTTP/', 'http/1.1', ''])}\r\nHost: x\r\n\r\n`;
        case 9:
          return `${r.pick(['FOO', 'get', 'G\x00T', 'POST\t', r.bytes(1 + r.int(8), 0x41, 0x5a).toString('latin1')])} ${p} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}`;
        default:
          return `${r.pick(['CONNECT', 'GET', 'POST'])} ${p} HTTP/1.1\r\nHost: x\r\n${'X-A: b\r\n'.repeat(r.int(50))}`; // headers never finished
      }
    };
    const raws = Array.from({ length: RAW_REQUESTS }, () => ({ bytes: rawJob(), authed: r.int(5) !== 0 }));
    let closed = 0;
    await pool(raws.length, 20, async (i) => {
      const out = await raw(port, raws[i].bytes, 5000, raws[i].authed).catch((e: Error) => (problems.push(e.message), ''));
      closed++;
      const s = statusOf(out);
      count(s);
      if (s >= 500) problems.push(`raw ${JSON.stringify(Buffer.from(raws[i].bytes).toString('latin1').slice(0, 120))}: ${out.slice(0, 300)}`);
    });
    const ms = performance.now() - t0;
    const total = answered + closed;
    console.log(`agent fuzz (seed ${SEED}): ${total} malformed requests (${answered} over keep-alive, ${closed} raw) in ${Math.round(ms)} ms; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`);
    expect(problems.slice(0, 10), `seed ${SEED} (rerun with FUZZ_SEED=${SEED})`).toEqual([]);
    expect(total).toBeGreaterThanOrEqual(10_000);
    expect(statuses.get(-1) ?? 0, `seed ${SEED}: requests that got no answer`).toBe(0);
    await wellFormed();
  }, 60_000);
});
