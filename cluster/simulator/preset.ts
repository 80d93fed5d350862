/**
 * The `faas-sim` compatibility preset: the simulation behaves as faas-sim@9c6e1b3 (the FGCS-era
 * code, docs/reference.md §3) does on its urban-sensing scenario, where the defaults differ. Each
 * change and the faas-sim file it comes from (paths in edgerun/faas-sim at 9c6e1b3):
 *
 * - the network as faas-sim's model sees it (presetTopology): the registry on the internet with no
 *   link of its own (scenarios.py UrbanSensingClusterSynthesizer: "attach to the internet with
 *   essentially infinite bandwidth": pulls are held only by the cells' downlinks); no latency on
 *   any link (net.py: a Route's rtt is never set, so a flow has no connection setup); the cloud's
 *   links to the internet at 1e10 Mbit/s and its VMs' own links at 10000 (scenarios.py
 *   `_create_cloud`); a node's own link into a cell network at 1000 (`_create_cell`, create_lan
 *   internal_bw=1000). These also change the scheduler's bandwidth figures, as in faas-sim;
 * - the nodes in faas-sim's order, which is the order the scheduler breaks ties in: cell by cell,
 *   the cloudlet then the RPis, cloud VMs last, then shuffled as SimulationClusterContext does
 *   (simclustercontext.py: random.shuffle after srds' stats.seed(seed)) with CPython's own generator
 *   (python-random.ts), so a seed gives faas-sim's node order for that seed;
 * - execution and worker-start times from faas-sim's fitted oracles instead of the §4 means and
 *   the device startup times (oracle/oracle.py FittedExecutionTimeOracle,
 *   HackedFittedStartupTimeOracle; oracle/data/distributions.py): a bounded lognormal per host type
 *   and image, and per image present/missing for a start (faas-sim-oracles.ts);
 * - every function keeps one replica (scale_min = 1) and never gets a second (faas.py: nothing
 *   calls scale_up), except functions marked scaleToZero (scenarios.py: scale_zero for preprocess
 *   and train), which faas-sim's idler empties (faas.py faas_idler): every 30 s, a function whose
 *   last invocation completed 300 s ago or more (or that has completed none) loses its started
 *   replicas, even one that is executing (that invocation still finishes); the next request places
 *   one again. By default: min 0 and max 20 replicas, and only a replica idle for 300 s is removed;
 * - a replica starts its worker as soon as its images are there, instead of on the first
 *   invocation (faas.py simulate_startup);
 * - a function whose inputs are all models fetches them once, when a replica starts, before its
 *   worker (faas.py simulate_startup: an inference replica downloads its model and keeps it), and
 *   the other functions move their inputs on every invocation; by default a node keeps each input
 *   version it fetched (`Settings.keepInputs`: the controller's mover), so only the first
 *   invocation there moves it;
 * - outputs written to storage go to their artifact's own storage node (faas.py
 *   simulate_data_upload: the bucket's node), not to the storage node nearest the producer;
 * - the faas-sim workload is faas-sim's (scenarios.py EvaluationScenario): 10 deployments per
 *   cell, deployment i placed at 255 · i s and its requests starting at 255 · (i + 1) s with one at
 *   once (250 s interval + 5 s); each deployment's bucket on a storage node drawn uniformly
 *   (distribute_buckets); by default one deployment at t = 0, buckets round-robin.
 *
 * In every run, not only under the preset: the image-pull rule (an image on the node is not
 * pulled, a missing one costs 10% on a node with other images: faas.py simulate_docker_pull) and
 * the image tags' popularity (faas-sim's ScaledParetoSampler, faas-sim.ts).
 *
 * faas-sim quirks not copied: the scheduler's own wall-clock time added to simulated time
 * (faas.py scheduler_worker); requests already queued when the idler empties a function wait
 * there for the next request to wake it (faas.py request), where here a replica is placed for
 * them at once; its greedy rebalancing of flows (net.py rebalance), where the flows here are
 * exactly max-min fair; stopping on a number of invocations (deployments^1.1 · 400: give the
 * duration, 34,040 s for UrbanSensingScenario(4)); and its random streams (numpy's and Python's,
 * except the node shuffle): arrivals, image tags, buckets and oracle draws come from this
 * simulator's seeded streams with faas-sim's distributions, so one seed is not faas-sim's run
 * event for event (faas-sim-compare.test.ts compares seed 0 and the means over seeds 0 to 9).
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
