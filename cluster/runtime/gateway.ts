/**
 * The HTTP gateway for http triggers, on 127.0.0.1 only:
 *   POST /fn/<workflow>/<function>   body: {"input": …, "params": {…}} (or any other JSON = the input)
 * It routes to the node the function is placed on (cold start if needed) and answers with the
 * output, the node, the model versions used and the timings. Errors are JSON with a code, a
 * message and a hint; a missed deadline is 504.
 */
import { createServer, type Server } from 'node:http';
import { StudioError } from '../spec/errors';
import type { Controller } from './controller';

const STATUS: Record<string, number> = {
  'deadline-exceeded': 504,
  'not-deployed': 404,
  'data-policy-violation': 403,
  'no-input': 409,
  'artifact-unavailable': 409,
  'cluster-down': 503,
  'not-ready': 503,
  'bad-request': 400,
};

export interface Gateway {
  server: Server;
  port: number;
  url: string;
  close(): Promise<void>;
}

export function startGateway(controller: Controller, port = 0): Promise<Gateway> {
  const server = createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    const m = /^\/fn\/([^/]+)\/([^/?]+)\/?$/.exec(req.url ?? '');
    if (req.method === 'GET' && req.url === '/healthz') return send(200, { ok: true, cluster: controller.cluster });
    if (!m || req.method !== 'POST') return send(404, { error: { code: 'not-found', message: `no route ${req.method} ${req.url}`, hint: 'POST /fn/<workflow>/<function>' } });
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 64 * 1024 * 1024) req.destroy();
      else chunks.push(c);
    });
    req.on('end', () => {
      let body: unknown = undefined;
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim()) {
        try {
          body = JSON.parse(text);
        } catch (e) {
          return send(400, { error: { code: 'bad-request', message: `the request body is not JSON: ${(e as Error).message}`, hint: 'send {"input": …, "params": {…}}' } });
        }
      }
      const wrapped = body && typeof body === 'object' && !Array.isArray(body) && ('input' in body || 'params' in body);
      const input = wrapped ? (body as { input?: unknown }).input : body;
      const params = wrapped ? ((body as { params?: Record<string, string> }).params ?? {}) : {};
      controller
        .invoke(decodeURIComponent(m[1]), decodeURIComponent(m[2]), { input, params })
        .then((a) => send(200, a))
        .catch((e: unknown) => {
          if (e instanceof StudioError) send(STATUS[e.code] ?? 500, { error: { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) } });
          else send(500, { error: { code: 'internal-error', message: (e as Error)?.message ?? String(e) } });
        });
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'EADDRINUSE' ? new StudioError('port-in-use', `port ${port} on 127.0.0.1 is taken`, 'pick another with --port, or 0 for any free port') : e),
    );
    server.listen(port, '127.0.0.1', () => {
      const addr = server.address();
      const p = typeof addr === 'object' && addr ? addr.port : port;
      resolve({ server, port: p, url: `http://127.0.0.1:${p}`, close: () => new Promise<void>((r) => server.close(() => r())) });
    });
  });
}
