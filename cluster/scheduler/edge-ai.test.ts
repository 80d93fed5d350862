/** The edge-ai profile's policy plugins and explanations, against hand-computed values. */
import { describe, expect, it } from 'vitest';
import type { FunctionSpec } from '../spec/function';
import { ML_WORKFLOW_IMAGES as IMG, MiB, topologyByName } from '../topology';
import { buildSnapshot, profileByName, requirements, requirementsFromSpec, schedule } from './index';

const edgeAi = profileByName('edge-ai');
const local = () => buildSnapshot(topologyByName('local'));

function spec(id: string, policies: FunctionSpec['policies']): FunctionSpec {
  return { id, className: 'C', method: id, file: 'functions/c.ts', line: 1, column: 1, consumes: [], produces: [], policies, gates: [], params: [] };
}

describe('edge-ai: policy.fn', () => {
  it("maps node 'local' to the user's own machine", () => {
    const r = schedule(local(), edgeAi, requirementsFromSpec(spec('refine', { fn: { node: ['local'] } })));
    expect(r.node).toBe('laptop');
  });

  it('keeps inference on edge nodes', () => {
    const r = schedule(local(), edgeAi, requirementsFromSpec(spec('inference', { fn: { node: ['edge'] } })), { explain: true });
    expect(['edge-1', 'edge-2']).toContain(r.node);
    const byNode = Object.fromEntries(r.explanation!.nodes.map((n) => [n.node, n]));
    expect(byNode.laptop).toMatchObject({ status: 'filtered', filter: 'NodeType', reason: 'node type user_device; policy.fn allows edge' });
    expect(byNode['cloud-1'].filter).toBe('NodeType');
  });

  it('explains a missing capability with a hint', () => {
    const r = schedule(local(), edgeAi, requirementsFromSpec(spec('inference', { fn: { node: ['edge'], capability: ['tpu'] } })), { explain: true });
    expect(r.node).toBeNull();
    expect(r.infeasible!.filters).toEqual([
      { filter: 'NodeSchedulable', removed: 0 },
      { filter: 'NodeType', removed: 2, hint: 'the nodes of type edge were removed by other filters: relax policy.fn or free those nodes' },
      { filter: 'Capability', removed: 2, hint: 'no node has capability tpu: attach a Coral stick or relax policy.fn' },
      { filter: 'DataNetwork', removed: 0 },
      { filter: 'PodFitsResources', removed: 0 },
      { filter: 'Deadline', removed: 0 },
    ]);
    expect(r.infeasible!.message).toContain('no node has capability tpu: attach a Coral stick or relax policy.fn');
    expect(r.explanation!.nodes.find((n) => n.node === 'edge-1')).toMatchObject({ filter: 'Capability', reason: 'lacks capability tpu (has none)' });
  });

  it('the skippy profile only prefers capabilities, never filters on them', () => {
    const r = schedule(local(), profileByName('skippy'), requirementsFromSpec(spec('inference', { fn: { capability: ['tpu'] } })));
    expect(r.node).not.toBeNull();
  });
});

describe('edge-ai: policy.data', () => {
  it('strict: only nodes whose data stays inside the networks', () => {
    const req = requirementsFromSpec(spec('refine', { data: { network: ['local'], strict: true } }), { inputs: [{ urn: 'd', size: 10 * MiB, locations: ['laptop'] }] });
    const r = schedule(local(), edgeAi, req, { explain: true });
    expect(r.node).not.toBe('cloud-1');
    expect(r.explanation!.nodes.find((n) => n.node === 'cloud-1')).toMatchObject({ filter: 'DataNetwork', reason: 'on network cloud; policy.data allows local' });
  });

  it('strict: data held in the cloud cannot reach a local node without leaving the local network', () => {
    const req = requirementsFromSpec(spec('refine', { data: { network: ['local'], strict: true } }), { inputs: [{ urn: 'd', size: 10 * MiB, locations: ['cloud-1'] }] });
    const r = schedule(local(), edgeAi, req, { explain: true });
    expect(r.node).toBeNull();
    expect(r.infeasible!.filters.find((f) => f.filter === 'DataNetwork')).toMatchObject({ removed: 4 });
    expect(r.infeasible!.message).toContain('move the data into local, or relax policy.data (strict: false)');
    expect(r.explanation!.nodes.find((n) => n.node === 'edge-1')!.reason).toBe('its input or output data would cross a network outside local');
  });

  it('names a network the topology lacks', () => {
    const r = schedule(local(), edgeAi, requirementsFromSpec(spec('f', { data: { network: ['factory'], strict: true } })));
    expect(r.infeasible!.message).toContain("policy.data names network(s) factory that topology 'local' does not have (networks: local, internet, cloud)");
  });

  it('non-strict: scores 10 inside the networks, 0 outside', () => {
    const req = requirementsFromSpec(spec('f', { data: { network: ['cloud'], strict: false } }));
    const r = schedule(local(), edgeAi, req, { explain: true });
    const pref = (node: string) => r.explanation!.nodes.find((n) => n.node === node)!.scores!.find((s) => s.plugin === 'DataNetworkPreference')!;
    expect(pref('cloud-1')).toEqual({ plugin: 'DataNetworkPreference', raw: 10, normalised: 10, weight: 1, weighted: 10 });
    expect(pref('edge-1').normalised).toBe(0);
  });
});

