/**
 * The studio server of browser mode (cluster/server/ws-server.ts) against malformed input: its HTTP
 * side (any page or process on this machine can reach it, no token needed) and its WebSocket
 * (a client with the token can send any frame). Raw frames go over a net.Socket after a real
 * handshake built by hand, so nothing in a client library smooths them over.
 *
 * Rerun a failure with the seed it prints: FUZZ_SEED=<n> npx vitest run cluster/server/ws-server.fuzz.test.ts
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type Socket } from 'node:net';
import { Agent, request } from 'node:http';
import { randomBytes } from 'node:crypto';
import { StudioService } from './service';
import { startStudioServer, type StudioServer } from './ws-server';
import { MAX_REQUEST_BYTES } from '../common/limits';

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed11);
const TOKEN = 'fuzz-token-0123456789';

/** mulberry32: the same seed makes the same requests and frames. */
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

// ---- the server under test --------------------------------------------------------------------
const FILES: Record<string, string> = {
  '/index.html': '<!doctype html><script type="module" src="./assets/index.js"></script><link rel="stylesheet" href="./assets/index.css">',
  '/assets/index.js': 'console.log(1)',
  '/assets/index.css': 'body{}',
};

/** the temporary folders this file made, removed after it */
const made: string[] = [];
afterAll(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

function rendererDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'studio-fuzz-'));
  made.push(dir);
  mkdirSync(join(dir, 'assets'));
  for (const [rel, text] of Object.entries(FILES)) writeFileSync(join(dir, rel), text);
  return dir;
}

/**
 * The real service for studio.info and for names that probe its own method lookup
 * (`__proto__`, `constructor`); `test.throw` throws out of call(); nothing else runs, so no
 * generated frame can start a cluster or write a project.
 */
function fuzzService(): StudioService {
  const real = new StudioService();
  const delegated = new Set(['studio.info', '__proto__', 'constructor', 'toString', 'hasOwnProperty', '']);
  return {
    call: async (method: string, params: unknown, ctx: unknown) => {
      if (method === 'test.throw') throw new Error('the stand-in service threw');
      if (delegated.has(method)) return real.call(method as 'studio.info', params, ctx as { clientId?: string });
      return { ok: false, error: { code: 'unknown-method', message: `no method '${method}' in the fuzz service` } };
    },
    on: real.on.bind(real),
  } as unknown as StudioService;
}

let server: StudioServer;
beforeAll(async () => {
  server = await startStudioServer({ service: fuzzService(), rendererDir: rendererDir(), token: TOKEN });
});
afterAll(async () => {
  await server?.close();
});

// a throw out of a handler kills `npm run web` in real life; vitest would only log it
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

// ---- HTTP helpers -------------------------------------------------------------------------------
function raw(port: number, bytes: string | Buffer, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    const out: Buffer[] = [];
    const timer = setTimeout(() => (s.destroy(), reject(new Error(`no close within ${timeoutMs} ms after sending ${JSON.stringify(Buffer.from(bytes).toString('latin1').slice(0, 200))}`))), timeoutMs);
    s.on('data', (d) => out.push(d));
    s.on('error', () => undefined);
    s.on('close', () => (clearTimeout(timer), resolve(Buffer.concat(out).toString('latin1'))));
    s.end(bytes);
  });
}
const statusOf = (response: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0);

function send(port: number, agent: Agent, method: string, path: string, body?: Buffer | string): Promise<{ status: number; body: string }> {
  const headers: Record<string, string> = body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) };
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, agent, headers, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within 10 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

async function pool(total: number, concurrency: number, job: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < total) await job(next++);
  }));
}

// ---- WebSocket over a raw socket ------------------------------------------------------------------
interface ServerFrame {
  opcode: number;
  payload: Buffer;
}

