/**
 * The data and model triggers the README promises, enacted by a controller against fake agents
 * (runtime/testing/fake-agent.ts): a `data` trigger with `batch: 3` fires once per three matching
 * artifacts (not before, and the fourth starts the next batch), a triggered function whose urn
 * template matches the arriving artifact gets its parameters from it (`cam:{site}:frame` ←
 * `cam:north:frame` gives site=north), and a `model` trigger fires on each new matching model
 * — whoever published it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Controller } from '../controller';
import { FakeBackend } from '../testing/fake-agent';
import type { InvokeBody } from '../agent/protocol';
import { sha256Hex } from '../../registry/blobs';

const made: string[] = [];
const tmp = (p: string) => {
  const d = mkdtempSync(join(tmpdir(), p));
  made.push(d);
  return d;
};
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

const FUNCTIONS = `import { consumes, produces, policy, type Data, type Model, type Request } from 'edge-ai-studio/sdk';

export class Cam {
  /** one site's frames */
  @consumes.data({ selector: { urn: 'cam:{site}:frame' } })
  @policy.fn({ node: 'edge' })
  async count(frames: Data, request: Request) {
    return { site: request.params.site };
  }

  @produces.model({ type: 'classifier', urn: 'cam:model', tags: [] })
  @policy.fn({ node: 'cloud' })
  async train(request: Request) {
    return { model: null as never, metrics: {} };
  }

  @consumes.model({ selector: { urn: 'cam:model' } })
  @policy.fn({ node: 'edge' })
  async refresh(model: Model, request: Request) {
    return { refreshed: true };
  }
}
`;

function project(): string {
  const dir = join(tmp('edgeai-trig-'), 'cam');
  mkdirSync(join(dir, 'functions'), { recursive: true });
  writeFileSync(join(dir, 'functions', 'cam.ts'), FUNCTIONS);
  writeFileSync(
    join(dir, 'workflow.json'),
    JSON.stringify({
      name: 'cam',
      version: 1,
      dataSources: [],
      triggers: [
        { kind: 'data', id: 'frames', function: 'count', selector: { urn: 'cam:*:frame' }, batch: 3 },
        { kind: 'model', id: 'new-model', function: 'refresh', selector: { urn: 'cam:model' } },
      ],
    }),
  );
  return dir;
}

describe('data and model triggers (fake agents)', () => {
  let c: Controller;
  const calls: Array<{ fn: string; params: Record<string, string>; inputs: string[] }> = [];
  const record = (body: InvokeBody) => calls.push({ fn: body.fn.id, params: body.request.params, inputs: body.inputs.map((i) => `${i.artifact.urn}@${i.artifact.version}`) });
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const until = async (what: string, ok: () => boolean, ms = 5000) => {
    const t0 = Date.now();
    while (!ok()) {
      if (Date.now() - t0 > ms) throw new Error(`${what}: not within ${ms} ms`);
      await sleep(10);
    }
  };
  const csv = (text: string, source: string) => {
    const bytes = Buffer.from(text);
    return { bytes, format: 'csv', sha256: sha256Hex(bytes), source: `file:${source}` };
  };
  const frame = (site: string, n: number) => c.publishData(csv(`x\n${n}\n`, `${site}-${n}.csv`), { urn: `cam:${site}:frame`, type: 'table', tags: [] });

  beforeAll(async () => {
    const fb = new FakeBackend()
      .handle('count', (b) => (record(b), { output: { site: b.request.params.site } }))
      .handle('refresh', (b) => (record(b), { output: { refreshed: true } }))
      .handle('train', (b) => (record(b), { output: {}, produced: [{ kind: 'model', urn: 'cam:model', type: 'classifier', format: 'tfjs-layers', bytes: `model-${Math.random()}` }] }));
    c = await Controller.open({ home: tmp('edgeai-trig-home-'), cluster: 'trig', backend: () => fb, timeScale: 0, heartbeatMs: 50, notReadyAfterMs: 1000 });
    await c.up({ topology: 'local' });
    const d = await c.deploy(project());
    expect(d.functions.filter((f) => f.status !== 'ready')).toEqual([]);
  });

  afterAll(async () => {
    await c.down();
    c.close();
  });

  it('a data trigger with batch 3 fires once per three matching artifacts, with the parameters of the last one', async () => {
    await frame('north', 1);
    await frame('north', 2);
    await sleep(300); // several trigger scans: two of three is not a batch
    expect(calls.filter((x) => x.fn === 'count')).toEqual([]);
    await frame('north', 3);
    await until('count fired', () => calls.some((x) => x.fn === 'count'));
    const first = calls.filter((x) => x.fn === 'count');
    expect(first).toHaveLength(1);
    // cam:{site}:frame ← cam:north:frame: site=north, and the function got that site's frame
    expect(first[0].params).toEqual({ site: 'north' });
    expect(first[0].inputs).toEqual(['cam:north:frame@3']);
    // the agent answered; the controller records the run as it takes the answer
    await until('the run recorded ok', () => c.runs({ workflow: 'cam', function: 'count', limit: 1 })[0]?.status === 'ok');
    // the fourth frame starts the next batch; a non-matching artifact does not count
    await frame('south', 1);
    await c.publishData(csv('x\n1\n', 'other.csv'), { urn: 'cam:south:other', type: 'table', tags: [] });
    await sleep(300);
    expect(calls.filter((x) => x.fn === 'count')).toHaveLength(1);
    await frame('south', 2);
    await frame('south', 3);
    await until('count fired again', () => calls.filter((x) => x.fn === 'count').length === 2);
    expect(calls.filter((x) => x.fn === 'count')[1]).toEqual({ fn: 'count', params: { site: 'south' }, inputs: ['cam:south:frame@3'] });
  });

  it('a model trigger fires on each new matching model', async () => {
    for (let i = 1; i <= 2; i++) {
      const a = await c.invoke('cam', 'train');
      expect(a.produced).toEqual([`cam:model@${i}`]);
      await until(`refresh fired for model ${i}`, () => calls.filter((x) => x.fn === 'refresh').length === i);
    }
    const refreshes = calls.filter((x) => x.fn === 'refresh');
    expect(refreshes.map((x) => x.inputs)).toEqual([['cam:model@1'], ['cam:model@2']]);
  });
});
