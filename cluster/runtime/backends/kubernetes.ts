/**
 * The kubernetes backend: every node agent is a pod on the Kubernetes node of the same name
 * (manifests.ts: pinned by nodeName, the device profile's CPU and memory as limits, the cluster's
 * agent secret from a Secret, a USB accelerator by its device-plugin resource or the privileged
 * opt-in). The controller stays in this process and reaches each agent through the API server's
 * pod proxy (`/api/v1/namespaces/<ns>/pods/<pod>:7070/proxy/...`, api.ts), so only a kubeconfig
 * is needed here; the pod's front (front.ts) hands the agent its secret.
 *
 * Node health: the nodes and the agent pods are watched (kubernetes/watch.ts: list, then the
 * watch protocol's events; no poll timer). A node Kubernetes reports NotReady is unreachable here
 * from the event on: every request to its agent fails at once, so the controller's heartbeats mark
 * it NotReady and its functions are rescheduled (lifecycle.ts), exactly as when an agent dies, with
 * Kubernetes' reason (notReadyReason: the condition's message) instead of the heartbeat count;
 * Ready again, its agent answers again. A pod that fails or is deleted is the same from its event
 * (with the heartbeat reason); start() waits for a pod's Running and Ready from the events too.
 *
 * The node image is `image`, else $EDGEAI_NODE_IMAGE (the headless controller's Deployment sets it:
 * then no agent build is needed in that pod), else edgeai-node:<agent build hash>.
 *
 * Everything created carries the cluster's labels (manifests.ts); teardown() deletes by them and
 * checks that nothing is left. The namespace is deleted only when this cluster created it.
 */
import type { AgentBuild } from '../build';
import type { Backend, NodeHandle, NodeLaunch } from '../backend';
import { AgentClient } from '../agent/client';
import { imageTagFor } from './docker-image';
import { StudioError } from '../../common/errors';
import { KubeApi, KubeApiError, type KubeTarget, type ResolvedTarget } from './kubernetes/api';
import { SECRET_HEADER, FRONT_PORT } from './kubernetes/front';
import { LABEL_CLUSTER, LABEL_NODE, LABEL_MANAGED_BY, MANAGED_BY, ANNOTATION_NODE, agentPod, clusterLabels, clusterSelector, labelValue, namespaceObject, podNameOf, secretNameOf, secretObject } from './kubernetes/manifests';
import { NODE_IMAGE_ENV } from './kubernetes/controller';
import { Informer, type InformerStats, type KubeObject } from './kubernetes/watch';
import type { KubeNode } from '../../topology/kubernetes';
import { nodeReady } from '../../topology/kubernetes';

type WatchStats = InformerStats & { resourceVersion?: string };

export interface KubernetesBackendOptions extends KubeTarget {
  /** accelerator nodes without a device-plugin resource run privileged with the host's USB bus */
  privilegedUsb?: boolean;
  /** the node image (default $EDGEAI_NODE_IMAGE, else edgeai-node:<agent build hash>, as the docker backend tags it) */
  image?: string;
  /** how long start() waits for a pod to run and its agent to answer (default 120 s) */
  readyTimeoutMs?: number;
  /** the watches' reconnect backoff: doubles from min to max (default 200 ms … 5 s) */
  watchBackoffMs?: { min: number; max: number };
}



