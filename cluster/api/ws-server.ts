/**
 * Browser mode: the StudioApi over a WebSocket on 127.0.0.1, plus the built renderer over HTTP.
 * A token made at each start guards the socket: the printed URL carries it (`?token=`), the
 * page hands it to the socket, and a connection without it (or from another origin) is
 * refused. Requests are validated by the service against the contract's schemas.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, resolve, sep } from 'node:path';
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
// the contract (zod and the spec's schemas) loads with the service, not before the server listens
import type { WsFrame } from './contract';
import { contentSecurityPolicy } from './csp';
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
  /** start a lazy service loader at the latest this long after listening (default 1500 ms) */
  lazyServiceMs?: number;
  /** the built renderer (index.html and assets) */
  rendererDir: string;
  /** 0 picks a free port */
  port?: number;
  /** fixed token (tests); a random one otherwise */
  token?: string;
}

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
  let lazyTimer: NodeJS.Timeout | undefined;
  // The service's load blocks this thread for a few hundred ms (TypeScript's parser): it starts once
  // every file the page loads first (index.html's scripts, preloads and style sheets) has been sent,
  // so it never holds back the page's own script — and runs while the browser evaluates it.
  const firstFiles = initialAssets(root);
  const sent = (rel: string) => {
    if (servicePromise) return;
    firstFiles.delete(rel);
    if (firstFiles.size === 0) setImmediate(() => void ready());
  };

  const serveFile = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    let rel = decodeURIComponent(url.pathname);
    if (rel === '/' || rel === '') rel = '/index.html';
    const file = resolve(root, '.' + rel);
    if (file !== root && !file.startsWith(root + sep)) {
      res.writeHead(403).end('forbidden');
      return;
    }
    if (!existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${rel}`);
      return;
    }
    const headers: Record<string, string> = {
      'content-type': MIME[extname(file)] ?? 'application/octet-stream',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': rel.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-store',
    };
    if (extname(file) === '.html') {
      headers['content-security-policy'] = contentSecurityPolicy({ connect: [`ws://127.0.0.1:${port}`] });
      headers['x-frame-options'] = 'DENY';
    }
    res.writeHead(200, headers);
    if (!servicePromise && (firstFiles.has(rel) || extname(file) === '.js')) res.once('finish', () => sent(rel));
    createReadStream(file).pipe(res);
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
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`the studio service failed: ${(e as Error).message}`);
    }
  };

  const http: Server = createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === '/api/boot') void serveBoot(url, req, res);
    else serveFile(req, res);
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 8 * 1024 * 1024 });
  http.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const origin = req.headers.origin;
    const okOrigin = origin === undefined || origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`;
    if (url.pathname !== '/api' || !sameToken(url.searchParams.get('token') ?? '', token) || !okOrigin) {
      socket.write('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  wss.on('connection', async (ws: WebSocket) => {
    const clientId = randomUUID();
    // listen at once: a request sent before the service has loaded waits for it, it is never dropped
    let closed = false;
    let unsubscribe: Array<() => void> = [];
    const loaded = Promise.all([ready(), import('./contract')]);
    const send = (frame: WsFrame) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
    };
    ws.on('message', async (data) => {
      let frame: unknown;
      try {
        frame = JSON.parse(String(data));
      } catch {
        return; // not a request; nothing to answer
      }
      const [service, { WsRequestSchema }] = await loaded;
      const req = WsRequestSchema.safeParse(frame);
      if (!req.success) return;
      const result = await service.call(req.data.method as never, req.data.params, { clientId });
      send({ type: 'result', id: req.data.id, result });
    });
    ws.on('close', () => {
      closed = true;
      unsubscribe.forEach((u) => u());
    });
    const [service, { EVENT_NAMES }] = await loaded;
    if (closed) return;
    unsubscribe = EVENT_NAMES.map((event) => service.on(event, (payload) => send({ type: 'event', event, payload })));
    send({ type: 'hello', clientId });
  });

  await new Promise<void>((ok, fail) => {
    http.once('error', fail);
    http.listen(opts.port ?? 0, '127.0.0.1', () => ok());
  });
  port = (http.address() as AddressInfo).port;
  if (loader) {
    lazyTimer = setTimeout(() => void ready(), opts.lazyServiceMs ?? 1500);
    lazyTimer.unref();
  }
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    close: () =>
      new Promise<void>((ok) => {
        if (lazyTimer) clearTimeout(lazyTimer);
        for (const c of wss.clients) c.terminate();
        wss.close();
        http.closeAllConnections?.();
        http.close(() => ok());
      }),
  };
}
