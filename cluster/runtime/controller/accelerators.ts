/**
 * The deploy's word on functions that ask for an accelerator (issue 14, item 3): a function with
 * `@policy.fn({ capability: 'tpu' })` is placed on a node with a Coral stick, but its model uses
 * the stick only when it is a TensorFlow Lite model compiled for the Edge TPU and the host has the
 * Edge TPU runtime. Otherwise it would run on the node's CPU: the deploy says so (a warning), or,
 * with the strict opt-in (DeployOptions.strictAccelerators), refuses to deploy the function.
 * Both backends run their nodes on this host, so this host's readiness is the node's.
 */
import { edgeTpuNodeLine, hostEdgeTpuReadiness, type Readiness, type ReadinessSummary } from '../../accelerators/runtimes';
import type { Health, StickPresence } from '../agent/protocol';
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

/** where each node lost a kind of stick (cluster state): node → kind → since when, why */
const LOST_KEY = 'accelerator-lost';
/** the last agent report acted on, per node: `<since>|<generation>` (protocol.ts StickPresence) */
const SEEN_PREFIX = 'accelerator-seen:';

const STICK_NAMES: Record<AcceleratorKind, string> = { coral: 'Coral USB Accelerator', ncs1: 'Neural Compute Stick', ncs2: 'Neural Compute Stick' };

export interface LostStick {
  kind: AcceleratorKind;
  /** ISO time it left (as its agent saw it, else as the controller heard) */
  since: string;
  why: string;
}

/** What `cluster status` says of a node that sticks were attached to (NodeStatusView.accelerators). */
// a type, not an interface: the StudioApi's ClusterNode.accelerators (passthrough) takes it as it is
export type NodeAcceleratorsView = {
  /** the sticks `up` attached to it, by kind */
  attached: StickCounts;
  /** the sticks it has now (its accelerator/<kind> labels; what the scheduler sees) */
  present: StickCounts;
  /** the kinds it lost and has not got back */
  lost: LostStick[];
  /** what its agent sees in sysfs (absent: its agent has not reported) */
  seen?: StickPresence['sticks'];
  /** its agent's Edge TPU check (accelerators/runtimes.ts) */
  edgetpu?: ReadinessSummary;
  /** for people: one line per capability (edgeTpuNodeLine for a present Coral) */
  lines: string[];
};

/**
 * The cluster's record of which node has which sticks: set at `up` from the topology's
 * accelerator labels; a node whose stick leaves loses the stick's capability and label in the
 * running topology — the scheduler places no tpu function there, `cluster status` lists it
 * without tpu and says since when and why — and gets them back when the stick is plugged in
 * again. The news comes three ways, all handled by `apply`: the node's own agent, which watches
 * its sysfs and reports in its heartbeat (`reported`); the studio's watcher of this host's sticks
 * (`present`: both local backends run every node on this host, so this host's sticks are the
 * attached nodes' sticks); and an agent's accelerator-gone answer (`coralGone`).
 */
export class StickBook {
  constructor(private readonly ctx: ControllerContext) {}

  /** at `up`: where the topology attaches sticks */
  reset(topology: Topology): void {
    this.ctx.state.set(HOSTS_KEY, JSON.stringify(attachedSticks(topology)));
    this.ctx.state.set(LOST_KEY, undefined);
    for (const [k] of this.ctx.state.entries(SEEN_PREFIX)) this.ctx.state.set(`${SEEN_PREFIX}${k}`, undefined);
  }

  private hosts(): Record<string, StickCounts> {
    return readJson<Record<string, StickCounts>>(this.ctx.state.get(HOSTS_KEY));
  }

  private lostBook(): Record<string, Partial<Record<AcceleratorKind, { since: string; why: string; gone?: boolean }>>> {
    return readJson(this.ctx.state.get(LOST_KEY));
  }