interface PodObject {
  metadata: { name: string; uid?: string; resourceVersion?: string; labels?: Record<string, string>; annotations?: Record<string, string>; deletionTimestamp?: string };
  spec?: { nodeName?: string };
  status?: { phase?: string; podIP?: string; reason?: string; message?: string; conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>; containerStatuses?: Array<{ name: string; ready: boolean; state?: Record<string, { reason?: string; message?: string; exitCode?: number }> }> };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Why a pod that is not running will not run, from its status (undefined: it may still start). */
function podFailure(p: PodObject): string | undefined {
  const st = p.status ?? {};
  if (st.phase === 'Failed' || st.phase === 'Succeeded') return `it ${st.phase === 'Failed' ? 'failed' : 'exited'}${st.reason ? ` (${st.reason}${st.message ? `: ${st.message}` : ''})` : ''}${terminated(p)}`;
  for (const c of st.containerStatuses ?? []) {
    const w = c.state?.waiting;
    if (w && /ErrImagePull|ImagePullBackOff|ErrImageNeverPull|InvalidImageName|CreateContainerConfigError|CreateContainerError/.test(w.reason ?? '')) return `container ${c.name}: ${w.reason}${w.message ? `: ${w.message}` : ''}`;
  }
  return undefined;
}

function terminated(p: PodObject): string {
  const t = (p.status?.containerStatuses ?? []).map((c) => (c.state?.terminated ? `${c.name} exited ${c.state.terminated.exitCode ?? '?'}${c.state.terminated.reason ? ` (${c.state.terminated.reason})` : ''}` : '')).filter(Boolean);
  return t.length ? `; ${t.join(', ')}` : '';
}

export class KubernetesBackend implements Backend {
  readonly kind = 'kubernetes' as const;
  readonly api: KubeApi;
  private readonly opts: KubernetesBackendOptions;
  private readonly prepared = new Map<string, Promise<void>>();
  /** what Kubernetes last said of each node: Ready, or why not (why: a start refused on it; reason: the node's status, Backend.notReadyReason) */
  private readonly nodeState = new Map<string, { ready: boolean; why?: string; reason?: string }>();
  private nodeWatch: Informer<KubeNode> | undefined;
  private podWatch: Informer<PodObject> | undefined;
  /** the node image, when it is named (an option, or the controller Deployment's environment): then no agent build is needed here */
  private readonly image: string | undefined;
  readonly needsAgentBuild: boolean;

  constructor(opts: KubernetesBackendOptions = {}) {
    this.opts = opts;
    this.api = KubeApi.load(opts);
    this.image = opts.image ?? (process.env[NODE_IMAGE_ENV] || undefined);
    this.needsAgentBuild = this.image === undefined;
  }

  /** The target with every default applied (the cluster's state keeps it). */
  get target(): ResolvedTarget {
    return this.api.target;
  }

  private get ns(): string {
    return this.api.namespace;
  }

  async prepare(_build: AgentBuild, progress: (msg: string) => void): Promise<void> {
    const t = this.api.target;
    progress(`Kubernetes API server ${t.server} (context ${t.context}, namespace ${t.namespace})`);
    await this.watchNodes();
  }

  /** What Kubernetes says about a node it reports NotReady (its Ready condition), as of its last event; undefined while it reports it Ready. */
  notReadyReason(node: string): string | undefined {
    const s = this.nodeState.get(node);
    return s && !s.ready ? s.reason : undefined;
  }

  /** The cluster's nodes as the API server lists them. */
  async nodes(): Promise<KubeNode[]> {
    return (await this.api.json<{ items: KubeNode[] }>('GET', '/api/v1/nodes')).items;
  }

  /** Node state from one Node object (its Ready condition). */
  private nodeChanged(n: KubeNode): void {
    const c = n.status?.conditions?.find((x) => x.type === 'Ready');
    const condition = `Ready=${c?.status ?? 'missing'}${c?.reason ? `, ${c.reason}` : ''}`;
    this.nodeState.set(
      n.metadata.name,
      nodeReady(n)
        ? { ready: true }
        : {
            ready: false,
            why: `Kubernetes reports node ${n.metadata.name} NotReady (${condition}${c?.message ? `: ${c.message}` : ''})`,
            reason: `Kubernetes reports the node NotReady: ${c?.message ? c.message.replace(/\.$/, '') : 'no condition message'} (${condition}); its agent is not asked until Kubernetes reports it Ready (\`kubectl describe node ${n.metadata.name}\` says why)`,
          },
    );
  }

  private nodeGone(name: string): void {
    this.nodeState.set(name, { ready: false, why: `node ${name} is no longer in the Kubernetes cluster`, reason: `the node is no longer in the Kubernetes cluster (\`kubectl get nodes\` does not list it)` });
  }

  /** The nodes' watch, started once; resolves when its first list is in (rejects when the API server cannot be listed). */
  private watchNodes(): Promise<void> {
    if (!this.nodeWatch || this.nodeWatch.stopped) {
      this.nodeWatch = new Informer<KubeNode>(this.api, {
        path: '/api/v1/nodes',
        ...this.backoff(),
        onSync: (list) => {
          for (const n of list) this.nodeChanged(n);
          for (const name of [...this.nodeState.keys()]) if (!list.some((n) => n.metadata.name === name)) this.nodeGone(name);
        },
        onChange: (type, n) => (type === 'DELETED' ? this.nodeGone(n.metadata.name) : this.nodeChanged(n)),
      });
    }
    const w = this.nodeWatch;
    return w.start().catch((e) => {
      if (this.nodeWatch === w) this.nodeWatch = undefined;
      throw e;
    });
  }

