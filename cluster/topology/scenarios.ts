/**
 * Scenario generators (docs/reference.md §2, §3, §5) and the `local` topology that `cluster up` starts.
 * Every generator returns a validated Topology; `topologyByName('urban-sensing:cells=8')`
 * resolves a scenario name with size options.
 */
import { didYouMeanSuffix } from '../spec/names';
import { LOCAL_NETWORK, type NetworkKind, type TopologyFile, type TopologyNodeType } from '../spec/topology';
import { LAN_LATENCY_MS, resolveTopology, type Topology } from './model';
import { StudioError } from '../common/errors';

// Latencies, ms (docs/reference.md §5, lognormal means)
const WLAN_MS = 5.18;
const BUSINESS_ISP_MS = 7.72;
const MOBILE_ISP_MS = 25.24;

class Builder {
  readonly file: TopologyFile;
  constructor(name: string, description: string, registryAt: string[], registryMbps?: number) {
    this.file = {
      name,
      description,
      version: 1,
      loopbackMbps: 10000, // 1.25e9 B/s same node (docs/reference.md §2)
      networks: [],
      nodes: [],
      links: [],
      registry: { at: registryAt, ...(registryMbps !== undefined ? { mbps: registryMbps } : {}) },
    };
  }
  network(name: string, kind: NetworkKind): this {
    this.file.networks.push({ name, kind });
    return this;
  }
  node(
    name: string,
    device: string,
    type: TopologyNodeType,
    network: string,
    extra: { storage?: boolean; labels?: Record<string, string>; host?: { mbps: number; latencyMs: number } } = {},
  ): this {
    this.file.nodes.push({ name, device, type, network, ...(extra.storage ? { storage: true } : {}), ...(extra.labels ? { labels: extra.labels } : {}) });
    if (extra.host) this.link(name, network, extra.host.mbps, extra.host.mbps, extra.host.latencyMs);
    return this;
  }
  link(from: string, to: string, upMbps: number, downMbps: number, latencyMs = LAN_LATENCY_MS): this {
    this.file.links.push({ from, to, upMbps, downMbps, latencyMs });
    return this;
  }
  build(): Topology {
    return resolveTopology(this.file, `scenario ${this.file.name}`);
  }
}

/** Urban sensing (docs/reference.md §3): per cell 5 sensor boxes of 2 RPi3 and a cloudlet of 2 NUC (one storage) and 10 TX2. */
export function urbanSensing(opts: { cells?: number } = {}): Topology {
  const cells = opts.cells ?? 4;
  const b = new Builder(cells === 4 ? 'urban-sensing' : `urban-sensing-${cells}`, `Urban sensing, ${cells} cells (docs/reference.md §3)`, ['cloud']);
  b.network('internet', 'wan').network('cloud', 'datacenter');
  b.link('cloud', 'internet', 1000, 1000, BUSINESS_ISP_MS); // fibre 1000/1000 (§5)
  const vms = Math.ceil(cells * 21 * 0.03); // cloud VMs = ceil(cells·21·0.03) (§3)
  for (let v = 0; v < vms; v++) b.node(`cloud-vm-${v}`, 'xeon-cpu', 'cloud', 'cloud');
  for (let c = 0; c < cells; c++) {
    const cell = `cell-${c}`;
    const cloudlet = `cloudlet-${c}`;
    b.network(cell, 'cell').network(cloudlet, 'lan');
    b.link(cell, 'internet', 25, 100, MOBILE_ISP_MS); // cell uplink 25, downlink 100 (§3)
    b.link(cloudlet, cell, 1000, 1000); // LAN links 1000 (§3)
    for (let box = 0; box < 5; box++) {
      for (let k = 0; k < 2; k++) {
        // shared cell 500 Mbit/s in urban sensing, WLAN latency (§5)
        b.node(`${cell}-box-${box}-rpi-${k}`, 'rpi3', 'edge', cell, { labels: { cell: String(c) }, host: { mbps: 500, latencyMs: WLAN_MS } });
      }
    }
    b.node(`${cloudlet}-nuc-0`, 'nuc', 'edge', cloudlet, { storage: true, labels: { cell: String(c) } });
    b.node(`${cloudlet}-nuc-1`, 'nuc', 'edge', cloudlet, { labels: { cell: String(c) } });
    for (let k = 0; k < 10; k++) b.node(`${cloudlet}-tx2-${k}`, 'tx2', 'edge', cloudlet, { labels: { cell: String(c), 'capability/cuda': '10' } });
  }
  return b.build();
}

