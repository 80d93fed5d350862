/**
 * Starting the local cluster, as `edgeai cluster up` and the studio's Cluster panel do: the
 * topology (a scenario or a file, or a topology object), with the USB sticks plugged into this
 * machine joined to the node that stands for it (default the laptop), then the controller's up.
 */
import { attachLocalAccelerators, type DiscoverOptions } from '../accelerators/index';
import type { BackendKind } from '../common/status';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolveTopologyArg, TopologyError, type Topology } from '../topology/index';
import type { ClusterMapping, KubeNode } from '../topology/kubernetes';
import type { TopologyFileInput } from '../spec/topology';
import type { ClusterStatus, Controller } from '../runtime/controller';

export interface ClusterRef {
  /** default $EDGEAI_HOME, else ~/.edgeai */
  home?: string;
  /** default $EDGEAI_CLUSTER, else local */
  cluster?: string;
  /** 'run': fire the cluster's triggers while open (the studio, the gateway); 'off': a command that ends */
  triggers?: 'run' | 'off';
}

/**
 * Opens a cluster's controller, as the studio's service and every CLI command do: one rule for
 * which home and which cluster. The runtime loads here, on first use (the studio's first screen
 * does not wait for it).
 */
export async function openCluster(ref: ClusterRef = {}): Promise<Controller> {
  const [{ Controller }, { DEFAULT_CLUSTER }] = await Promise.all([import('../runtime/controller'), import('../runtime/home')]);
  const home = ref.home ?? process.env.EDGEAI_HOME;
  return Controller.open({ cluster: ref.cluster ?? process.env.EDGEAI_CLUSTER ?? DEFAULT_CLUSTER, ...(home ? { home } : {}), triggers: ref.triggers ?? 'run' });
}

export interface StartRequest {
  backend: BackendKind;
  /** kubernetes: default (or 'cluster') the cluster's own nodes, mapped (topology/kubernetes.ts); a file names the nodes to use */
  topology?: string | Topology;
  /** the kubernetes backend's cluster (kubeconfig, context, namespace) and its USB opt-in */
  kubernetes?: KubernetesStart;
  /** the node the sticks are plugged into ('none': attach none) */
  acceleratorsOn?: string;
  discover?: DiscoverOptions;
}

export interface KubernetesStart {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  privilegedUsb?: boolean;
}

/**
 * What a Kubernetes cluster's nodes map to (`edgeai cluster inspect --backend kubernetes`, and
 * `cluster up --backend kubernetes` without a scenario): read with the kubeconfig, mapped by
 * topology/kubernetes.ts; a topology file (`--topology f.json`) names the nodes to use.
 */
export async function inspectKubernetes(target: KubernetesStart, topologyFile?: string, readyOnly = false): Promise<ClusterMapping & { target: { kubeconfig: string; context: string; namespace: string; server: string } }> {
  const [{ KubeApi }, { topologyFromNodes }] = await Promise.all([import('../runtime/backends/kubernetes/api'), import('../topology/kubernetes')]);
  const api = KubeApi.load(target);
  const nodes = (await api.json<{ items: KubeNode[] }>('GET', '/api/v1/nodes')).items;
  let file: TopologyFileInput | undefined;
  if (topologyFile) {
    try {
      file = JSON.parse(await readFile(topologyFile, 'utf8')) as TopologyFileInput;
    } catch (e) {
      throw new TopologyError([{ where: '(file)', message: `cannot read it as JSON: ${(e as Error).message}` }], topologyFile);
    }
  }
  return { ...topologyFromNodes(nodes, { name: api.target.context, readyOnly, ...(file ? { file, fileSource: topologyFile } : {}) }), target: api.target };
}

export async function startCluster(c: Controller, req: StartRequest, note: (message: string) => void): Promise<ClusterStatus> {
  if (req.backend === 'kubernetes') {
    const k = req.kubernetes ?? {};
    let topology: Topology;
    if (typeof req.topology === 'object') topology = req.topology;
    else if (req.topology === undefined || req.topology === 'cluster' || req.topology.endsWith('.json') || existsSync(req.topology)) {
      // 'cluster' (the studio's default for this backend): the cluster's own nodes, mapped
      const m = await inspectKubernetes(k, req.topology === 'cluster' ? undefined : req.topology, true);
      for (const r of m.nodes) if (r.skipped) note(`node ${r.node} left out: ${r.skipped}`);
      for (const a of m.assumed) note(`assumed: ${a}`);
      for (const a of m.missing) note(`missing: ${a}`);
      topology = m.topology;
    } else topology = await resolveTopologyArg(req.topology); // a scenario whose node names the cluster has
    // the sticks of this machine are not in the cluster: a node's accelerators come from its labels and device plugin
    return c.up({ backend: 'kubernetes', topology, backendOptions: { ...(k.kubeconfig ? { kubeconfig: k.kubeconfig } : {}), ...(k.context ? { context: k.context } : {}), ...(k.namespace ? { namespace: k.namespace } : {}), ...(k.privilegedUsb ? { privilegedUsb: true } : {}) } });
  }
  const base = typeof req.topology === 'string' ? await resolveTopologyArg(req.topology) : (req.topology ?? (await resolveTopologyArg('local')));
  const joined = attachLocalAccelerators(base, req.acceleratorsOn ?? 'laptop', req.discover ?? { devRoot: '/dev' });
  // a cluster already up refuses to start: no word about sticks joining it then
  if (joined.note && !c.status().up) note(joined.note);
  return c.up({ backend: req.backend, topology: joined.topology });
}
