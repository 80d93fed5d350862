/**
 * Moving artifact bytes between nodes as the topology says they would move: a route (shortest
 * path) and the network cost of common/network-cost.ts (a connection setup of 1.5 · RTT, the
 * bottleneck bandwidth at 97% goodput: docs/reference.md §5, edgerun/ether), bytes counted on
 * every link of the route per direction. The bytes themselves travel over loopback; the
 * controller waits as long as the emulated link would take. A strict data policy is checked
 * before any byte moves.
 */
import { NetworkGraph, type Route } from '../topology/routes';
import type { Topology } from '../topology/model';
import { StudioError } from '../common/errors';
import { transferSeconds } from '../common/network-cost';

export interface TransferPlan {
  from: string;
  to: string;
  route: Route;
  /** directed links crossed, e.g. `edge-1→local`, `local→internet` */
  links: string[];
  /** emulated duration in ms */
  delayMs: number;
}

export class LinkModel {
  readonly graph: NetworkGraph;
  constructor(readonly topology: Topology) {
    this.graph = new NetworkGraph(topology);
  }

  plan(from: string, to: string, bytes: number): TransferPlan {
    if (from === to) return { from, to, route: { from, to, path: [from], networks: [], bandwidthBps: Infinity, reverseBandwidthBps: Infinity, rttMs: 0 }, links: [], delayMs: 0 };
    const route = this.graph.route(from, to);
    const links: string[] = [];
    for (let i = 0; i + 1 < route.path.length; i++) links.push(`${route.path[i]}→${route.path[i + 1]}`);
    const delayMs = transferSeconds(bytes, route.bandwidthBps, route.rttMs) * 1000;
    return { from, to, route, links, delayMs };
  }

  networksOf(node: string): string[] {
    const n = this.topology.nodes.find((x) => x.name === node);
    return n ? [n.network] : [];
  }
}

/** Refuses a transfer that would leave the allowed networks; names artifact, networks, policy. */
export function checkDataPolicy(plan: TransferPlan, allowed: string[], what: string, fn: string): void {
  const outside = plan.route.networks.filter((n) => !allowed.includes(n));
  if (outside.length) {
    throw new StudioError(
      'data-policy-violation',
      `refused to move ${what} from ${plan.from} to ${plan.to}: the route crosses network${outside.length > 1 ? 's' : ''} ${outside.join(', ')}, but ${fn}'s policy.data allows only ${allowed.join(', ')} (strict)`,
      `no byte was moved. Put the data on a node in ${allowed.join(', ')}, let the scheduler place ${fn} there, or relax policy.data (strict: false)`,
    );
  }
}

export function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve();
}
