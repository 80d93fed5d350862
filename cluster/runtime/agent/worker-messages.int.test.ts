/**
 * Workers talk to their agent with structured clone (pool.ts: TensorFlow Lite tensors travel as
 * typed arrays), so a function that writes to its IPC channel itself can send what JSON could not
 * carry: a BigInt, a Map, a result of the wrong shape. The agent must fail that invocation and
 * keep serving (the trust boundary: nothing a function sends takes its node down).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Controller } from '../controller';
import { tempDirs } from '../testing/temp';
import { rejects } from '../testing/rejects';

const tmp = tempDirs();

const FORGER = `import { policy, type Request } from 'edge-ai-studio/sdk';
export class Forger {
  @policy.fn({ node: 'edge' })
  async forge(request: Request) {
    const kind = (request.input as { kind: string }).kind;
    const send = (process as unknown as { send(m: unknown): void }).send.bind(process);
    if (kind === 'bigint') send({ type: 'result', output: 10n, produced: [], gates: [], execMs: 1 });
    if (kind === 'map') send({ type: 'log', line: new Map([[1, 2]]) });
    if (kind === 'tflite') send({ type: 'tflite-run', call: 1, handle: 99, inputs: [] });
    await new Promise((r) => setTimeout(r, 2000));
    return { honest: true };
  }

  @policy.fn({ node: 'edge' })
  async fine(request: Request) {
    return { fine: true };
  }
}
`;

describe('a worker that sends the agent what it should not', () => {
  let c: Controller;
  beforeAll(async () => {
    const dir = join(tmp('edgeai-msg-'), 'forger');
    mkdirSync(join(dir, 'functions'), { recursive: true });
    writeFileSync(join(dir, 'workflow.json'), JSON.stringify({ name: 'forger', version: 1, dataSources: [], triggers: [] }));
    writeFileSync(join(dir, 'functions', 'forger.ts'), FORGER);
    c = await Controller.open({ home: tmp('edgeai-msg-home-'), cluster: `msg-${process.pid}`, triggers: 'off' });
    await c.up({ backend: 'process', topology: 'local' });
    const r = await c.deploy(dir);
    expect(r.functions.map((f) => f.status)).toEqual(['ready', 'ready']);
  }, 240_000);
  afterAll(async () => {
    if (c) {
      await c.down().catch(() => undefined);
      c.close();
    }
  }, 120_000);

  it('a result the agent cannot serialise fails the invocation; a log line that is not text is taken as text; a TensorFlow Lite call for a model it was not given is refused; the node keeps serving', async () => {
    const e = await rejects(c.invoke('forger', 'forge', { input: { kind: 'bigint' } }));
    expect(e.code).toBe('bad-worker-message');
    expect(e.message).toMatch(/sent a message the agent cannot take/);
    const m = await c.invoke('forger', 'forge', { input: { kind: 'map' } });
    expect(m.output).toEqual({ honest: true });
    const t = await c.invoke('forger', 'forge', { input: { kind: 'tflite' } });
    expect(t.output).toEqual({ honest: true });
    expect(t.modelRanOn).toBeUndefined();
    expect((await c.invoke('forger', 'fine')).output).toEqual({ fine: true });
    expect(c.status().nodes.filter((n) => n.status === 'Ready').length).toBe(4);
  }, 120_000);
});
