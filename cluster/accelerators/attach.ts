/**
 * Attaching USB accelerators to a topology. A Coral USB stick or an NCS is not a node of its
 * own: it adds a capability (tpu / vpu) to the node it is plugged into — in the `local`
 * topology, the user's machine (`laptop`). With the capability the scheduler places
 * `policy.fn({ capability: 'tpu' })` functions there, and the controller's `up()` starts that
 * node with the USB bus passed through (it does so for every node with capability tpu or vpu).
 *
 *   const topology = withAccelerators(localCluster(), discoverAccelerators());
 *   await controller.up({ topology });
 *
 * Derive from the base topology each time the sticks change (withAccelerators only adds).
 */
import { StudioError } from '../common/errors';
import type { Topology } from '../topology/model';
import { discoverAccelerators, hostSysfsRoot, type Accelerator, type AcceleratorKind, type DiscoverOptions } from './discover';

/** Label per kind on the host node: `accelerator/coral: '1'` (the number of sticks of that kind). */
export const ACCELERATOR_LABEL_PREFIX = 'accelerator/';

export function acceleratorLabel(kind: AcceleratorKind): string {
  return `${ACCELERATOR_LABEL_PREFIX}${kind}`;
}

/** Capabilities and labels the sticks give their host. */
export function acceleratorAttributes(accelerators: Accelerator[]): { capabilities: string[]; labels: Record<string, string> } {
  const capabilities: string[] = [];
  const counts = new Map<AcceleratorKind, number>();
  for (const a of accelerators) {
    if (!capabilities.includes(a.capability)) capabilities.push(a.capability);
    counts.set(a.kind, (counts.get(a.kind) ?? 0) + 1);
  }
  const labels: Record<string, string> = {};
  for (const [kind, n] of [...counts].sort(([a], [b]) => a.localeCompare(b))) labels[acceleratorLabel(kind)] = String(n);
  return { capabilities: capabilities.sort(), labels };
}

/**
 * A new topology in which `host` (the machine the sticks are plugged into; default the local
 * topology's user device, 'laptop') offers the sticks' capabilities and carries an
 * `accelerator/<kind>` label per kind. Nothing else changes; the input is not mutated. Sticks
 * still in their bootloader count: the runtime loads their firmware at first use. Throws a
 * StudioError ('unknown-node') when the topology has no node `host`.
 */
export function withAccelerators(topology: Topology, accelerators: Accelerator[], host = 'laptop'): Topology {
  const node = topology.nodes.find((n) => n.name === host);
  if (!node) {
    const userDevices = topology.nodes.filter((n) => n.type === 'user_device').map((n) => n.name);
    throw new StudioError(
      'unknown-node',
      `cannot attach USB accelerators to node '${host}': topology '${topology.name}' has no such node`,
      `name the machine the sticks are plugged into${userDevices.length ? ` (user devices: ${userDevices.join(', ')})` : `; nodes: ${topology.nodes.map((n) => n.name).join(', ')}`}`,
    );
  }
  const { capabilities, labels } = acceleratorAttributes(accelerators);
  return {
    ...topology,
    networks: topology.networks.map((n) => ({ ...n })),
    links: topology.links.map((l) => ({ ...l })),
    registry: { ...topology.registry, at: [...topology.registry.at] },
    nodes: topology.nodes.map((n) =>
      n.name === host
        ? { ...n, capabilities: [...new Set([...n.capabilities, ...capabilities])], labels: { ...n.labels, ...labels } }
        : { ...n, capabilities: [...n.capabilities], labels: { ...n.labels } },
    ),
  };
}

/**
 * What `cluster up` does with the sticks plugged into this machine (the CLI and the studio alike):
 * they join `host` (default the laptop) when the topology has such a node; 'none' or a topology
 * without it leaves the topology as it is. `attached` is what joined, `note` says what happened.
 * Without a sysfsRoot of its own it looks where the node agents look (hostSysfsRoot: EDGEAI_SYSFS_ROOT, else /sys).
 */
export function attachLocalAccelerators(
  topology: Topology,
  host = 'laptop',
  discover: DiscoverOptions = { devRoot: '/dev' },
): { topology: Topology; attached: Accelerator[]; note?: string } {
  if (host === 'none') return { topology, attached: [] };
  if (!topology.nodes.some((n) => n.name === host)) return { topology, attached: [], note: `no USB accelerators attached: topology '${topology.name}' has no node '${host}'` };
  const root = discover.sysfsRoot ?? hostSysfsRoot();
  const sticks = discoverAccelerators({ ...discover, ...(root ? { sysfsRoot: root } : {}) });
  if (!sticks.length) return { topology, attached: [] };
  return {
    topology: withAccelerators(topology, sticks, host),
    attached: sticks,
    note: `attached ${sticks.map((a) => `${a.kind} (${a.capability}, ${a.devPath})`).join(', ')} to node ${host}`,
  };
}
