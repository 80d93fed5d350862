/**
 * The deploy's word on functions that ask for an accelerator (issue 14, item 3): a function with
 * `@policy.fn({ capability: 'tpu' })` is placed on a node with a Coral stick, but its model uses
 * the stick only when it is a TensorFlow Lite model compiled for the Edge TPU and the host has the
 * Edge TPU runtime. Otherwise it would run on the node's CPU: the deploy says so (a warning), or,
 * with the strict opt-in (DeployOptions.strictAccelerators), refuses to deploy the function.
 * Both backends run their nodes on this host, so this host's readiness is the node's.
 */
import { hostEdgeTpuReadiness, type Readiness } from '../../accelerators/runtimes';
import type { FunctionSpec } from '../../spec/function';
import type { Registry } from '../../registry/registry';
import { EDGETPU_TAG } from '../../registry/tflite-import';
import type { Accelerator, AcceleratorKind } from '../../accelerators/discover';
import { ACCELERATOR_LABEL_PREFIX, acceleratorLabel } from '../../accelerators/attach';
import type { Topology } from '../../topology/model';
import type { ControllerContext } from './context';

/** Why `spec`'s models will not run on the Edge TPU of `node`; undefined when they will (or it asks for no tpu). */
export function tpuShortfall(spec: FunctionSpec, node: string, registry: Registry, readiness: () => Readiness = () => hostEdgeTpuReadiness()): string | undefined {
  if (!(spec.policies.fn?.capability ?? []).includes('tpu')) return undefined;
  const models = spec.consumes.filter((c) => c.kind === 'model');
  if (!models.length) return `${spec.id} asks for capability tpu but consumes no model: nothing of it runs on the Edge TPU of ${node}`;
  const why: string[] = [];
  for (const c of models) {
    let pick;
    try {
      pick = registry.resolve({ ...c.selector, kind: 'model' }).candidates[0];
    } catch {
      continue; // a template: the model is known only at the request; the run says where it ran
    }
    if (!pick) continue; // not trained yet: the run says where it ran
    if (pick.format !== 'tflite') why.push(`its model ${pick.urn} is a ${pick.format} model, which runs on the CPU (only TensorFlow Lite models compiled for the Edge TPU use the stick)`);
    else if (!pick.tags.includes(EDGETPU_TAG)) why.push(`its model ${pick.urn} is not compiled for the Edge TPU (no edgetpu-custom-op), so the delegate would run it on the CPU`);
    else {
      const r = readiness();
      if (!r.ready) why.push(`the Edge TPU of this host is not ready: ${r.reason}`);
    }
  }
  if (!why.length) return undefined;
  return `${spec.id} asks for capability tpu, but on ${node} its model will run on the CPU: ${[...new Set(why)].join('; ')}`;
}

export const TPU_HINT = 'publish the model compiled for the Edge TPU (edgetpu_compiler, Coral\'s apt repository) and check `edgeai accelerators`; or drop capability tpu';

// ---------------------------------------------------------------------------------------------
// hot-plug: a node's capabilities follow the sticks plugged into it

const KINDS: readonly AcceleratorKind[] = ['coral', 'ncs1', 'ncs2'];
const CAPABILITY_OF: Record<AcceleratorKind, string> = { coral: 'tpu', ncs1: 'vpu', ncs2: 'vpu' };
/** how many sticks of each kind a node has */
export type StickCounts = Partial<Record<AcceleratorKind, number>>;
/** where the cluster's sticks were attached (cluster state): node → the most of each kind it had */
const HOSTS_KEY = 'accelerator-hosts';

/** The nodes that carry sticks in `topology`, by their accelerator/<kind> labels (accelerators/attach.ts). */
export function attachedSticks(topology: Topology): Record<string, StickCounts> {
  const out: Record<string, StickCounts> = {};
  for (const n of topology.nodes) {
    for (const kind of KINDS) {
      const count = Number(n.labels[acceleratorLabel(kind)]);
      if (count > 0) (out[n.name] ??= {})[kind] = count;
    }
  }
  return out;
}

/**
 * `topology` with `node` carrying `counts` sticks of the kinds named there: each kind's
 * accelerator/<kind> label is its count (gone at 0), and the capability of a kind (tpu, vpu) is
 * dropped when no stick on the node gives it any more, added back when one does. Kinds not
 * named and every other node stay as they are; the input is not mutated.
 */
