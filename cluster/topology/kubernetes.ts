/**
 * A Topology from a Kubernetes cluster's nodes (issue 16, item 1): what `GET /api/v1/nodes`
 * answers, mapped to our nodes, networks and links, with every guess said out loud.
 *
 * Where each fact comes from, first match wins:
 * - device profile: label `edgeai.io/device` (a catalog id); else guessed from the architecture,
 *   the GPU resources and the memory (an assumption, reported);
 * - type: `edgeai.io/type` (cloud | edge | user_device); Skippy's `locality.skippy.io/type`
 *   (edge | cloud, docs/reference.md §1); KubeEdge's `node-role.kubernetes.io/edge` → edge;
 *   else assumed edge;
 * - network: `edgeai.io/network`; else `topology.kubernetes.io/zone`; else one network per type
 *   (`edge`, `cloud`) — assumed; its kind from `edgeai.io/network-kind`, else lan (edge) or
 *   datacenter (cloud);
 * - capabilities and accelerators: `edgeai.io/capability.<cap>` = "true"; Skippy's
 *   `capability.skippy.io/<name>` (nvidia-gpu, nvidia-cuda, gpu, cuda, tpu, coral, vpu, ncs2, …);
 *   extended resources in allocatable: `nvidia.com/gpu` (gpu, cuda), `squat.ai/<name>` of the
 *   generic device plugin whose name says coral / edgetpu (tpu) or ncs / myriad / movidius (vpu);
 *   a USB accelerator's resource name is kept as the node label `edgeai.io/usb-resource` (the
 *   kubernetes backend asks for one of it);
 * - CPU and memory: the node's allocatable (what pods may use), not its capacity;
 * - arch: `kubernetes.io/arch`, else status.nodeInfo.architecture;
 * - storage / noSchedule: Skippy's `data.skippy.io/storage-node`, `edgeai.io/storage`;
 *   spec.unschedulable or a NoSchedule taint other than KubeEdge's edge-role taint;
 * - links: each network joins `internet` (wan); its bandwidth from the labels
 *   `edgeai.io/uplink-mbps`, `edgeai.io/downlink-mbps`, `edgeai.io/latency-ms` on any of its
 *   nodes, else assumed (edge: 50 / 500 Mbit/s, 7.72 ms as the local topology's home uplink;
 *   cloud: 1000 / 1000 Mbit/s, 0.52 ms).
 * A topology file that names the nodes (`--topology f.json`) wins over all of this for the nodes
 * it lists (its links and networks are used as they are); cluster nodes it does not list are left
 * out, and a node it lists that the cluster does not have is an error. The registry (where a
 * deploy puts the data sources) is the user_device node, else a cloud node, else the first node.
 *
 * Pure: the nodes come in as JSON (recorded fixtures in tests, the API server's answer at run time).
 */
import { CAPABILITIES } from '../spec/function';
import { TOPOLOGY_NODE_TYPES, type Arch, type NetworkKind, type TopologyFileInput, type TopologyNodeType } from '../spec/topology';
import { DEVICES, GiB, MiB } from './catalog';
import { parseTopology, topologyToFile, type Topology, type TopologyNode } from './model';
import { StudioError } from '../common/errors';

/** The part of a core/v1 Node this mapping reads (the rest of the object is ignored). */
export interface KubeNode {
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: { unschedulable?: boolean; taints?: Array<{ key: string; value?: string; effect: string }> };
  status?: {
    allocatable?: Record<string, string>;
    capacity?: Record<string, string>;
    conditions?: Array<{ type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string }>;
    nodeInfo?: { architecture?: string; kubeletVersion?: string; osImage?: string };
  };
}

