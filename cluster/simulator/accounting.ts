/**
 * What a simulation counts as it runs: per node, the time with an invocation executing and the
 * CPU its replicas reserve (integrated over time), invocations completed there; the cloud's
 * GB-seconds, invocations and egress (a Lambda-like cost, docs/reference.md §1); and the latency
 * statistics and arrival checksums of the report.
 */
import type { Topology } from '../topology/model';
import type { NetworkGraph } from '../topology/routes';
import { BILLING_GRANULARITY_S, GB, PRICE_PER_EGRESS_GB, PRICE_PER_GB_SECOND, PRICE_PER_INVOCATION } from './constants';
import type { Engine } from './engine';
import type { Flow, FlowNetwork } from './network';
import type { CloudCost, LatencyStats } from './types';

function percentile(sorted: Float64Array, p: number): number {
  if (!sorted.length) return 0;
  // nearest rank
  const k = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[k];
}

export function latencyStats(xs: number[]): LatencyStats {
  // a typed array sorts numbers in their numeric order (as sort((a, b) => a - b)), without a comparator call per pair
  const s = Float64Array.from(xs).sort();
  const mean = s.length ? s.reduce((a, b) => a + b, 0) / s.length : 0;
  return { mean, p50: percentile(s, 50), p95: percentile(s, 95), p99: percentile(s, 99), max: s.length ? s[s.length - 1] : 0 };
}

/** Lambda-like cost of one cloud invocation's compute (docs/reference.md §1): GB-seconds with execution rounded up to 100 ms. */
export function gbSeconds(memoryBytes: number, executionS: number): number {
  const billed = Math.ceil(executionS / BILLING_GRANULARITY_S - 1e-9) * BILLING_GRANULARITY_S;
  return (memoryBytes / GB) * billed;
}

export function cloudCostOf(gbs: number, invocations: number, egressBytes: number): Omit<CloudCost, 'cloudInvocations'> {
  const compute = gbs * PRICE_PER_GB_SECOND;
  const requests = invocations * PRICE_PER_INVOCATION;
  const egress = (egressBytes / GB) * PRICE_PER_EGRESS_GB;
  return { gbSeconds: gbs, compute, requests, egressBytes, egress, total: compute + requests + egress };
}

/** FNV-1a of a time (to 9 decimals) into a running hash: the arrivals' checksum. */
export function checksum(h: number, x: number): number {
  const s = x.toFixed(9);
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class Accounting {
  readonly isCloud: Uint8Array;
  /** per graph vertex: in the cloud (a cloud node or a datacenter network) */
  private readonly vertexInCloud: Uint8Array;
  readonly executing: Int32Array;
  private readonly busySince: Float64Array;
  readonly busy: Float64Array;
  readonly allocSince: Float64Array;
  readonly allocCpu: Float64Array;
  readonly allocIntegral: Float64Array;
  readonly invocationsAt: Int32Array;
  /** nodes that hosted a replica */
  readonly hosted: Uint8Array;
  cloudGbs = 0;
  cloudInvocations = 0;
  egressBytes = 0;

  constructor(
    private readonly engine: Engine,
    t: Topology,
    private readonly g: NetworkGraph,
    private readonly net: FlowNetwork,
  ) {
    const n = t.nodes.length;
    this.isCloud = Uint8Array.from(t.nodes.map((x) => (x.type === 'cloud' ? 1 : 0)));
    this.vertexInCloud = new Uint8Array(g.vertexCount);
    for (let v = 0; v < g.vertexCount; v++) {
      this.vertexInCloud[v] = v < n ? this.isCloud[v] : t.networks.find((x) => x.name === g.names[v])?.kind === 'datacenter' ? 1 : 0;
    }
    this.executing = new Int32Array(n);
    this.busySince = new Float64Array(n);
    this.busy = new Float64Array(n);
    this.allocSince = new Float64Array(n);
    this.allocCpu = new Float64Array(n);
    this.allocIntegral = new Float64Array(n);
    this.invocationsAt = new Int32Array(n);
    this.hosted = new Uint8Array(n);
  }

  /** A replica's CPU request added to (cpu > 0) or taken off (cpu < 0) a node from now on. */
  allocate(node: number, cpu: number): void {
    const now = this.engine.now;
    this.allocIntegral[node] += this.allocCpu[node] * (now - this.allocSince[node]);
    this.allocSince[node] = now;
    this.allocCpu[node] += cpu;
  }

  /** An invocation starts (d = +1) or stops (d = −1) executing on a node. */
  markExecuting(node: number, d: number): void {
    const now = this.engine.now;
    if (d > 0 && this.executing[node]++ === 0) this.busySince[node] = now;
    if (d < 0 && --this.executing[node] === 0) this.busy[node] += now - this.busySince[node];
  }

  /** An invocation completed on a node; in the cloud, its compute is billed. */
  completed(node: number, memoryBytes: number, executionS: number): void {
    this.invocationsAt[node]++;
    if (this.isCloud[node]) {
      this.cloudInvocations++;
      this.cloudGbs += gbSeconds(memoryBytes, executionS);
    }
  }

  /** Moves bytes from → to as a flow; bytes leaving the cloud for the edge are egress. */
  flow(from: string, to: string, bytes: number, onDone: (f: Flow) => void): void {
    const g = this.g;
    const egress = this.vertexInCloud[g.vertex(from)] === 1 && this.vertexInCloud[g.vertex(to)] === 0;
    this.net.transfer(from, to, bytes, (f) => {
      if (egress) this.egressBytes += f.bytes;
      onDone(f);
    });
  }

  /** Per node at `end`: the CPU reserved × time, and the time with an invocation executing. */
  usage(node: number, end: number): { alloc: number; busy: number } {
    return {
      alloc: this.allocIntegral[node] + this.allocCpu[node] * (end - this.allocSince[node]),
      busy: this.busy[node] + (this.executing[node] > 0 ? end - this.busySince[node] : 0),
    };
  }
}
