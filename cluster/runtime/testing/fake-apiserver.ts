/**
 * A test Kubernetes API server on 127.0.0.1 (issue 16): exactly the endpoints the kubernetes
 * backend uses, answered the way kube-apiserver answers them, and pods that REALLY run — each
 * agent pod's containers become local processes, so deploy → invoke → node loss run end to end
 * through the pod proxy. A contract test of the backend, not a substitute for a real cluster: no
 * kubelet, no container runtime, no images, no scheduler, no RBAC.
 *
 * It listens on 127.0.0.1, or on `host` (a test's own Docker network gateway, so that a container
 * of that network reaches it: the controller image's test).
 *
 * Endpoints (all need `Authorization: Bearer <token>`, or over HTTPS (`tls`) a client certificate
 * signed by its CA; 401 otherwise, like a real server):
 *   GET    /api/v1/nodes[?labelSelector=]            GET /api/v1/nodes/{name}
 *   GET    /api/v1/namespaces                        POST /api/v1/namespaces
 *   GET    /api/v1/namespaces/{ns}                   DELETE /api/v1/namespaces/{ns} (Terminating, then gone with its objects)
 *   GET    /api/v1/namespaces/{ns}/secrets[?labelSelector=]   POST …/secrets
 *   GET    /api/v1/namespaces/{ns}/secrets/{name}   DELETE …/secrets/{name}
 *   GET    /api/v1/namespaces/{ns}/pods[?labelSelector=]      POST …/pods
 *   GET    /api/v1/namespaces/{ns}/pods/{name}      DELETE …/pods/{name}[?gracePeriodSeconds=]
 *   *      /api/v1/namespaces/{ns}/pods/{name}:{port}/proxy/{path}  (the pod proxy)
 *   GET    /api/v1/nodes?watch=1, /api/v1/namespaces/{ns}/pods?watch=1  (the watch protocol, below)
 * Watch, as kube-apiserver serves it: a list's metadata.resourceVersion is where a watch starts
 * (`?watch=1&resourceVersion=<rv>[&allowWatchBookmarks=true][&labelSelector=][&timeoutSeconds=]`);
 * the answer is 200 and a stream of newline-delimited JSON events {type, object}: ADDED, MODIFIED,
 * DELETED (every change of a node or pod bumps its resourceVersion, from one counter), BOOKMARK
 * (allowWatchBookmarks: every `bookmarkMs`, an object with only the current resourceVersion), and
 * ERROR with a Status of code 410 (reason Expired) when the resourceVersion is older than what the
 * server still holds (compact() forgets the history, as etcd compaction does); no resourceVersion
 * (or "0") first sends the objects there are as ADDED. A resourceVersion newer than the server's is
 * 504 Timeout ("Too large resource version"); one that is not a number is 400. Watch on anything
 * else (secrets, namespaces, one object) is refused (400). dropWatches() cuts every stream (a
 * dropped connection); close() ends them cleanly. A kubelet loop notices a container that died
 * (as the kubelet's PLEG does) and the pod turns Failed, a MODIFIED event.
 * Query parameters other than the ones named here are refused (400), as are watch parameters
 * without watch.
 * Strict like a real server: bodies that are not JSON → 400 BadRequest; objects that do not
 * validate against the official schemas (kubernetes-models) or carry bad names or labels → 422
 * Invalid; an existing name → 409 AlreadyExists; a missing namespace or object → 404 NotFound;
 * errors are `Status` objects. Unknown fields are accepted (a real server's default is to warn).
 *
 * How a pod runs here: a container whose command is `<node> -e <source>` (the pod's front) runs
 * that very source with `process.execPath`; the other container is the image's entrypoint, the
 * node agent, started as the process backend starts one (backends/process.ts) from the
 * container's arguments (--node, --cluster, --memory-bytes) with the secret resolved from the
 * pod's secretKeyRef (a missing Secret or key leaves the pod waiting in
 * CreateContainerConfigError, as the kubelet does) and, of its environment, EDGEAI_SYSFS_ROOT where
 * a hostPath volume of that path is mounted at it (the tree the agent watches for its sticks).
 * The pod's loopback ports (the front's 7070,
 * the agent's 7071) are mapped to free ports on 127.0.0.1; the image name is not checked (any
 * image runs this checkout's agent build). The proxy removes Authorization before forwarding (kube-
 * apiserver removes it after authenticating) and answers 503 when the pod does not answer.
 *
 * Why one file of ~700 lines: the API's objects, the watch history and the kubelet part
 * (runPod/stopPod/resolveEnv/containerStatuses) share one resourceVersion counter and the same
 * maps — a pod's status change is a watch event. Split, the kubelet would reach into the server's
 * private state; a split worth making gives it an interface of its own (pods to run, a status
 * callback), which no second user needs yet.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Pod } from 'kubernetes-models/v1/Pod';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import type { AgentBuild } from '../build';
import type { NodeHandle } from '../backend';
import { ProcessBackend } from '../backends/process';
import type { KubeNode } from '../../topology/kubernetes';

type Obj = { apiVersion?: string; kind?: string; metadata: { name: string; namespace?: string; uid?: string; labels?: Record<string, string>; annotations?: Record<string, string>; resourceVersion?: string; creationTimestamp?: string; deletionTimestamp?: string }; [k: string]: unknown };

interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }>;
  ports?: Array<{ name?: string; containerPort: number }>;
  volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
}

interface RunningPod {
  obj: Obj & { spec: { nodeName?: string; containers: Container[]; volumes?: Array<{ name: string; hostPath?: { path: string } }> }; status: Record<string, unknown> };
  agent?: NodeHandle;
  front?: ChildProcess;
  frontPort?: number;
  deleting?: Promise<void>;
  waiting?: { reason: string; message: string };
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

class HttpError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

function labelProblems(labels: Record<string, unknown> | undefined): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    const [prefix, name] = k.includes('/') ? [k.slice(0, k.indexOf('/')), k.slice(k.indexOf('/') + 1)] : [undefined, k];
    if ((prefix !== undefined && (!DNS_SUBDOMAIN.test(prefix) || prefix.length > 253)) || !LABEL_NAME.test(name) || name.length > 63) out.push(`metadata.labels: Invalid value: ${JSON.stringify(k)}: name part must consist of alphanumeric characters, '-', '_' or '.'`);
    if (typeof v !== 'string' || !LABEL_VALUE.test(v) || v.length > 63) out.push(`metadata.labels: Invalid value: ${JSON.stringify(v)}: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`);
  }
  return out;
}

/** Equality-based label selectors: k=v, k==v, k!=v, k, !k (comma = and). */
function selects(selector: string | null, labels: Record<string, string> = {}): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const t = term.trim();
    let m: RegExpExecArray | null;
    if ((m = /^([^!=]+)!=(.*)$/.exec(t))) return labels[m[1]] !== m[2];
    if ((m = /^([^!=]+)==?(.*)$/.exec(t))) return labels[m[1]] === m[2];
    if (t.startsWith('!')) return !(t.slice(1) in labels);
    return t in labels;
  });
}

function pidAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface FakeApiServerOptions {
  /** the cluster's nodes, as `kubectl get nodes -o json` lists them (items) */
  nodes: KubeNode[];
  /** the agent build the pods run */
  build: AgentBuild;
  /** where the pods' node stores go (a test's temp folder) */
  dir: string;
  /**
   * serve HTTPS with this key and certificate; a client certificate signed by `ca` authenticates
   * a request as the token does (k3s' kubeconfig uses client certificates)
   */
  tls?: { key: string; cert: string; ca: string };
  /** the address to listen on (default 127.0.0.1; a test's own Docker network gateway, for a container) */
  host?: string;
  /** how often a watch with allowWatchBookmarks gets a BOOKMARK (default 2000 ms; kube-apiserver: about a minute) */
  bookmarkMs?: number;
  /** how often the kubelet loop looks at the pods' processes (default 200 ms) */
  kubeletMs?: number;
}

type Watched = 'nodes' | 'pods';

interface WatchEventRecord {
  rv: number;
  resource: Watched;
  namespace?: string;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: Obj;
}

interface OpenWatch {
  resource: Watched;
  namespace?: string;
  selector: string | null;
  res: ServerResponse;
  bookmarks?: NodeJS.Timeout;
  timeout?: NodeJS.Timeout;
}

/** The query parameters each kind of request takes; any other is refused. */
const LIST_PARAMS = new Set(['labelSelector', 'resourceVersion']);
const WATCH_PARAMS = new Set(['watch', 'labelSelector', 'resourceVersion', 'allowWatchBookmarks', 'timeoutSeconds']);
const DELETE_PARAMS = new Set(['gracePeriodSeconds']);
/** how many events the server keeps for watches that resume (older ones: 410 Gone) */
const HISTORY = 1000;

export class FakeApiServer {
  readonly token = randomBytes(16).toString('hex');
  /** every request, as "METHOD /path" with names replaced by {…}: which endpoints the client used */
  readonly requests: string[] = [];
  /** BOOKMARK events sent (a test waits for some to know time passed on the watch, without a timer of its own) */
  bookmarksSent = 0;
  private readonly nodes = new Map<string, KubeNode>();
  private readonly namespaces = new Map<string, Obj>();
  private readonly secrets = new Map<string, Obj>(); // key ns/name
  private readonly pods = new Map<string, RunningPod>(); // key ns/name
  private readonly processes = new ProcessBackend();
  private readonly clusters = new Set<string>();
  private server!: Server;
  private rv = 1000;
  private ip = 10;
  /** the change events still held (a watch from an older resourceVersion is 410 Gone) */
  private history: WatchEventRecord[] = [];
  /** the oldest resourceVersion a watch may resume from */
  private horizon = 1000;
  private readonly watches = new Set<OpenWatch>();
  private kubelet: NodeJS.Timeout | undefined;
  url = '';

  private constructor(private readonly opts: FakeApiServerOptions) {
    for (const n of opts.nodes) {
      const c = structuredClone(n) as KubeNode & Obj;
      c.metadata.resourceVersion = String(++this.rv);
      this.nodes.set(n.metadata.name, c);
    }
    this.horizon = this.rv;
  }

