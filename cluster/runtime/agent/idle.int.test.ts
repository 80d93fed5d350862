/**
 * Idle workers retire (README: "idle ones retire after 300 s"), on a real process-backend
 * cluster with the idle time set short through EDGEAI_IDLE_MS (read by every agent at `cluster
 * up`; docker passes it as --idle-ms): a warm worker that is not used for that long is stopped
 * and its agent says why; the next invocation starts cold and answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Controller } from '../controller';
import { AgentClient } from './client';
import { readClusterSecret } from './secret';

const IDLE_MS = 800;
process.env.EDGEAI_IDLE_MS = String(IDLE_MS);

const made: string[] = [];
const tmp = (p: string) => {
  const d = mkdtempSync(join(tmpdir(), p));
  made.push(d);
  return d;
};

const ECHO = `import { policy, type Request } from 'edge-ai-studio/sdk';

export class Echo {
  @policy.fn({ node: 'edge' })
  async echo(request: Request) {
    return { echo: request.input ?? null, pid: process.pid };
  }
}
`;

describe('idle workers retire after EDGEAI_IDLE_MS (process backend)', () => {
  let c: Controller;
  let home: string;
  const cluster = `idle-${process.pid}`;

  beforeAll(async () => {
    home = tmp('edgeai-idle-home-');
    c = await Controller.open({ home, cluster, triggers: 'off' });
    await c.up({ backend: 'process', topology: 'local' });
    const dir = join(tmp('edgeai-idle-'), 'idle');
    mkdirSync(join(dir, 'functions'), { recursive: true });
    writeFileSync(join(dir, 'workflow.json'), JSON.stringify({ name: 'idle', version: 1, dataSources: [], triggers: [] }));
    writeFileSync(join(dir, 'functions', 'echo.ts'), ECHO);
    const d = await c.deploy(dir);
    expect(d.functions.filter((f) => f.status !== 'ready')).toEqual([]);
  }, 180_000);

  afterAll(async () => {
    if (c) {
      await c.down().catch(() => undefined);
      c.close();
    }
    delete process.env.EDGEAI_IDLE_MS;
    for (const d of made) rmSync(d, { recursive: true, force: true });
  }, 120_000);

  it('a worker unused for the idle time is stopped, and the next call starts a new one', async () => {
    const first = await c.invoke('idle', 'echo', { input: 1 });
    const node = first.node;
    const n = c.status().nodes.find((x) => x.name === node)!;
    const client = new AgentClient(node, n.port!, readClusterSecret(c.dir)!, n.host!);
    expect((await client.health()).limits?.invokeTimeoutMs).toBeGreaterThan(0);
    const workers = async () => (await client.health()).functions.find((f) => f.workflow === 'idle' && f.id === 'echo')?.workers ?? 0;
    expect(await workers()).toBe(1);
    const t0 = Date.now();
    while ((await workers()) > 0) {
      if (Date.now() - t0 > IDLE_MS + 5000) throw new Error(`the idle worker was not retired within ${IDLE_MS + 5000} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
    // not before the idle time
    expect(Date.now() - t0).toBeGreaterThanOrEqual(IDLE_MS - 300);
    const log = readFileSync(join(home, 'clusters', cluster, 'nodes', node, 'agent.log'), 'utf8');
    expect(log).toMatch(new RegExp(`stopped worker ${(first.output as { pid: number }).pid} of idle/echo: idle for \\d`));
    const again = await c.invoke('idle', 'echo', { input: 2 });
    expect(again.cold).toBe(true);
    expect((again.output as { pid: number }).pid).not.toBe((first.output as { pid: number }).pid);
  }, 60_000);
});
