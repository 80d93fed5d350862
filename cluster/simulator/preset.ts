/**
 * The `faas-sim` compatibility preset: the simulation behaves as faas-sim@9c6e1b3 (the FGCS-era
 * code, docs/reference.md §3) does on its urban-sensing scenario, where the defaults differ:
 *
 * - the registry is on the wide-area network with no link of its own (faas-sim attaches it to the
 *   internet "with essentially infinite bandwidth": pulls are held only by the cells' downlinks);
 *   here by default it sits on the topology's registry network (urban sensing: behind the cloud's
 *   1000 Mbit/s link);
 * - every function keeps one replica (scale_min = 1) and never gets a second (the FGCS code has no
 *   autoscaler: nothing calls scale_up), except functions marked scaleToZero (faas-sim's
 *   scale_zero: preprocess and train), whose replica the idler removes after 300 s without an
 *   invocation and which are placed again on demand; by default min 0 and max 20 for every one;
 * - a replica starts its worker as soon as its images are there, instead of on the first
 *   invocation;
 * - a function whose inputs are all models fetches them once, when a replica starts, before its
 *   worker (faas-sim: an inference replica downloads its model at setup and keeps it); by
 *   default every invocation moves its inputs;
 * - outputs written to storage go to their artifact's own storage node (faas-sim's bucket),
 *   not to the storage node nearest the producer;
 * - the faas-sim workload is faas-sim's: 10 deployments per cell (UrbanSensingScenario(cells)),
 *   deployment i placed at 255 · i s and its requests starting at 255 · (i + 1) s with one at
 *   once (250 s interval + 5 s); by default one deployment at t = 0.
 *
 * The image-pull rule (an image on the node is not pulled, a missing one costs 10% on a node
 * with other images) is faas-sim's in every run, not only under the preset. What the preset does
 * not change: the topology's links (docs/reference.md §3 lists how urban sensing differs), the
 * execution and startup times (the execution model of §4, not faas-sim's fitted oracles), the
 * storage node of a deployment's bucket (node i mod count, where faas-sim samples one), the
 * scheduler's own wall-clock time (faas-sim adds it to simulated time), and stopping on a
 * number of invocations (faas-sim's scenario stops at deployments^1.1 · 400; give the duration).
 */
import type { Topology } from '../topology/model';
import { PythonRandom } from './python-random';
import type { SimArtifact, SimFunction, SimWorkflow } from './workflow';

export type Preset = 'faas-sim';
export const PRESETS: readonly Preset[] = ['faas-sim'];

/** faas-sim's UrbanSensingScenario: deployments = 10 per cell (faas-sim@9c6e1b3 scenarios.py). */
export const FAAS_SIM_DEPLOYMENTS_PER_CELL = 10;
/** faas-sim adds a deployment, then waits 250 s, then 5 s before its requests start (scenarios.py). */
export const FAAS_SIM_DEPLOY_INTERVAL_S = 255;

/** faas-sim's cloud LAN up- and downlink, Mbit/s (scenarios.py `_create_cloud`: create_lan(nodes, 1e10, 1e10, …)) */
export const FAAS_SIM_CLOUD_WAN_MBPS = 1e10;
/** faas-sim's per-node link on the cloud LAN, Mbit/s (`_create_cloud`: internal_bw=10000) */
export const FAAS_SIM_CLOUD_NODE_MBPS = 10_000;
/** faas-sim's per-node link on a cell LAN, Mbit/s (scenarios.py `_create_cell`: internal_bw=1000; the sensor RPi's p2p link 1000) */
export const FAAS_SIM_CELL_NODE_MBPS = 1000;

/**
 * The topology as faas-sim's network model sees it (faassim/net.py, scenarios.py): the registry on
 * the first wide-area network (the internet) with no link of its own; no latency anywhere (faas-sim's
 * routes have rtt 0, so a flow has no connection setup); the datacenter's links to the WAN at
 * 1e10 Mbit/s; a node's own link into a cell network at 1000 Mbit/s, into the datacenter at 10000; and the nodes in faas-sim's
 * order — each cell's cloudlet, then its RPis, cell by cell, cloud VMs last, then shuffled as
 * faas-sim shuffles its cluster's node list with Python's random seeded by the run's seed
 * (python-random.ts) — which is the order the scheduler breaks ties in.
 */
export function presetTopology(t: Topology, seed: number): Topology {
  const wan = t.networks.find((n) => n.kind === 'wan');
  const kind = new Map(t.networks.map((n) => [n.name, n.kind]));
  const nodeNames = new Set(t.nodes.map((n) => n.name));
  const links = t.links.map((l) => {
    const ends = [kind.get(l.from), kind.get(l.to)];
    const cloudWan = ends.includes('datacenter') && ends.includes('wan');
    const hostOn = nodeNames.has(l.from) ? kind.get(l.to) : nodeNames.has(l.to) ? kind.get(l.from) : undefined;
    const mbps = cloudWan ? FAAS_SIM_CLOUD_WAN_MBPS : hostOn === 'cell' ? FAAS_SIM_CELL_NODE_MBPS : hostOn === 'datacenter' ? FAAS_SIM_CLOUD_NODE_MBPS : undefined;
    return { ...l, latencyMs: 0, ...(mbps !== undefined ? { upMbps: mbps, downMbps: mbps } : {}) };
  });
  // faas-sim's order: by cell; within a cell the cloudlet before the cell network's own nodes; the rest (cloud) last
  const rank = (n: Topology['nodes'][number]) => (n.labels.cell === undefined ? Infinity : Number(n.labels.cell) * 2 + (kind.get(n.network) === 'cell' ? 1 : 0));
  const ordered = t.nodes.map((n, i) => ({ n, i, r: rank(n) })).sort((a, b) => a.r - b.r || a.i - b.i).map((x) => x.n);
  // SimulationClusterContext: random.shuffle(self.nodes), after srds' stats.seed(seed) (faassim/simclustercontext.py)
  const nodes = new PythonRandom(seed).shuffle(ordered);
  const { mbps: _mbps, ...rest } = t.registry;
  return { ...t, nodes, links, registry: wan ? { ...rest, at: [wan.name] } : t.registry };
}

/** faas-sim's number of deployments on this topology: 10 per cell (nodes labelled `cell`); 1 without cells. */
export function presetDeployments(t: Topology): number {
  const cells = new Set(t.nodes.map((n) => n.labels?.cell).filter((c): c is string => c !== undefined));
  return cells.size ? FAAS_SIM_DEPLOYMENTS_PER_CELL * cells.size : 1;
}

/** The least replicas a function keeps: under the preset one, unless it scales to zero; else `dflt`. */
export function minReplicasOf(preset: Preset | undefined, wf: SimWorkflow, fn: SimFunction, dflt: number): number {
  if (preset !== 'faas-sim') return dflt;
  return wf.lifecycle?.[fn.id]?.scaleToZero ? 0 : 1;
}

/** Under the preset: does the function fetch its inputs once per replica (all of them models)? */
export function fetchesOnStart(preset: Preset | undefined, fn: SimFunction, artifacts: ReadonlyMap<string, SimArtifact>): boolean {
  if (preset !== 'faas-sim' || !fn.inputs.length) return false;
  return fn.inputs.every((urn) => artifacts.get(urn)?.kind === 'model');
}
