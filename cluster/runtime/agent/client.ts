/**
 * AgentClient: the only code that builds node agent URLs, and it parses every answer with the
 * protocol's schemas. The controller and the backends talk to agents through it, so what an
 * agent may say is written down once (protocol.ts) and checked at the one place it arrives.
 * Every request carries the cluster's secret (`Authorization: Bearer <secret>`, secret.ts): an
 * agent answers nothing else, /health included.
 *
 * Two kinds of failure, kept apart because the controller acts differently on them:
 * - AgentRefused: the agent answered, with an AgentError (a bad bundle, a worker that died, a
 *   missed deadline): the code, message and hint it gave, and the run's logs;
 * - AgentUnreachable: no answer (connection refused or reset, timed out, or an answer that is
 *   not the protocol's): the node may be gone.
 */
import { StudioError } from '../../common/errors';
import {
  AgentErrorSchema,
  HealthSchema,
  InvokeResultSchema,
  RetireResultSchema,
  ShutdownResultSchema,
  StoredResultSchema,
  WarmResultSchema,
  type FunctionRef,
  type Health,
  type InvokeBody,
  type InvokeResult,
  type StoredResult,
  type WarmResult,
} from './protocol';
import type { z } from 'zod';
import { bearer } from './secret';

/** The agent answered with an error of its own. */
export class AgentRefused extends StudioError {
  constructor(
    readonly node: string,
    code: string,
    message: string,
    hint: string | undefined,
    readonly logs: string[],
    readonly status: number,
    /** where its models ran before it failed (InvokeResult's modelRanOn) */
    readonly modelRanOn?: string,
  ) {
    super(code, message, hint);
  }
}

/** No (protocol) answer from the agent: connection refused or reset, timeout, or garbage. */
export class AgentUnreachable extends StudioError {
  constructor(
    readonly node: string,
    message: string,
    readonly timedOut: boolean,
  ) {
    super('node-unreachable', message, 'check `edgeai cluster status`: the node may have stopped');
  }
}

/** fetch's body type wants a view of an ArrayBuffer (not a SharedArrayBuffer): the same bytes, no copy. */
function asBody(b: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(b.buffer as ArrayBuffer, b.byteOffset, b.byteLength);
}

export interface CallOptions {
  /** give up after this long (default per call) */
  timeoutMs?: number;
  /** the caller went away: abort the request (the agent then stops the work, where it can) */
  signal?: AbortSignal;
}

/**
 * How to reach an agent that is not at http://host:port: a base URL its paths are appended to
 * (the kubernetes backend: the API server's pod proxy), the fetch that carries the requests (with
 * the kubeconfig's credentials), and the header that carries the secret (the API server consumes
 * Authorization; the pod's front moves this header into it).
 */
export interface AgentVia {
  base: string;
  fetch: (input: string, init?: RequestInit) => Promise<Response>;
  secretHeader: string;
}

export class AgentClient {
  private readonly auth: string;
  private readonly send: (input: string, init?: RequestInit) => Promise<Response>;

  constructor(
    readonly node: string,
    readonly port: number,
    /** the cluster's agent secret (the cluster's directory holds it: secret.ts) */
    secret: string,
    /** where the agent listens: 127.0.0.1 (a process agent), or a container's address on the cluster's Docker network */
    readonly host = '127.0.0.1',
    /** another way to the agent than http://host:port (the kubernetes backend's pod proxy) */
    readonly via?: AgentVia,
  ) {
    this.auth = via ? secret : bearer(secret);
    this.send = via ? via.fetch : (input, init) => fetch(input, init);
  }