/** A client frame: masked unless told otherwise; `length` announces another length than the payload's. */
function frame(opcode: number, payload: Buffer, o: { fin?: boolean; rsv?: number; mask?: boolean; length?: bigint } = {}): Buffer {
  const { fin = true, rsv = 0, mask = true } = o;
  const n = o.length ?? BigInt(payload.length);
  const head: number[] = [(fin ? 0x80 : 0) | ((rsv & 7) << 4) | (opcode & 0x0f)];
  const m = mask ? 0x80 : 0;
  let ext = Buffer.alloc(0);
  if (n < 126n) head.push(m | Number(n));
  else if (n < 65536n) {
    head.push(m | 126);
    ext = Buffer.alloc(2);
    ext.writeUInt16BE(Number(n));
  } else {
    head.push(m | 127);
    ext = Buffer.alloc(8);
    ext.writeBigUInt64BE(n);
  }
  if (!mask) return Buffer.concat([Buffer.from(head), ext, payload]);
  const key = randomBytes(4);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i] ^= key[i & 3];
  return Buffer.concat([Buffer.from(head), ext, key, body]);
}
const text = (s: string) => frame(0x1, Buffer.from(s, 'utf8'));

interface Conn {
  socket: Socket;
  frames: ServerFrame[];
  /** results by id */
  results: Map<number, { ok: boolean; error?: { code: string; message: string } }>;
  closed: Promise<{ closeCode?: number }>;
  write(b: Buffer): Promise<void>;
}

/** A WebSocket handshake written by hand (the token in the query, as the page's URL carries it); resolves on 101 and the hello frame. */
function wsConnect(port: number, timeoutMs = 5000): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const frames: ServerFrame[] = [];
    const results: Conn['results'] = new Map();
    let buf = Buffer.alloc(0);
    let upgraded = false;
    let closeCode: number | undefined;
    const timer = setTimeout(() => (socket.destroy(), reject(new Error(`no handshake within ${timeoutMs} ms`))), timeoutMs);
    const closed = new Promise<{ closeCode?: number }>((ok) => socket.on('close', () => ok({ closeCode })));
    socket.on('error', () => undefined);
    const conn: Conn = {
      socket,
      frames,
      results,
      closed,
      write: (b) => new Promise((ok) => (socket.write(b) ? ok() : socket.once('drain', ok))),
    };
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (!upgraded) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.subarray(0, end).toString('latin1');
        if (!/^HTTP\/1\.1 101 /.test(head)) return void (clearTimeout(timer), socket.destroy(), reject(new Error(`handshake refused: ${head}`)));
        upgraded = true;
        buf = buf.subarray(end + 4);
      }
      for (;;) {
        if (buf.length < 2) return;
        let len = buf[1] & 0x7f;
        let off = 2;
        if (len === 126) {
          if (buf.length < 4) return;
          len = buf.readUInt16BE(2);
          off = 4;
        } else if (len === 127) {
          if (buf.length < 10) return;
          len = Number(buf.readBigUInt64BE(2));
          off = 10;
        }
        if (buf.length < off + len) return;
        const f = { opcode: buf[0] & 0x0f, payload: buf.subarray(off, off + len) };
        buf = buf.subarray(off + len);
        frames.push(f);
        if (f.opcode === 0x8) closeCode = f.payload.length >= 2 ? f.payload.readUInt16BE(0) : 1005;
        if (f.opcode === 0x1) {
          const msg = JSON.parse(f.payload.toString('utf8')) as { type: string; id?: number; result?: { ok: boolean; error?: { code: string; message: string } } };
          if (msg.type === 'hello') (clearTimeout(timer), resolve(conn));
          if (msg.type === 'result' && msg.id !== undefined && msg.result) results.set(msg.id, msg.result);
        }
      }
    });
    socket.write(
      `GET /api?token=${TOKEN} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nOrigin: http://127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
  });
}

/**
 * Sends `bytes` and waits for the server to close the connection; the close code it sent, if any.
 * `thenEnd`: half-close right after (for bytes that may leave the server waiting for the rest of a frame).
 */
async function closesWith(bytes: Buffer, thenEnd = false, timeoutMs = 5000): Promise<number | undefined> {
  const c = await wsConnect(server.port);
  await c.write(bytes);
  if (thenEnd) c.socket.end();
  const timer = setTimeout(() => c.socket.destroy(new Error(`the server did not close within ${timeoutMs} ms`)), timeoutMs);
  const { closeCode } = await c.closed;
  clearTimeout(timer);
  return closeCode;
}

/** A well-formed request on a new connection gets its right answer. */
async function answersStudioInfo(): Promise<void> {
  const c = await wsConnect(server.port);
  await c.write(text(JSON.stringify({ id: 1, method: 'studio.info', params: {} })));
  await expect.poll(() => c.results.get(1), { timeout: 5000 }).toMatchObject({ ok: true, value: { features: { runtime: true } } });
  c.socket.destroy();
  const page = await fetch(`http://127.0.0.1:${server.port}/`, { signal: AbortSignal.timeout(5000) });
  expect([page.status, await page.text()]).toEqual([200, FILES['/index.html']]);
}