  /** The agent pods' watch in the namespace (everything edgeai made there), started once. */
  private async watchPods(): Promise<Informer<PodObject>> {
    if (!this.podWatch || this.podWatch.stopped) this.podWatch = new Informer<PodObject>(this.api, { path: `/api/v1/namespaces/${this.ns}/pods`, labelSelector: `${LABEL_MANAGED_BY}=${MANAGED_BY}`, ...this.backoff() });
    const w = this.podWatch;
    await w.start().catch((e) => {
      if (this.podWatch === w) this.podWatch = undefined;
      throw e;
    });
    return w;
  }

  private backoff(): { minBackoffMs?: number; maxBackoffMs?: number } {
    const b = this.opts.watchBackoffMs;
    return b ? { minBackoffMs: b.min, maxBackoffMs: b.max } : {};
  }

  /** What the watches did (lists, watches, re-lists after 410, reconnects): tests and `--verbose` diagnostics. */
  watchStats(): { nodes?: WatchStats; pods?: WatchStats } {
    const of = (w: Informer<KubeObject> | undefined): WatchStats | undefined => (w ? { ...w.stats, ...(w.resourceVersion ? { resourceVersion: w.resourceVersion } : {}) } : undefined);
    const nodes = of(this.nodeWatch);
    const pods = of(this.podWatch);
    return { ...(nodes ? { nodes } : {}), ...(pods ? { pods } : {}) };
  }

  /** Stops the watches (teardown does too); the pods keep running. */
  close(): void {
    this.nodeWatch?.stop();
    this.podWatch?.stop();
    this.nodeWatch = this.podWatch = undefined;
  }

  /** The namespace (created, with our labels, when missing) and the cluster's Secret, once per cluster and secret. */
  private ensureCluster(cluster: string, secret: string): Promise<void> {
    const key = `${cluster}\u0000${secret}`;
    let p = this.prepared.get(key);
    if (!p) {
      p = (async () => {
        let ns = await this.api.maybe<PodObject>('GET', `/api/v1/namespaces/${this.ns}`);
        // a namespace still Terminating (a `down` just before) takes no new objects: wait until it is gone
        const t0 = Date.now();
        while (ns?.metadata.deletionTimestamp) {
          if (Date.now() - t0 > (this.opts.readyTimeoutMs ?? 120_000)) throw new StudioError('kubernetes-namespace-terminating', `namespace ${this.ns} is still being deleted`, `wait until \`kubectl get namespace ${this.ns}\` no longer lists it, or pass --namespace <another>`);
          await sleep(200);
          ns = await this.api.maybe<PodObject>('GET', `/api/v1/namespaces/${this.ns}`);
        }
        if (!ns) await this.api.json('POST', '/api/v1/namespaces', namespaceObject(this.ns, cluster));
        const name = secretNameOf(cluster);
        // a secret of an earlier `up` is replaced: each up makes a new one
        await this.api.maybe('DELETE', `/api/v1/namespaces/${this.ns}/secrets/${name}`);
        await this.api.json('POST', `/api/v1/namespaces/${this.ns}/secrets`, secretObject(this.ns, cluster, secret));
      })();
      this.prepared.set(key, p);
      p.catch(() => this.prepared.delete(key));
    }
    return p;
  }

  /**
   * The AgentClient transport of a pod: the proxy base, the API server's fetch, the secret in its
   * own header; refused while Kubernetes says the node is NotReady, or (from the pods' watch) that
   * this pod (by uid) is gone, failed or being deleted.
   */
  private via(pod: PodObject, node: string): NonNullable<NodeHandle['via']> {
    const fetchThrough = this.api.fetch;
    const state = this.nodeState;
    const uid = pod.metadata.uid;
    const name = pod.metadata.name;
    return {
      base: this.api.proxyBase(name, FRONT_PORT),
      secretHeader: SECRET_HEADER,
      fetch: (input, init) => {
        const s = state.get(node);
        if (s && !s.ready) return Promise.reject(new TypeError('fetch failed', { cause: new Error(s.why) }));
        const w = this.podWatch;
        if (w && !w.stopped && uid) {
          const now = w.cache.get(name);
          const why = !now || now.metadata.uid !== uid ? `pod ${this.ns}/${name} was deleted` : now.metadata.deletionTimestamp ? `pod ${this.ns}/${name} is being deleted` : now.status?.phase !== 'Running' ? `pod ${this.ns}/${name} is ${now.status?.phase ?? 'not running'}` : undefined;
          if (why) return Promise.reject(new TypeError('fetch failed', { cause: new Error(why) }));
        }
        return fetchThrough(input, init);
      },
    };
  }