export function withSticks(topology: Topology, node: string, counts: StickCounts): Topology {
  return {
    ...topology,
    nodes: topology.nodes.map((n) => {
      if (n.name !== node) return n;
      const labels = { ...n.labels };
      for (const kind of KINDS) {
        if (counts[kind] === undefined) continue;
        if (counts[kind]! > 0) labels[acceleratorLabel(kind)] = String(counts[kind]);
        else delete labels[acceleratorLabel(kind)];
      }
      const has = (kind: AcceleratorKind) => (counts[kind] !== undefined ? counts[kind]! > 0 : Number(labels[acceleratorLabel(kind)]) > 0);
      let capabilities = [...n.capabilities];
      for (const cap of new Set(KINDS.filter((k) => counts[k] !== undefined).map((k) => CAPABILITY_OF[k]))) {
        const given = KINDS.some((k) => CAPABILITY_OF[k] === cap && has(k));
        if (given && !capabilities.includes(cap)) capabilities = [...capabilities, cap].sort();
        if (!given) capabilities = capabilities.filter((c) => c !== cap);
      }
      return { ...n, capabilities, labels };
    }),
  };
}

/**
 * The cluster's record of which node has which sticks: set at `up` from the topology's
 * accelerator labels; a node whose stick leaves (the studio's watcher of this host's sticks, or
 * an agent's accelerator-gone) loses the stick's capability and label in the running topology —
 * the scheduler places no tpu function there, `cluster status` lists it without tpu — and gets
 * them back when the stick is plugged in again. Both local backends run every node on this host,
 * so this host's sticks are the attached nodes' sticks.
 */
export class StickBook {
  constructor(private readonly ctx: ControllerContext) {}

  /** at `up`: where the topology attaches sticks */
  reset(topology: Topology): void {
    this.ctx.state.set(HOSTS_KEY, JSON.stringify(attachedSticks(topology)));
  }

  private hosts(): Record<string, StickCounts> {
    try {
      return JSON.parse(this.ctx.state.get(HOSTS_KEY) ?? '{}') as Record<string, StickCounts>;
    } catch {
      return {};
    }
  }

  /** The sticks plugged into this host now: each node they were attached to follows them. Returns the nodes that changed. */
  present(sticks: readonly Accelerator[]): string[] {
    const changed: string[] = [];
    for (const [node, had] of Object.entries(this.hosts())) {
      const counts: StickCounts = {};
      for (const kind of Object.keys(had) as AcceleratorKind[]) counts[kind] = sticks.filter((a) => a.kind === kind).length;
      const gone = (Object.keys(had) as AcceleratorKind[]).filter((k) => !counts[k]);
      if (this.apply(node, counts, gone.length ? `its ${gone.map((k) => (k === 'coral' ? 'Coral USB Accelerator' : 'Neural Compute Stick')).join(' and ')} is unplugged` : 'its USB accelerator is plugged in again')) changed.push(node);
    }
    return changed;
  }

  /** An agent said the Coral of `node` is gone (accelerator-gone): the node loses tpu until it is plugged in again. */
  coralGone(node: string): boolean {
    const hosts = this.hosts();
    if (!hosts[node]?.coral) {
      // a node whose tpu came from its topology, not from an attach: back with one stick on re-plug
      hosts[node] = { ...hosts[node], coral: 1 };
      this.ctx.state.set(HOSTS_KEY, JSON.stringify(hosts));
    }
    return this.apply(node, { coral: 0 }, 'its Coral USB Accelerator is gone (accelerator-gone)');
  }

  private apply(node: string, counts: StickCounts, why: string): boolean {
    const { ctx } = this;
    const topology = ctx.topology;
    if (!ctx.isUp() || !topology || !topology.nodes.some((n) => n.name === node)) return false;
    const next = withSticks(topology, node, counts);
    const before = topology.nodes.find((n) => n.name === node)!;
    const after = next.nodes.find((n) => n.name === node)!;
    const same = before.capabilities.join(',') === after.capabilities.join(',') && JSON.stringify(Object.entries(before.labels).filter(([k]) => k.startsWith(ACCELERATOR_LABEL_PREFIX)).sort()) === JSON.stringify(Object.entries(after.labels).filter(([k]) => k.startsWith(ACCELERATOR_LABEL_PREFIX)).sort());
    if (same) return false;
    ctx.setTopology(next);
    ctx.state.set('topology', JSON.stringify(next));
    const caps = after.capabilities.join(', ') || 'none';
    const reason = `${why}: capabilities now ${caps}`;
    ctx.progress('accelerators', `node ${node}: ${reason}`);
    const row = ctx.state.nodes().find((r) => r.name === node);
    if (row) ctx.emit({ type: 'node', node, status: row.status, reason });
    return true;
  }
}
