/**
 * A Coral stick gone under a run (issue 14, item 3), as the controller sees it from its agents
 * (fake agents, runtime/testing/fake-agent.ts; the agent's side — the watcher noticing the unplug
 * on a fake sysfs tree — is agent/tflite-service.test.ts): the run fails with the agent's reason,
 * it is not retried on the stick-less node, and the function is placed again without that node:
 * on another node with a tpu, or nowhere, saying why. The node loses tpu the way a stick its
 * agent saw leave takes it (Controller.followSticks): every function there that needs tpu moves
 * off it, not only the one whose run failed; and the agent's next heartbeat report, which has not
 * changed (or is a new agent's first), does not give the tpu back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Controller } from '../controller';
import type { StickPresence } from '../agent/protocol';
import { until } from '../testing/until';
import { FakeBackend } from '../testing/fake-agent';
import { tempDirs } from '../testing/temp';
import { tpuProject } from '../testing/tpu-project';
import { rejects } from '../testing/rejects';
import { localCluster } from '../../topology/scenarios';


const tmp = tempDirs();

function project(): string {
  return tpuProject(tmp('edgeai-gone-'));
}

describe('a stick gone under a run', () => {
  let c: Controller;
  let fb: FakeBackend;
  const gone = new Set<string>();
  beforeAll(async () => {
    fb = new FakeBackend().handle('look', (_body, agent) =>
      gone.has(agent.node) ? { error: { code: 'accelerator-gone', message: `look failed on ${agent.node}: the Coral USB Accelerator of node ${agent.node} is gone (unplugged while a model ran on it)`, hint: 'plug the stick in again' }, status: 500 } : { output: { seen: true } },
    );
    const topology = localCluster();
    for (const n of topology.nodes) if (n.name === 'edge-1' || n.name === 'edge-2') n.capabilities = [...new Set([...(n.capabilities ?? []), 'tpu'])];
    c = await Controller.open({ home: tmp('edgeai-gone-home-'), cluster: 'gone', backend: () => fb, timeScale: 0 });
    await c.up({ topology });
  });
  afterAll(async () => {
    await c.down();
    c.close();
  });

  it('fails the run with the reason and places the function on the other tpu node; with none left, says it could not', async () => {
    const r = await c.deploy(project());
    const first = r.functions[0].node!;
    expect(first).toMatch(/^edge-[12]$/);
    const other = first === 'edge-1' ? 'edge-2' : 'edge-1';
    gone.add(first);
    const e = await rejects(c.invoke('sticks', 'look'));
    expect(e.code).toBe('accelerator-gone');
    expect(e.message).toMatch(new RegExp(`the Coral USB Accelerator of node ${first} is gone .*; look was placed again: on ${other}`));
    const run = c.runs({ workflow: 'sticks', function: 'look', limit: 1 })[0];
    expect(run).toMatchObject({ status: 'failed', node: first, attempts: 1 });
    expect(JSON.parse(run.error!)).toMatchObject({ code: 'accelerator-gone' });
    // the node has no tpu now (StickBook): status says so, and nothing with capability tpu goes there
    expect(c.status().nodes.find((n) => n.name === first)!.capabilities).not.toContain('tpu');
    // the next run goes where the function went
    expect((await c.invoke('sticks', 'look')).node).toBe(other);

    gone.add(other);
    const e2 = await rejects(c.invoke('sticks', 'look'));
    expect(e2.message).toMatch(/look could not be placed again: /);
  });
});

/** Two functions that need tpu, in one file: `look` and `peek`. */
function twoTpuFunctions(parent: string): string {
  const dir = join(parent, 'pair');
  mkdirSync(join(dir, 'functions'), { recursive: true });
  writeFileSync(join(dir, 'workflow.json'), JSON.stringify({ name: 'pair', version: 1, dataSources: [], triggers: [] }));
  writeFileSync(
    join(dir, 'functions', 'pair.ts'),
    `import { policy, type Request } from 'edge-ai-studio/sdk';
export class Pair {
  @policy.fn({ capability: 'tpu' })
  async look(request: Request) {
    return { seen: true };
  }

  @policy.fn({ capability: 'tpu' })
  async peek(request: Request) {
    return { peeked: true };
  }
}
`,
  );
  return dir;
}

/** What the laptop's agent says of its sticks (GET /health?sticks=1): a Coral present. */
function presence(since: string, generation: number): StickPresence {
  return {
    sysfsRoot: '/fake/sys',
    since,
    generation,
    sticks: [{ kind: 'coral', capability: 'tpu', state: 'ready', vendorId: '18d1', productId: '9302', port: '1-1.2', devPath: '/dev/bus/usb/001/006' }],
    lost: [],
    edgetpu: { ready: false, missing: 'library', reason: 'the Edge TPU runtime is missing: libedgetpu.so.1 is not in /fake/lib', hint: 'install it' },
  };
}

