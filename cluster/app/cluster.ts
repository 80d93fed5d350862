/**
 * Starting the local cluster, as `edgeai cluster up` and the studio's Cluster panel do: the
 * topology (a scenario or a file, or a topology object), with the USB sticks plugged into this
 * machine joined to the node that stands for it (default the laptop), then the controller's up.
 */
import { attachLocalAccelerators, type DiscoverOptions } from '../accelerators/index';
import type { BackendKind } from '../common/status';
import { resolveTopologyArg, type Topology } from '../topology/index';
import type { ClusterStatus, Controller } from '../runtime/controller';

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
