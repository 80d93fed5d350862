/**
 * Compiles FunctionRequirements against a snapshot once (image ids, capability masks, data
 * locations as node indices with their route rows, per-node execution estimates, data-network
 * feasibility), so the per-node loops of the plugins only read typed arrays.
 * Requirements are treated as immutable once scheduled (the compiled form is cached per object).
 */
import { CAPABILITIES, type NodeType } from '../spec/function';
import { ARCHES } from '../spec/topology';
import type { RouteRow } from '../topology/routes';
import type { FunctionRequirements } from './requirements';
import { TYPE_BIT, type ClusterSnapshot } from './snapshot';

export interface CompiledItems {
  urns: string[];
  size: Float64Array;
  /** per item, the node indices holding it (unknown names dropped) */
  loc: Int32Array[];
  /** per item, the route rows rooted at each location */
  rows: RouteRow[][];
}

export interface CompiledFunction {
  req: FunctionRequirements;
  cpu: number;
  mem: number;
  imageIds: Int32Array;
  /** image sizes, 3 per image (arm, arm64, amd64) */
  imageSizes: Float64Array;
  capMask: number;
  capValues: Array<{ key: string; value: string; bit: number }>;
  /** 0 = any node type */
  typeMask: number;
  inputs: CompiledItems;
  outputs: CompiledItems;
  /** 1 where the data policy's networks are respected (undefined without policy.data) */
  networkOk?: Uint8Array;
  unknownNetworks: string[];
  /** execution seconds per node, undefined when the function gives no workload */
  exec?: Float64Array;
  warnings: string[];
  /**
   * Per-node values that depend only on the function and the topology, filled on first use by
   * the plugins (cached with the compiled form): execution + input transfer seconds, the
   * DataLocality time, the Capability count.
   */
  staticEstimate?: Float64Array;
  dataTime?: Float64Array;
  capCount?: Float64Array;
}

const cache = new WeakMap<object, WeakMap<FunctionRequirements, CompiledFunction>>();

export function compile(snap: ClusterSnapshot, req: FunctionRequirements): CompiledFunction {
  let perSnap = cache.get(snap.s);
  if (!perSnap) {
    perSnap = new WeakMap();
    cache.set(snap.s, perSnap);
  }
  let c = perSnap.get(req);
  if (!c) {
    c = compileUncached(snap, req);
    perSnap.set(req, c);
  }
  return c;
}

function compileItems(snap: ClusterSnapshot, items: FunctionRequirements['inputs'], warnings: string[], what: string): CompiledItems {
  const out: CompiledItems = { urns: [], size: new Float64Array(items.length), loc: [], rows: [] };
  items.forEach((it, i) => {
    out.urns.push(it.urn);
    out.size[i] = it.size;
    const known = it.locations.filter((l) => snap.s.nodeIndex.has(l));
    for (const l of it.locations) if (!snap.s.nodeIndex.has(l)) warnings.push(`${what} ${it.urn}: location '${l}' is not a node of topology '${snap.s.topology.name}'; ignored`);
    out.loc.push(Int32Array.from(known.map((l) => snap.s.nodeIndex.get(l)!)));
    out.rows.push(known.map((l) => snap.routesFrom(l)));
  });
  return out;
}