  private handleOf(pod: PodObject, node: string, secret: string): NodeHandle {
    return { name: node, port: FRONT_PORT, host: pod.status?.podIP ?? pod.metadata.name, container: pod.metadata.name, secret, via: this.via(pod, node) };
  }

  /** Deletes a pod and waits for its DELETED event (the pods' watch). */
  private async deletePod(name: string, graceSeconds: number, timeoutMs = 30_000): Promise<void> {
    const pods = await this.watchPods();
    const doomed = await this.api.maybe<PodObject>('DELETE', `/api/v1/namespaces/${this.ns}/pods/${name}?gracePeriodSeconds=${graceSeconds}`);
    if (!doomed) return;
    const uid = doomed.metadata.uid;
    await pods.waitFor(
      () => {
        const now = pods.cache.get(name);
        return !now || (uid !== undefined && now.metadata.uid !== uid) ? true : undefined;
      },
      timeoutMs,
      () => new StudioError('kubernetes-pod-stuck', `pod ${this.ns}/${name} is still there ${timeoutMs / 1000} s after it was deleted`, `see \`kubectl -n ${this.ns} describe pod ${name}\``),
    );
  }

  async start(spec: NodeLaunch, build: AgentBuild): Promise<NodeHandle> {
    await this.ensureCluster(spec.cluster, spec.secret);
    await this.watchNodes();
    const pods = await this.watchPods();
    const node = this.nodeState.get(spec.name);
    if (!node) throw new StudioError('unknown-cluster-node', `the Kubernetes cluster has no node ${spec.name} (it has ${[...this.nodeState.keys()].join(', ') || 'none'})`, 'name the topology\'s nodes as `kubectl get nodes` lists them, or leave --topology out to map the cluster\'s nodes');
    if (!node.ready) throw new StudioError('cluster-node-not-ready', `${node.why}: its agent cannot start`, 'wait until `kubectl get nodes` shows it Ready, or label it edgeai.io/enabled=false to leave it out');
    const body = agentPod(spec, { namespace: this.ns, image: this.image ?? imageTagFor(build), ...(this.opts.privilegedUsb ? { privilegedUsb: true } : {}) });
    const name = podNameOf(spec.cluster, spec.name);
    let created: PodObject;
    try {
      created = await this.api.json<PodObject>('POST', `/api/v1/namespaces/${this.ns}/pods`, body);
    } catch (e) {
      if (!(e instanceof KubeApiError && e.status === 409)) throw e;
      // the pod of an earlier run of this node: replaced
      await this.deletePod(name, 0);
      created = await this.api.json<PodObject>('POST', `/api/v1/namespaces/${this.ns}/pods`, body);
    }
    const timeoutMs = this.opts.readyTimeoutMs ?? 120_000;
    const t0 = Date.now();
    const uid = created.metadata.uid;
    let seen: PodObject | undefined;
    // Running and Ready, or why not, from the pods' watch
    const pod = await pods.waitFor<PodObject>(
      () => {
        const now = pods.cache.get(name);
        if (now && (uid === undefined || now.metadata.uid === uid)) seen = now;
        else if (seen) throw new StudioError('kubernetes-pod-gone', `pod ${this.ns}/${name} of node ${spec.name} disappeared while it started`, `see \`kubectl -n ${this.ns} get events\``);
        if (!seen) return undefined;
        const failed = podFailure(seen);
        if (failed) throw new StudioError('kubernetes-pod-failed', `the agent pod ${this.ns}/${name} of node ${spec.name} will not run: ${failed}`, `see \`kubectl -n ${this.ns} describe pod ${name}\` and \`kubectl -n ${this.ns} logs ${name} -c agent\`; the node image must be on the node (docs/kubernetes.md: k3s ctr images import)`);
        return seen.status?.phase === 'Running' && seen.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? seen : undefined;
      },
      timeoutMs,
      () => new StudioError('kubernetes-pod-timeout', `the agent pod ${this.ns}/${name} of node ${spec.name} did not become Ready within ${timeoutMs / 1000} s (phase ${seen?.status?.phase ?? 'unknown'})`, `see \`kubectl -n ${this.ns} describe pod ${name}\``),
    );
    const h = this.handleOf(pod, spec.name, spec.secret);
    const client = new AgentClient(spec.name, h.port, spec.secret, h.host, h.via);
    for (;;) {
      try {
        await client.healthOf(spec.cluster, { timeoutMs: 2000 });
        return h;
      } catch (e) {
        if (Date.now() - t0 > timeoutMs) throw new StudioError('kubernetes-agent-timeout', `the agent of node ${spec.name} (pod ${this.ns}/${name}) did not answer through the API server's pod proxy within ${timeoutMs / 1000} s: ${(e as Error).message}`, `see \`kubectl -n ${this.ns} logs ${name} -c agent\``);
        await sleep(100);
      }
    }
  }