export const EDGEAI_LABEL = 'edgeai.io';
export const LABEL_DEVICE = 'edgeai.io/device';
export const LABEL_TYPE = 'edgeai.io/type';
export const LABEL_NETWORK = 'edgeai.io/network';
export const LABEL_NETWORK_KIND = 'edgeai.io/network-kind';
export const LABEL_CAPABILITY_PREFIX = 'edgeai.io/capability.';
/** edgeai.io/enabled=false: the node is not used */
export const LABEL_ENABLED = 'edgeai.io/enabled';
export const LABEL_UPLINK = 'edgeai.io/uplink-mbps';
export const LABEL_DOWNLINK = 'edgeai.io/downlink-mbps';
export const LABEL_LATENCY = 'edgeai.io/latency-ms';
/** the topology node label naming the extended resource a USB accelerator is requested by */
export const USB_RESOURCE_LABEL = 'edgeai.io/usb-resource';
export const SKIPPY_LOCALITY = 'locality.skippy.io/type';
export const SKIPPY_CAPABILITY_PREFIX = 'capability.skippy.io/';
export const SKIPPY_STORAGE = 'data.skippy.io/storage-node';
export const KUBEEDGE_EDGE_ROLE = 'node-role.kubernetes.io/edge';
export const INTERNET = 'internet';

/** Skippy capability label names → our capabilities. */
const SKIPPY_CAPS: Record<string, string[]> = {
  'nvidia-gpu': ['gpu'],
  'nvidia-cuda': ['cuda'],
  gpu: ['gpu'],
  cuda: ['cuda'],
  tpu: ['tpu'],
  coral: ['tpu'],
  'edge-tpu': ['tpu'],
  vpu: ['vpu'],
  ncs: ['vpu'],
  ncs2: ['vpu'],
  npu: ['npu'],
  fpga: ['fpga'],
  camera: ['camera'],
};

/** Edge and cloud uplinks when no label says: the local topology's home uplink; a datacenter's host link. */
export const ASSUMED_LINKS: Record<'edge' | 'cloud', { upMbps: number; downMbps: number; latencyMs: number }> = {
  edge: { upMbps: 50, downMbps: 500, latencyMs: 7.72 },
  cloud: { upMbps: 1000, downMbps: 1000, latencyMs: 0.52 },
};

/** One node's row of the mapping, for `edgeai cluster inspect --backend kubernetes`. */
export interface NodeMapping extends Pick<TopologyNode, 'device' | 'type' | 'network' | 'arch' | 'cpuMillis' | 'memoryBytes' | 'capabilities'> {
  node: string;
  ready: boolean;
  /** why the node is not used (disabled by label, not in the topology file) */
  skipped?: string;
  /** the extended resource a USB accelerator is requested by (squat.ai/coral) */
  usbResource?: string;
  /** where each field came from: 'label edgeai.io/device', 'guessed', 'allocatable', 'topology file' */
  from: Record<string, string>;
}

export interface ClusterMapping {
  topology: Topology;
  nodes: NodeMapping[];
  /** what was assumed because no label said it */
  assumed: string[];
  /** what the cluster does not say and the user may want to label (unknown capabilities, missing bandwidths) */
  missing: string[];
}