describe('a stick gone under a run takes the node\'s tpu from all its functions', () => {
  let c: Controller;
  let fb: FakeBackend;
  const gone = new Set<string>();
  const answer = (fn: string) => (_body: unknown, agent: { node: string }) =>
    gone.has(agent.node) ? { error: { code: 'accelerator-gone', message: `${fn} failed on ${agent.node}: the Coral USB Accelerator of node ${agent.node} is gone (unplugged while a model ran on it)`, hint: 'plug the stick in again' }, status: 500 } : { output: { fn } };
  const placed = (fn: string) => c.status().deployments.find((d) => d.workflow === 'pair')!.functions.find((f) => f.id === fn)!;
  const capsOf = (node: string) => c.status().nodes.find((n) => n.name === node)!.capabilities;

  beforeAll(async () => {
    fb = new FakeBackend().handle('look', answer('look')).handle('peek', answer('peek'));
    // the laptop has a Coral, attached at up (as accelerators/attach.ts withAccelerators labels it); no other node has a tpu
    const topology = localCluster();
    const laptop = topology.nodes.find((n) => n.name === 'laptop')!;
    laptop.capabilities = [...new Set([...laptop.capabilities, 'tpu'])];
    laptop.labels = { ...laptop.labels, 'accelerator/coral': '1' };
    c = await Controller.open({ home: tmp('edgeai-gone-all-home-'), cluster: 'gone-all', backend: () => fb, timeScale: 0, heartbeatMs: 100 });
    await c.up({ topology });
    fb.agents.get('laptop')!.sticks = presence('2026-12-02T10:00:00.000Z', 0);
    await c.heartbeat();
  });
  afterAll(async () => {
    await c.down();
    c.close();
  });

  it('both tpu functions leave the laptop when one run meets the gone stick', async () => {
    const r = await c.deploy(twoTpuFunctions(tmp('edgeai-gone-all-')));
    expect(r.functions.map((f) => [f.id, f.status, f.node]).sort()).toEqual([['look', 'ready', 'laptop'], ['peek', 'ready', 'laptop']]);
    gone.add('laptop');
    const e = await rejects(c.invoke('pair', 'look'));
    expect(e.code).toBe('accelerator-gone');
    expect(e.message).toMatch(/look could not be placed again: laptop has no tpu now \(its stick is gone\) and no other node will do/);
    expect(capsOf('laptop')).not.toContain('tpu');
    // peek never ran, but it needs tpu too: it left the laptop with look, saying why
    const peek = await until('peek to leave the laptop', () => (placed('peek').node === null ? placed('peek') : undefined), 5_000).catch(() => placed('peek'));
    expect(peek).toMatchObject({ node: null, status: 'failed', reason: expect.stringMatching(/laptop has no tpu now \(its stick is gone\).*goes back to laptop when the stick is plugged in again/s) });
  });

  it('accelerator-gone, then the agent\'s unchanged report (and a new agent\'s first) leave the tpu gone; a change it saw gives it back', async () => {
    expect(capsOf('laptop')).not.toContain('tpu');
    // the same report as before the gone (same since, same generation): nothing it saw changed
    await c.heartbeat();
    await c.heartbeat();
    expect(capsOf('laptop')).not.toContain('tpu');
    expect(c.status().nodes.find((n) => n.name === 'laptop')!.accelerators!.lines[0]).toMatch(/^tpu: lost since .*accelerator-gone.*; its agent sees one again: unplug it and plug it in/);
    // an agent that restarted: its first report sees the stick — a baseline, not a stick seen coming back
    fb.agents.get('laptop')!.sticks = presence('2026-12-02T11:00:00.000Z', 0);
    await c.heartbeat();
    await c.heartbeat();
    expect(capsOf('laptop')).not.toContain('tpu');
    expect(placed('look').node).toBeNull();
    // it saw the stick leave and come back (unplugged and plugged in again): the tpu and both functions return
    gone.delete('laptop');
    fb.agents.get('laptop')!.sticks = { ...presence('2026-12-02T11:00:00.000Z', 2), changedAt: '2026-12-02T11:05:00.000Z' };
    await c.heartbeat();
    expect(capsOf('laptop')).toContain('tpu');
    await until('look and peek back on the laptop', () => placed('look').node === 'laptop' && placed('peek').node === 'laptop' && placed('peek').status === 'ready');
    expect((await c.invoke('pair', 'peek')).node).toBe('laptop');
  });
});
