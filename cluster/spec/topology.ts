/**
 * topology.json: the nodes, networks and links a workflow is simulated on or deployed to.
 *
 *   {
 *     "name": "local", "version": 1,
 *     "networks": [{ "name": "local", "kind": "lan" }, { "name": "internet", "kind": "wan" }],
 *     "nodes": [{ "name": "laptop", "device": "laptop", "type": "user_device", "network": "local" }],
 *     "links": [{ "from": "local", "to": "internet", "upMbps": 50, "downMbps": 500, "latencyMs": 7.72 }],
 *     "registry": { "at": ["laptop"] }
 *   }
 *
 * Model (after edgerun/ether, docs/reference.md §5): nodes and networks are the vertices of one graph;
 * a network is a pass-through switch. Every node sits on one home network (`network`); the
 * host link between a node and its home network is implied (1000 Mbit/s both ways, LAN
 * latency 0.52 ms — docs/reference.md §5) unless `links` lists one. A link's `from` is the downstream
 * end (a node, or an access network), `to` the upstream end: `upMbps` is the bandwidth
 * from → to, `downMbps` to → from. Bandwidths are in Mbit/s in the file (as the references
 * give them); the scheduler converts to bytes per second (docs/reference.md §1 "Units").
 *
 * Node type `local` in `policy.fn` is not a node type of the topology: it means "the user's own
 * machine", i.e. a node of type `user_device` whose home network is named `local`
 * (see `LOCAL_NETWORK`). The `local` topology has exactly one such node, the laptop.
 *
 * This file holds the file schema only (optional fields may be filled from the device
 * catalog); cluster/topology resolves and validates the whole.
 */
import { z } from 'zod';

export const TOPOLOGY_NODE_TYPES = ['cloud', 'edge', 'user_device'] as const;
export type TopologyNodeType = (typeof TOPOLOGY_NODE_TYPES)[number];

export const ARCHES = ['arm', 'arm64', 'amd64'] as const;
export type Arch = (typeof ARCHES)[number];

export const NETWORK_KINDS = ['lan', 'wlan', 'cell', 'wan', 'datacenter'] as const;
export type NetworkKind = (typeof NETWORK_KINDS)[number];

/** The network whose user_device nodes `policy.fn({ node: 'local' })` selects. */
export const LOCAL_NETWORK = 'local';

const Name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'names start with a letter or digit and use letters, digits, _ . -');

export const TopologyNodeSchema = z
  .object({
    name: Name,
    /** a device profile id from the catalog (docs/reference.md §4), e.g. rpi3, tx2, nuc, xeon-cpu */
    device: z.string().min(1),
    type: z.enum(TOPOLOGY_NODE_TYPES),
    /** the node's home network */
    network: z.string().min(1),
    /** defaults from the device profile */
    arch: z.enum(ARCHES).optional(),
    cpuMillis: z.number().int().positive().optional(),
    memoryMiB: z.number().positive().optional(),
    /** defaults from the device profile; extra ones (e.g. tpu for an attached Coral stick) are added here */
    capabilities: z.array(z.string()).optional(),
    labels: z.record(z.string(), z.string()).optional(),
    /** a storage node holds data but never runs functions (docs/reference.md §1) */
    storage: z.boolean().optional(),
    /** the scheduler skips no-schedule nodes (docs/reference.md §1) */
    noSchedule: z.boolean().optional(),
  })
  .strict();
export type TopologyNodeInput = z.infer<typeof TopologyNodeSchema>;

export const TopologyNetworkSchema = z
  .object({
    name: Name,
    kind: z.enum(NETWORK_KINDS).default('lan'),
    description: z.string().optional(),
  })
  .strict();

export const TopologyLinkSchema = z
  .object({
    from: z.string().min(1),
    to: z.string().min(1),
    /** Mbit/s from → to */
    upMbps: z.number().positive(),
    /** Mbit/s to → from */
    downMbps: z.number().positive(),
    /** one-way latency in ms; RTT = 2 · Σ latency (docs/reference.md §5) */
    latencyMs: z.number().nonnegative().default(0.52),
  })
  .strict();

export const TopologyRegistrySchema = z
  .object({
    /** node or network names holding the container/bundle registry (or its mirrors) */
    at: z.array(z.string().min(1)).min(1),
    /** a fixed registry → node bandwidth in Mbit/s instead of the route's (the Skippy testbed, docs/reference.md §2) */
    mbps: z.number().positive().optional(),
  })
  .strict();

export const TopologyFileSchema = z
  .object({
    name: Name,
    description: z.string().optional(),
    version: z.literal(1).default(1),
    /** same-node bandwidth, Mbit/s: 1.25e9 B/s = 10000 Mbit/s (docs/reference.md §2) */
    loopbackMbps: z.number().positive().default(10000),
    networks: z.array(TopologyNetworkSchema),
    nodes: z.array(TopologyNodeSchema).min(1, 'a topology needs at least one node'),
    links: z.array(TopologyLinkSchema).default([]),
    registry: TopologyRegistrySchema,
  })
  .strict();
export type TopologyFile = z.infer<typeof TopologyFileSchema>;
export type TopologyFileInput = z.input<typeof TopologyFileSchema>;

/** The JSON Schema of topology.json (`edgeai schema topology`; docs/topology.md describes it). */
export function topologyJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(TopologyFileSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...schema, $id: 'https://edge-ai-studio.dev/schema/topology.json', title: 'Edge AI Studio topology.json' };
}
