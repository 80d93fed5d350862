/**
 * A Coral stick gone under a run (issue 14, item 3), as the controller sees it from its agents
 * (fake agents, runtime/testing/fake-agent.ts; the agent's side — the watcher noticing the unplug
 * on a fake sysfs tree — is agent/tflite-service.test.ts): the run fails with the agent's reason,
 * it is not retried on the stick-less node, and the function is placed again without that node:
 * on another node with a tpu, or nowhere, saying why.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Controller } from '../controller';
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