describe('edge-ai: deadline feasibility', () => {
  const tb = () => buildSnapshot(topologyByName('skippy-testbed'), { images: [{ name: IMG.serve.name, nodes: topologyByName('skippy-testbed').nodes.map((n) => n.name) }] });

  it('removes devices too slow for the workload (docs/reference.md §4) plus transfer (§5)', () => {
    // mobilenet tflite: rpi3 2.073 s > 1 s. Input 1500 KiB on nuc-0, moved at goodput (× 0.97, docs/reference.md §5):
    // cloud-vm: 0.283 + 1536000/(1.25e6·0.97) (1.2668) + 1.5·RTT (2·(0.52+7.72+0.52) = 17.52 ms → 0.02628) = 1.576 s > 1 s
    // tx2: 0.328 + 1536000/(1.25e7·0.97) (0.12668) + 1.5·2·(0.52+0.52)/1000 (0.00312) = 0.458 s ≤ 1 s
    const req = requirements('serve', { images: [IMG.serve], workload: 'mobilenet-inference-tflite', deadlineMs: 1000, inputs: [{ urn: 'model', size: 1500 * 1024, locations: ['nuc-0'] }] });
    const r = schedule(tb(), edgeAi, req, { explain: true });
    const byNode = Object.fromEntries(r.explanation!.nodes.map((n) => [n.node, n]));
    expect(byNode['rpi3-0'].filter).toBe('Deadline');
    // rpi3-0: 2.073 + 0.12668 + 0.00312 = 2.203 s
    expect(byNode['rpi3-0'].reason).toBe('estimated 2.203 s (execution 2.073 s + input transfer 0.130 s + image pull 0.000 s) > deadline 1.000 s');
    expect(byNode['cloud-vm'].reason).toBe('estimated 1.576 s (execution 0.283 s + input transfer 1.293 s + image pull 0.000 s) > deadline 1.000 s');
    expect(byNode.tx2.status).not.toBe('filtered');
    expect(['tx2', 'nuc-0', 'nuc-1']).toContain(r.node);
  });

  it('counts the image pull when the node lacks the image', () => {
    // 100 MB image / 1.25e7 B/s = 8 s > 5 s everywhere (registry → any node 1.25e7, §2)
    const snap = buildSnapshot(topologyByName('skippy-testbed'));
    const r = schedule(snap, edgeAi, requirements('f', { images: [{ name: 'big', size: 100e6 }], referenceSeconds: 0.1, deadlineMs: 5000 }));
    expect(r.node).toBeNull();
    expect(r.infeasible!.message).toMatch(/Deadline removed 8 — the fastest estimate among the nodes left by the other filters is 8\.\d{3} s on .* image pull 8\.\d{3} s\) against a deadline of 5\.000 s: relax policy.deadline/);
  });

  it('removes devices without a trace for the workload', () => {
    const r = schedule(buildSnapshot(topologyByName('skippy-testbed')), edgeAi, requirements('t', { workload: 'resnet-training-gpu', deadlineMs: 3_600_000 }));
    expect(r.node).toBe('tx2'); // the only §4 GPU trace in the testbed
  });
});

describe('explanations', () => {
  it('lists every node with its filter or its raw, normalised and weighted scores', () => {
    const snap = local();
    const r = schedule(snap, edgeAi, requirementsFromSpec(spec('f', { fn: { node: ['edge', 'local'] } })), { explain: true });
    expect(r.explanation!.nodes.map((n) => n.node)).toEqual(['laptop', 'edge-1', 'edge-2', 'cloud-1']);
    const feasible = r.explanation!.nodes.filter((n) => n.scores);
    expect(feasible).toHaveLength(3);
    for (const n of feasible) {
      expect(n.scores!.map((s) => s.plugin)).toEqual(['BalancedResource', 'LatencyAwareImageLocality', 'LocalityType', 'DataLocality', 'Capability', 'DataNetworkPreference']);
      expect(n.total).toBe(n.scores!.reduce((a, s) => a + s.weighted, 0));
    }
    expect(r.explanation!.nodes.find((n) => n.node === r.node)!.status).toBe('chosen');
    expect(r.score).toBe(Math.max(...feasible.map((n) => n.total!)));
  });

  it('does not change the placement', () => {
    const req = requirements('x', { inputs: [{ urn: 'a', size: 5e6, locations: ['edge-2'] }] });
    expect(schedule(local(), edgeAi, req, { explain: true }).node).toBe(schedule(local(), edgeAi, req).node);
  });

  it('warns about data locations outside the topology', () => {
    const r = schedule(local(), edgeAi, requirements('x', { inputs: [{ urn: 'a', size: 5, locations: ['ghost'] }] }));
    expect(r.warnings).toEqual(["input a: location 'ghost' is not a node of topology 'local'; ignored"]);
  });
});