/** "3500m" → 3500, "4" → 4000. */
export function cpuMillisOf(q: string | undefined): number | undefined {
  if (q === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(q.trim());
  if (!m) return undefined;
  return Math.round(Number(m[1]) * (m[2] ? 1 : 1000));
}

const BIN: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DEC: Record<string, number> = { '': 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18, m: 1e-3 };

/** A Kubernetes quantity of bytes ("8029184Ki", "16Gi", "1G", "1e9") → bytes. */
export function bytesOf(q: string | undefined): number | undefined {
  if (q === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|K|M|G|T|P|E|m)?$/.exec(q.trim());
  if (!m) return undefined;
  const unit = m[2] ?? '';
  return Math.round(Number(m[1]) * (BIN[unit] ?? DEC[unit] ?? 1));
}

/** An integer count of an extended resource ("1", "2"), 0 when absent or unreadable. */
function countOf(q: string | undefined): number {
  const n = q === undefined ? 0 : Number(q);
  return Number.isFinite(n) && n > 0 ? n : 0;
}

export function nodeReady(n: KubeNode): boolean {
  return n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
}

function archOf(n: KubeNode): Arch | undefined {
  const a = n.metadata.labels?.['kubernetes.io/arch'] ?? n.status?.nodeInfo?.architecture;
  return a === 'amd64' || a === 'arm64' || a === 'arm' ? a : undefined;
}

/** The extended resources of a node that are USB accelerators of the generic device plugin, with the capability each gives. */
function usbAccelerators(alloc: Record<string, string>): Array<{ resource: string; capability: 'tpu' | 'vpu' }> {
  const out: Array<{ resource: string; capability: 'tpu' | 'vpu' }> = [];
  for (const [k, v] of Object.entries(alloc)) {
    if (!countOf(v) || !k.includes('/')) continue;
    const name = k.slice(k.indexOf('/') + 1).toLowerCase();
    if (/coral|edgetpu|edge-tpu/.test(name)) out.push({ resource: k, capability: 'tpu' });
    else if (/ncs|myriad|movidius/.test(name)) out.push({ resource: k, capability: 'vpu' });
  }
  return out;
}

/** A guess of the device profile from what a node says of itself; the guess is reported. */
function guessDevice(arch: Arch | undefined, gpus: number, memoryBytes: number, type: TopologyNodeType): string {
  if (arch === 'arm') return memoryBytes > 1.5 * GiB ? 'rpi4' : 'rpi3';
  if (arch === 'arm64') {
    if (gpus) return memoryBytes > 5 * GiB ? 'nx' : 'nano';
    return 'rockpi';
  }
  if (gpus) return 'xeon-gpu';
  if (type === 'cloud') return 'xeon-cpu';
  if (type === 'user_device') return 'laptop';
  return 'nuc';
}

function positiveNumber(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

export interface MapOptions {
  /** the topology's name (default: kubernetes) */
  name?: string;
  /** a topology file naming (some of) the nodes: it wins for the nodes it lists */
  file?: TopologyFileInput;
  /** where the file came from, for messages */
  fileSource?: string;
  /** leave out nodes Kubernetes does not report Ready (`cluster up`: their agents could not start) */
  readyOnly?: boolean;
}

/** Maps a node list to a Topology; throws a StudioError when no node is usable or the file names an unknown node. */
export function topologyFromNodes(list: KubeNode[], opts: MapOptions = {}): ClusterMapping {
  const assumed: string[] = [];
  const missing: string[] = [];
  const rows: NodeMapping[] = [];
  const fileNodes = new Map((opts.file?.nodes ?? []).map((n) => [n.name, n]));
  if (opts.file) {
    const names = new Set(list.map((n) => n.metadata.name));
    const unknown = [...fileNodes.keys()].filter((n) => !names.has(n));
    if (unknown.length)
      throw new StudioError('unknown-cluster-node', `${opts.fileSource ?? 'the topology file'} names node${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} that the cluster does not have (it has ${[...names].join(', ') || 'none'})`, 'name the nodes as `kubectl get nodes` lists them, or leave --topology out to map every node');
  }
  for (const k of list) {
    const name = k.metadata.name;
    const labels = k.metadata.labels ?? {};
    const alloc = k.status?.allocatable ?? k.status?.capacity ?? {};
    const from: Record<string, string> = {};
    const arch = archOf(k);
    // type
    let type: TopologyNodeType;
    const t = labels[LABEL_TYPE];
    if (t && (TOPOLOGY_NODE_TYPES as readonly string[]).includes(t)) ((type = t as TopologyNodeType), (from.type = `label ${LABEL_TYPE}`));
    else if (labels[SKIPPY_LOCALITY] === 'edge' || labels[SKIPPY_LOCALITY] === 'cloud') ((type = labels[SKIPPY_LOCALITY] as TopologyNodeType), (from.type = `label ${SKIPPY_LOCALITY}`));
    else if (KUBEEDGE_EDGE_ROLE in labels) ((type = 'edge'), (from.type = `label ${KUBEEDGE_EDGE_ROLE}`));
    else {
      type = 'edge';
      from.type = 'assumed';
      assumed.push(`node ${name}: type edge (no ${LABEL_TYPE}, ${SKIPPY_LOCALITY} or ${KUBEEDGE_EDGE_ROLE} label)`);
    }
    if (t && !(TOPOLOGY_NODE_TYPES as readonly string[]).includes(t)) missing.push(`node ${name}: ${LABEL_TYPE}=${t} is not a node type (${TOPOLOGY_NODE_TYPES.join(', ')})`);
    // CPU and memory
    const cpu = cpuMillisOf(alloc.cpu);
    const mem = bytesOf(alloc.memory);
    if (cpu === undefined) missing.push(`node ${name}: no allocatable cpu; the device profile's cores are used`);
    if (mem === undefined) missing.push(`node ${name}: no allocatable memory; the device profile's memory is used`);
    // capabilities
    const caps = new Set<string>();
    const gpus = countOf(alloc['nvidia.com/gpu']);
    if (gpus) (caps.add('gpu'), caps.add('cuda'), (from.capabilities = 'resource nvidia.com/gpu'));
    for (const [key, value] of Object.entries(labels)) {
      if (key.startsWith(LABEL_CAPABILITY_PREFIX)) {
        const c = key.slice(LABEL_CAPABILITY_PREFIX.length);
        if (value !== 'true') continue;
        if ((CAPABILITIES as readonly string[]).includes(c)) caps.add(c);
        else missing.push(`node ${name}: label ${key} names no capability we know (${CAPABILITIES.join(', ')})`);
      } else if (key.startsWith(SKIPPY_CAPABILITY_PREFIX)) {
        if (value === 'false') continue;
        const c = key.slice(SKIPPY_CAPABILITY_PREFIX.length);
        const mapped = SKIPPY_CAPS[c];
        if (mapped) mapped.forEach((x) => caps.add(x));
        else missing.push(`node ${name}: Skippy label ${key} has no capability of ours; kept as a label`);
      }
    }
    const usb = usbAccelerators(alloc);
    for (const u of usb) caps.add(u.capability);
    if (caps.size) from.capabilities = [from.capabilities, 'labels', usb.length ? `resource ${usb.map((u) => u.resource).join(', ')}` : undefined].filter(Boolean).join(' + ');
    // device
    let device: string;
    const d = labels[LABEL_DEVICE];
    if (d && DEVICES[d]) ((device = d), (from.device = `label ${LABEL_DEVICE}`));
    else {
      device = guessDevice(arch, gpus || (caps.has('gpu') ? 1 : 0), mem ?? 0, type);
      from.device = 'guessed';
      assumed.push(`node ${name}: device ${device} (${d ? `${LABEL_DEVICE}=${d} is not in the catalog; ` : ''}guessed from ${arch ?? 'an unknown arch'}${gpus || caps.has('gpu') ? ', a GPU' : ''}, ${mem !== undefined ? `${Math.round(mem / MiB)} MiB` : 'unknown memory'}); label the node ${LABEL_DEVICE}=<one of ${Object.keys(DEVICES).join(', ')}>`);
    }
    const dev = DEVICES[device];
    if (dev.capabilities.length && !caps.size) dev.capabilities.forEach((c) => caps.add(c));
    // network
    let network: string;
    if (labels[LABEL_NETWORK]) ((network = labels[LABEL_NETWORK]), (from.network = `label ${LABEL_NETWORK}`));
    else if (labels['topology.kubernetes.io/zone']) ((network = labels['topology.kubernetes.io/zone']), (from.network = 'label topology.kubernetes.io/zone'));
    else {
      network = type === 'cloud' ? 'cloud' : type === 'user_device' ? 'local' : 'edge';
      from.network = 'assumed';
    }
    const row: NodeMapping = {
      node: name,
      ready: nodeReady(k),
      device,
      type,
      network,
      arch: arch ?? dev.arch,
      cpuMillis: cpu ?? dev.cores * 1000,
      memoryBytes: mem ?? dev.memoryBytes,
      capabilities: [...caps].sort(),
      ...(usb.length ? { usbResource: usb[0].resource } : {}),
      from: { ...from, cpuMillis: cpu !== undefined ? 'allocatable' : 'device profile', memoryBytes: mem !== undefined ? 'allocatable' : 'device profile' },
    };
    if (labels[LABEL_ENABLED] === 'false') row.skipped = `label ${LABEL_ENABLED}=false`;
    else if (opts.file && !fileNodes.has(name)) row.skipped = `not in ${opts.fileSource ?? 'the topology file'}`;
    else if (opts.readyOnly && !row.ready) row.skipped = 'not Ready in Kubernetes';
    if (!row.ready && !row.skipped) missing.push(`node ${name}: not Ready in Kubernetes (${k.status?.conditions?.find((c) => c.type === 'Ready')?.reason ?? 'no Ready condition'}); its agent cannot start until it is`);
    rows.push(row);
  }
  const used = rows.filter((r) => !r.skipped);
  if (!used.length) throw new StudioError('no-cluster-nodes', `the cluster has no node to use (${list.length} listed${rows.length ? `: ${rows.map((r) => `${r.node} ${r.skipped}`).join(', ')}` : ''})`, `check \`kubectl get nodes\`; a node labelled ${LABEL_ENABLED}=false is left out`);

  if (opts.file) {
    // the file wins for what it says of its nodes; what it leaves out comes from the cluster
    const file: TopologyFileInput = {
      ...opts.file,
      name: opts.file.name,
      nodes: opts.file.nodes.map((n) => {
        const r = used.find((x) => x.node === n.name)!;
        const merged = {
          ...n,
          arch: n.arch ?? r.arch,
          cpuMillis: n.cpuMillis ?? r.cpuMillis,
          memoryMiB: n.memoryMiB ?? r.memoryBytes / MiB,
          capabilities: n.capabilities ?? r.capabilities,
          labels: { ...(r.usbResource ? { [USB_RESOURCE_LABEL]: r.usbResource } : {}), ...(n.labels ?? {}) },
        };
        Object.assign(r, { device: n.device, type: n.type, network: n.network, arch: merged.arch, cpuMillis: merged.cpuMillis, memoryBytes: Math.round(merged.memoryMiB * MiB), capabilities: [...merged.capabilities] });
        r.from = { ...r.from, device: 'topology file', type: 'topology file', network: 'topology file' };
        return merged;
      }),
    };
    return { topology: parseTopology(file, opts.fileSource), nodes: rows, assumed, missing };
  }

  // networks: one per name used, each joined to the internet (the registry: the controller's side)
  const networks = [...new Set(used.map((r) => r.network))];
  const links: TopologyFileInput['links'] = [];
  const nets: Array<{ name: string; kind: NetworkKind }> = [];
  for (const net of networks) {
    const members = used.filter((r) => r.network === net);
    const memberNodes = list.filter((k) => members.some((m) => m.node === k.metadata.name));
    const cloudy = members.every((m) => m.type === 'cloud');
    const kindLabel = memberNodes.map((k) => k.metadata.labels?.[LABEL_NETWORK_KIND]).find((x) => x);
    const kinds: readonly string[] = ['lan', 'wlan', 'cell', 'wan', 'datacenter'];
    const kind = (kindLabel && kinds.includes(kindLabel) ? kindLabel : cloudy ? 'datacenter' : 'lan') as NetworkKind;
    nets.push({ name: net, kind });
    const label = (key: string) => memberNodes.map((k) => positiveNumber(k.metadata.labels?.[key])).find((x) => x !== undefined);
    const base = ASSUMED_LINKS[cloudy ? 'cloud' : 'edge'];
    const up = label(LABEL_UPLINK);
    const down = label(LABEL_DOWNLINK);
    const lat = label(LABEL_LATENCY);
    if (up === undefined || down === undefined || lat === undefined) {
      const said = [up === undefined ? `up ${base.upMbps} Mbit/s` : '', down === undefined ? `down ${base.downMbps} Mbit/s` : '', lat === undefined ? `${base.latencyMs} ms` : ''].filter(Boolean).join(', ');
      assumed.push(`link ${net} → ${INTERNET}: ${said} (no ${[up === undefined && LABEL_UPLINK, down === undefined && LABEL_DOWNLINK, lat === undefined && LABEL_LATENCY].filter(Boolean).join(', ')} label on its nodes)`);
    }
    links.push({ from: net, to: INTERNET, upMbps: up ?? base.upMbps, downMbps: down ?? base.downMbps, latencyMs: lat ?? base.latencyMs });
  }
  for (const r of used) if (r.from.network === 'assumed') assumed.push(`node ${r.node}: network ${r.network} (no ${LABEL_NETWORK} or topology.kubernetes.io/zone label)`);
  // the registry is where data sources are put at deploy (the deployer places them on a node): the user's device, else a cloud node, else the first
  const registry = used.find((r) => r.type === 'user_device') ?? used.find((r) => r.type === 'cloud') ?? used[0];
  assumed.push(`the registry (where data sources are put at deploy) is node ${registry.node} (${registry.type === 'user_device' ? 'the user device' : registry.type === 'cloud' ? 'no user_device node: a cloud node' : 'no user_device or cloud node: the first node'})`);
  const file: TopologyFileInput = {
    name: opts.name ?? 'kubernetes',
    description: `mapped from the nodes of a Kubernetes cluster (${used.length} of ${list.length})`,
    version: 1,
    networks: [...nets, { name: INTERNET, kind: 'wan' }],
    nodes: used.map((r) => ({
      name: r.node,
      device: r.device,
      type: r.type,
      network: r.network,
      arch: r.arch,
      cpuMillis: r.cpuMillis,
      memoryMiB: r.memoryBytes / MiB,
      capabilities: r.capabilities,
      labels: (r.usbResource ? { [USB_RESOURCE_LABEL]: r.usbResource } : {}) as Record<string, string>,
      storage: list.find((k) => k.metadata.name === r.node)!.metadata.labels?.[SKIPPY_STORAGE] === 'true' || list.find((k) => k.metadata.name === r.node)!.metadata.labels?.['edgeai.io/storage'] === 'true',
      noSchedule: isNoSchedule(list.find((k) => k.metadata.name === r.node)!),
    })),
    links,
    registry: { at: [registry.node] },
  };
  return { topology: parseTopology(file, 'the cluster'), nodes: rows, assumed, missing };
}

function isNoSchedule(k: KubeNode): boolean {
  if (k.spec?.unschedulable) return true;
  return (k.spec?.taints ?? []).some((t) => t.effect === 'NoSchedule' && t.key !== KUBEEDGE_EDGE_ROLE && !t.key.startsWith('node.kubernetes.io/'));
}

/** The mapping as text: one line per node, then what was assumed and what is missing. */
export function describeMapping(m: ClusterMapping): string[] {
  const out: string[] = [];
  const head = ['NODE', 'READY', 'DEVICE', 'TYPE', 'NETWORK', 'ARCH', 'CPU', 'MEMORY', 'CAPS', 'FROM'];
  const rows = m.nodes.map((r) => [
    r.node,
    r.skipped ? `skipped (${r.skipped})` : r.ready ? 'Ready' : 'NotReady',
    r.device,
    r.type,
    r.network,
    r.arch,
    `${r.cpuMillis}m`,
    `${Math.round(r.memoryBytes / MiB)}Mi`,
    [...r.capabilities, ...(r.usbResource ? [`usb:${r.usbResource}`] : [])].join(',') || '-',
    `device ${r.from.device}, type ${r.from.type}`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const r of [head, ...rows]) out.push('  ' + r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd());
  const links = m.topology.links.filter((l) => !l.implied);
  if (links.length) out.push(`links: ${links.map((l) => `${l.from} → ${l.to} ${l.upMbps}/${l.downMbps} Mbit/s ${l.latencyMs} ms`).join('; ')}`);
  if (m.assumed.length) out.push('assumed:', ...m.assumed.map((a) => `  - ${a}`));
  if (m.missing.length) out.push('missing:', ...m.missing.map((a) => `  - ${a}`));
  return out;
}

/** The mapped topology as a topology.json value (to edit and pass back with --topology). */
export function mappingToFile(m: ClusterMapping): TopologyFileInput {
  return topologyToFile(m.topology);
}