  /** The nodes sticks were attached to: their agents are asked what they see. */
  watched(): string[] {
    return Object.keys(this.hosts());
  }

  /** The sticks plugged into this host now: each node they were attached to follows them. Returns the nodes that changed. */
  present(sticks: readonly Accelerator[]): string[] {
    const changed: string[] = [];
    for (const node of Object.keys(this.hosts())) if (this.follow(node, sticks, new Date().toISOString(), '')) changed.push(node);
    return changed;
  }

  /**
   * The agent of `node` reports the sticks it sees: acted on once per change it saw (a report
   * whose since and generation were acted on already changes nothing, so a node that lost its tpu
   * to an accelerator-gone keeps it off until its agent sees the stick leave or come back).
   *
   * The node's starting point is what `up` attached to it, not the agent's first look: the agent
   * starts watching at the first heartbeat that asks, which may come after the stick left (`cluster
   * up` exits before it). Its baseline (generation 0: it has seen no change yet) is compared with
   * what was attached: a kind it sees fewer of is lost; a stick it sees that the node has not now
   * is not given back by a baseline (an accelerator-gone stands until the agent sees a change).
   * A baseline is read only once the agent's watch has settled (`settled`), so a stick that was
   * re-enumerating at the first look is not taken as unplugged.
   */
  reported(node: string, p: StickPresence): boolean {
    const had = this.hosts()[node];
    if (!had) return false;
    // a baseline from a watch younger than its detach window: a stick missing from it may be
    // re-enumerating (agent/sticks.ts); acted on once the agent says it has settled
    if (p.generation === 0 && p.settled === false) return false;
    const mark = `${p.since}|${p.generation}`;
    const key = `${SEEN_PREFIX}${node}`;
    if (this.ctx.state.get(key) === mark) return false;
    this.ctx.state.set(key, mark);
    if (p.generation === 0) {
      const short: StickCounts = {};
      for (const kind of Object.keys(had) as AcceleratorKind[]) {
        const seen = p.sticks.filter((a) => a.kind === kind).length;
        if (seen < (had[kind] ?? 0)) short[kind] = seen;
      }
      const gone = (Object.keys(short) as AcceleratorKind[]).filter((k) => !short[k]);
      if (!Object.keys(short).length) return false;
      return this.apply(node, short, gone.length ? `its ${[...new Set(gone.map((k) => STICK_NAMES[k]))].join(' and ')} is unplugged (it had one at up; its node agent does not see it)` : 'fewer of its USB accelerators are plugged in than at up (its node agent sees fewer)', p.since || new Date().toISOString());
    }
    const at = [...p.lost].sort((a, b) => b.at.localeCompare(a.at))[0]?.at ?? p.changedAt ?? new Date().toISOString();
    return this.follow(node, p.sticks, at, ' (its node agent saw it leave)');
  }

  /** `node` follows `sticks`: its count of each kind attached to it at `up` becomes theirs. */
  private follow(node: string, sticks: ReadonlyArray<{ kind: AcceleratorKind }>, at: string, by: string): boolean {
    const had = this.hosts()[node];
    if (!had) return false;
    const counts: StickCounts = {};
    for (const kind of Object.keys(had) as AcceleratorKind[]) counts[kind] = sticks.filter((a) => a.kind === kind).length;
    const gone = (Object.keys(had) as AcceleratorKind[]).filter((k) => !counts[k]);
    return this.apply(node, counts, gone.length ? `its ${[...new Set(gone.map((k) => STICK_NAMES[k]))].join(' and ')} is unplugged${by}` : 'its USB accelerator is plugged in again', at);
  }

  /** An agent said the Coral of `node` is gone (accelerator-gone): the node loses tpu until it is plugged in again. */
  coralGone(node: string): boolean {
    const hosts = this.hosts();
    if (!hosts[node]?.coral) {
      // a node whose tpu came from its topology, not from an attach: back with one stick on re-plug
      hosts[node] = { ...hosts[node], coral: 1 };
      this.ctx.state.set(HOSTS_KEY, JSON.stringify(hosts));
    }
    return this.apply(node, { coral: 0 }, 'its Coral USB Accelerator is gone (accelerator-gone)', new Date().toISOString(), true);
  }

