import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { localCluster } from '../topology/scenarios';
import { parseTopology, topologyToFile } from '../topology/model';
import type { FunctionSpec } from '../spec/function';
import { StudioError } from '../common/errors';
import { buildSnapshot, profileByName, requirementsFromSpec, schedule } from '../scheduler/index';
import { discoverAccelerators, type Accelerator } from './discover';
import { acceleratorAttributes, attachLocalAccelerators, withAccelerators } from './attach';
import { coralBootloader, FakeSysfs, keyboard, ncs2Ready } from './testing/fake-sysfs';

let fs: FakeSysfs;
beforeEach(() => {
  fs = new FakeSysfs();
});
afterEach(() => fs.dispose());

function fnSpec(capability: string[], node?: Array<'cloud' | 'edge' | 'user_device' | 'local'>): FunctionSpec {
  return {
    id: 'inference',
    className: 'Mnist',
    method: 'inference',
    file: 'functions/mnist.ts',
    line: 1,
    column: 1,
    consumes: [],
    produces: [],
    policies: { fn: { capability, ...(node ? { node } : {}) } },
    gates: [],
    params: [],
  };
}

function sticks(...plugged: Parameters<FakeSysfs['plug']>[0][]): Accelerator[] {
  for (const d of plugged) fs.plug(d);
  return discoverAccelerators({ sysfsRoot: fs.sysfsRoot });
}

describe('withAccelerators', () => {
  it('adds capabilities and labels to the host node only, and does not mutate its input', () => {
    const base = localCluster();
    const before = structuredClone(base);
    const found = sticks(coralBootloader('1-1.2', 5), ncs2Ready('2-3', 4), keyboard());
    const t = withAccelerators(base, found);
    expect(base).toEqual(before);
    const laptop = t.nodes.find((n) => n.name === 'laptop')!;
    expect(laptop.capabilities.sort()).toEqual(['tpu', 'vpu']);
    expect(laptop.labels).toEqual({ 'accelerator/coral': '1', 'accelerator/ncs2': '1' });
    for (const n of t.nodes.filter((n) => n.name !== 'laptop')) {
      const orig = base.nodes.find((o) => o.name === n.name)!;
      expect(n).toEqual(orig);
    }
    expect({ ...t, nodes: [] }).toEqual({ ...base, nodes: [] });
    // the result is a valid topology and survives a save/load round trip
    const reparsed = parseTopology(JSON.parse(JSON.stringify(topologyToFile(t))));
    expect(reparsed.nodes.find((n) => n.name === 'laptop')?.capabilities.sort()).toEqual(['tpu', 'vpu']);
    // mutating the result leaves the input alone
    laptop.labels.extra = 'x';
    t.nodes[1].capabilities.push('gpu');
    expect(base).toEqual(before);
  });

  it('counts sticks per kind, is idempotent, and changes nothing without sticks', () => {
    const two = sticks(coralBootloader('1-1.2', 5), coralBootloader('1-1.3', 8));
    expect(two).toHaveLength(2);
    expect(acceleratorAttributes(two)).toEqual({ capabilities: ['tpu'], labels: { 'accelerator/coral': '2' } });
    const once = withAccelerators(localCluster(), two);
    expect(withAccelerators(once, two)).toEqual(once);
    expect(withAccelerators(localCluster(), [])).toEqual(localCluster());
  });

  it('attaches to another host when named, and refuses an unknown one with the nodes it could be', () => {
    const found = sticks(coralBootloader());
    const t = withAccelerators(localCluster(), found, 'edge-1');
    expect(t.nodes.find((n) => n.name === 'edge-1')?.capabilities).toEqual(['tpu']);
    expect(t.nodes.find((n) => n.name === 'laptop')?.capabilities).toEqual([]);
    let err: unknown;
    try {
      withAccelerators(localCluster(), found, 'desktop');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StudioError);
    expect((err as StudioError).message).toContain("node 'desktop'");
    expect((err as StudioError).message).toContain('user devices: laptop');
  });
});

