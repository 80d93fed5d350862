/**
 * A node that loses its stick loses its capability (issue 14, item 3): `cluster up` attaches the
 * Coral of this host (a fake sysfs tree: this machine has no USB bus) to the laptop; the watcher
 * of the host's sticks (accelerators/watch.ts, wired as the studio's service wires it:
 * Controller.localAccelerators on each attach and detach) sees it unplugged, and the running
 * topology drops the laptop's tpu and accelerator/coral label — `cluster status` lists it without
 * tpu, the tpu function deployed there moves off it (here: nowhere to go, so it fails saying why)
 * and a new deploy has nowhere to put it; plugged in again (in its bootloader state, as a
 * Coral comes back), both return and the function goes back there. An agent's accelerator-gone
 * does the same for its node (the other direction of accelerator-gone.test.ts). Fake agents
 * (runtime/testing/fake-agent.ts): nothing here needs a node process.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Controller, type ClusterEvent } from '../controller';
import { FakeBackend } from '../testing/fake-agent';
import { tempDirs } from '../testing/temp';
import { tpuProject } from '../testing/tpu-project';
import { until } from '../testing/until';
import { rejects } from '../testing/rejects';
import { localCluster } from '../../topology/scenarios';
import { coralBootloader, coralReady, FakeSysfs } from '../../accelerators/testing/fake-sysfs';
import { attachLocalAccelerators } from '../../accelerators/attach';
import { discoverAccelerators } from '../../accelerators/discover';
import { watchAccelerators, type StopWatching } from '../../accelerators/watch';
import { attachedSticks, withSticks } from './accelerators';


const tmp = tempDirs();

let dir: string | undefined;
function project(): string {
  return (dir ??= tpuProject(tmp('edgeai-plug-')));
}

describe('withSticks (the topology rule)', () => {
  it('a kind at 0 loses its label and, when no other stick gives it, its capability; back at 1 both return; other kinds and nodes stay', () => {
    const t = localCluster();
    const laptop = t.nodes.find((n) => n.name === 'laptop')!;
    laptop.capabilities = [...laptop.capabilities, 'tpu', 'vpu'];
    laptop.labels = { ...laptop.labels, 'accelerator/coral': '1', 'accelerator/ncs2': '1' };
    expect(attachedSticks(t)).toEqual({ laptop: { coral: 1, ncs2: 1 } });
    const without = withSticks(t, 'laptop', { coral: 0 });
    const l = without.nodes.find((n) => n.name === 'laptop')!;
    expect(l.capabilities).not.toContain('tpu');
    expect(l.capabilities).toContain('vpu');
    expect(l.labels['accelerator/coral']).toBeUndefined();
    expect(l.labels['accelerator/ncs2']).toBe('1');
    expect(laptop.labels['accelerator/coral']).toBe('1'); // not mutated
    expect(without.nodes.filter((n) => n.name !== 'laptop')).toEqual(t.nodes.filter((n) => n.name !== 'laptop'));
    const back = withSticks(without, 'laptop', { coral: 1 }).nodes.find((n) => n.name === 'laptop')!;
    expect([back.capabilities.includes('tpu'), back.labels['accelerator/coral']]).toEqual([true, '1']);
  });
});

describe('a node that loses its stick loses its capability', () => {
  let c: Controller;
  let fs: FakeSysfs;
  let stop: StopWatching | undefined;
  const gone = new Set<string>();
  const events: ClusterEvent[] = [];
  /** what the watcher reported */
  const plugs: string[] = [];
  const capsOf = (node: string) => c.status().nodes.find((n) => n.name === node)!.capabilities;

  beforeAll(async () => {
    fs = new FakeSysfs();
    fs.plug(coralReady('1-1.2', 6));
    const fb = new FakeBackend().handle('look', (_body, agent) =>
      gone.has(agent.node) ? { error: { code: 'accelerator-gone', message: `look failed on ${agent.node}: the Coral USB Accelerator of node ${agent.node} is gone (unplugged while a model ran on it)`, hint: 'plug the stick in again' }, status: 500 } : { output: { seen: true } },
    );
    const discover = { sysfsRoot: fs.sysfsRoot, devRoot: fs.devRoot };
    const joined = attachLocalAccelerators(localCluster(), 'laptop', discover);
    expect(joined.attached).toHaveLength(1);
    c = await Controller.open({ home: tmp('edgeai-plug-home-'), cluster: 'plug', backend: () => fb, timeScale: 0 });
    c.on('event', (e: ClusterEvent) => events.push(e));
    await c.up({ topology: joined.topology });
    // as the studio's service does (server/service.ts watchAccelerators)
    stop = watchAccelerators({ ...discover, intervalMs: 20 }, (e) => {
      plugs.push(e.type);
      if (e.type !== 'changed') c.localAccelerators(discoverAccelerators(discover));
    });
  });
  afterAll(async () => {
    stop?.();
    await c?.down();
    c?.close();
    fs?.dispose();
  });

  it('unplugged: the laptop has no tpu (status, events, the scheduler); plugged in again: it has, and the tpu function deploys there', async () => {
    expect(capsOf('laptop')).toContain('tpu');
    expect((await c.deploy(project())).functions[0]).toMatchObject({ status: 'ready', node: 'laptop' });

    fs.unplug('1-1.2');
    await until('the laptop to lose tpu', () => !capsOf('laptop').includes('tpu'));
    expect(events).toContainEqual(expect.objectContaining({ type: 'node', node: 'laptop', reason: expect.stringMatching(/its Coral USB Accelerator is unplugged: capabilities now/) }));
    expect(events).toContainEqual(expect.objectContaining({ type: 'progress', message: expect.stringMatching(/^node laptop: its Coral USB Accelerator is unplugged/) }));
    // the deployed tpu function moves off the laptop: no other node has a tpu, so it fails saying why
    const placed = () => c.status().deployments.find((d) => d.workflow === 'sticks')!.functions.find((f) => f.id === 'look')!;
    const waiting = await until('look to leave the laptop', () => (placed().node === null ? placed() : undefined));
    expect(waiting).toMatchObject({ status: 'failed', reason: expect.stringMatching(/laptop has no tpu now \(its stick is gone\) and no other node will do: .*goes back to laptop when the stick is plugged in again/s) });
    const none = await c.deploy(project());
    expect(none.functions[0]).toMatchObject({ status: 'failed', node: null, reason: expect.stringMatching(/tpu/) });

    // a Coral comes back in its bootloader state (1a6e:089a), with another device number: the function goes back
    fs.plug(coralBootloader('1-1.2', 9));
    await until('the laptop to get tpu back', () => capsOf('laptop').includes('tpu'));
    expect(events).toContainEqual(expect.objectContaining({ type: 'node', node: 'laptop', reason: expect.stringMatching(/plugged in again: capabilities now .*tpu/) }));
    await until('look to be back on the laptop', () => placed().node === 'laptop' && placed().status === 'ready').catch((e: Error) => { throw new Error(`${e.message}: ${JSON.stringify(placed())}`); });
    expect((await c.invoke('sticks', 'look')).node).toBe('laptop');
    expect((await c.deploy(project())).functions[0]).toMatchObject({ status: 'ready', node: 'laptop' });
    expect(c.status().topology).toBe('local');
  });

  it('an accelerator-gone answer takes the node\'s tpu too; the watcher gives it back when the stick is seen again', async () => {
    expect((await c.deploy(project())).functions[0]).toMatchObject({ status: 'ready', node: 'laptop' });
    gone.add('laptop');
    const e = await rejects(c.invoke('sticks', 'look'));
    expect(e.code).toBe('accelerator-gone');
    expect(e.message).toMatch(/look could not be placed again/);
    expect(capsOf('laptop')).not.toContain('tpu');
    gone.delete('laptop');
    // the watcher sees the stick again (unplugged — the laptop has no tpu already — and plugged)
    const detached = plugs.filter((p) => p === 'detached').length;
    fs.unplug('1-1.2');
    await until('the unplug to be seen', () => plugs.filter((p) => p === 'detached').length > detached);
    expect(capsOf('laptop')).not.toContain('tpu');
    fs.plug(coralReady('1-1.2', 10));
    await until('the laptop to get tpu back', () => capsOf('laptop').includes('tpu'));
    expect((await c.deploy(project())).functions[0]).toMatchObject({ status: 'ready', node: 'laptop' });
    expect((await c.invoke('sticks', 'look')).node).toBe('laptop');
  });
});