// ---- focused: each protocol error closes only its own connection, with the code RFC 6455 names ----
describe('studio WebSocket: a protocol error closes that connection with its code, and the server keeps serving', () => {
  const cases: Array<[string, number, () => Buffer]> = [
    ['invalid UTF-8 in a text frame', 1007, () => frame(0x1, Buffer.from([0x7b, 0xc3, 0x28, 0x7d]))],
    ['an unmasked client frame', 1002, () => frame(0x1, Buffer.from('{}'), { mask: false })],
    ['a reserved opcode (0x3)', 1002, () => frame(0x3, Buffer.from('x'))],
    ['a reserved control opcode (0xB)', 1002, () => frame(0xb, Buffer.alloc(0))],
    ['RSV1 set without an extension', 1002, () => frame(0x1, Buffer.from('{}'), { rsv: 4 })],
    ['RSV2 and RSV3 set', 1002, () => frame(0x1, Buffer.from('{}'), { rsv: 3 })],
    [`a header announcing ${MAX_REQUEST_BYTES + 1} bytes (over maxPayload)`, 1009, () => frame(0x1, Buffer.alloc(0), { length: BigInt(MAX_REQUEST_BYTES + 1) })],
    ['a header announcing 2^63 bytes', 1009, () => frame(0x2, Buffer.alloc(0), { length: 1n << 63n })],
    ['a continuation frame with nothing to continue', 1002, () => frame(0x0, Buffer.from('x'))],
    ['a fragmented ping', 1002, () => frame(0x9, Buffer.from('x'), { fin: false })],
    ['a ping longer than 125 bytes', 1002, () => frame(0x9, Buffer.alloc(126))],
    ['a close frame with an invalid code (999)', 1002, () => frame(0x8, Buffer.from([0x03, 0xe7]))],
  ];
  it.each(cases)('%s → %i', async (_name, code, bytes) => {
    expect(await closesWith(bytes())).toBe(code);
    await answersStudioInfo();
  });
});