/** Industrial IoT (docs/reference.md §3): per site a WiFi cell of 4 RPi3, an edge cell (NUC, storage NUC, TX2), 4 VMs + 1 storage VM. */
export function industrialIot(opts: { sites?: number } = {}): Topology {
  const sites = opts.sites ?? 10;
  const b = new Builder(sites === 10 ? 'industrial-iot' : `industrial-iot-${sites}`, `Industrial IoT, ${sites} sites (docs/reference.md §3)`, ['internet']);
  b.network('internet', 'wan');
  for (let s = 0; s < sites; s++) {
    const site = `site-${s}`;
    b.network(site, 'lan').network(`${site}-wifi`, 'wlan').network(`${site}-edge`, 'lan').network(`${site}-dc`, 'datacenter');
    b.link(site, 'internet', 250, 500, BUSINESS_ISP_MS); // per site uplink 250 / downlink 500 (§3)
    b.link(`${site}-wifi`, site, 300, 300, WLAN_MS); // 300 Mbit/s WiFi cell (§3)
    b.link(`${site}-edge`, site, 10000, 10000); // edge cell on 10000 links (§3)
    b.link(`${site}-dc`, site, 1000, 1000); // on-site VMs: 1000/1000 up/down (§3)
    const labels = { site: String(s) };
    for (let k = 0; k < 4; k++) b.node(`${site}-rpi-${k}`, 'rpi3', 'edge', `${site}-wifi`, { labels, host: { mbps: 300, latencyMs: WLAN_MS } });
    b.node(`${site}-nuc-0`, 'nuc', 'edge', `${site}-edge`, { labels, host: { mbps: 10000, latencyMs: LAN_LATENCY_MS } });
    b.node(`${site}-nuc-storage`, 'nuc', 'edge', `${site}-edge`, { storage: true, labels, host: { mbps: 10000, latencyMs: LAN_LATENCY_MS } });
    b.node(`${site}-tx2`, 'tx2', 'edge', `${site}-edge`, { labels: { ...labels, 'capability/cuda': '10' }, host: { mbps: 10000, latencyMs: LAN_LATENCY_MS } });
    for (let k = 0; k < 4; k++) b.node(`${site}-vm-${k}`, 'xeon-cpu', 'cloud', `${site}-dc`, { labels, host: { mbps: 10000, latencyMs: LAN_LATENCY_MS } });
    b.node(`${site}-vm-storage`, 'xeon-cpu', 'cloud', `${site}-dc`, { storage: true, labels, host: { mbps: 10000, latencyMs: LAN_LATENCY_MS } });
  }
  return b.build();
}

/** Cloud regions (docs/reference.md §3): VMs split 50/25/25%, storage 10% (region 0) / 5%, LAN 10000, up/down 1000, a registry mirror per region. */
export function cloudRegions(opts: { regions?: number; vms?: number } = {}): Topology {
  const regions = opts.regions ?? 3;
  const vms = opts.vms ?? 450;
  const regionNames = Array.from({ length: regions }, (_, r) => `region-${r}`);
  const b = new Builder(regions === 3 && vms === 450 ? 'cloud-regions' : `cloud-regions-${regions}x${vms}`, `Cloud regions, ${regions} regions, ${vms} VMs (docs/reference.md §3)`, regionNames);
  b.network('internet', 'wan');
  // region 0 gets 50%, the others share the rest equally (50/25/25% for three regions)
  const counts = regionNames.map((_, r) => (regions === 1 ? vms : r === 0 ? Math.round(vms * 0.5) : 0));
  if (regions > 1) {
    let rest = vms - counts[0];
    for (let r = 1; r < regions; r++) {
      counts[r] = Math.floor(rest / (regions - r));
      rest -= counts[r];
    }
  }
  regionNames.forEach((region, r) => {
    b.network(region, 'datacenter');
    b.link(region, 'internet', 1000, 1000, BUSINESS_ISP_MS);
    const storage = Math.round(counts[r] * (r === 0 ? 0.1 : 0.05));
    for (let k = 0; k < counts[r]; k++) {
      b.node(`${region}-vm-${k}`, 'xeon-cpu', 'cloud', region, { storage: k < storage, labels: { region: String(r) }, host: { mbps: 10000, latencyMs: LAN_LATENCY_MS } });
    }
  });
  return b.build();
}

/**
 * The Skippy evaluation testbed (docs/reference.md §2): 1 cloud VM, 1 TX2, 4 RPi3, 2 NUC. Edge↔edge
 * 100 Mbit/s (1.25e7 B/s), cloud↔edge 10 Mbit/s (1.25e6 B/s), registry → any node 100 Mbit/s.
 */
export function skippyTestbed(): Topology {
  const b = new Builder('skippy-testbed', 'The Skippy evaluation testbed (docs/reference.md §2)', ['cloud'], 100);
  b.network('edge', 'lan').network('cloud', 'datacenter');
  b.link('cloud', 'edge', 10, 10, BUSINESS_ISP_MS); // cloud↔edge 1.25e6 B/s
  const host = { mbps: 100, latencyMs: LAN_LATENCY_MS }; // edge↔edge 1.25e7 B/s
  b.node('cloud-vm', 'xeon-cpu', 'cloud', 'cloud', { host: { mbps: 1000, latencyMs: LAN_LATENCY_MS } });
  b.node('tx2', 'tx2', 'edge', 'edge', { host, labels: { 'capability/cuda': '10' } }); // CUDA 10 (§2)
  for (let k = 0; k < 4; k++) b.node(`rpi3-${k}`, 'rpi3', 'edge', 'edge', { host });
  for (let k = 0; k < 2; k++) b.node(`nuc-${k}`, 'nuc', 'edge', 'edge', { host });
  return b.build();
}

