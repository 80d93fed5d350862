/**
 * A strict data policy holds at reschedule (README "Policies, enacted"), on a real process-backend
 * cluster: a function that may run on an edge or a cloud node, but whose data may not leave the
 * `local` network, moves to the other edge node when its node dies, and when both edge nodes are
 * gone it is not placed on cloud-1 (the one node its node types still allow): it waits, saying
 * why, and no byte of its data crosses to the cloud.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Controller } from './controller';
import { until } from './testing/until';

const AUDIT = `import { consumes, policy, type Data, type Request } from 'edge-ai-studio/sdk';
export class Audit {
  @consumes.data({ selector: { urn: 'vault:records' } })
  @policy.data({ network: 'local', strict: true })
  @policy.fn({ node: ['edge', 'cloud'] })
  async audit(data: Data, request: Request) {
    return { rows: data.length };
  }
}
`;

describe('strict data at reschedule (process backend)', () => {
  const root = mkdtempSync(join(tmpdir(), 'edgeai-strict-'));
  let c: Controller;
  const placement = () => c.status().deployments.find((d) => d.workflow === 'vault')!.functions.find((f) => f.id === 'audit')!;
  const cloudBytes = () => c.status().links.filter((l) => /cloud|internet/.test(l.link)).reduce((s, l) => s + l.bytes, 0);

  beforeAll(async () => {
    const dir = join(root, 'vault');
    mkdirSync(join(dir, 'functions'), { recursive: true });
    mkdirSync(join(dir, 'data'), { recursive: true });
    writeFileSync(join(dir, 'data', 'records.csv'), 'user,value\nalice,1\nbob,2\n');
    writeFileSync(join(dir, 'functions', 'audit.ts'), AUDIT);
    writeFileSync(join(dir, 'workflow.json'), JSON.stringify({ name: 'vault', version: 1, triggers: [], dataSources: [{ urn: 'vault:records', type: 'table', tags: [], format: 'csv', source: { kind: 'file', path: 'data/records.csv' } }] }));
    c = await Controller.open({ home: join(root, 'home'), cluster: 'strict', triggers: 'off' });
    await c.up({ backend: 'process', topology: 'local' });
    const d = await c.deploy(dir);
    expect(d.functions.map((f) => [f.id, f.status])).toEqual([['audit', 'ready']]);
  }, 120_000);

  afterAll(async () => {
    if (c) {
      await c.down().catch(() => undefined);
      c.close();
    }
    rmSync(root, { recursive: true, force: true });
  }, 60_000);

  it('moves to the other edge node, and never to the cloud when no allowed node is left', async () => {
    const first = placement().node!;
    expect(['edge-1', 'edge-2']).toContain(first);
    expect((await c.invoke('vault', 'audit')).output).toEqual({ rows: 2 });
    const before = cloudBytes();

    await c.killNode(first);
    const second = await until('audit rescheduled', () => {
      const p = placement();
      return p.node !== first && p.status === 'ready' && (p.node as string);
    }, 20_000);
    expect(second).toBe(first === 'edge-1' ? 'edge-2' : 'edge-1');
    expect((await c.invoke('vault', 'audit')).output).toEqual({ rows: 2 });

    await c.killNode(second);
    const stuck = await until('audit without a node', () => {
      const p = placement();
      return p.node !== second && p.status !== 'ready' && p;
    }, 20_000);
    // cloud-1 is Ready and its node types allow it; the strict data policy does not
    expect(c.status().nodes.find((n) => n.name === 'cloud-1')!.status).toBe('Ready');
    expect(stuck.node).not.toBe('cloud-1');
    console.log(`[strict-reschedule] audit without an allowed node: ${stuck.status}: ${stuck.reason}`);
    expect(stuck.reason ?? '').toMatch(/strict|network/i);
    const e = await c.invoke('vault', 'audit').then(
      () => undefined,
      (x: unknown) => x as Error,
    );
    expect(e).toBeInstanceOf(Error);
    expect(cloudBytes()).toBe(before);
  }, 120_000);
});
