/**
 * A resolved, validated topology (every field filled from the device catalog) and its
 * load / save. Validation errors name the offending node, network or link and say what to do.
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { CAPABILITIES } from '../spec/function';
import { didYouMeanSuffix } from '../spec/names';
import { TopologyFileSchema, type Arch, type NetworkKind, type TopologyFile, type TopologyFileInput, type TopologyNodeType } from '../spec/topology';
import { DEVICES, DEVICE_IDS, MiB } from './catalog';
import { StudioError } from '../common/errors';

export interface TopologyNode {
  name: string;
  device: string;
  type: TopologyNodeType;
  network: string;
  arch: Arch;
  cpuMillis: number;
  memoryBytes: number;
  capabilities: string[];
  labels: Record<string, string>;
  storage: boolean;
  noSchedule: boolean;
}

export interface TopologyNetwork {
  name: string;
  kind: NetworkKind;
  description?: string;
}

export interface TopologyLink {
  from: string;
  to: string;
  upMbps: number;
  downMbps: number;
  latencyMs: number;
  /** a host link implied by a node's home network (not written back on save) */
  implied?: boolean;
}

export interface Topology {
  name: string;
  description?: string;
  loopbackMbps: number;
  networks: TopologyNetwork[];
  nodes: TopologyNode[];
  links: TopologyLink[];
  registry: { at: string[]; mbps?: number };
}

/** Host link defaults: 1000 Mbit/s ("host links 1000"), LAN latency 0.52 ms (docs/reference.md §5). */
export const HOST_LINK_MBPS = 1000;
export const LAN_LATENCY_MS = 0.52;

export interface TopologyIssue {
  /** e.g. "node 'rpi-2'", "link cell-1 → internet", "registry" */
  where: string;
  message: string;
}

export class TopologyError extends StudioError {
  constructor(
    readonly issues: TopologyIssue[],
    readonly source?: string,
  ) {
    super('bad-topology', `${source ? source + ': ' : ''}invalid topology:\n${issues.map((i) => `  ${i.where}: ${i.message}`).join('\n')}`, 'see docs/topology.md, or `edgeai schema topology`');
    this.name = 'TopologyError';
  }
}

function describePath(raw: unknown, path: PropertyKey[]): string {
  const obj = raw as Record<string, unknown> | null;
  const [section, index, ...rest] = path;
  const tail = rest.length ? ` field '${rest.map(String).join('.')}'` : '';
  if (typeof index === 'number' && obj && Array.isArray(obj[section as string])) {
    const item = (obj[section as string] as unknown[])[index] as Record<string, unknown> | undefined;
    if (section === 'links' && item) return `link ${String(item.from ?? '?')} → ${String(item.to ?? '?')} (links[${index}])${tail}`;
    const kind = section === 'nodes' ? 'node' : section === 'networks' ? 'network' : String(section);
    if (item && typeof item.name === 'string') return `${kind} '${item.name}'${tail}`;
    return `${String(section)}[${index}]${tail}`;
  }
  return path.length ? path.map(String).join('.') : '(topology)';
}

/**
 * Parses and validates a topology.json value; throws TopologyError listing every problem.
 * Node fields left out are filled from the node's device profile.
 */
export function parseTopology(raw: unknown, source?: string): Topology {
  const parsed = TopologyFileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new TopologyError(
      parsed.error.issues.map((i) => ({ where: describePath(raw, i.path), message: i.message })),
      source,
    );
  }
  return resolveTopology(parsed.data, source);
}

