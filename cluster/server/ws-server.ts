/**
 * Browser mode: the StudioApi over a WebSocket on 127.0.0.1, plus the built renderer over HTTP.
 * A token made at each start guards the socket: the printed URL carries it (`?token=`), the
 * page hands it to the socket, and a connection without it (or from another origin) is
 * refused. Requests are validated by the service against the contract's schemas.
 *
 * Any page the user has open can reach this port (an <img> needs no token), and any client with
 * the token can send any frame: nothing a request or a frame carries may throw out of a handler
 * (that would end `npm run web`). A bad request gets a 4xx, a failure a 5xx, a protocol error on a
 * socket closes that socket with the code ws chose (1002, 1007, 1009), and the server keeps serving.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, resolve, sep } from 'node:path';
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
// ws loads after the server listens (see loadWs): ~0.1 s of module loading off the path to the URL
import type { WebSocket, WebSocketServer } from 'ws';
// the contract (zod and the spec's schemas) loads with the service, not before the server listens
import type { WsFrame } from '../api/contract';
import { contentSecurityPolicy } from './csp';
import { MAX_REQUEST_BYTES } from '../common/limits';
import { answerClientErrors } from '../http-refusal';
import type { StudioService } from './service';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ttf': 'font/ttf',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
};

export interface StudioServerOptions {
  /**
   * the service, a promise of it, or a loader: the page can load while the platform code still
   * loads. A loader is called once the page's script has been served (or a socket connects, or
   * after `lazyServiceMs`), so loading TypeScript and zod — which blocks this process's event
   * loop for about a second — never delays serving the page itself.
   */
  service: StudioService | Promise<StudioService> | (() => Promise<StudioService>);
  /**
   * Where the socket's request schema and event names come from (default: ../api/contract). The
   * bundled server passes the copy inside its service bundle (web.ts), so zod and the contract are
   * loaded once, not once for the service and again for this file.
   */
  contract?: () => Promise<WsContract>;
  /** start a lazy service loader at the latest this long after listening (default 1500 ms) */
  lazyServiceMs?: number;
  /**
   * After index.html has been sent, how long to wait for the browser to ask for the files it loads
   * first (default 40 ms). None asked for in that time: it has them cached (a warm start), and the
   * service loads while the browser compiles the page's script. Some asked for: it loads once
   * they have all been sent.
   */
  assetGraceMs?: number;
  /** the built renderer (index.html and assets) */
  rendererDir: string;
  /** 0 picks a free port */
  port?: number;
  /** fixed token (tests); a random one otherwise */
  token?: string;
}

/** What the socket needs of the contract: the request schema, its error, and the events to forward. */
export type WsContract = Pick<typeof import('../api/contract'), 'WsRequestSchema' | 'invalidRequest' | 'EVENT_NAMES'>;

export interface StudioServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The request target as a URL, or undefined when the URL parser refuses it (`//[`, `//x:99999`). */
function parseUrl(target: string | undefined): URL | undefined {
  try {
    return new URL(target ?? '/', 'http://127.0.0.1');
  } catch {
    return undefined;
  }
}

/** The files index.html makes the browser fetch at once ('/assets/…' paths): scripts, preloads, style sheets. */
export function initialAssets(root: string): Set<string> {
  const out = new Set<string>();
  try {
    const html = readFileSync(join(root, 'index.html'), 'utf8');
    for (const m of html.matchAll(/<(?:script|link)\b[^>]*?\b(?:src|href)="\.?(\/[^"]+)"/g)) if (!m[1].startsWith('//')) out.add(m[1]);
  } catch {
    // no index.html: startStudioServer refuses to start anyway
  }
  return out;
}

/**
 * The cookie that says a browser has loaded this renderer build's page before: its value names
 * the build (a hash of index.html, which names every hashed asset). Set with the page; sent back
 * with the next start's request for it, it means the browser most likely holds the page's files in
 * its cache (they are immutable), so the service's load need not wait for them.
 */
export const ASSETS_COOKIE = 'edgeai-assets';

/** The renderer build's id for ASSETS_COOKIE (empty without an index.html). */
export function rendererBuildId(root: string): string {
  try {
    return createHash('sha256').update(readFileSync(join(root, 'index.html'))).digest('base64url').slice(0, 16);
  } catch {
    return '';
  }
}