  private url(path: string): string {
    return this.via ? `${this.via.base}${path}` : `http://${this.host}:${this.port}${path}`;
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...extra, [this.via ? this.via.secretHeader : 'authorization']: this.auth };
  }

  /**
   * One request; the answer must be `ok` (parsed with `schema`) or an AgentError. The timer is
   * a ref'd one: a CLI with nothing else to do must not exit in the middle of the wait.
   */
  private async call<T extends z.ZodType>(method: string, path: string, schema: T, body: BodyInit | undefined, opts: CallOptions, defaultTimeoutMs: number): Promise<z.output<T>> {
    const ac = new AbortController();
    const timeoutMs = opts.timeoutMs ?? defaultTimeoutMs;
    const timer = setTimeout(() => ac.abort(new DOMException('timed out', 'TimeoutError')), timeoutMs);
    const onAbort = () => ac.abort(opts.signal?.reason);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    let res: Response;
    let value: unknown;
    try {
      res = await this.send(this.url(path), { method, ...(body !== undefined ? { body } : {}), signal: ac.signal, headers: this.headers(typeof body === 'string' ? { 'content-type': 'application/json' } : {}) });
      const text = await res.text();
      try {
        value = text ? JSON.parse(text) : undefined;
      } catch {
        throw new AgentUnreachable(this.node, `node ${this.node} answered ${method} ${path} with ${res.status} and a body that is not JSON (${text.slice(0, 80)})`, false);
      }
    } catch (e) {
      if (e instanceof AgentUnreachable) throw e;
      const timedOut = ac.signal.aborted && !(opts.signal?.aborted ?? false);
      throw new AgentUnreachable(this.node, timedOut ? `node ${this.node} did not answer ${method} ${path} within ${timeoutMs} ms` : `node ${this.node} could not be reached for ${method} ${path}: ${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}`, timedOut);
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    }
    const ok = schema.safeParse(value);
    if (ok.success && res.ok) return ok.data;
    const err = AgentErrorSchema.safeParse(value);
    if (err.success) throw new AgentRefused(this.node, err.data.error.code, err.data.error.message, err.data.error.hint, err.data.logs, res.status, err.data.modelRanOn);
    throw new AgentUnreachable(this.node, `node ${this.node} answered ${method} ${path} with ${res.status} and a body the protocol does not know: ${JSON.stringify(value)?.slice(0, 120)}`, false);
  }

  /** sticks: the agent also says what USB sticks its node sees (and watches them from then on) */
  health(opts: CallOptions & { sticks?: boolean } = {}): Promise<Health> {
    return this.call('GET', opts.sticks ? '/health?sticks=1' : '/health', HealthSchema, undefined, opts, 1000);
  }

  /** Health, and it is this node of this cluster (not another agent on a reused port). */
  async healthOf(cluster: string, opts: CallOptions & { sticks?: boolean } = {}): Promise<Health> {
    const h = await this.health(opts);
    if (h.node !== this.node || h.cluster !== cluster) throw new AgentUnreachable(this.node, `${this.host}:${this.port} is answered by node ${h.node} of cluster ${h.cluster}, not ${this.node} of ${cluster}`, false);
    return h;
  }

  /** True when the agent answers /health at all (a quick liveness check). */
  async alive(timeoutMs = 500): Promise<boolean> {
    try {
      await this.health({ timeoutMs });
      return true;
    } catch {
      return false;
    }
  }

  putBundle(sha256: string, code: Uint8Array | string, opts: CallOptions = {}): Promise<StoredResult> {
    return this.call('PUT', `/bundles/${sha256}`, StoredResultSchema, asBody(typeof code === 'string' ? new TextEncoder().encode(code) : code), opts, 60_000);
  }

  warm(fn: FunctionRef, opts: CallOptions = {}): Promise<WarmResult> {
    return this.call('POST', '/warm', WarmResultSchema, JSON.stringify({ fn }), opts, 120_000);
  }

  async retire(workflow: string, id: string, bundle: string, opts: CallOptions = {}): Promise<number[]> {
    return (await this.call('POST', '/retire', RetireResultSchema, JSON.stringify({ workflow, id, bundle }), opts, 10_000)).retired;
  }

  invoke(body: InvokeBody, opts: CallOptions = {}): Promise<InvokeResult> {
    return this.call('POST', '/invoke', InvokeResultSchema, JSON.stringify(body), opts, 10 * 60_000);
  }

  /** Whether the node holds a blob (false also when the node does not answer). */
  async hasBlob(sha256: string, opts: CallOptions = {}): Promise<boolean> {
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), opts.timeoutMs ?? 5000);
    try {
      const r = await this.send(this.url(`/blobs/${sha256}`), { method: 'HEAD', signal: ac.signal, headers: this.headers() });
      return r.ok;
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  async getBlob(sha256: string, opts: CallOptions = {}): Promise<Uint8Array> {
    const ac = new AbortController();
    const timeoutMs = opts.timeoutMs ?? 10 * 60_000;
    const timer = setTimeout(() => ac.abort(), timeoutMs);
    try {
      const r = await this.send(this.url(`/blobs/${sha256}`), { signal: ac.signal, headers: this.headers() });
      if (!r.ok) {
        const err = AgentErrorSchema.safeParse(await r.json().catch(() => undefined));
        if (err.success) throw new AgentRefused(this.node, err.data.error.code, err.data.error.message, err.data.error.hint, [], r.status);
        throw new AgentUnreachable(this.node, `node ${this.node} answered GET /blobs/${sha256.slice(0, 12)} with ${r.status}`, false);
      }
      return new Uint8Array(await r.arrayBuffer());
    } catch (e) {
      if (e instanceof StudioError) throw e;
      throw new AgentUnreachable(this.node, `node ${this.node} could not send blob ${sha256.slice(0, 12)}: ${(e as Error).message}`, ac.signal.aborted);
    } finally {
      clearTimeout(timer);
    }
  }

  putBlob(sha256: string, bytes: Uint8Array, opts: CallOptions = {}): Promise<StoredResult> {
    return this.call('PUT', `/blobs/${sha256}`, StoredResultSchema, asBody(bytes), opts, 10 * 60_000);
  }

  shutdown(opts: CallOptions = {}): Promise<unknown> {
    return this.call('POST', '/shutdown', ShutdownResultSchema, '{}', opts, 1000);
  }
}