function compileUncached(snap: ClusterSnapshot, req: FunctionRequirements): CompiledFunction {
  const warnings: string[] = [];
  const imageIds = new Int32Array(req.images.length);
  const imageSizes = new Float64Array(req.images.length * 3);
  req.images.forEach((im, i) => {
    imageIds[i] = snap.imageId(im.name);
    snap.presence(imageIds[i]);
    for (let a = 0; a < 3; a++) {
      let size: number;
      if (typeof im.size === 'number') size = im.size;
      else {
        // a missing arch is estimated with the first size given (as skippy-core does)
        const given = im.size[ARCHES[a]];
        size = given ?? Object.values(im.size).find((v) => v !== undefined) ?? 0;
      }
      imageSizes[i * 3 + a] = size;
    }
  });
  let capMask = 0;
  const capValues: Array<{ key: string; value: string; bit: number }> = [];
  for (const cap of req.capabilities ?? []) {
    const k = (CAPABILITIES as readonly string[]).indexOf(cap);
    // an unknown capability can match no node: use a bit no node has
    const bit = k >= 0 ? 1 << k : 1 << 30;
    capMask |= bit;
    const v = req.capabilityValues?.[cap];
    if (v !== undefined) capValues.push({ key: `capability/${cap}`, value: v, bit });
  }
  let typeMask = 0;
  for (const t of req.nodeTypes ?? []) typeMask |= TYPE_BIT[t as NodeType] ?? 0;
  const inputs = compileItems(snap, req.inputs, warnings, 'input');
  const outputs = compileItems(snap, req.outputs, warnings, 'output');

  let networkOk: Uint8Array | undefined;
  const unknownNetworks: string[] = [];
  if (req.data) {
    const g = snap.s.graph;
    for (const net of req.data.networks) {
      const v = g.index.get(net);
      if (v === undefined || !g.isNetwork(v)) unknownNetworks.push(net);
    }
    const key = `${[...req.data.networks].sort().join(',')}|${inputs.loc.map((l) => l.join(',')).join(';')}|${outputs.loc.map((l) => l.join(',')).join(';')}`;
    networkOk = snap.s.networkOkCache.get(key);
    if (!networkOk) {
      networkOk = networkFeasibility(snap, req.data.networks, inputs, outputs);
      snap.s.networkOkCache.set(key, networkOk);
    }
  }

  let exec: Float64Array | undefined;
  if (req.workload) exec = snap.execSeconds(req.workload);
  else if (req.referenceSeconds !== undefined) {
    exec = new Float64Array(snap.n);
    for (let i = 0; i < snap.n; i++) exec[i] = req.referenceSeconds * snap.s.slowdown[i];
  }
  return { req, cpu: req.cpuMillis, mem: req.memoryBytes, imageIds, imageSizes, capMask, capValues, typeMask, inputs, outputs, networkOk, unknownNetworks, exec, warnings };
}

/**
 * 1 for node v when its home network is allowed and, for every input and output with known
 * locations, some location's route to v crosses only allowed networks.
 */
function networkFeasibility(snap: ClusterSnapshot, networks: string[], inputs: CompiledItems, outputs: CompiledItems): Uint8Array {
  const g = snap.s.graph;
  const V = g.vertexCount;
  const allowed = new Uint8Array(V);
  for (let v = 0; v < g.nodeCount; v++) allowed[v] = 1; // nodes are endpoints, not networks
  for (const net of networks) {
    const v = g.index.get(net);
    if (v !== undefined && g.isNetwork(v)) allowed[v] = 1;
  }
  const n = snap.n;
  const ok = new Uint8Array(n);
  for (let v = 0; v < n; v++) ok[v] = allowed[snap.s.homeNet[v]];
  // per route row: 1 if the path from its source to v stays inside allowed vertices
  const rowOk = new Map<RouteRow, Uint8Array>();
  const clean = (row: RouteRow): Uint8Array => {
    let r = rowOk.get(row);
    if (r) return r;
    r = new Uint8Array(V); // 0 unknown, 1 ok, 2 not ok
    const stack: number[] = [];
    for (let v = 0; v < V; v++) {
      let x = v;
      while (x !== -1 && r[x] === 0) {
        stack.push(x);
        x = row.hops[x] < 0 ? -1 : row.parent[x];
      }
      let state = x === -1 ? 1 : r[x];
      while (stack.length) {
        const y = stack.pop()!;
        if (row.hops[y] < 0 || !allowed[y]) state = 2;
        r[y] = state;
      }
    }
    rowOk.set(row, r);
    return r;
  };
  for (const items of [inputs, outputs]) {
    items.rows.forEach((rows) => {
      if (!rows.length) return;
      const cleans = rows.map(clean);
      for (let v = 0; v < n; v++) {
        if (!ok[v]) continue;
        let any = false;
        for (const c of cleans) if (c[v] === 1) any = true;
        if (!any) ok[v] = 0;
      }
    });
  }
  return ok;
}