/** True when a request's Cookie header carries ASSETS_COOKIE with this build's id. */
export function hasBuildCookie(header: string | undefined, build: string): boolean {
  if (!header || !build) return false;
  return header.split(';').some((c) => c.trim() === `${ASSETS_COOKIE}=${build}`);
}

export async function startStudioServer(opts: StudioServerOptions): Promise<StudioServer> {
  const token = opts.token ?? randomBytes(24).toString('base64url');
  const root = resolve(opts.rendererDir);
  if (!existsSync(join(root, 'index.html'))) {
    throw new Error(`no built renderer in ${root}: run \`npm run build\` first`);
  }
  let port = 0;

  let servicePromise: Promise<StudioService> | undefined = typeof opts.service === 'function' ? undefined : Promise.resolve(opts.service);
  const loader = typeof opts.service === 'function' ? opts.service : undefined;
  const ready = (): Promise<StudioService> => (servicePromise ??= loader!());
  let contractPromise: Promise<WsContract> | undefined;
  const loadContract = (): Promise<WsContract> => (contractPromise ??= opts.contract ? opts.contract() : import('../api/contract'));
  let lazyTimer: NodeJS.Timeout | undefined;
  // The service's load blocks this thread for a few hundred ms (TypeScript's parser, zod): it never
  // starts before the page itself has been sent. After index.html, the browser either asks for the
  // files index.html names (its cache is cold), and the load starts once every one of them has been
  // sent — so it never holds back the page's own script — or it has them all cached and asks for
  // none within assetGraceMs, and the load starts then. Either way it runs while the browser
  // evaluates the page's script. ws (what the page connects to next) loads just before it. A
  // browser that says it loaded this build's page before (ASSETS_COOKIE) has the files cached: the
  // load starts as soon as index.html is sent, without the grace (the warm start's wait for the
  // service is that much shorter; a browser whose cache was cleared gets its files after the load).
  const firstFiles = initialAssets(root);
  const build = rendererBuildId(root);
  let askedFirst = false;
  let graceTimer: NodeJS.Timeout | undefined;
  const loadAll = () => {
    if (graceTimer) clearTimeout(graceTimer);
    void loadWs().catch(() => undefined); // a failed load surfaces where it is awaited (the upgrade)
    if (loader) void ready().catch(() => undefined); // likewise (a request, the socket's hello)
  };
  const pageSent = (cached: boolean) => {
    if (askedFirst || servicePromise) return;
    if (cached) return void setImmediate(loadAll);
    if (graceTimer) return;
    graceTimer = setTimeout(() => {
      if (!askedFirst) loadAll();
    }, opts.assetGraceMs ?? 40);
    graceTimer.unref();
  };
  const sent = (rel: string) => {
    if (servicePromise) return;
    firstFiles.delete(rel);
    if (firstFiles.size === 0) setImmediate(loadAll);
  };

  // ws itself: loaded with the service, or by the first socket that arrives before it
  let wss: Promise<WebSocketServer> | undefined;
  // required, not imported: node's ES module loader would first scan each of ws's CommonJS files
  // for its exports (cjs-module-lexer, ~20-40 ms of the warm start's path on a busy machine)
  const loadWs = (): Promise<WebSocketServer> =>
    (wss ??= Promise.resolve().then(() => createRequire(import.meta.url)('ws') as typeof import('ws')).then(({ WebSocketServer: Wss }) => {
      const w = new Wss({ noServer: true, maxPayload: MAX_REQUEST_BYTES });
      w.on('connection', onConnection);
      return w;
    }));

  const serveFile = (url: URL, req: IncomingMessage, res: ServerResponse) => {
    let rel: string;
    try {
      rel = decodeURIComponent(url.pathname);
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' }).end(`bad request: the path ${url.pathname} has a malformed %-escape; escape it with encodeURIComponent`);
      return;
    }
    if (rel === '/' || rel === '') rel = '/index.html';
    const file = resolve(root, '.' + rel);
    if (file !== root && !file.startsWith(root + sep)) {
      res.writeHead(403).end('forbidden');
      return;
    }
    if (!existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' }).end(`not found: ${rel}`);
      return;
    }
    const headers: Record<string, string> = {
      'content-type': MIME[extname(file)] ?? 'application/octet-stream',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': rel.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-store',
    };
    if (extname(file) === '.html') {
      // HttpOnly and SameSite: no page script reads it, no other site sends it
      if (build) headers['set-cookie'] = `${ASSETS_COOKIE}=${build}; Path=/; Max-Age=31536000; SameSite=Strict; HttpOnly`;
      headers['content-security-policy'] = contentSecurityPolicy({ connect: [`ws://127.0.0.1:${port}`] });
      headers['x-frame-options'] = 'DENY';
    }
    const stream = createReadStream(file);
    // an unreadable file (permissions, removed meanwhile): a stream error with no listener would throw
    stream.once('error', (e) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`cannot read ${rel}: ${e.message}`);
      else res.destroy();
    });
    stream.once('open', () => {
      res.writeHead(200, headers);
      if (!servicePromise && (firstFiles.has(rel) || extname(file) === '.js')) {
      askedFirst ||= firstFiles.has(rel);
      res.once('finish', () => sent(rel));
    }
    if (rel === '/index.html') res.once('finish', () => pageSent(hasBuildCookie(req.headers.cookie, build)));
      stream.pipe(res);
    });
  };

  const okHost = (host: string | undefined) => host === `127.0.0.1:${port}` || host === `localhost:${port}`;

  /**
   * GET /api/boot?token=…[&project=dir]: what the page needs first (studio.info, and project.open
   * of the initial project) in one response. The page asks for it before its own script has
   * finished evaluating, so the service's load, the project's parse and the page's start-up overlap
   * instead of running one after the other over the WebSocket. The same token as the WebSocket;
   * no CORS headers, so other origins cannot read it.
   */
  const serveBoot = async (url: URL, req: IncomingMessage, res: ServerResponse) => {
    if (!sameToken(url.searchParams.get('token') ?? '', token) || !okHost(req.headers.host)) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end('forbidden: open the URL that `npm run web` printed');
      return;
    }
    try {
      const service = await ready();
      const info = await service.call('studio.info', {});
      const dir = url.searchParams.get('project') ?? (info.ok ? info.value.initialProject : undefined);
      const project = dir ? await service.call('project.open', { dir }) : undefined;
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
      res.end(JSON.stringify({ info, ...(project ? { project } : {}) }));
    } catch (e) {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end(`the studio service failed: ${(e as Error)?.message ?? String(e)}`);
      else res.destroy();
    }
  };

  const http: Server = createServer((req, res) => {
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      const url = parseUrl(req.url);
      if (!url) {
        res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' }).end('bad request: the request target is not a valid path');
        return;
      }
      if (url.pathname === '/api/boot') void serveBoot(url, req, res);
      else serveFile(url, req, res);
    } catch (e) {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`the studio server failed: ${(e as Error)?.message ?? String(e)}`);
      else res.destroy();
    }
  });

  answerClientErrors(http, (a) => `bad request: ${a.message}; ${a.hint}`);
  http.on('upgrade', (req, socket, head) => {
    // Node removes its own error listener from an upgraded socket: a reset with none would throw
    socket.on('error', () => socket.destroy());
    const refuse = (status: string, why: string) => {
      socket.end(`HTTP/1.1 ${status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(why)}\r\nConnection: close\r\n\r\n${why}`, () => socket.destroy());
    };
    try {
      const url = parseUrl(req.url);
      if (!url) return refuse('400 Bad Request', 'bad request: the request target is not a valid path');
      const origin = req.headers.origin;
      const okOrigin = origin === undefined || origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`;
      // a foreign Host is a page that rebound its own name to 127.0.0.1 (DNS rebinding): refused like a foreign origin
      if (url.pathname !== '/api' || !sameToken(url.searchParams.get('token') ?? '', token) || !okOrigin || !okHost(req.headers.host)) {
        socket.write('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
        socket.destroy();
        return;
      }
      loadWs().then(
        (w) => w.handleUpgrade(req, socket, head, (ws) => w.emit('connection', ws, req)),
        (e: unknown) => refuse('500 Internal Server Error', `the studio server could not load its WebSocket library (ws): ${(e as Error)?.message ?? String(e)}; run \`npm install\``),
      );
    } catch (e) {
      refuse('500 Internal Server Error', `the studio server failed: ${(e as Error)?.message ?? String(e)}`);
    }
  });

  function onConnection(ws: WebSocket): void {
    const clientId = randomUUID();
    // listen at once: a request sent before the service has loaded waits for it, it is never dropped
    let closed = false;
    let unsubscribe: Array<() => void> = [];
    const loaded = Promise.all([ready(), loadContract()]);
    loaded.catch(() => undefined); // awaited below; a failed load must not also be an unhandled rejection
    const send = (frame: WsFrame) => {
      if (ws.readyState !== ws.OPEN) return;
      let text: string;
      try {
        text = JSON.stringify(frame);
      } catch (e) {
        if (frame.type !== 'result') return;
        text = JSON.stringify({ type: 'result', id: frame.id, result: { ok: false, error: { code: 'internal-error', message: `the answer could not be encoded as JSON: ${(e as Error).message}`, hint: 'this is a bug in the studio service; please report it' } } } satisfies WsFrame);
      }
      ws.send(text);
    };
    // A protocol error (invalid UTF-8, an unmasked frame, a reserved opcode or RSV bit, a frame over
    // maxPayload): ws has already started closing this socket with the matching code (1002, 1007,
    // 1009) and emits 'error' on it, which throws when nobody listens. Only this connection ends.
    ws.on('error', () => {
      if (ws.readyState !== ws.CLOSED && ws.readyState !== ws.CLOSING) ws.terminate();
    });
    const answer = async (data: unknown) => {
      let frame: unknown;
      try {
        frame = JSON.parse(String(data));
      } catch {
        return; // not JSON: no id to answer to
      }
      const id = frame && typeof frame === 'object' && Number.isInteger((frame as { id?: unknown }).id) ? (frame as { id: number }).id : undefined;
      const method = frame && typeof frame === 'object' && typeof (frame as { method?: unknown }).method === 'string' ? (frame as { method: string }).method : '(request)';
      const fail = (code: string, message: string, hint: string) => {
        if (id !== undefined) send({ type: 'result', id, result: { ok: false, error: { code, message, hint } } });
      };
      let service: StudioService;
      let contract: WsContract;
      try {
        [service, contract] = await loaded;
      } catch (e) {
        return fail('service-unavailable', `${method}: the studio service failed to load: ${(e as Error)?.message ?? String(e)}`, 'restart `npm run web`; if it fails again, run `npm run typecheck`');
      }
      const req = contract.WsRequestSchema.safeParse(frame);
      // JSON, but not a request: answer when it says which request it was, ignore it otherwise
      if (!req.success) return id === undefined ? undefined : send({ type: 'result', id, result: { ok: false, error: contract.invalidRequest(method, req.error) } });
      try {
        const result = await service.call(req.data.method as never, req.data.params, { clientId });
        send({ type: 'result', id: req.data.id, result });
      } catch (e) {
        fail('internal-error', `${req.data.method}: ${(e as Error)?.message ?? String(e)}`, 'the studio server keeps serving; if it happens again, please report it');
      }
    };
    ws.on('message', (data) => {
      answer(data).catch(() => undefined); // answer() catches what it can answer; nothing else may escape
    });
    ws.on('close', () => {
      closed = true;
      unsubscribe.forEach((u) => u());
    });
    loaded.then(
      ([service, { EVENT_NAMES }]) => {
        if (closed) return;
        unsubscribe = EVENT_NAMES.map((event) => service.on(event, (payload) => send({ type: 'event', event, payload })));
        send({ type: 'hello', clientId });
      },
      (e: unknown) => {
        // close reasons are at most 123 bytes
        const reason = `the studio service failed to load: ${(e as Error)?.message ?? String(e)}`;
        if (ws.readyState === ws.OPEN) ws.close(1011, Buffer.from(reason).subarray(0, 123).toString());
      },
    );
  }

  await new Promise<void>((ok, fail) => {
    http.once('error', fail);
    http.listen(opts.port ?? 0, '127.0.0.1', () => ok());
  });
  port = (http.address() as AddressInfo).port;
  if (loader) {
    lazyTimer = setTimeout(loadAll, opts.lazyServiceMs ?? 1500);
    lazyTimer.unref();
  } else {
    // a service given (tests, Electron's browser fallback): only ws is left to load, soon
    lazyTimer = setTimeout(loadAll, opts.lazyServiceMs ?? 200);
    lazyTimer.unref();
  }
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    close: () =>
      new Promise<void>((ok) => {
        if (lazyTimer) clearTimeout(lazyTimer);
        if (graceTimer) clearTimeout(graceTimer);
        const closeWs = (w: WebSocketServer) => {
          for (const c of w.clients) c.terminate();
          w.close();
        };
        void wss?.then(closeWs, () => undefined);
        http.closeAllConnections?.();
        http.close(() => ok());
      }),
  };
}
