/**
 * A fake node agent: an HTTP server on 127.0.0.1 that speaks the agent protocol
 * (cluster/runtime/agent/protocol.ts) — health, bundles, blobs, warm, retire, invoke, shutdown —
 * without running any function code. What an invocation answers is the test's: a handler per
 * `workflow/function` returns the output, the produced artifacts (whose bytes it stores in the
 * fake's blob store, as a real worker does) and the gates, or an agent error. Every request is
 * recorded. Like a real agent it serves only its cluster's controller: a request without the
 * cluster's secret is a 401, one with a foreign Host a 403 (agent/secret.ts), counted in `refused`
 * and not recorded. With FakeBackend, a Controller runs a whole cluster of these in milliseconds: the
 * deployer and the invoker are tested against the protocol, the real agents stay the acceptance
 * suites' (process.int.test.ts, docker.int.test.ts).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { AgentBuild } from '../build';
import type { Backend, NodeHandle, NodeLaunch } from '../backend';
import { AgentClient } from '../agent/client';
import { authorized, hostAllowed } from '../agent/secret';
import { InvokeBodySchema, RetireBodySchema, WarmBodySchema, type GateResult, type Health, type InvokeBody, type Produced, type StickPresence } from '../agent/protocol';

export interface FakeProduct {
  kind: 'data' | 'model';
  urn: string;
  type?: string;
  tags?: string[];
  data_tags?: string[];
  metrics?: Record<string, number>;
  format?: string;
  /** the bytes the function wrote (stored on the fake node, hashed as a real worker would) */
  bytes: Uint8Array | string;
}

export type FakeAnswer =
  | { output: unknown; produced?: FakeProduct[]; gates?: GateResult[]; execMs?: number; logs?: string[] }
  | { error: { code: string; message: string; hint?: string }; status?: number; logs?: string[] };

export type FakeHandler = (body: InvokeBody, agent: FakeAgent) => FakeAnswer | Promise<FakeAnswer>;

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

export class FakeAgent {
  readonly requests: string[] = [];
  /** requests refused before anything was done: `401 GET /health`, `403 POST /invoke` */
  readonly refused: string[] = [];
  readonly blobs = new Map<string, Uint8Array>();
  readonly bundles = new Set<string>();
  /** workers per `workflow/function@bundle` (a warm makes one; a retire removes them) */
  readonly workers = new Map<string, number>();
  private server: Server | undefined;
  port = 0;
  /** what the node says of its USB sticks when the controller asks (GET /health?sticks=1): the test's */
  sticks: StickPresence | undefined;

  constructor(
    readonly node: string,
    readonly cluster: string,
    private readonly handlers: Map<string, FakeHandler>,
    private readonly secret: string,
  ) {}