  async stop(handle: NodeHandle): Promise<void> {
    if (!handle.container) return;
    await this.deletePod(handle.container, 3);
  }

  /** Deletes the pod at once (grace period 0): fault injection and tests. */
  async kill(handle: NodeHandle): Promise<void> {
    if (!handle.container) return;
    await this.deletePod(handle.container, 0);
  }

  async adopt(cluster: string, names: string[], _storeDirOf: (name: string) => string, secret: string): Promise<NodeHandle[]> {
    await this.watchNodes();
    const sel = clusterLabels(cluster);
    const pods = [...(await this.watchPods()).cache.values()].filter((p) => Object.entries(sel).every(([k, v]) => p.metadata.labels?.[k] === v));
    const out: NodeHandle[] = [];
    for (const p of pods) {
      const node = p.metadata.annotations?.[ANNOTATION_NODE] ?? p.spec?.nodeName;
      if (!node || !names.includes(node) || p.status?.phase !== 'Running' || p.metadata.deletionTimestamp) continue;
      if (p.metadata.labels?.[LABEL_NODE] !== labelValue(node) || p.metadata.labels?.[LABEL_CLUSTER] !== labelValue(cluster)) continue;
      const h = this.handleOf(p, node, secret);
      try {
        await new AgentClient(node, h.port, secret, h.host, h.via).healthOf(cluster, { timeoutMs: 2000 });
        out.push(h);
      } catch {
        /* not answering: NotReady */
      }
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** What the cluster's labels select: pods and secrets, and the namespace when it is ours. */
  async leftovers(cluster: string): Promise<string[]> {
    const sel = encodeURIComponent(clusterSelector(cluster));
    const pods = (await this.api.json<{ items: PodObject[] }>('GET', `/api/v1/namespaces/${this.ns}/pods?labelSelector=${sel}`).catch(() => ({ items: [] }))).items;
    const secrets = (await this.api.json<{ items: PodObject[] }>('GET', `/api/v1/namespaces/${this.ns}/secrets?labelSelector=${sel}`).catch(() => ({ items: [] }))).items;
    const ns = await this.api.maybe<PodObject>('GET', `/api/v1/namespaces/${this.ns}`);
    const ours = ns && ns.metadata.labels?.[LABEL_CLUSTER] === labelValue(cluster) && !ns.metadata.deletionTimestamp;
    return [...pods.map((p) => `pod ${this.ns}/${p.metadata.name}`), ...secrets.map((s) => `secret ${this.ns}/${s.metadata.name}`), ...(ours ? [`namespace ${this.ns}`] : [])];
  }

  async teardown(cluster: string): Promise<void> {
    const sel = encodeURIComponent(clusterSelector(cluster));
    const ns = await this.api.maybe<PodObject>('GET', `/api/v1/namespaces/${this.ns}`);
    if (ns) {
      const pods = (await this.api.json<{ items: PodObject[] }>('GET', `/api/v1/namespaces/${this.ns}/pods?labelSelector=${sel}`)).items;
      await Promise.all(pods.map((p) => this.deletePod(p.metadata.name, 0)));
      const secrets = (await this.api.json<{ items: PodObject[] }>('GET', `/api/v1/namespaces/${this.ns}/secrets?labelSelector=${sel}`)).items;
      for (const s of secrets) await this.api.maybe('DELETE', `/api/v1/namespaces/${this.ns}/secrets/${s.metadata.name}`);
      if (ns.metadata.labels?.[LABEL_CLUSTER] === labelValue(cluster)) await this.api.maybe('DELETE', `/api/v1/namespaces/${this.ns}`);
    }
    for (const k of [...this.prepared.keys()]) if (k.startsWith(`${cluster}\u0000`)) this.prepared.delete(k);
    this.close();
    const left = await this.leftovers(cluster);
    if (left.length) throw new StudioError('kubernetes-teardown-incomplete', `cluster ${cluster}: could not remove ${left.join(', ')}`, `delete them with \`kubectl delete -n ${this.ns} pods,secrets -l ${clusterSelector(cluster)}\``);
  }
}
