/**
 * Starting the local cluster, as `edgeai cluster up` and the studio's Cluster panel do: the
 * topology (a scenario or a file, or a topology object), with the USB sticks plugged into this
 * machine joined to the node that stands for it (default the laptop), then the controller's up.
 */
import { attachLocalAccelerators, type DiscoverOptions } from '../accelerators/index';
import type { BackendKind } from '../common/status';
import { resolveTopologyArg, type Topology } from '../topology/index';
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
  topology: string | Topology;
  /** the node the sticks are plugged into ('none': attach none) */
  acceleratorsOn?: string;
  discover?: DiscoverOptions;
}

export async function startCluster(c: Controller, req: StartRequest, note: (message: string) => void): Promise<ClusterStatus> {
  const base = typeof req.topology === 'string' ? await resolveTopologyArg(req.topology) : req.topology;
  const joined = attachLocalAccelerators(base, req.acceleratorsOn ?? 'laptop', req.discover ?? { devRoot: '/dev' });
  // a cluster already up refuses to start: no word about sticks joining it then
  if (joined.note && !c.status().up) note(joined.note);
  return c.up({ backend: req.backend, topology: joined.topology });
}
