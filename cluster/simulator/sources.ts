/**
 * Which copy a node reads from, and where it writes: one rule for the three places that choose
 * an end of a transfer — the copy of an input artifact an invocation reads, the storage node an
 * output goes to, and the registry a replica pulls its images from.
 *
 * The rule (`nearest`): a candidate on the node itself wins; otherwise the candidate whose
 * route to (or from) the node has the highest bottleneck bandwidth, then the lowest latency,
 * then the first in the list.
 */
import type { Topology } from '../topology/model';
import { MBPS_TO_BPS, type NetworkGraph } from '../topology/routes';
import type { FlowNetwork } from './network';

/** `read`: bytes move from the candidate to the node; `write`: from the node to the candidate. */
export type Direction = 'read' | 'write';

export interface Nearest {
  name: string;
  /** bottleneck bandwidth of the route, bytes/s, and its one-way latency */
  bwBps: number;
  latencyMs: number;
}

/** The best of `candidates` (vertex names) for `node` (a node index); undefined when there are none. */
export function nearest(g: NetworkGraph, candidates: readonly string[], node: number, direction: Direction): Nearest | undefined {
  const self = g.names[node];
  if (candidates.includes(self)) return { name: self, bwBps: g.loopbackBps, latencyMs: 0 };
  let best: Nearest | undefined;
  for (const name of candidates) {
    const v = g.vertex(name);
    const r = direction === 'write' ? g.between(node, v) : g.between(v, node);
    const bw = r.bwFrom;
    const lat = r.latencyMs;
    if (!best || bw > best.bwBps || (bw === best.bwBps && lat < best.latencyMs)) best = { name, bwBps: bw, latencyMs: lat };
  }
  return best;
}

/** Where a replica pulls from: a registry vertex, or (a fixed registry bandwidth) a virtual link of its own. */
export interface RegistrySource {
  at: string;
  extra?: number[];
  rttS?: number;
}

/** The rule applied to a run's topology, with the per-node answers that do not change cached. */
export class Sources {
  private readonly storageNodes: string[];
  private readonly storageFor = new Map<number, string>();
  private readonly registryFor = new Map<number, RegistrySource>();

  constructor(
    private readonly t: Topology,
    private readonly g: NetworkGraph,
    private readonly net: FlowNetwork,
  ) {
    this.storageNodes = t.nodes.filter((x) => x.storage).map((x) => x.name);
  }

  /** The copy of an artifact (at `locations`) that `node` reads. */
  artifact(locations: readonly string[], node: number): string {
    return nearest(this.g, locations, node, 'read')?.name ?? locations[0];
  }

  /** The storage node `node` writes an output to (docs/reference.md §1); the node itself in a topology without one. */
  storage(node: number): string {
    let s = this.storageFor.get(node);
    if (s) return s;
    s = nearest(this.g, this.storageNodes, node, 'write')?.name ?? this.t.nodes[node].name;
    this.storageFor.set(node, s);
    return s;
  }

  /** The registry `node` pulls images from. */
  registry(node: number): RegistrySource {
    let s = this.registryFor.get(node);
    if (s) return s;
    const best = nearest(this.g, this.t.registry.at, node, 'read');
    const at = best?.name ?? '';
    if (this.t.registry.mbps !== undefined) {
      // a fixed registry → node bandwidth (docs/reference.md §2): a link of its own per node
      const link = this.net.addVirtualLink(`registry → ${this.t.nodes[node].name}`, this.t.registry.mbps * MBPS_TO_BPS);
      s = { at, extra: [link], rttS: (2 * (best?.latencyMs ?? Infinity)) / 1000 };
    } else s = { at };
    this.registryFor.set(node, s);
    return s;
  }
}