// ---- fuzz ---------------------------------------------------------------------------------------
describe('studio server fuzz', () => {
  it(`HTTP: survives ≥ 10,000 generated malformed requests (seed ${SEED}), serves no file outside the renderer, then answers`, async () => {
    const r = prng(SEED);
    const t0 = performance.now();
    const statuses = new Map<number, number>();
    const count = (s: number) => statuses.set(s, (statuses.get(s) ?? 0) + 1);
    const problems: string[] = [];
    const BAD_ESCAPES = ['%', '%%', '%E0%A4%A', '%ZZ', '%C0%AF', '%ED%A0%80', '%FF', '%E0%A4', '%0', '%u0041', '%25%', '%F4%90%80%80', '%00', '%2e%2e', '%2f', '%5c'];
    const ROUTES = ['/', '/index.html', '/assets/index.js', '/assets/index.css', '/api/boot', '/api', '/assets/', '/nope.js'];
    const path = (): string => {
      const route = r.pick(ROUTES);
      switch (r.int(8)) {
        case 0: {
          const segs = route.split('/');
          segs[1 + r.int(Math.max(1, segs.length - 1))] = r.pick(BAD_ESCAPES) + r.bytes(r.int(4), 0x30, 0x7a).toString('latin1');
          return segs.join('/') || '/';
        }
        case 1:
          return '/' + r.bytes(1 + r.int(60), 0x21, 0xff).toString('latin1');
        case 2:
          return `/api/boot?token=${r.pick([r.bytes(r.int(30), 0x21, 0x7e).toString('latin1'), r.pick(BAD_ESCAPES), TOKEN.slice(0, -1), ''])}&project=${r.pick(BAD_ESCAPES)}`;
        case 3:
          return r.pick(['/..', '/../..', '/%2e%2e/%2e%2e/etc/passwd', '/..%2f..%2fetc%2fpasswd', '/assets/..%5c..%5cpackage.json', '/%2e%2e%2fpackage.json', '/assets/%2e%2e/%2e%2e/%2e%2e/etc/hosts', '/.%00./']);
        case 4:
          return '//' + r.bytes(1 + r.int(20), 0x21, 0x7e).toString('latin1');
        case 5:
          return `${route}?${r.pick(BAD_ESCAPES)}=${r.bytes(r.int(10), 0x21, 0x7e).toString('latin1')}`;
        default:
          return route;
      }
    };
    const METHODS = ['GET', 'GET', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE', 'PROPFIND'];
    const served = new Set(Object.values(FILES));

    const keep = new Agent({ keepAlive: true, maxSockets: 20 });
    const jobs = Array.from({ length: 9000 }, () => ({ method: r.pick(METHODS), path: path(), body: r.int(3) === 0 ? r.bytes(r.int(200)) : undefined }));
    let answered = 0;
    await pool(jobs.length, 20, async (i) => {
      const j = jobs[i];
      const reply = await send(server.port, keep, j.method, j.path, j.method === 'GET' || j.method === 'HEAD' ? undefined : j.body).catch((e: Error) => ({ status: -1, body: e.message }));
      answered++;
      count(reply.status);
      const where = `${j.method} ${j.path}`;
      if (![200, 400, 403, 404, 405].includes(reply.status)) problems.push(`${where}: ${reply.status} ${reply.body.slice(0, 200)}`);
      // a 200 is one of the renderer's files, never anything else on the disk
      if (reply.status === 200 && j.method !== 'HEAD' && !served.has(reply.body)) problems.push(`${where}: served something that is not a renderer file: ${reply.body.slice(0, 200)}`);
    });
    keep.destroy();

    const upgrade = (target: string, headers: string) => `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n${headers}\r\n`;
    const key = () => `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n`;
    const rawJob = (): string | Buffer => {
      const p = path();
      switch (r.int(12)) {
        case 0:
          return Buffer.concat([r.bytes(1 + r.int(200)), Buffer.from('\r\n\r\n')]);
        case 1:
          return `GET ${p} HTTP/1.1\r\nHost: x\r\nContent-Length: ${r.pick(['-1', 'abc', '99999999999999999999', '5, 6', ''])}\r\n\r\n`;
        case 2:
          return Buffer.concat([Buffer.from(`GET ${p} HTTP/1.1\r\n`), r.bytes(1 + r.int(100)), Buffer.from('\r\n\r\n')]);
        case 3:
          return `GET ${p} ${r.pick(['HTTP/9.9', 'HTTP/1.1x', 'HTTP/', ''])}\r\nHost: x\r\n\r\n`;
        case 4:
          return `${r.pick(['FOO', 'get', 'G\x00T', r.bytes(1 + r.int(8), 0x41, 0x5a).toString('latin1')])} ${p} HTTP/1.1\r\nHost: x\r\n\r\n`;
        case 5:
          return `GET ${p} HTTP/1.1\r\nHost: x\r\n${'X-A: b\r\n'.repeat(r.int(50))}`; // headers never finished
        case 6: // upgrades that must be refused
          return upgrade(r.pick([`/api?token=${r.bytes(r.int(24), 0x21, 0x7e).toString('latin1')}`, p, '//[', `/api?token=${TOKEN}%`, `/other?token=${TOKEN}`]), key() + 'Sec-WebSocket-Version: 13\r\n');
        case 7: // the token, from another origin
          return upgrade(`/api?token=${TOKEN}`, key() + `Sec-WebSocket-Version: 13\r\nOrigin: ${r.pick(['http://evil.example', 'null', `http://127.0.0.1:${server.port + 1}`, r.bytes(10, 0x21, 0x7e).toString('latin1')])}\r\n`);
        case 8: // the token, a broken handshake
          return upgrade(`/api?token=${TOKEN}`, r.pick(['', key(), key() + 'Sec-WebSocket-Version: 8\r\n', 'Sec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n', key() + 'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=99\r\n']));
        case 9: // the token, a good handshake, then raw garbage in the same packet
          return Buffer.concat([Buffer.from(upgrade(`/api?token=${TOKEN}`, key() + 'Sec-WebSocket-Version: 13\r\n')), r.bytes(1 + r.int(64))]);
        case 10:
          return `GET ${p} HTTP/1.1\r\nHost: x\r\nUpgrade: ${r.pick(['h2c', 'websocket, foo', '', r.bytes(8, 0x21, 0x7e).toString('latin1')])}\r\nConnection: Upgrade\r\n\r\n`;
        default:
          return `GET ${p} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${r.pick(['zz', '-1', '5\r\nab'])}\r\n`;
      }
    };
    const raws = Array.from({ length: 1500 }, rawJob);
    let closed = 0;
    await pool(raws.length, 20, async (i) => {
      const out = await raw(server.port, raws[i]).catch((e: Error) => (problems.push(e.message), ''));
      closed++;
      const s = statusOf(out);
      count(s);
      if (s >= 500) problems.push(`raw ${JSON.stringify(Buffer.from(raws[i]).toString('latin1').slice(0, 120))}: ${out.slice(0, 300)}`);
    });
    const ms = performance.now() - t0;
    const total = answered + closed;
    console.log(`studio HTTP fuzz (seed ${SEED}): ${total} malformed requests (${answered} over keep-alive, ${closed} raw) in ${Math.round(ms)} ms; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`);
    expect(problems.slice(0, 10), `seed ${SEED} (rerun with FUZZ_SEED=${SEED})`).toEqual([]);
    expect(total).toBeGreaterThanOrEqual(10_000);
    await answersStudioInfo();
  }, 60_000);

  it(`WebSocket: survives ≥ 10,000 generated malformed frames (seed ${SEED}), answers every one that carries an id, then answers`, async () => {
    const r = prng(SEED + 1);
    const t0 = performance.now();
    const problems: string[] = [];

    // 1. frames that break the protocol: a new connection each, 20 at a time
    const kinds: Array<[string, () => Buffer, number[] | undefined]> = [
      ['invalid UTF-8', () => frame(0x1, Buffer.concat([Buffer.from('{"id":1,"method":"'), r.pick([Buffer.from([0xff]), Buffer.from([0xc3, 0x28]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xf4, 0x90, 0x80, 0x80]), Buffer.from([0xe0, 0x80])]), Buffer.from('"}')])), [1007]],
      ['unmasked', () => frame(r.pick([0x1, 0x2, 0x9]), r.bytes(r.int(50), 0x20, 0x7e), { mask: false }), [1002]],
      ['reserved opcode', () => frame(r.pick([0x3, 0x4, 0x5, 0x6, 0x7, 0xb, 0xc, 0xd, 0xe, 0xf]), r.bytes(r.int(50))), [1002]],
      ['RSV bits', () => frame(r.pick([0x1, 0x2]), r.bytes(r.int(50), 0x20, 0x7e), { rsv: 1 + r.int(7) }), [1002]],
      ['over maxPayload', () => frame(r.pick([0x1, 0x2]), r.bytes(r.int(20)), { length: BigInt(MAX_REQUEST_BYTES + 1 + r.int(1e9)) }), [1009]],
      ['over 2^53', () => frame(0x1, Buffer.alloc(0), { length: (1n << 53n) + BigInt(r.int(1e6)) }), [1009]],
      ['bad control frame', () => r.pick([frame(0x9, Buffer.alloc(126 + r.int(100))), frame(0xa, Buffer.from('x'), { fin: false }), frame(0x8, Buffer.from([0x03, 0xe7])), frame(0x8, Buffer.from([0x03]))]), [1002]],
      ['orphan continuation', () => frame(0x0, r.bytes(r.int(20))), [1002]],
      ['new message inside a fragmented one', () => Buffer.concat([frame(0x1, Buffer.from('{"a":'), { fin: false }), frame(0x1, Buffer.from('1}'))]), [1002]],
      ['random bytes', () => r.bytes(1 + r.int(200)), undefined],
      ['truncated frame', () => frame(0x1, Buffer.from('{"id":1,"method":"studio.info","params":{}}')).subarray(0, 2 + r.int(20)), undefined],
    ];
    const BROKEN = 2200;
    let brokenSent = 0;
    await pool(BROKEN, 20, async () => {
      const [name, make, codes] = r.pick(kinds);
      const bytes = make();
      const code = await closesWith(bytes, !codes).catch((e: Error) => (problems.push(`${name}: ${e.message}`), -1));
      brokenSent++;
      if (codes && (code === undefined || !codes.includes(code))) problems.push(`${name} (${bytes.subarray(0, 16).toString('hex')}…): closed with ${code}, expected ${codes.join(' or ')}`);
    });
    const brokenMs = performance.now() - t0;

    // 2. frames that are valid WebSocket but not valid requests: 20 connections that stay open
    const CONNS = 20;
    const PER_CONN = 420;
    const conns = await Promise.all(Array.from({ length: CONNS }, () => wsConnect(server.port)));
    let garbageSent = 0;
    const expected = conns.map(() => new Map<number, string>()); // id → what must come back (an error code, or ok)
    const sentText = conns.map(() => new Map<number, string>());
    await Promise.all(
      conns.map(async (c, ci) => {
        let id = 1;
        for (let k = 0; k < PER_CONN; k++) {
          const n = id++;
          let f: Buffer;
          switch (r.int(12)) {
            case 0:
              f = text(r.bytes(1 + r.int(200), 0x20, 0x7e).toString('latin1')); // printable, rarely JSON
              break;
            case 1:
              f = text(r.pick(['null', '[]', '1', '"x"', '{}', 'true', '{"method":"studio.info"}', '{"id":"1","method":"studio.info"}', '{"id":1.5,"method":"studio.info"}', '{"id":null}', '{"__proto__":{"id":1}}']));
              break;
            case 2: {
              // JSON with an integer id that is not a request: must be answered with invalid-request
              f = text(JSON.stringify({ id: n, ...r.pick([{ method: 5 }, {}, { method: null }, { method: ['studio.info'] }, { method: {} }]) }));
              expected[ci].set(n, 'invalid-request');
              break;
            }
            case 3: {
              // a request for a method that does not exist (some probe the service's own lookup)
              const method = r.pick(['nope', '__proto__', 'constructor', 'toString', '', 'hasOwnProperty', 'x'.repeat(1000)]);
              f = text(JSON.stringify({ id: n, method, params: r.pick([{}, null, [], 'x', { a: 1 }]) }));
              expected[ci].set(n, 'unknown-method');
              break;
            }
            case 4:
              f = text(JSON.stringify({ id: n, method: 'test.throw', params: {} }));
              expected[ci].set(n, 'internal-error');
              break;
            case 5:
              f = text(JSON.stringify({ id: n, method: 'studio.info', params: r.pick([{ extra: 1 }, [], 'x', 5]) }));
              expected[ci].set(n, 'invalid-request');
              break;
            case 6:
              f = frame(0x2, r.bytes(r.int(300))); // binary garbage
              break;
            case 7:
              f = frame(r.pick([0x9, 0xa]), r.bytes(r.int(125))); // pings and unsolicited pongs
              break;
            case 8:
              // a fragmented message of broken JSON (the x makes sure no id can be read from it)
              f = Buffer.concat([frame(0x1, Buffer.from('{"id":x'), { fin: false }), frame(0x0, Buffer.from(r.bytes(1 + r.int(20), 0x20, 0x7e).toString('latin1')), { fin: false }), frame(0x0, Buffer.from('}'))]);
              break;
            case 9:
              f = text('['.repeat(1 + r.int(5000)) + ']'.repeat(r.int(5000)));
              break;
            case 10:
              f = text(Buffer.from(r.bytes(1 + r.int(100)).toString('latin1'), 'utf8').toString('utf8')); // valid UTF-8 of random code points
              break;
            default:
              f = text(`{"id":${n},"method":"studio.info","params":${r.pick(['{', '{}}}', '{"a":}', '[,]', '{"'])}`); // broken JSON: no id can be read
          }
          sentText[ci].set(n, f.subarray(0, 40).toString('hex'));
          await c.write(f);
          garbageSent++;
        }
        // the well-formed request last: everything before it was read by then
        const last = id++;
        await c.write(text(JSON.stringify({ id: last, method: 'studio.info', params: {} })));
        expected[ci].set(last, 'ok');
      }),
    );
    for (const [ci, c] of conns.entries()) {
      await expect.poll(() => [...expected[ci].keys()].filter((id) => !c.results.has(id)).length, { timeout: 15_000, message: `seed ${SEED}: connection ${ci} has unanswered ids` }).toBe(0);
      for (const [id, want] of expected[ci]) {
        const got = c.results.get(id)!;
        const as = got.ok ? 'ok' : got.error?.code;
        if (as !== want) problems.push(`connection ${ci} id ${id}: answered ${JSON.stringify(got).slice(0, 200)}, expected ${want}`);
      }
      const unasked = [...c.results.keys()].filter((id) => !expected[ci].has(id));
      if (unasked.length) problems.push(`connection ${ci}: answers for ids that were not asked: ${unasked.slice(0, 5).map((id) => `${id} (frame ${sentText[ci].get(id)}…) → ${JSON.stringify(c.results.get(id)).slice(0, 100)}`).join(', ')}`);
      if (c.socket.destroyed) problems.push(`connection ${ci} was closed by frames that are valid WebSocket`);
      c.socket.destroy();
    }
    const ms = performance.now() - t0;
    const total = brokenSent + garbageSent;
    console.log(
      `studio WebSocket fuzz (seed ${SEED}): ${total} malformed frames (${brokenSent} protocol errors, one connection each, in ${Math.round(brokenMs)} ms; ${garbageSent} valid frames that are not requests over ${CONNS} connections, ${expected.reduce((n, m) => n + m.size, 0)} of them answered by id) in ${Math.round(ms)} ms`,
    );
    expect(problems.slice(0, 10), `seed ${SEED} (rerun with FUZZ_SEED=${SEED})`).toEqual([]);
    expect(total).toBeGreaterThanOrEqual(10_000);
    await answersStudioInfo();
  }, 60_000);
});