/**
 * The local cluster `cluster up` starts on the user's machine: the laptop itself (user_device on
 * network `local` — what `policy.fn({ node: 'local' })` selects), two plain edge boxes on the
 * same LAN (no accelerator: tpu only when a stick is attached), and one cloud VM behind a
 * business ISP uplink (docs/reference.md §5). The registry (the studio's bundle store) is on the laptop.
 */
export function localCluster(): Topology {
  const b = new Builder('local', 'Local cluster on this machine: the laptop, two edge boxes on the local LAN, one cloud VM', ['laptop']);
  b.network(LOCAL_NETWORK, 'lan').network('internet', 'wan').network('cloud', 'datacenter');
  b.link(LOCAL_NETWORK, 'internet', 50, 500, BUSINESS_ISP_MS); // business ISP 500 down / 50 up (§5)
  b.link('cloud', 'internet', 1000, 1000, BUSINESS_ISP_MS); // fibre 1000/1000 (§5)
  b.node('laptop', 'laptop', 'user_device', LOCAL_NETWORK);
  b.node('edge-1', 'nuc', 'edge', LOCAL_NETWORK);
  b.node('edge-2', 'rpi4', 'edge', LOCAL_NETWORK);
  b.node('cloud-1', 'xeon-cpu', 'cloud', 'cloud');
  return b.build();
}

interface ScenarioDef {
  doc: string;
  options: Record<string, { doc: string; min: number; max: number }>;
  make(opts: Record<string, number>): Topology;
}

export const SCENARIOS: Record<string, ScenarioDef> = {
  local: { doc: 'the local cluster `cluster up` starts', options: {}, make: () => localCluster() },
  'skippy-testbed': { doc: 'the Skippy evaluation testbed (8 nodes)', options: {}, make: () => skippyTestbed() },
  'urban-sensing': { doc: 'urban sensing, 22 nodes per cell + cloud VMs', options: { cells: { doc: 'number of cells (default 4)', min: 1, max: 1000 } }, make: (o) => urbanSensing({ cells: o.cells }) },
  'industrial-iot': { doc: 'industrial IoT, 12 nodes per site', options: { sites: { doc: 'number of sites (default 10)', min: 1, max: 2000 } }, make: (o) => industrialIot({ sites: o.sites }) },
  'cloud-regions': {
    doc: 'cloud regions, 450 VMs in 3 regions',
    options: { regions: { doc: 'number of regions (default 3)', min: 1, max: 100 }, vms: { doc: 'number of VMs (default 450)', min: 1, max: 100000 } },
    make: (o) => cloudRegions({ regions: o.regions, vms: o.vms }),
  },
};
export const SCENARIO_NAMES = Object.keys(SCENARIOS);

export class ScenarioError extends StudioError {
  constructor(message: string, hint?: string) {
    super('bad-topology', message, hint);
    this.name = 'ScenarioError';
  }
}

export function isScenarioName(spec: string): boolean {
  return SCENARIO_NAMES.includes(spec.split(':')[0]);
}

/** `urban-sensing`, `urban-sensing:cells=8`, `cloud-regions:regions=2,vms=100`. Throws ScenarioError. */
export function topologyByName(spec: string): Topology {
  const [name, optText] = spec.split(':', 2);
  const def = SCENARIOS[name];
  if (!def) throw new ScenarioError(`unknown topology scenario '${name}'${didYouMeanSuffix(name, SCENARIO_NAMES)}; scenarios: ${SCENARIO_NAMES.join(', ')} (or give a topology.json file)`);
  const opts: Record<string, number> = {};
  if (optText) {
    for (const part of optText.split(',')) {
      const [k, v] = part.split('=');
      const od = def.options[k];
      if (!od) {
        const known = Object.keys(def.options);
        throw new ScenarioError(`scenario '${name}' has no option '${k}'${didYouMeanSuffix(k, known)}; ${known.length ? `options: ${known.map((o) => `${o} (${def.options[o].doc})`).join(', ')}` : 'it takes no options'}`);
      }
      const n = Number(v);
      if (v === undefined || !Number.isInteger(n) || n < od.min || n > od.max) {
        throw new ScenarioError(`scenario '${name}' option ${k}=${v ?? ''}: give a whole number from ${od.min} to ${od.max}, e.g. ${name}:${k}=${od.min + 1}`);
      }
      opts[k] = n;
    }
  }
  return def.make(opts);
}