describe('an agent whose first report lacks the stick attached at up', () => {
  it('the node loses tpu at that report (its starting point is what up attached); a report that sees it come back gives tpu back', async () => {
    const fb = new FakeBackend();
    const topology = localCluster();
    const laptop = topology.nodes.find((n) => n.name === 'laptop')!;
    laptop.capabilities = [...new Set([...laptop.capabilities, 'tpu'])];
    laptop.labels = { ...laptop.labels, 'accelerator/coral': '1' };
    const c = await Controller.open({ home: tmp('edgeai-first-home-'), cluster: 'first', backend: () => fb, timeScale: 0 });
    try {
      await c.up({ topology });
      const base = { sysfsRoot: '/fake/sys', since: '2026-12-02T10:00:00.000Z', lost: [], edgetpu: { ready: false, missing: 'stick' as const, reason: 'no Coral USB Accelerator is plugged in', hint: 'plug it in' } };
      // the stick left before the agent first looked: its baseline (generation 0) has none
      fb.agents.get('laptop')!.sticks = { ...base, generation: 0, sticks: [] };
      await c.heartbeat();
      const node = () => c.status().nodes.find((n) => n.name === 'laptop')!;
      expect(node().capabilities).not.toContain('tpu');
      expect(node().accelerators!.lines[0]).toBe('tpu: lost since 2026-12-02T10:00:00.000Z (its Coral USB Accelerator is unplugged (it had one at up; its node agent does not see it))');
      // the same report again changes nothing; the stick seen plugged in (generation 1) gives tpu back
      await c.heartbeat();
      expect(node().capabilities).not.toContain('tpu');
      fb.agents.get('laptop')!.sticks = { ...base, generation: 1, changedAt: '2026-12-02T10:01:00.000Z', sticks: [{ kind: 'coral', capability: 'tpu', state: 'bootloader', vendorId: '1a6e', productId: '089a', port: '1-1.2', devPath: '/dev/bus/usb/001/007' }] };
      await c.heartbeat();
      expect(node().capabilities).toContain('tpu');
      expect(node().accelerators!.lost).toEqual([]);
    } finally {
      await c.down();
      c.close();
    }
  });
});