  /** The one rule: the node's labels and capabilities follow `counts`; what it lost is recorded with `why` and `at`. */
  private apply(node: string, counts: StickCounts, why: string, at: string, gone = false): boolean {
    const { ctx } = this;
    const topology = ctx.topology;
    if (!ctx.isUp() || !topology || !topology.nodes.some((n) => n.name === node)) return false;
    const next = withSticks(topology, node, counts);
    const before = topology.nodes.find((n) => n.name === node)!;
    const after = next.nodes.find((n) => n.name === node)!;
    const book = this.lostBook();
    const lost = { ...book[node] };
    for (const kind of Object.keys(counts) as AcceleratorKind[]) {
      if (counts[kind]! > 0) delete lost[kind];
      // gone: an agent's accelerator-gone, not an unplug (the stick may still be in its socket)
      else if (Number(before.labels[acceleratorLabel(kind)]) > 0) lost[kind] = { since: at, why, ...(gone ? { gone: true } : {}) };
    }
    book[node] = lost;
    ctx.state.set(LOST_KEY, JSON.stringify(book));
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

  /** What `cluster status` says of `node`'s sticks; undefined for a node none were attached to. */
  view(node: string, topology: Topology | undefined, health: Health | undefined): NodeAcceleratorsView | undefined {
    const attached = this.hosts()[node];
    if (!attached) return undefined;
    const n = topology?.nodes.find((x) => x.name === node);
    const present: StickCounts = {};
    for (const kind of Object.keys(attached) as AcceleratorKind[]) present[kind] = Number(n?.labels[acceleratorLabel(kind)] ?? 0) || 0;
    const lostOf = this.lostBook()[node] ?? {};
    const lost: LostStick[] = (Object.keys(lostOf) as AcceleratorKind[]).map((kind) => ({ kind, since: lostOf[kind]!.since, why: lostOf[kind]!.why }));
    const report = health?.accelerators;
    const lines: string[] = [];
    for (const cap of ['tpu', 'vpu'] as const) {
      const kinds = (Object.keys(attached) as AcceleratorKind[]).filter((k) => CAPABILITY_OF[k] === cap);
      if (!kinds.length) continue;
      const gone = lost.filter((l) => kinds.includes(l.kind));
      const seesOne = report?.sticks.some((a) => kinds.includes(a.kind));
      if (kinds.every((k) => !present[k])) {
        const l = gone[0];
        // an unplug its agent has not reported yet (it waits a few scans) or a re-plug it will report
        // (which gives the capability back) needs nothing of the user; a stick its accelerator-gone
        // took does: the agent must see it leave and come back
        const stuck = seesOne && (!l || lostOf[l.kind]?.gone === true);
        lines.push(`${cap}: ${l ? `lost since ${l.since} (${l.why})` : 'no stick now'}${stuck ? '; its agent sees one again: unplug it and plug it in to give the node ' + cap + ' back' : ''}`);
      } else if (cap === 'tpu') {
        lines.push(report ? edgeTpuNodeLine(report.edgetpu) : `tpu: ${present.coral} Coral attached at up (its agent does not report what it sees)`);
      } else {
        lines.push('vpu: stick present; models run on the cpu (an Intel NCS2 runs no models in this studio: no OpenVINO 2022.3 runtime with a Node binding)');
      }
    }
    return { attached, present, lost, ...(report ? { seen: report.sticks, edgetpu: report.edgetpu } : {}), lines };
  }
}

function readJson<T>(raw: string | undefined): T {
  try {
    return JSON.parse(raw ?? '{}') as T;
  } catch {
    return {} as T;
  }
}