export function resolveTopology(file: TopologyFile, source?: string): Topology {
  const issues: TopologyIssue[] = [];
  const names = new Map<string, 'node' | 'network'>();
  for (const net of file.networks) {
    if (names.has(net.name)) issues.push({ where: `network '${net.name}'`, message: `the name '${net.name}' is used twice; node and network names must be unique` });
    names.set(net.name, 'network');
  }
  const networkNames = file.networks.map((n) => n.name);
  const nodes: TopologyNode[] = [];
  for (const n of file.nodes) {
    const where = `node '${n.name}'`;
    if (names.has(n.name)) issues.push({ where, message: `the name '${n.name}' is used twice; node and network names must be unique` });
    names.set(n.name, 'node');
    const dev = DEVICES[n.device];
    if (!dev) {
      issues.push({ where, message: `unknown device '${n.device}'${didYouMeanSuffix(n.device, DEVICE_IDS)}; devices: ${DEVICE_IDS.join(', ')}` });
      continue;
    }
    if (!networkNames.includes(n.network)) {
      issues.push({ where, message: `home network '${n.network}' is not declared${didYouMeanSuffix(n.network, networkNames)}; add it to "networks" or pick one of: ${networkNames.join(', ') || '(none)'}` });
    }
    const caps = n.capabilities ?? dev.capabilities;
    for (const c of caps) {
      if (!(CAPABILITIES as readonly string[]).includes(c)) issues.push({ where, message: `unknown capability '${c}'${didYouMeanSuffix(c, CAPABILITIES)}; capabilities: ${CAPABILITIES.join(', ')}` });
    }
    nodes.push({
      name: n.name,
      device: n.device,
      type: n.type,
      network: n.network,
      arch: n.arch ?? dev.arch,
      cpuMillis: n.cpuMillis ?? dev.cores * 1000,
      memoryBytes: n.memoryMiB !== undefined ? Math.round(n.memoryMiB * MiB) : dev.memoryBytes,
      capabilities: [...new Set(caps)],
      labels: { ...(n.labels ?? {}) },
      storage: n.storage ?? false,
      noSchedule: n.noSchedule ?? false,
    });
  }
  const links: TopologyLink[] = [];
  const pairs = new Set<string>();
  const allNames = [...names.keys()];
  file.links.forEach((l, i) => {
    const where = `link ${l.from} → ${l.to} (links[${i}])`;
    let ok = true;
    for (const end of [l.from, l.to]) {
      if (!names.has(end)) {
        ok = false;
        issues.push({ where, message: `unknown endpoint '${end}'${didYouMeanSuffix(end, allNames)}; a link joins two declared nodes or networks` });
      }
    }
    if (l.from === l.to) {
      ok = false;
      issues.push({ where, message: 'a link cannot join a node or network to itself' });
    }
    const key = [l.from, l.to].sort().join('\u0000');
    if (ok && pairs.has(key)) {
      ok = false;
      issues.push({ where, message: `${l.from} and ${l.to} are already joined by another link; keep one` });
    }
    pairs.add(key);
    if (ok) links.push({ from: l.from, to: l.to, upMbps: l.upMbps, downMbps: l.downMbps, latencyMs: l.latencyMs });
  });
  // implied host links (docs/reference.md §5: host links 1000, LAN latency 0.52 ms)
  for (const n of nodes) {
    if (names.get(n.network) !== 'network') continue;
    const key = [n.name, n.network].sort().join('\u0000');
    if (pairs.has(key)) continue;
    pairs.add(key);
    links.push({ from: n.name, to: n.network, upMbps: HOST_LINK_MBPS, downMbps: HOST_LINK_MBPS, latencyMs: LAN_LATENCY_MS, implied: true });
  }
  for (const at of file.registry.at) {
    if (!names.has(at)) issues.push({ where: 'registry', message: `registry location '${at}' is neither a node nor a network${didYouMeanSuffix(at, allNames)}` });
  }
  const topology: Topology = {
    name: file.name,
    ...(file.description !== undefined ? { description: file.description } : {}),
    loopbackMbps: file.loopbackMbps,
    networks: file.networks.map((n) => ({ name: n.name, kind: n.kind, ...(n.description !== undefined ? { description: n.description } : {}) })),
    nodes,
    links,
    registry: { at: [...file.registry.at], ...(file.registry.mbps !== undefined ? { mbps: file.registry.mbps } : {}) },
  };
  if (!issues.length) {
    // connectivity: every node must reach every other
    const unreachable = unreachableNodes(topology);
    if (unreachable.length) {
      issues.push({
        where: `node '${unreachable[0]}'`,
        message: `cannot reach node '${nodes[0].name}'${unreachable.length > 1 ? ` (nor can ${unreachable.length - 1} more: ${unreachable.slice(1, 6).join(', ')}${unreachable.length > 6 ? ', …' : ''})` : ''}; add a link from its network towards the rest of the topology`,
      });
    }
  }
  if (issues.length) throw new TopologyError(issues, source);
  return topology;
}

function unreachableNodes(t: Topology): string[] {
  const adj = new Map<string, string[]>();
  for (const l of t.links) {
    (adj.get(l.from) ?? adj.set(l.from, []).get(l.from)!).push(l.to);
    (adj.get(l.to) ?? adj.set(l.to, []).get(l.to)!).push(l.from);
  }
  const seen = new Set<string>([t.nodes[0].name]);
  const queue = [t.nodes[0].name];
  while (queue.length) {
    const v = queue.pop()!;
    for (const w of adj.get(v) ?? []) {
      if (!seen.has(w)) {
        seen.add(w);
        queue.push(w);
      }
    }
  }
  return t.nodes.filter((n) => !seen.has(n.name)).map((n) => n.name);
}

/** The topology.json form: every node field explicit, implied host links left out. Stable key order. */
export function topologyToFile(t: Topology): TopologyFileInput {
  return {
    name: t.name,
    ...(t.description !== undefined ? { description: t.description } : {}),
    version: 1,
    loopbackMbps: t.loopbackMbps,
    networks: t.networks.map((n) => ({ name: n.name, kind: n.kind, ...(n.description !== undefined ? { description: n.description } : {}) })),
    nodes: t.nodes.map((n) => ({
      name: n.name,
      device: n.device,
      type: n.type,
      network: n.network,
      arch: n.arch,
      cpuMillis: n.cpuMillis,
      memoryMiB: n.memoryBytes / MiB,
      capabilities: [...n.capabilities],
      labels: { ...n.labels },
      storage: n.storage,
      noSchedule: n.noSchedule,
    })),
    links: t.links.filter((l) => !l.implied).map((l) => ({ from: l.from, to: l.to, upMbps: l.upMbps, downMbps: l.downMbps, latencyMs: l.latencyMs })),
    registry: { at: [...t.registry.at], ...(t.registry.mbps !== undefined ? { mbps: t.registry.mbps } : {}) },
  };
}

export async function loadTopology(path: string): Promise<Topology> {
  return loadTopologySync(path);
}

/** loadTopology without the promise: for answers computed synchronously (the studio's project snapshot). */
export function loadTopologySync(path: string): Topology {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new TopologyError([{ where: '(file)', message: `cannot read it: ${(e as Error).message}` }], path);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new TopologyError([{ where: '(file)', message: `not valid JSON: ${(e as Error).message}` }], path);
  }
  return parseTopology(raw, path);
}

export async function saveTopology(path: string, t: Topology): Promise<void> {
  await writeFile(path, JSON.stringify(topologyToFile(t), null, 2) + '\n', 'utf8');
}