  /** Listens (again) — `revive()`: on the port it had, as a node that comes back does. */
  async start(port = 0): Promise<number> {
    this.server = createServer((req, res) => {
      void this.handle(req).then(
        ({ status, body }) => {
          const text = body instanceof Uint8Array ? undefined : JSON.stringify(body);
          res.writeHead(status, { 'content-type': text === undefined ? 'application/octet-stream' : 'application/json' });
          res.end(text ?? body);
        },
        (e: Error) => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ ok: false, error: { code: 'agent-error', message: e.message } }));
        },
      );
    });
    await new Promise<void>((ok) => this.server!.listen(port, '127.0.0.1', () => ok()));
    this.port = (this.server.address() as AddressInfo).port;
    return this.port;
  }

  /** Stops answering at once (a node that died): open connections are cut. */
  async kill(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((ok) => this.server!.close(() => ok()));
    this.server = undefined;
  }

  /** A killed node that comes back, at the same address. */
  async revive(): Promise<void> {
    if (!this.server) await this.start(this.port);
  }

  get alive(): boolean {
    return !!this.server;
  }

  private async body(req: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }

  private async handle(req: IncomingMessage): Promise<{ status: number; body: unknown }> {
    const path = (req.url ?? '/').split('?')[0];
    const fail = (status: number, code: string, message: string) => ({ status, body: { ok: false, error: { code, message }, logs: [] } });
    const what = `${req.method} ${path.replace(/[0-9a-f]{64}/, '<sha>')}`;
    if (!hostAllowed(req.headers.host, this.port)) {
      this.refused.push(`403 ${what}`);
      return fail(403, 'forbidden-host', `Host ${req.headers.host} is not this node agent`);
    }
    if (!authorized(req.headers.authorization, this.secret)) {
      this.refused.push(`401 ${what}`);
      return fail(401, 'unauthorized', "this node agent answers only its cluster's controller");
    }
    this.requests.push(what);
    if (path === '/health') return { status: 200, body: { ...this.health(), ...(this.sticks && /[?&]sticks=1/.test(req.url ?? '') ? { accelerators: this.sticks } : {}) } };
    const blob = /^\/blobs\/([0-9a-f]{64})$/.exec(path);
    if (blob) {
      if (req.method === 'PUT') {
        const b = new Uint8Array(await this.body(req));
        if (sha(b) !== blob[1]) return fail(400, 'hash-mismatch', 'the bytes do not match their sha256');
        this.blobs.set(blob[1], b);
        return { status: 200, body: { ok: true, size: b.byteLength } };
      }
      const b = this.blobs.get(blob[1]);
      if (!b) return fail(404, 'blob-missing', `node ${this.node} does not hold blob ${blob[1].slice(0, 12)}`);
      return { status: 200, body: req.method === 'HEAD' ? new Uint8Array() : b };
    }
    const bundle = /^\/bundles\/([0-9a-f]{64})$/.exec(path);
    if (bundle && req.method === 'PUT') {
      const b = new Uint8Array(await this.body(req));
      if (sha(b) !== bundle[1]) return fail(400, 'hash-mismatch', 'the bundle bytes do not match their sha256');
      const had = this.bundles.has(bundle[1]);
      this.bundles.add(bundle[1]);
      return { status: 200, body: { ok: true, size: b.byteLength, had } };
    }
    if (req.method !== 'POST') return fail(404, 'not-found', `no route ${req.method} ${path}`);
    const json = JSON.parse((await this.body(req)).toString('utf8') || '{}') as unknown;
    if (path === '/warm') {
      const { fn } = WarmBodySchema.parse(json);
      if (!this.bundles.has(fn.bundle)) return fail(500, 'bundle-missing', `node ${this.node} has no bundle ${fn.bundle.slice(0, 12)}`);
      const key = `${fn.workflow}/${fn.id}@${fn.bundle}`;
      const warm = (this.workers.get(key) ?? 0) > 0;
      if (!warm) this.workers.set(key, 1);
      return { status: 200, body: { ok: true, coldStartMs: warm ? 0 : 5, warm } };
    }
    if (path === '/retire') {
      const r = RetireBodySchema.parse(json);
      const key = `${r.workflow}/${r.id}@${r.bundle}`;
      const n = this.workers.get(key) ?? 0;
      this.workers.delete(key);
      return { status: 200, body: { ok: true, retired: Array.from({ length: n }, (_, i) => 1000 + i) } };
    }
    if (path === '/invoke') {
      const body = InvokeBodySchema.parse(json);
      for (const i of body.inputs) if (!this.blobs.has(i.artifact.sha256)) return fail(500, 'input-missing', `node ${this.node} lacks ${i.artifact.urn}@${i.artifact.version}`);
      const handler = this.handlers.get(`${body.fn.workflow}/${body.fn.id}`) ?? this.handlers.get(`*/${body.fn.id}`);
      if (!handler) return fail(500, 'no-handler', `the fake agent has no handler for ${body.fn.workflow}/${body.fn.id}`);
      const key = `${body.fn.workflow}/${body.fn.id}@${body.fn.bundle}`;
      const cold = !(this.workers.get(key) ?? 0);
      this.workers.set(key, Math.max(1, this.workers.get(key) ?? 0));
      const a = await handler(body, this);
      if ('error' in a) return { status: a.status ?? 500, body: { ok: false, error: a.error, logs: a.logs ?? [] } };
      const produced: Produced[] = (a.produced ?? []).map((p) => {
        const bytes = typeof p.bytes === 'string' ? new TextEncoder().encode(p.bytes) : p.bytes;
        const digest = sha(bytes);
        this.blobs.set(digest, bytes);
        return { kind: p.kind, urn: p.urn, ...(p.type ? { type: p.type } : {}), tags: p.tags ?? [], data_tags: p.data_tags ?? [], metrics: p.metrics ?? {}, format: p.format ?? 'jsonl', sha256: digest, size: bytes.byteLength };
      });
      return { status: 200, body: { ok: true, output: a.output, produced, gates: a.gates ?? [], logs: a.logs ?? [], timings: { queueMs: 0, coldStartMs: cold ? 5 : 0, execMs: a.execMs ?? 1 }, worker: 1, cold } };
    }
    if (path === '/shutdown') {
      setImmediate(() => void this.kill());
      return { status: 200, body: { ok: true } };
    }
    return fail(404, 'not-found', `no route ${req.method} ${path}`);
  }

  private health(): Health {
    return {
      node: this.node,
      cluster: this.cluster,
      pid: process.pid,
      startedAt: new Date(0).toISOString(),
      uptimeMs: 1,
      cpu: { userMs: 0, systemMs: 0, load1: 0 },
      memory: { rssBytes: 0, heapBytes: 0, workersRssBytes: 0 },
      functions: [],
      blobs: this.blobs.size,
    };
  }
}

/**
 * A backend whose nodes are FakeAgents in this process. `handle(fn, handler)` says what a
 * function answers (a bare function id: in any workflow); `agents` are the running nodes by name.
 */
export class FakeBackend implements Backend {
  readonly kind = 'process' as const;
  readonly needsAgentBuild = false;
  readonly agents = new Map<string, FakeAgent>();
  private readonly handlers = new Map<string, FakeHandler>();

  handle(fn: string, handler: FakeHandler): this {
    this.handlers.set(fn.includes('/') ? fn : `*/${fn}`, handler);
    return this;
  }

  async prepare(_build: AgentBuild, _progress: (msg: string) => void): Promise<void> {}

  async start(spec: NodeLaunch): Promise<NodeHandle> {
    const a = new FakeAgent(spec.name, spec.cluster, this.handlers, spec.secret);
    const port = await a.start();
    this.agents.set(spec.name, a);
    return { name: spec.name, port, pid: process.pid, secret: spec.secret };
  }

  async stop(handle: NodeHandle): Promise<void> {
    await this.agents.get(handle.name)?.kill();
    this.agents.delete(handle.name);
  }

  async kill(handle: NodeHandle): Promise<void> {
    await this.agents.get(handle.name)?.kill();
  }

  /** The running fakes of these names that answer to `secret` (asked over HTTP, as a real backend does). */
  async adopt(_cluster: string, names: string[], _storeDirOf: (name: string) => string, secret: string): Promise<NodeHandle[]> {
    const out: NodeHandle[] = [];
    for (const n of names) {
      const a = this.agents.get(n);
      if (a?.alive && (await new AgentClient(n, a.port, secret).alive())) out.push({ name: n, port: a.port, pid: process.pid, secret });
    }
    return out;
  }

  async teardown(): Promise<void> {
    for (const a of this.agents.values()) await a.kill();
    this.agents.clear();
  }
}