describe('an agent whose first look has not settled', () => {
  it('a stick missing from a baseline younger than the detach window is not taken as unplugged (it may be re-enumerating); once settled without it, it is', async () => {
    const fb = new FakeBackend();
    const topology = localCluster();
    const laptop = topology.nodes.find((n) => n.name === 'laptop')!;
    laptop.capabilities = [...new Set([...laptop.capabilities, 'tpu'])];
    laptop.labels = { ...laptop.labels, 'accelerator/coral': '1' };
    const c = await Controller.open({ home: tmp('edgeai-settle-home-'), cluster: 'settle', backend: () => fb, timeScale: 0 });
    try {
      await c.up({ topology });
      const base = { sysfsRoot: '/fake/sys', since: '2026-12-02T10:00:00.000Z', lost: [], edgetpu: { ready: false, missing: 'stick' as const, reason: 'no Coral USB Accelerator is plugged in', hint: 'plug it in' } };
      const coral = { kind: 'coral' as const, capability: 'tpu' as const, state: 'ready' as const, vendorId: '18d1', productId: '9302', port: '1-1.2', devPath: '/dev/bus/usb/001/008' };
      const node = () => c.status().nodes.find((n) => n.name === 'laptop')!;
      // the first look, while the Coral re-enumerates: no stick, not settled
      fb.agents.get('laptop')!.sticks = { ...base, generation: 0, settled: false, sticks: [] };
      await c.heartbeat();
      expect(node().capabilities).toContain('tpu');
      expect(node().accelerators!.lost).toEqual([]);
      // a scan later it is back under its new ids: an attach, still nothing lost
      fb.agents.get('laptop')!.sticks = { ...base, generation: 1, settled: false, changedAt: '2026-12-02T10:00:01.000Z', sticks: [coral] };
      await c.heartbeat();
      expect(node().capabilities).toContain('tpu');
      expect(node().accelerators!.lost).toEqual([]);

      // another node's agent whose stick really is gone: lost once its watch has settled without it
      await c.down();
      await c.up({ topology });
      fb.agents.get('laptop')!.sticks = { ...base, since: '2026-12-02T11:00:00.000Z', generation: 0, settled: false, sticks: [] };
      await c.heartbeat();
      expect(node().capabilities).toContain('tpu');
      fb.agents.get('laptop')!.sticks = { ...base, since: '2026-12-02T11:00:00.000Z', generation: 0, settled: true, sticks: [] };
      await c.heartbeat();
      expect(node().capabilities).not.toContain('tpu');
      expect(node().accelerators!.lines[0]).toMatch(/^tpu: lost since 2026-12-02T11:00:00.000Z \(its Coral USB Accelerator is unplugged/);
    } finally {
      await c.down();
      c.close();
    }
  });
});

describe('an unplug the host\'s watcher saw before the node\'s agent', () => {
  it('says lost, and not that its agent sees one again (the agent reports the unplug a few scans later)', async () => {
    const fb = new FakeBackend();
    const topology = localCluster();
    const laptop = topology.nodes.find((n) => n.name === 'laptop')!;
    laptop.capabilities = [...new Set([...laptop.capabilities, 'tpu'])];
    laptop.labels = { ...laptop.labels, 'accelerator/coral': '1' };
    const c = await Controller.open({ home: tmp('edgeai-stale-home-'), cluster: 'stale', backend: () => fb, timeScale: 0 });
    try {
      await c.up({ topology });
      // the agent's last report still has the stick (its watcher waits a few empty scans before a detach)
      fb.agents.get('laptop')!.sticks = { sysfsRoot: '/fake/sys', since: '2026-12-02T10:00:00.000Z', generation: 0, lost: [], edgetpu: { ready: false, missing: 'library', reason: 'no libedgetpu.so.1', hint: 'install it' }, sticks: [{ kind: 'coral', capability: 'tpu', state: 'ready', vendorId: '18d1', productId: '9302', port: '1-1.2', devPath: '/dev/bus/usb/001/006' }] };
      await c.heartbeat();
      expect(c.localAccelerators([])).toEqual(['laptop']);
      const line = c.status().nodes.find((n) => n.name === 'laptop')!.accelerators!.lines[0];
      expect(line).toMatch(/^tpu: lost since \S+ \(its Coral USB Accelerator is unplugged\)$/);
    } finally {
      await c.down();
      c.close();
    }
  });
});