describe('scheduling onto an attached stick', () => {
  const edgeAi = profileByName('edge-ai');

  it('a policy.fn capability tpu function lands on the laptop once a Coral is attached', () => {
    const t = withAccelerators(localCluster(), sticks(coralBootloader()));
    const r = schedule(buildSnapshot(t), edgeAi, requirementsFromSpec(fnSpec(['tpu'])), { explain: true });
    expect(r.infeasible).toBeUndefined();
    expect(r.node).toBe('laptop');
    expect(r.feasible).toBe(1);
  });

  it('without a stick the same function is infeasible, and the hint says to attach a Coral stick', () => {
    const r = schedule(buildSnapshot(localCluster()), edgeAi, requirementsFromSpec(fnSpec(['tpu'])));
    expect(r.node).toBeNull();
    expect(r.infeasible?.message).toMatch(/capability tpu/);
    expect(r.infeasible?.message).toContain('Coral stick');
  });

  it('an NCS2 gives vpu, not tpu', () => {
    const t = withAccelerators(localCluster(), sticks(ncs2Ready()));
    expect(schedule(buildSnapshot(t), edgeAi, requirementsFromSpec(fnSpec(['vpu']))).node).toBe('laptop');
    expect(schedule(buildSnapshot(t), edgeAi, requirementsFromSpec(fnSpec(['tpu']))).node).toBeNull();
  });
});

describe('attachLocalAccelerators (what cluster up does, in the CLI and the studio)', () => {
  it('attaches the plugged-in sticks to the laptop and says so', () => {
    fs.plug(coralBootloader()).plug(keyboard());
    const r = attachLocalAccelerators(localCluster(), 'laptop', { sysfsRoot: fs.sysfsRoot, devRoot: fs.devRoot });
    expect(r.attached.map((a) => a.kind)).toEqual(['coral']);
    expect(r.topology.nodes.find((n) => n.name === 'laptop')!.capabilities).toContain('tpu');
    expect(r.note).toBe('attached coral (tpu, /dev/bus/usb/001/005) to node laptop');
  });

  it("leaves the topology as it is without sticks, with 'none', or without the host node (and says why)", () => {
    const base = localCluster();
    expect(attachLocalAccelerators(base, 'laptop', { sysfsRoot: fs.sysfsRoot })).toEqual({ topology: base, attached: [] });
    fs.plug(ncs2Ready());
    expect(attachLocalAccelerators(base, 'none', { sysfsRoot: fs.sysfsRoot })).toEqual({ topology: base, attached: [] });
    const r = attachLocalAccelerators(base, 'desk', { sysfsRoot: fs.sysfsRoot });
    expect(r.topology).toBe(base);
    expect(r.note).toMatch(/no USB accelerators attached: topology 'local' has no node 'desk'/);
  });
});

describe('cluster up --accelerators-on <node> (startCluster, the CLI\'s and the studio\'s one path)', () => {
  it('attaches the sticks to the node named; a tpu function that must run on an edge node is placed there, and the node starts with the USB bus', async () => {
    fs.plug(coralBootloader());
    const { Controller } = await import('../runtime/controller');
    const { FakeBackend } = await import('../runtime/testing/fake-agent');
    const { startCluster } = await import('../app/cluster');
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const launched: Array<{ name: string; usb?: boolean }> = [];
    const fb = new FakeBackend();
    const start = fb.start.bind(fb);
    fb.start = (spec) => (launched.push({ name: spec.name, usb: spec.usb }), start(spec));
    const home = mkdtempSync(join(tmpdir(), 'edgeai-acc-home-'));
    const c = await Controller.open({ home, cluster: 'acc', backend: () => fb, timeScale: 0, triggers: 'off' });
    try {
      const notes: string[] = [];
      const s = await startCluster(c, { backend: 'process', topology: 'local', acceleratorsOn: 'edge-1', discover: { sysfsRoot: fs.sysfsRoot, devRoot: fs.devRoot } }, (n) => notes.push(n));
      expect(notes).toEqual(['attached coral (tpu, /dev/bus/usb/001/005) to node edge-1']);
      expect(s.nodes.find((n) => n.name === 'edge-1')!.capabilities).toContain('tpu');
      expect(s.nodes.find((n) => n.name === 'laptop')!.capabilities).not.toContain('tpu');
      expect(launched.filter((l) => l.usb).map((l) => l.name)).toEqual(['edge-1']);
      // the scheduler places an edge-only tpu function on it
      const topo = c.state.get('topology')!;
      const snap = buildSnapshot(JSON.parse(topo) as ReturnType<typeof localCluster>);
      const r = schedule(snap, profileByName('edge-ai'), requirementsFromSpec(fnSpec(['tpu'], ['edge'])));
      expect(r.node).toBe('edge-1');
    } finally {
      await c.down();
      c.close();
      rmSync(home, { recursive: true, force: true });
    }
  });
});
