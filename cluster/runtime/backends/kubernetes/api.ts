/**
 * The Kubernetes API as the kubernetes backend uses it: a kubeconfig (file, context, namespace)
 * loaded with @kubernetes/client-node 1.4 (its KubeConfig resolves the context, the server, the
 * CA, client certificates, tokens and exec plugins), and plain REST requests over node:http(s)
 * with those settings. The same transport carries the pod proxy
 * (`/api/v1/namespaces/<ns>/pods/<pod>:<port>/proxy/...`) as a fetch() the AgentClient uses, so
 * nothing but the kubeconfig is needed on this machine.
 *
 * Why not the generated CoreV1Api: the backend uses eight endpoints; one request function with the
 * API server's own Status errors is shorter to read than its request/response wrappers, and the
 * proxy needs the raw transport anyway.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { StudioError } from '../../../common/errors';

/** Which cluster: a kubeconfig file, a context in it, the namespace the agents live in. */
export interface KubeTarget {
  /**
   * default $KUBECONFIG (its first file), else ~/.kube/config; 'in-cluster': the pod's service
   * account (its token and CA, the API server from KUBERNETES_SERVICE_HOST/PORT), as the exported
   * controller Deployment runs
   */
  kubeconfig?: string;
  /** tests: where the service account's files are instead of / (in-cluster only) */
  serviceAccountRoot?: string;
  /** default the kubeconfig's current context */
  context?: string;
  /** default edgeai */
  namespace?: string;
}

/** A target with every default applied: what a cluster's state keeps so `cluster down` reaches the same cluster. */
export interface ResolvedTarget {
  kubeconfig: string;
  context: string;
  namespace: string;
  server: string;
}

export const DEFAULT_NAMESPACE = 'edgeai';
/** --kubeconfig in-cluster: the pod's service account instead of a file */
export const IN_CLUSTER = 'in-cluster';
const SERVICEACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** The API server answered with an error (its Status object's message and reason). */
export class KubeApiError extends StudioError {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    hint?: string,
  ) {
    super('kubernetes-api-error', message, hint);
  }
}

/** The kubeconfig cannot be read or the API server cannot be reached. */
export class KubeUnavailableError extends StudioError {
  constructor(message: string, hint = 'check the kubeconfig (--kubeconfig, --context) and that `kubectl get nodes` works with it') {
    super('kubernetes-unavailable', message, hint);
  }
}

export function defaultKubeconfig(): string {
  const env = process.env.KUBECONFIG?.split(process.platform === 'win32' ? ';' : ':').find((x) => x);
  return resolve(env ?? `${homedir()}/.kube/config`);
}