  static async start(opts: FakeApiServerOptions): Promise<FakeApiServer> {
    const s = new FakeApiServer(opts);
    const handler = (req: IncomingMessage, res: ServerResponse) => void s.handle(req, res);
    s.server = opts.tls ? createTlsServer({ key: opts.tls.key, cert: opts.tls.cert, ca: opts.tls.ca, requestCert: true, rejectUnauthorized: false }, handler) : createServer(handler);
    await new Promise<void>((r) => s.server.listen(0, opts.host ?? '127.0.0.1', r));
    s.kubelet = setInterval(() => {
      for (const p of s.pods.values()) s.refreshPod(p);
    }, opts.kubeletMs ?? 200);
    s.kubelet.unref();
    s.url = `${opts.tls ? 'https' : 'http'}://${opts.host ?? '127.0.0.1'}:${(s.server.address() as AddressInfo).port}`;
    return s;
  }

  /** A kubeconfig for this server (token auth over plain http, as kubectl accepts with insecure-skip-tls-verify). */
  writeKubeconfig(path: string, context = 'fake', namespace?: string, client?: { cert: string; key: string }): string {
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const cfg = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'fake', cluster: this.opts.tls ? { server: this.url, 'certificate-authority-data': b64(this.opts.tls.ca) } : { server: this.url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'tester', user: client ? { 'client-certificate-data': b64(client.cert), 'client-key-data': b64(client.key) } : { token: this.token } }],
      contexts: [{ name: context, context: { cluster: 'fake', user: 'tester', ...(namespace ? { namespace } : {}) } }],
      'current-context': context,
    };
    writeFileSync(path, JSON.stringify(cfg, null, 2), { mode: 0o600 });
    return path;
  }

  /** What the node's kubelet would make the node controller say: Ready, or Unknown (stopped posting status). */
  setNodeReady(name: string, ready: boolean): void {
    const n = this.nodes.get(name);
    if (!n) throw new Error(`no node ${name}`);
    const conditions = (n.status!.conditions ?? []).filter((c) => c.type !== 'Ready');
    conditions.push(ready ? { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastTransitionTime: new Date().toISOString() } : { type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: new Date().toISOString() });
    n.status = { ...n.status, conditions };
    this.emit('nodes', 'MODIFIED', n as unknown as Obj);
  }

  /** Cuts every open watch stream (the connection drops, as when a proxy or the server restarts). */
  dropWatches(): void {
    for (const w of [...this.watches]) this.endWatch(w, true);
  }

  /** Forgets the change history (etcd compaction): a watch resuming from before now gets 410 Gone. */
  compact(): void {
    this.history = [];
    this.horizon = this.rv;
  }

  /** The watches open now, as "nodes" or "pods {ns}" (a test waits for a client to be back). */
  openWatches(): string[] {
    return [...this.watches].map((w) => (w.namespace ? `${w.resource} ${w.namespace}` : w.resource));
  }

  /** The current resourceVersion. */
  get resourceVersion(): string {
    return String(this.rv);
  }

  /** Every object this server holds (nodes aside), as kind namespace/name. */
  objects(): string[] {
    return [...[...this.namespaces.keys()].map((n) => `namespace ${n}`), ...[...this.secrets.keys()].map((k) => `secret ${k}`), ...[...this.pods.keys()].map((k) => `pod ${k}`)];
  }

  /** The pods' agents that still run (a test checks none is left). */
  runningProcesses(): number[] {
    const out: number[] = [];
    for (const p of this.pods.values()) {
      if (pidAlive(p.agent?.pid)) out.push(p.agent!.pid!);
      if (p.front && p.front.exitCode === null && p.front.signalCode === null) out.push(p.front.pid!);
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.kubelet) clearInterval(this.kubelet);
    // watch streams end cleanly (the client sees the end of the stream, then cannot reconnect)
    for (const w of [...this.watches]) this.endWatch(w, false);
    await Promise.all([...this.pods.values()].map((p) => this.stopPod(p, 0)));
    this.pods.clear();
    for (const c of this.clusters) await this.processes.teardown(c);
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  // -------------------------------------------------------------------------------------------

  private stamp(o: Obj, namespace?: string): Obj {
    o.metadata.uid = randomUUID();
    o.metadata.resourceVersion = String(++this.rv);
    o.metadata.creationTimestamp = new Date().toISOString();
    if (namespace) o.metadata.namespace = namespace;
    return o;
  }

  /** A change of a node or pod: a new resourceVersion, kept in the history and sent to the watches it matches. */
  private emit(resource: Watched, type: WatchEventRecord['type'], o: Obj): void {
    o.metadata.resourceVersion = String(++this.rv);
    const ev: WatchEventRecord = { rv: this.rv, resource, ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}), type, object: structuredClone(o) };
    this.history.push(ev);
    if (this.history.length > HISTORY) this.horizon = this.history.splice(0, this.history.length - HISTORY).at(-1)!.rv;
    for (const w of this.watches) this.deliver(w, ev);
  }

  private deliver(w: OpenWatch, ev: WatchEventRecord): void {
    if (ev.resource !== w.resource || (w.namespace !== undefined && ev.namespace !== w.namespace) || !selects(w.selector, ev.object.metadata.labels)) return;
    w.res.write(JSON.stringify({ type: ev.type, object: ev.object }) + '\n');
  }

  private endWatch(w: OpenWatch, drop: boolean): void {
    if (!this.watches.delete(w)) return;
    clearInterval(w.bookmarks);
    clearTimeout(w.timeout);
    if (drop) w.res.socket?.destroy();
    else w.res.end();
  }

  /** The query parameters of a request, each checked against what the endpoint takes. */
  private checkParams(url: URL, allowed: Set<string>, what: string): void {
    for (const k of url.searchParams.keys()) if (!allowed.has(k)) throw new HttpError(400, 'BadRequest', `${what} takes no query parameter "${k}" (it takes ${[...allowed].join(', ') || 'none'})`);
  }

  /** GET …?watch=1: the events after resourceVersion (or the objects there are, then the events), as a stream. */
  private watch(req: IncomingMessage, res: ServerResponse, url: URL, resource: Watched, namespace: string | undefined, current: () => Obj[]): void {
    this.checkParams(url, WATCH_PARAMS, 'a watch');
    const w = url.searchParams.get('watch');
    if (w !== '1' && w !== 'true') throw new HttpError(400, 'BadRequest', `watch must be 1 or true, not ${JSON.stringify(w)}`);
    const bookmarks = url.searchParams.get('allowWatchBookmarks');
    if (bookmarks !== null && bookmarks !== 'true' && bookmarks !== 'false') throw new HttpError(400, 'BadRequest', `allowWatchBookmarks must be true or false, not ${JSON.stringify(bookmarks)}`);
    const timeout = url.searchParams.get('timeoutSeconds');
    if (timeout !== null && !/^[1-9]\d*$/.test(timeout)) throw new HttpError(400, 'BadRequest', `timeoutSeconds must be a positive whole number, not ${JSON.stringify(timeout)}`);
    const rvParam = url.searchParams.get('resourceVersion');
    if (rvParam !== null && rvParam !== '' && !/^\d+$/.test(rvParam)) throw new HttpError(400, 'BadRequest', `resourceVersion: Invalid value: ${JSON.stringify(rvParam)}: must be a number`);
    const from = rvParam === null || rvParam === '' || rvParam === '0' ? undefined : Number(rvParam);
    if (from !== undefined && from > this.rv) throw new HttpError(504, 'Timeout', `Too large resource version: ${from}, current: ${this.rv}`);
    const selector = url.searchParams.get('labelSelector');
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    if (from !== undefined && from < this.horizon) {
      // what kube-apiserver sends for a resourceVersion etcd has compacted away
      res.end(JSON.stringify({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `too old resource version: ${from} (${this.horizon})`, reason: 'Expired', code: 410 } }) + '\n');
      return;
    }
    const open: OpenWatch = { resource, ...(namespace !== undefined ? { namespace } : {}), selector, res };
    if (from === undefined) {
      for (const o of current()) if (selects(selector, o.metadata.labels)) res.write(JSON.stringify({ type: 'ADDED', object: o }) + '\n');
    } else for (const ev of this.history) if (ev.rv > from) this.deliver(open, ev);
    this.watches.add(open);
    if (bookmarks === 'true') {
      const kind = resource === 'nodes' ? 'Node' : 'Pod';
      open.bookmarks = setInterval(() => (this.bookmarksSent++, res.write(JSON.stringify({ type: 'BOOKMARK', object: { kind, apiVersion: 'v1', metadata: { resourceVersion: String(this.rv) } } }) + '\n')), this.opts.bookmarkMs ?? 2000);
      open.bookmarks.unref();
    }
    if (timeout !== null) {
      open.timeout = setTimeout(() => this.endWatch(open, false), Number(timeout) * 1000);
      open.timeout.unref();
    }
    res.on('close', () => this.endWatch(open, false));
  }

  private send(res: ServerResponse, code: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  private status(res: ServerResponse, e: HttpError): void {
    this.send(res, e.code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: e.message, reason: e.reason, ...(e.details ? { details: e.details } : {}), code: e.code });
  }

  private async body(req: IncomingMessage): Promise<Obj> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let v: unknown;
    try {
      v = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch (e) {
      throw new HttpError(400, 'BadRequest', `the body of the request was in an unknown format: ${(e as Error).message}`);
    }
    if (!v || typeof v !== 'object' || Array.isArray(v) || !('metadata' in v) || typeof (v as Obj).metadata !== 'object') throw new HttpError(400, 'BadRequest', 'the request body is not an object with metadata');
    return v as Obj;
  }

  /** Validates an object against the official schema (kubernetes-models) and the name and label rules: 422 Invalid. */
  private validate(kind: 'Pod' | 'Secret' | 'Namespace', o: Obj, nameRule: RegExp): void {
    const problems: string[] = [];
    if (o.kind !== undefined && o.kind !== kind) throw new HttpError(400, 'BadRequest', `the API version in the data (${o.apiVersion}) does not match the expected API version (v1) or the kind ${String(o.kind)} is not ${kind}`);
    if (o.apiVersion !== undefined && o.apiVersion !== 'v1') throw new HttpError(400, 'BadRequest', `the API version in the data (${String(o.apiVersion)}) does not match the expected API version (v1)`);
    try {
      const model = kind === 'Pod' ? new Pod(o as never) : kind === 'Secret' ? new Secret(o as never) : new Namespace(o as never);
      model.validate();
    } catch (e) {
      problems.push((e as Error).message);
    }
    const name = o.metadata?.name;
    if (typeof name !== 'string' || !nameRule.test(name) || name.length > (nameRule === DNS_LABEL ? 63 : 253)) problems.push(`metadata.name: Invalid value: ${JSON.stringify(name)}: a lowercase RFC 1123 ${nameRule === DNS_LABEL ? 'label' : 'subdomain'} must consist of lower case alphanumeric characters or '-'`);
    problems.push(...labelProblems(o.metadata?.labels));
    if (kind === 'Secret') {
      for (const [k, v] of Object.entries((o.data as Record<string, unknown>) ?? {})) if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 !== 0) problems.push(`data[${k}]: Invalid value: illegal base64 data`);
    }
    if (kind === 'Pod') {
      const spec = o.spec as { containers?: Container[] } | undefined;
      const names = (spec?.containers ?? []).map((c) => c.name);
      if (new Set(names).size !== names.length) problems.push('spec.containers: Duplicate value: container names must be unique');
      for (const c of spec?.containers ?? []) if (!DNS_LABEL.test(c.name ?? '')) problems.push(`spec.containers[${c.name}].name: Invalid value`);
    }
    if (problems.length) throw new HttpError(422, 'Invalid', `${kind} ${JSON.stringify(name ?? '')} is invalid: ${problems.join('; ')}`, { name, kind: kind.toLowerCase() + 's', causes: problems.map((message) => ({ message })) });
  }

  private namespace(ns: string): Obj {
    const n = this.namespaces.get(ns);
    if (!n) throw new HttpError(404, 'NotFound', `namespaces "${ns}" not found`, { name: ns, kind: 'namespaces' });
    return n;
  }

  private list(kind: string, items: Obj[], selector: string | null): unknown {
    return { kind: `${kind}List`, apiVersion: 'v1', metadata: { resourceVersion: String(this.rv) }, items: items.filter((i) => selects(selector, i.metadata.labels)) };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    const path = url.pathname;
    const watching = url.searchParams.has('watch');
    this.requests.push(`${method} ${path.replace(/^(\/api\/v1\/namespaces\/)[^/]+/, '$1{ns}').replace(/^(\/api\/v1\/(?:namespaces\/\{ns\}\/)?(?:pods|secrets|nodes)\/)[^/:]+(?::\d+)?(\/proxy).*$/, '$1{name}:{port}$2/…').replace(/^(\/api\/v1\/(?:namespaces\/\{ns\}\/)?(?:pods|secrets|nodes)\/)[^/]+$/, '$1{name}')}${watching ? '?watch' : ''}`);
    try {
      const byCert = this.opts.tls !== undefined && (req.socket as TLSSocket).authorized === true;
      if (req.headers.authorization !== `Bearer ${this.token}` && !byCert) throw new HttpError(401, 'Unauthorized', 'Unauthorized');
      const sel = url.searchParams.get('labelSelector');
      let m: RegExpExecArray | null;
      // the pod proxy first: its tail is free-form, and its query is the pod's
      if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/:]+):([^/]+)\/proxy(\/.*)?$/.exec(path))) return await this.proxy(req, res, m[1], m[2], m[3], (m[4] ?? '/') + url.search);
      const collection = path === '/api/v1/nodes' || /^\/api\/v1\/namespaces\/[^/]+\/pods$/.test(path);
      if (watching && !(collection && method === 'GET')) throw new HttpError(400, 'BadRequest', `this API server serves watch for nodes and pods (GET /api/v1/nodes, GET /api/v1/namespaces/{ns}/pods), not for ${method} ${path}`);
      if (!watching) this.checkParams(url, method === 'DELETE' && /\/pods\/[^/]+$/.test(path) ? DELETE_PARAMS : method === 'GET' && (collection || /^\/api\/v1\/(namespaces|namespaces\/[^/]+\/secrets)$/.test(path)) ? LIST_PARAMS : new Set(), `${method} ${path}`);
      if (path === '/api/v1/nodes') {
        if (watching) return this.watch(req, res, url, 'nodes', undefined, () => [...this.nodes.values()].map((n) => structuredClone(n) as unknown as Obj));
        return this.only(method, ['GET'], () => this.send(res, 200, this.list('Node', [...this.nodes.values()] as Obj[], sel)));
      }
      if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/pods$/.exec(path)) && method === 'GET' && !this.namespaces.has(m[1])) {
        // kube-apiserver lists (and watches) pods of a namespace that does not exist as none
        const ns = m[1];
        if (watching) return this.watch(req, res, url, 'pods', ns, () => []);
        return this.send(res, 200, this.list('Pod', [], sel));
      }
      if ((m = /^\/api\/v1\/nodes\/([^/]+)$/.exec(path))) {
        const name = m[1];
        return this.only(method, ['GET'], () => {
          const n = this.nodes.get(name);
          if (!n) throw new HttpError(404, 'NotFound', `nodes "${name}" not found`, { name, kind: 'nodes' });
          this.send(res, 200, n);
        });
      }
      if (path === '/api/v1/namespaces') {
        if (method === 'GET') return this.send(res, 200, this.list('Namespace', [...this.namespaces.values()], sel));
        if (method !== 'POST') throw new HttpError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
        const o = await this.body(req);
        this.validate('Namespace', o, DNS_LABEL);
        if (this.namespaces.has(o.metadata.name)) throw new HttpError(409, 'AlreadyExists', `namespaces "${o.metadata.name}" already exists`, { name: o.metadata.name, kind: 'namespaces' });
        const ns = this.stamp({ ...o, apiVersion: 'v1', kind: 'Namespace', status: { phase: 'Active' } });
        this.namespaces.set(o.metadata.name, ns);
        return this.send(res, 201, ns);
      }
      if ((m = /^\/api\/v1\/namespaces\/([^/]+)$/.exec(path))) {
        const ns = this.namespace(m[1]);
        if (method === 'GET') return this.send(res, 200, ns);
        if (method !== 'DELETE') throw new HttpError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
        if (!ns.metadata.deletionTimestamp) {
          ns.metadata.deletionTimestamp = new Date().toISOString();
          (ns as { status?: unknown }).status = { phase: 'Terminating' };
          void this.finalizeNamespace(m[1]);
        }
        return this.send(res, 200, ns);
      }
      if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/(secrets|pods)(?:\/([^/]+))?$/.exec(path))) {
        const [, nsName, kind, name] = m;
        const ns = this.namespace(nsName);
        const store = kind === 'secrets' ? this.secrets : this.pods;
        const keyOf = (n: string) => `${nsName}/${n}`;
        const objOf = (v: Obj | RunningPod): Obj => ('obj' in v ? this.podView(v as RunningPod) : (v as Obj));
        if (!name) {
          if (method === 'GET' && watching) return this.watch(req, res, url, 'pods', nsName, () => [...this.pods.entries()].filter(([k]) => k.startsWith(`${nsName}/`)).map(([, v]) => this.podView(v)));
          if (method === 'GET') return this.send(res, 200, this.list(kind === 'secrets' ? 'Secret' : 'Pod', [...store.entries()].filter(([k]) => k.startsWith(`${nsName}/`)).map(([, v]) => objOf(v)), sel));
          if (method !== 'POST') throw new HttpError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
          const o = await this.body(req);
          if (o.metadata.namespace !== undefined && o.metadata.namespace !== nsName) throw new HttpError(400, 'BadRequest', `the namespace of the provided object (${o.metadata.namespace}) does not match the namespace sent on the request (${nsName})`);
          if (ns.metadata.deletionTimestamp) throw new HttpError(403, 'Forbidden', `${kind} "${o.metadata.name}" is forbidden: unable to create new content in namespace ${nsName} because it is being terminated`);
          this.validate(kind === 'secrets' ? 'Secret' : 'Pod', o, kind === 'secrets' ? DNS_SUBDOMAIN : DNS_SUBDOMAIN);
          if (store.has(keyOf(o.metadata.name))) throw new HttpError(409, 'AlreadyExists', `${kind} "${o.metadata.name}" already exists`, { name: o.metadata.name, kind });
          if (kind === 'secrets') {
            const s = this.stamp({ ...o, apiVersion: 'v1', kind: 'Secret', type: (o.type as string) ?? 'Opaque' }, nsName);
            this.secrets.set(keyOf(o.metadata.name), s);
            return this.send(res, 201, s);
          }
          const p: RunningPod = { obj: this.stamp({ ...o, apiVersion: 'v1', kind: 'Pod', status: { phase: 'Pending' } }, nsName) as RunningPod['obj'] };
          this.pods.set(keyOf(o.metadata.name), p);
          this.emit('pods', 'ADDED', p.obj);
          void this.runPod(p);
          return this.send(res, 201, this.podView(p));
        }
        const v = store.get(keyOf(name));
        if (!v) throw new HttpError(404, 'NotFound', `${kind} "${name}" not found`, { name, kind });
        if (method === 'GET') return this.send(res, 200, objOf(v));
        if (method !== 'DELETE') throw new HttpError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
        if (kind === 'secrets') {
          this.secrets.delete(keyOf(name));
          return this.send(res, 200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name, kind } });
        }
        const p = v as RunningPod;
        const grace = url.searchParams.has('gracePeriodSeconds') ? Number(url.searchParams.get('gracePeriodSeconds')) : 30;
        if (!Number.isInteger(grace) || grace < 0) throw new HttpError(400, 'BadRequest', `invalid gracePeriodSeconds ${url.searchParams.get('gracePeriodSeconds')}`);
        if (!p.deleting) {
          p.obj.metadata.deletionTimestamp = new Date().toISOString();
          this.emit('pods', 'MODIFIED', p.obj);
          p.deleting = this.stopPod(p, grace).finally(() => this.podGone(keyOf(name), p));
        }
        return this.send(res, 200, this.podView(p));
      }
      throw new HttpError(404, 'NotFound', 'the server could not find the requested resource');
    } catch (e) {
      if (e instanceof HttpError) return this.status(res, e);
      this.status(res, new HttpError(500, 'InternalError', `Internal error occurred: ${(e as Error).message}`));
    }
  }

  private only(method: string, allowed: string[], then: () => void): void {
    if (!allowed.includes(method)) throw new HttpError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
    then();
  }

  private async finalizeNamespace(ns: string): Promise<void> {
    const mine = [...this.pods.entries()].filter(([k]) => k.startsWith(`${ns}/`));
    await Promise.all(mine.map(([k, p]) => (p.deleting ??= this.stopPod(p, 0).finally(() => this.podGone(k, p)))));
    for (const k of [...this.secrets.keys()]) if (k.startsWith(`${ns}/`)) this.secrets.delete(k);
    this.namespaces.delete(ns);
  }

  /** A deleted pod is gone once its containers stopped: a DELETED event. */
  private podGone(key: string, p: RunningPod): void {
    if (this.pods.get(key) !== p) return;
    this.pods.delete(key);
    this.emit('pods', 'DELETED', p.obj);
  }

  /** The kubelet's look at a running pod: a container that died makes it Failed (a MODIFIED event). */
  private refreshPod(p: RunningPod): void {
    const st = p.obj.status as { phase?: string };
    if (st.phase === 'Running' && !p.deleting && (!pidAlive(p.agent?.pid) || p.front?.exitCode !== null || p.front?.signalCode !== null)) {
      p.obj.status = { ...p.obj.status, phase: 'Failed', reason: 'Error', conditions: [{ type: 'Ready', status: 'False', reason: 'PodFailed' }], containerStatuses: this.containerStatuses(p, false) };
      this.emit('pods', 'MODIFIED', p.obj);
    }
  }

  /** The pod object with its status as of now. */
  private podView(p: RunningPod): Obj {
    this.refreshPod(p);
    return structuredClone(p.obj);
  }

  /** The kubelet reports a pod's new status. */
  private setPodStatus(p: RunningPod, status: Record<string, unknown>): void {
    if (![...this.pods.values()].includes(p)) return; // deleted meanwhile: its DELETED was the last event
    p.obj.status = status;
    this.emit('pods', 'MODIFIED', p.obj);
  }

  private containerStatuses(p: RunningPod, running: boolean): unknown[] {
    return p.obj.spec.containers.map((c) => ({
      name: c.name,
      image: c.image,
      ready: running,
      restartCount: 0,
      state: p.waiting ? { waiting: p.waiting } : running ? { running: { startedAt: new Date().toISOString() } } : { terminated: { exitCode: 137, reason: 'Error' } },
    }));
  }

  private resolveEnv(p: RunningPod, c: Container): Record<string, string> {
    const env: Record<string, string> = {};
    for (const e of c.env ?? []) {
      if (e.value !== undefined) env[e.name] = e.value;
      else if (e.valueFrom?.secretKeyRef) {
        const ref = e.valueFrom.secretKeyRef;
        const s = this.secrets.get(`${p.obj.metadata.namespace}/${ref.name}`);
        const data = (s?.data as Record<string, string> | undefined)?.[ref.key];
        const str = (s?.stringData as Record<string, string> | undefined)?.[ref.key];
        if (!s) throw Object.assign(new Error(`secret "${ref.name}" not found`), { waiting: true });
        if (data === undefined && str === undefined) throw Object.assign(new Error(`couldn't find key ${ref.key} in Secret ${p.obj.metadata.namespace}/${ref.name}`), { waiting: true });
        env[e.name] = str ?? Buffer.from(data!, 'base64').toString('utf8');
      }
    }
    return env;
  }

  /** The kubelet's part: start the containers as local processes, then Running and Ready. */
  private async runPod(p: RunningPod): Promise<void> {
    const node = p.obj.spec.nodeName;
    if (!node || !this.nodes.has(node)) return; // no such node: Pending for ever, as on a real cluster
    const containers = p.obj.spec.containers;
    const front = containers.find((c) => c.command && c.command[1] === '-e');
    const agent = containers.find((c) => c !== front);
    try {
      if (!agent || !front) throw new Error('the test API server runs agent pods only: one container with the agent\'s arguments and one `node -e <front>`');
      const envA = this.resolveEnv(p, agent);
      const envF = this.resolveEnv(p, front);
      const arg = (flag: string) => {
        const i = (agent.args ?? []).indexOf(flag);
        return i >= 0 ? agent.args![i + 1] : undefined;
      };
      const name = arg('--node');
      const cluster = arg('--cluster');
      const secret = envA.EDGEAI_AGENT_SECRET;
      if (!name || !cluster || !secret) throw new Error('the agent container needs --node, --cluster and EDGEAI_AGENT_SECRET');
      const storeDir = join(this.opts.dir, `${p.obj.metadata.namespace}-${p.obj.metadata.name}-${p.obj.metadata.uid!.slice(0, 8)}`);
      mkdirSync(storeDir, { recursive: true });
      this.clusters.add(cluster);
      // the agent's sysfs tree: EDGEAI_SYSFS_ROOT is seen only where a hostPath of that path is mounted
      // at it (these "containers" are local processes, so the host's path is theirs)
      const tree = envA.EDGEAI_SYSFS_ROOT;
      const mounted = tree !== undefined && (agent.volumeMounts ?? []).some((m) => m.mountPath === tree && p.obj.spec.volumes?.some((v) => v.name === m.name && v.hostPath?.path === tree));
      p.agent = await this.processes.start({ cluster, name, storeDir, cpuMillis: 0, memoryBytes: Number(arg('--memory-bytes') ?? 0), labels: {}, network: 'pod', secret, ...(mounted ? { sysfsRoot: tree } : {}) }, this.opts.build);
      if (p.deleting) return;
      const child = spawn(process.execPath, ['-e', front.command![2]], { env: { ...envF, EDGEAI_FRONT_PORT: '0', EDGEAI_FRONT_HOST: '127.0.0.1', EDGEAI_FRONT_UPSTREAM: `127.0.0.1:${p.agent.port}` }, stdio: ['ignore', 'pipe', 'inherit'] });
      p.front = child;
      p.frontPort = await new Promise<number>((resolve, reject) => {
        let buf = '';
        child.stdout!.on('data', (c: Buffer) => {
          buf += c.toString('utf8');
          const line = buf.split('\n')[0];
          if (buf.includes('\n')) {
            try {
              resolve((JSON.parse(line) as { front: number }).front);
            } catch (e) {
              reject(e);
            }
          }
        });
        child.once('exit', (code) => reject(new Error(`the front exited with ${code} before it listened`)));
      });
      child.stdout!.resume();
      if (p.deleting) return;
      this.setPodStatus(p, { phase: 'Running', podIP: `10.42.0.${this.ip++}`, hostIP: '192.168.1.1', startTime: new Date().toISOString(), conditions: [{ type: 'Ready', status: 'True' }, { type: 'ContainersReady', status: 'True' }], containerStatuses: this.containerStatuses(p, true) });
    } catch (e) {
      if ((e as { waiting?: boolean }).waiting) {
        p.waiting = { reason: 'CreateContainerConfigError', message: (e as Error).message };
        this.setPodStatus(p, { phase: 'Pending', containerStatuses: this.containerStatuses(p, false) });
      } else this.setPodStatus(p, { phase: 'Failed', reason: 'Error', message: (e as Error).message, containerStatuses: this.containerStatuses(p, false) });
    }
  }

  private async stopPod(p: RunningPod, graceSeconds: number): Promise<void> {
    const front = p.front;
    if (front && front.exitCode === null && front.signalCode === null) {
      const gone = new Promise((r) => front.once('exit', r));
      front.kill(graceSeconds === 0 ? 'SIGKILL' : 'SIGTERM');
      await Promise.race([gone, new Promise((r) => setTimeout(r, Math.max(graceSeconds, 1) * 1000))]);
      if (front.exitCode === null && front.signalCode === null) front.kill('SIGKILL');
    }
    if (p.agent) await (graceSeconds === 0 ? this.processes.kill(p.agent) : this.processes.stop(p.agent));
  }

  /** The API server's pod proxy: to the pod's port, Authorization removed, 503 when the pod does not answer. */
  private async proxy(req: IncomingMessage, res: ServerResponse, ns: string, name: string, port: string, rest: string): Promise<void> {
    this.namespace(ns);
    const p = this.pods.get(`${ns}/${name}`);
    if (!p) throw new HttpError(404, 'NotFound', `pods "${name}" not found`, { name, kind: 'pods' });
    const view = this.podView(p) as { status?: { phase?: string; podIP?: string } };
    const declared = p.obj.spec.containers.flatMap((c) => c.ports ?? []);
    const target = declared.find((x) => String(x.containerPort) === port || x.name === port);
    if (!target && !/^\d+$/.test(port)) throw new HttpError(503, 'ServiceUnavailable', `no endpoints available for pod "${name}": no port named ${port}`);
    if (view.status?.phase !== 'Running' || !p.frontPort || (target?.containerPort ?? Number(port)) !== declared[0]?.containerPort)
      throw new HttpError(503, 'ServiceUnavailable', `error trying to reach service: dial tcp ${view.status?.podIP ?? '<none>'}:${port}: connect: connection refused`);
    const headers = { ...req.headers };
    delete headers.authorization; // kube-apiserver removes it once it has authenticated the request
    delete headers.connection;
    headers.host = `${view.status.podIP}:${port}`;
    await new Promise<void>((resolve) => {
      const up = httpRequest({ host: '127.0.0.1', port: p.frontPort, method: req.method, path: rest, headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
        r.on('end', resolve);
        r.on('error', () => (res.destroy(), resolve()));
      });
      up.on('error', (e) => {
        if (!res.headersSent) this.status(res, new HttpError(503, 'ServiceUnavailable', `error trying to reach service: ${e.message}`));
        else res.destroy();
        resolve();
      });
      res.on('close', () => {
        if (!res.writableFinished) up.destroy();
      });
      req.pipe(up);
    });
  }
}
