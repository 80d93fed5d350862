/**
 * cluster/topology: nodes, device profiles, networks, links, routes, scenario generators.
 *
 *   topologyByName('urban-sensing:cells=8')     a generated scenario
 *   await loadTopology('topology.json')          a file, validated
 *   await resolveTopologyArg(arg)                either, as the CLI takes it
 *   new NetworkGraph(t).route('rpi3-0', 'nuc-1') shortest path, bandwidth per direction, RTT
 */
import { existsSync } from 'node:fs';
import { loadTopologySync, type Topology } from './model';
import { isScenarioName, topologyByName } from './scenarios';

export * from './catalog';
export * from './model';
export * from './routes';
export * from './scenarios';

/** A scenario name (with options) or a path to a topology.json file. */
export async function resolveTopologyArg(arg: string): Promise<Topology> {
  return resolveTopologyArgSync(arg);
}

/** resolveTopologyArg without the promise (a file is read synchronously). */
export function resolveTopologyArgSync(arg: string): Topology {
  if (!arg.endsWith('.json') && !existsSync(arg) && (isScenarioName(arg) || !arg.includes('/'))) return topologyByName(arg);
  return loadTopologySync(arg);
}