export interface RawAnswer {
  status: number;
  statusText: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export class KubeApi {
  private constructor(
    private readonly kc: KubeConfig,
    readonly target: ResolvedTarget,
  ) {}

  /** Loads the kubeconfig and picks the context; throws KubeUnavailableError saying what is wrong. */
  static load(target: KubeTarget = {}): KubeApi {
    if (target.kubeconfig === IN_CLUSTER) return KubeApi.inCluster(target);
    const file = resolve(target.kubeconfig ?? defaultKubeconfig());
    if (!existsSync(file)) throw new KubeUnavailableError(`no kubeconfig at ${file}`, 'pass --kubeconfig <file> (k3s writes /etc/rancher/k3s/k3s.yaml), or set KUBECONFIG');
    const kc = new KubeConfig();
    try {
      kc.loadFromFile(file);
    } catch (e) {
      throw new KubeUnavailableError(`cannot read the kubeconfig ${file}: ${(e as Error).message}`);
    }
    const context = target.context ?? kc.getCurrentContext();
    if (!context || !kc.getContextObject(context)) throw new KubeUnavailableError(`the kubeconfig ${file} has no context ${JSON.stringify(context ?? '(no current-context)')}; it has ${kc.getContexts().map((c) => c.name).join(', ') || 'none'}`, 'pass --context <name>');
    kc.setCurrentContext(context);
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new KubeUnavailableError(`context ${context} of ${file} names no cluster`);
    const namespace = target.namespace ?? DEFAULT_NAMESPACE;
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace) || namespace.length > 63) throw new StudioError('bad-namespace', `namespace '${namespace}' is not a DNS label (lower-case letters, digits, '-', at most 63)`, 'pass --namespace <name>');
    return new KubeApi(kc, { kubeconfig: file, context, namespace, server: cluster.server.replace(/\/+$/, '') });
  }

  /** The pod's service account: what a controller running in the cluster uses. */
  private static inCluster(target: KubeTarget): KubeApi {
    const root = target.serviceAccountRoot ?? '';
    const { KUBERNETES_SERVICE_HOST: host, KUBERNETES_SERVICE_PORT: port } = process.env;
    if (!host || !port) throw new KubeUnavailableError('--kubeconfig in-cluster, but KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT are not set: this is not a pod', 'use in-cluster only inside a pod (the exported controller Deployment); elsewhere pass --kubeconfig <file>');
    for (const f of ['token', 'ca.crt']) if (!existsSync(`${root}${SERVICEACCOUNT_DIR}/${f}`)) throw new KubeUnavailableError(`--kubeconfig in-cluster, but the pod has no service account ${f} at ${root}${SERVICEACCOUNT_DIR}/${f}`, 'give the pod a service account with its token mounted (automountServiceAccountToken: true)');
    const kc = new KubeConfig();
    kc.loadFromCluster(root);
    const cluster = kc.getCurrentCluster()!;
    const namespace = target.namespace ?? DEFAULT_NAMESPACE;
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace) || namespace.length > 63) throw new StudioError('bad-namespace', `namespace '${namespace}' is not a DNS label (lower-case letters, digits, '-', at most 63)`, 'pass --namespace <name>');
    return new KubeApi(kc, { kubeconfig: IN_CLUSTER, context: kc.getCurrentContext(), namespace, server: cluster.server.replace(/\/+$/, '') });
  }

  get namespace(): string {
    return this.target.namespace;
  }

  /** The URL of a path on the API server and the request options with the context's credentials. */
  private async requestOptions(path: string): Promise<{ url: URL; https: boolean; o: RequestOptions }> {
    const url = new URL(this.target.server + path);
    const https = url.protocol === 'https:';
    const o: RequestOptions = {};
    try {
      await this.kc.applyToHTTPSOptions(o);
    } catch (e) {
      throw new KubeUnavailableError(`cannot use the credentials of context ${this.target.context}: ${(e as Error).message}`);
    }
    if (!https) delete o.agent; // an https.Agent: a plain-http server (a test's) gets node's default
    return { url, https, o };
  }

  /** One request to the API server (path from /api or /apis on), answered raw. */
  async raw(method: string, path: string, body?: string | Uint8Array, opts: { headers?: Record<string, string>; signal?: AbortSignal; contentType?: string } = {}): Promise<RawAnswer> {
    const { url, https, o } = await this.requestOptions(path);
    const headers: Record<string, string> = { ...((o.headers as Record<string, string>) ?? {}), ...(opts.headers ?? {}) };
    if (body !== undefined) {
      headers['content-type'] = opts.contentType ?? headers['content-type'] ?? 'application/json';
      headers['content-length'] = String(typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength);
    }
    return new Promise<RawAnswer>((resolveAnswer, reject) => {
      const req = (https ? httpsRequest : httpRequest)(url, { ...o, method, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolveAnswer({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      const onAbort = () => req.destroy(opts.signal?.reason instanceof Error ? opts.signal.reason : new Error('aborted'));
      if (opts.signal) {
        if (opts.signal.aborted) onAbort();
        else opts.signal.addEventListener('abort', onAbort, { once: true });
        req.once('close', () => opts.signal?.removeEventListener('abort', onAbort));
      }
      req.on('error', (e) => reject(opts.signal?.aborted ? (opts.signal.reason ?? e) : e));
      req.end(body);
    });
  }

  /**
   * A watch request (GET with ?watch=1…): each line of the answer's newline-delimited JSON is
   * handed to `onLine` as it arrives; resolves when the server ends the stream, rejects when it
   * drops (or `signal` aborts). A non-200 answer rejects with KubeApiError (410 Gone among them).
   * The socket does not keep the process alive: a watch is never why a command keeps running.
   */
  async stream(path: string, onLine: (line: string) => void, signal: AbortSignal): Promise<void> {
    const { url, https, o } = await this.requestOptions(path);
    // its own connection: a stream that stays open must not hold a pooled socket others wait for
    if (https) o.agent = false as unknown as RequestOptions['agent'];
    const headers: Record<string, string> = { ...((o.headers as Record<string, string>) ?? {}), accept: 'application/json' };
    return new Promise<void>((resolveEnd, reject) => {
      const req = (https ? httpsRequest : httpRequest)(url, { ...o, method: 'GET', headers, ...(https ? {} : { agent: false }) }, (res) => {
        if (res.statusCode !== 200) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            let st: { message?: string; reason?: string } = {};
            try {
              st = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof st;
            } catch {
              /* not a Status */
            }
            reject(new KubeApiError(res.statusCode ?? 0, st.reason ?? String(res.statusCode), `GET ${path} on ${this.target.server}: ${res.statusCode} ${st.reason ?? res.statusMessage ?? ''}${st.message ? `: ${st.message}` : ''}`));
          });
          res.on('error', reject);
          return;
        }
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          buf += c;
          for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            if (!line) continue;
            try {
              onLine(line);
            } catch (e) {
              // what the line said ends the watch (an ERROR event): the caller decides what next
              reject(e);
              req.destroy();
              return;
            }
          }
        });
        res.on('end', () => {
          if (!res.complete) return reject(new Error('the watch stream was cut'));
          try {
            if (buf.trim()) onLine(buf.trim());
          } catch (e) {
            return reject(e);
          }
          resolveEnd();
        });
        res.on('aborted', () => reject(new Error('the watch stream was cut')));
        res.on('error', reject);
      });
      req.on('socket', (s) => s.unref());
      const onAbort = () => req.destroy(new Error('aborted'));
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
      req.once('close', () => signal.removeEventListener('abort', onAbort));
      req.on('error', reject);
      req.end();
    });
  }

  /** A JSON request; a non-2xx answer throws KubeApiError with the API server's message. */
  async json<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    let a: RawAnswer;
    try {
      a = await this.raw(method, path, body === undefined ? undefined : JSON.stringify(body));
    } catch (e) {
      if (e instanceof StudioError) throw e;
      throw new KubeUnavailableError(`the API server at ${this.target.server} (context ${this.target.context}) could not be reached for ${method} ${path}: ${(e as Error).message}`);
    }
    let value: unknown;
    try {
      value = a.body.length ? JSON.parse(a.body.toString('utf8')) : undefined;
    } catch {
      value = undefined;
    }
    if (a.status >= 200 && a.status < 300) return value as T;
    const st = (value ?? {}) as { message?: string; reason?: string };
    const hint = a.status === 401 ? 'the kubeconfig\'s credentials were refused: renew them (k3s: copy /etc/rancher/k3s/k3s.yaml again)' : a.status === 403 ? 'the kubeconfig\'s user may not do this: it needs pods, secrets and namespaces in the namespace, and nodes get/list' : undefined;
    throw new KubeApiError(a.status, st.reason ?? String(a.status), `${method} ${path} on ${this.target.server}: ${a.status} ${st.reason ?? a.statusText}${st.message ? `: ${st.message}` : ''}`, hint);
  }

  /** Like json(), but a 404 is undefined. */
  async maybe<T = unknown>(method: string, path: string, body?: unknown): Promise<T | undefined> {
    try {
      return await this.json<T>(method, path, body);
    } catch (e) {
      if (e instanceof KubeApiError && e.status === 404) return undefined;
      throw e;
    }
  }

  /** The base URL of a pod's proxy: agent paths are appended to it. */
  proxyBase(pod: string, port: number): string {
    return `${this.target.server}/api/v1/namespaces/${this.namespace}/pods/${pod}:${port}/proxy`;
  }

  /**
   * fetch() over this transport, for the AgentClient: the kubeconfig's credentials on every
   * request, the body buffered (answers of the agent are JSON or a blob). Throws like fetch does
   * (a TypeError with the cause) when the API server cannot be reached.
   */
  readonly fetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (!url.startsWith(this.target.server + '/')) throw new TypeError(`fetch through the API server: ${url} is not on ${this.target.server}`);
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((v, k) => (headers[k] = v));
    const body = init.body === undefined || init.body === null ? undefined : typeof init.body === 'string' ? init.body : init.body instanceof Uint8Array ? init.body : undefined;
    if (init.body !== undefined && init.body !== null && body === undefined) throw new TypeError('fetch through the API server takes a string or bytes body');
    let a: RawAnswer;
    try {
      a = await this.raw(init.method ?? 'GET', url.slice(this.target.server.length), body, { headers, ...(init.signal ? { signal: init.signal } : {}), ...(headers['content-type'] ? { contentType: headers['content-type'] } : { contentType: 'application/octet-stream' }) });
    } catch (e) {
      if (init.signal?.aborted) throw init.signal.reason ?? e;
      throw new TypeError('fetch failed', { cause: e });
    }
    const h = new Headers();
    for (const [k, v] of Object.entries(a.headers)) if (v !== undefined) for (const x of Array.isArray(v) ? v : [v]) h.append(k, x);
    const empty = init.method === 'HEAD' || a.status === 204 || a.status === 304;
    return new Response(empty ? null : new Uint8Array(a.body.buffer as ArrayBuffer, a.body.byteOffset, a.body.byteLength), { status: a.status, statusText: a.statusText, headers: h });
  };
}
