/**
 * The controller's deployer, mover, invoker, gates and triggers against fake agents
 * (runtime/testing/fake-agent.ts): every request the real agents get, answered as the test says,
 * in milliseconds. The real agents are the acceptance suites' (process.int.test.ts and others).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Controller } from '../controller';
import { FakeBackend } from '../testing/fake-agent';
import { planProject } from '../../app/plan';
import { loadProject } from '../../project/project';
import { topologyByName } from '../../topology/scenarios';
import { StudioError } from '../../common/errors';

const made: string[] = [];
const tmp = (p: string) => {
  const d = mkdtempSync(join(tmpdir(), p));
  made.push(d);
  return d;
};
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

const TRAIN = (v: number) => `import { consumes, produces, policy, gate, type Data, type Request } from 'edge-ai-studio/sdk';

export class Train {
  @consumes.data({ selector: { urn: 'lab:data' }, holdout: 0.25 })
  @produces.model({ type: 'classifier', urn: 'lab:model', tags: ['v${v}'] })
  @policy.fn({ node: 'cloud' })
  @gate.bias({ attribute: 'group', predicate: '>=0.8' })
  async train(data: Data, request: Request) {
    return { trained: ${v} };
  }
}
`;
const SERVE = `import { consumes, policy, gate, type Model, type Request } from 'edge-ai-studio/sdk';

export class Serve {
  @consumes.model({ selector: { type: 'classifier' } })
  @policy.fn({ node: 'edge' })
  @gate.drift({ metric: 'confidence', predicate: '<0.2', window: 3 })
  async serve(model: Model, request: Request) {
    return { confidence: 1 };
  }
}
`;

function project(): string {
  const dir = join(tmp('edgeai-ctl-'), 'lab');
  mkdirSync(join(dir, 'functions'), { recursive: true });
  mkdirSync(join(dir, 'data'), { recursive: true });
  writeFileSync(join(dir, 'data', 'rows.csv'), 'x,group,y\n' + Array.from({ length: 40 }, (_, i) => `${i},${i % 2 ? 'a' : 'b'},${i % 3}`).join('\n') + '\n');
  writeFileSync(join(dir, 'functions', 'train.ts'), TRAIN(1));
  writeFileSync(join(dir, 'functions', 'serve.ts'), SERVE);
  writeFileSync(
    join(dir, 'workflow.json'),
    JSON.stringify({
      name: 'lab',
      version: 1,
      dataSources: [{ urn: 'lab:data', type: 'table', tags: [], format: 'csv', source: { kind: 'file', path: 'data/rows.csv' } }],
      triggers: [{ kind: 'gate', id: 'retrain-on-drift', function: 'train', source: 'serve', gate: 'drift' }],
    }),
  );
  return dir;
}

const biasPass = { kind: 'bias' as const, metric: 'disparate_impact', value: 0.95, predicate: '>=0.8', pass: true, detail: 'per-group accuracy 0.9 / 0.95' };
const biasFail = { ...biasPass, value: 0.5, pass: false, detail: 'per-group accuracy 0.4 / 0.8' };

describe('the controller against fake agents', () => {
  let c: Controller;
  let fb: FakeBackend;
  let dir: string;
  let confidence = 0.9;
  let bias = biasPass;

  beforeAll(async () => {
    fb = new FakeBackend()
      .handle('train', () => ({ output: { trained: true }, produced: [{ kind: 'model', urn: 'lab:model', type: 'classifier', metrics: { accuracy: 0.9 }, format: 'tfjs-layers', bytes: `model-${Math.random()}` }], gates: [bias] }))
      .handle('serve', () => ({ output: { confidence } }));
    c = await Controller.open({ home: tmp('edgeai-ctl-home-'), cluster: 'fake', backend: () => fb, timeScale: 0, heartbeatMs: 50, notReadyAfterMs: 300 });
    await c.up({ topology: 'local' });
    dir = project();
  });

  afterAll(async () => {
    await c.down();
    c.close();
  });

  afterEach(() => {
    for (const a of fb.agents.values()) a.requests.length = 0;
    confidence = 0.9;
    bias = biasPass;
  });

  it('deploys each function where the plan says, shipping its bundle and warming one worker there', async () => {
    const r = await c.deploy(dir);
    const plan = planProject(loadProject(dir), topologyByName('local'), 'edge-ai');
    expect(Object.fromEntries(r.functions.map((f) => [f.id, `${f.status}@${f.node}`]))).toEqual(Object.fromEntries(plan.placements.map((p) => [p.function, `ready@${p.node}`])));
    for (const f of r.functions) expect(fb.agents.get(f.node!)!.requests).toEqual(expect.arrayContaining(['PUT /bundles/<sha>', 'POST /warm']));
    // no worker or bundle on a node nothing was placed on
    const used = new Set(r.functions.map((f) => f.node));
    for (const [name, a] of fb.agents) if (!used.has(name)) expect(a.requests.filter((x) => x !== 'GET /health')).toEqual([]);
  });

  it('invokes: moves the input over the emulated network, records the output with its lineage and the run with parts that add up', async () => {
    const a = await c.invoke('lab', 'train');
    expect(a.node).toBe('cloud-1');
    // the data source went from the registry's node (laptop) to cloud-1, counted on every link of the route
    expect(fb.agents.get('cloud-1')!.requests).toContain('PUT /blobs/<sha>');
    expect(c.status().links.map((l) => l.link)).toEqual(expect.arrayContaining(['laptop→local', 'local→internet', 'internet→cloud', 'cloud→cloud-1']));
    expect(a.produced).toEqual(['lab:model@1']);
    const model = c.registry.artifact('lab:model', 1)!;
    expect(model.lineage).toMatchObject({ function: 'lab/train', run: a.run, inputs: [{ urn: 'lab:data', version: 1 }] });
    expect(model.locations.map((l) => l.node)).toEqual(['cloud-1']);
    const t = a.timings;
    expect(t.queueMs + t.transferMs + t.coldStartMs + t.execMs + t.overheadMs).toBeCloseTo(t.totalMs, 5);
    expect(c.run(a.run)!.status).toBe('ok');
  });

  it('a failing bias gate blocks publication: the run is gate-failed, nothing is produced, no new version', async () => {
    bias = biasFail;
    const before = c.registry.versions('lab:model').length;
    const a = await c.invoke('lab', 'train');
    expect(a.gates).toEqual([expect.objectContaining({ kind: 'bias', pass: false })]);
    expect(a.produced).toEqual([]);
    expect(c.registry.versions('lab:model').length).toBe(before);
    expect(c.run(a.run)!.status).toBe('gate-failed');
    expect(JSON.parse(c.run(a.run)!.outputs)).toEqual([]);
  });

  it('a failing drift gate fires the workflow\'s gate trigger: retrain gets a run', async () => {
    const trains = () => c.runs({ workflow: 'lab', function: 'train', limit: 100 }).length;
    const before = trains();
    // the reference window (3 invocations at 0.9), then the confidence drops
    for (let i = 0; i < 3; i++) expect((await c.invoke('lab', 'serve')).gates[0]).toMatchObject({ kind: 'drift', pass: true });
    confidence = 0.1;
    let failed = false;
    for (let i = 0; i < 3 && !failed; i++) failed = (await c.invoke('lab', 'serve')).gates.some((g) => g.kind === 'drift' && !g.pass);
    expect(failed).toBe(true);
    const t0 = Date.now();
    while (trains() === before) {
      if (Date.now() - t0 > 5000) throw new Error('the gate trigger did not start train');
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(trains()).toBe(before + 1);
  });

  it('records what the spec declares, not what the worker says; a forged output records nothing (issue 11, item 7)', async () => {
    fb.handle('train', () => ({ output: {}, produced: [{ kind: 'model', urn: 'lab:model', type: 'regressor', tags: ['trusted', 'production'], data_tags: ['forged'], metrics: { accuracy: 0.9 }, bytes: `m-${Math.random()}` }], gates: [biasPass] }));
    const a = await c.invoke('lab', 'train');
    const m = c.registry.artifact('lab:model')!;
    expect(`${m.urn}@${m.version}`).toBe(a.produced[0]);
    expect([m.type, m.tags, m.data_tags]).toEqual(['classifier', ['v1'], []]);
    // another workflow's model, claimed by this function: refused, nothing recorded
    const before = c.registry.list({}).length;
    fb.handle('train', () => ({ output: {}, produced: [{ kind: 'model', urn: 'mnist:model', type: 'classifier', metrics: { accuracy: 0.99 }, bytes: 'x' }], gates: [biasPass] }));
    const e = (await c.invoke('lab', 'train').catch((x: unknown) => x)) as StudioError;
    expect(e.code).toBe('forged-output');
    expect(c.registry.list({}).length).toBe(before);
    expect(c.registry.artifact('mnist:model')).toBeUndefined();
    fb.handle('train', () => ({ output: { trained: true }, produced: [{ kind: 'model', urn: 'lab:model', type: 'classifier', metrics: { accuracy: 0.9 }, format: 'tfjs-layers', bytes: `model-${Math.random()}` }], gates: [bias] }));
  });

  it("an agent's deadline-exceeded is a deadline miss; another agent error keeps its code and message", async () => {
    fb.handle('serve', () => ({ error: { code: 'deadline-exceeded', message: 'aborted at its deadline' }, status: 504 }));
    const miss = await c.invoke('lab', 'serve').catch((e: unknown) => e);
    expect(miss).toBeInstanceOf(StudioError);
    expect((miss as StudioError).code).toBe('deadline-exceeded');
    expect(c.runs({ workflow: 'lab', function: 'serve', limit: 1 })[0].status).toBe('deadline-miss');
    fb.handle('serve', () => ({ error: { code: 'function-threw', message: 'serve: boom', hint: 'look at the logs' }, logs: ['boom'] }));
    const err = (await c.invoke('lab', 'serve').catch((e: unknown) => e)) as StudioError;
    expect([err.code, err.detail, err.hint]).toEqual(['function-threw', 'serve: boom', 'look at the logs']);
    const run = c.runs({ workflow: 'lab', function: 'serve', limit: 1 })[0];
    expect([run.status, JSON.parse(run.logs)]).toEqual(['failed', ['boom']]);
    fb.handle('serve', () => ({ output: { confidence } }));
  });

  it('a node that dies under an invocation: the invocation is retried once on another node, one answer', async () => {
    const first = c.state.placement('lab', 'serve')!.node!;
    fb.handle('serve', (_body, agent) => {
      if (agent.node === first) {
        setImmediate(() => void agent.kill());
        return new Promise(() => undefined); // never answers: the node is gone
      }
      return { output: { confidence: 0.9, on: agent.node } };
    });
    const a = await c.invoke('lab', 'serve');
    expect(a.attempts).toBe(2);
    expect(a.node).not.toBe(first);
    expect(a.output).toEqual({ confidence: 0.9, on: a.node });
    expect(c.state.placement('lab', 'serve')!.node).toBe(a.node);
  });

  it('changed: only the edited function ships a bundle; the other is asked to stay warm', async () => {
    // a fresh cluster: the previous test killed a node
    await c.down();
    await c.up({ topology: 'local' });
    await c.deploy(dir);
    for (const a of fb.agents.values()) a.requests.length = 0;
    writeFileSync(join(dir, 'functions', 'train.ts'), TRAIN(2));
    const r = await c.deploy(dir, { mode: 'changed' });
    const by = Object.fromEntries(r.functions.map((f) => [f.id, f.action]));
    expect(by).toEqual({ train: 'deployed', serve: 'unchanged' });
    const serveNode = r.functions.find((f) => f.id === 'serve')!.node!;
    expect(fb.agents.get(serveNode)!.requests.filter((x) => x !== 'GET /health')).toEqual(['POST /warm']);
    const trainNode = r.functions.find((f) => f.id === 'train')!.node!;
    expect(fb.agents.get(trainNode)!.requests).toContain('PUT /bundles/<sha>');
  });
});

describe('heartbeats are the nodes\', not the controller\'s (issue 11, item 9)', () => {
  let c: Controller;
  let fb: FakeBackend;
  let dir: string;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const until = async (what: string, ok: () => boolean, ms = 5000) => {
    const t0 = Date.now();
    while (!ok()) {
      if (Date.now() - t0 > ms) throw new Error(`${what}: not within ${ms} ms`);
      await sleep(10);
    }
  };

  beforeAll(async () => {
    fb = new FakeBackend()
      .handle('train', () => ({ output: { trained: true }, produced: [{ kind: 'model', urn: 'lab:model', type: 'classifier', metrics: { accuracy: 0.9 }, format: 'tfjs-layers', bytes: `model-${Math.random()}` }], gates: [biasPass] }))
      .handle('serve', () => ({ output: { confidence: 0.9 } }));
    c = await Controller.open({ home: tmp('edgeai-hb-home-'), cluster: 'hb', backend: () => fb, timeScale: 0, heartbeatMs: 50, notReadyAfterMs: 300, triggers: 'off' });
    await c.up({ topology: 'local' });
    dir = project();
    await c.deploy(dir);
  });

  afterAll(async () => {
    await c.down();
    c.close();
  });

  it('a controller whose event loop is blocked for seconds (a huge output parsed, a long write) does not read its stall as every node dead', async () => {
    const changes: string[] = [];
    const onEvent = (e: { type: string; node?: string; status?: string }) => e.type === 'node' && changes.push(`${e.node} ${e.status}`);
    c.on('event', onEvent);
    // blocked in 300 ms slices for 3 s, with just enough room between them for timers to fire
    // and heartbeats to go out, never for their answers to be read
    for (let i = 0; i < 10; i++) {
      await new Promise((r) => setImmediate(r));
      const t0 = Date.now();
      while (Date.now() - t0 < 300) {
        /* busy */
      }
    }
    await sleep(300); // several heartbeat rounds after the stall
    c.off('event', onEvent);
    expect(changes).toEqual([]);
    expect(c.status().nodes.map((n) => [n.name, n.status])).toEqual(c.status().nodes.map((n) => [n.name, 'Ready']));
    expect(c.status().deployments[0].functions.map((f) => f.status)).toEqual(['ready', 'ready']);
  });

  it('a node that does stop answering is NotReady; its function, which no other node can take, goes back to it when it answers again', async () => {
    const train = () => c.state.placement('lab', 'train')!;
    expect(train().node).toBe('cloud-1'); // @policy.fn({ node: 'cloud' }): the only cloud node
    await fb.agents.get('cloud-1')!.kill();
    await until('cloud-1 NotReady', () => c.status().nodes.find((n) => n.name === 'cloud-1')!.status === 'NotReady');
    await until('train failed', () => train().status === 'failed');
    expect(train().reason).toMatch(/cloud-1 is NotReady and no other node will do: .*it goes back to cloud-1 when cloud-1 answers again/s);
    await fb.agents.get('cloud-1')!.revive();
    await until('cloud-1 Ready', () => c.status().nodes.find((n) => n.name === 'cloud-1')!.status === 'Ready');
    await until('train ready again', () => train().status === 'ready');
    expect(train().node).toBe('cloud-1');
    expect((await c.invoke('lab', 'train')).node).toBe('cloud-1');
  });
});

describe('the runtime emulates transfer time (README: "moves the bytes … emulating bandwidth and latency")', () => {
  it('an input moved over the topology takes the time its route costs (docs/reference.md §5), scaled by timeScale, and the run records it', async () => {
    const { LinkModel } = await import('../transfer');
    for (const timeScale of [1, 0.5]) {
      const fb = new FakeBackend().handle('train', () => ({ output: { trained: true }, produced: [{ kind: 'model', urn: 'lab:model', type: 'classifier', metrics: {}, format: 'tfjs-layers', bytes: `m-${Math.random()}` }], gates: [biasPass] }));
      const c = await Controller.open({ home: tmp('edgeai-xfer-home-'), cluster: `xfer-${timeScale}`, backend: () => fb, timeScale, triggers: 'off' });
      try {
        await c.up({ topology: 'local' });
        await c.deploy(project());
        const data = c.registry.artifact('lab:data')!;
        // the data source is in the registry, on the laptop; train runs on cloud-1 (policy.fn cloud)
        const plan = new LinkModel(topologyByName('local')).plan('laptop', 'cloud-1', data.size);
        expect(plan.delayMs).toBeGreaterThan(10);
        const t0 = performance.now();
        const a = await c.invoke('lab', 'train');
        const wall = performance.now() - t0;
        expect(a.node).toBe('cloud-1');
        expect(a.timings.transferMs).toBeCloseTo(plan.delayMs * timeScale, 6);
        // it was waited for, not only written down
        expect(wall).toBeGreaterThanOrEqual(plan.delayMs * timeScale - 5);
        // a second call finds the bytes on the node: nothing moves, nothing is waited for
        expect((await c.invoke('lab', 'train')).timings.transferMs).toBe(0);
      } finally {
        await c.down();
        c.close();
      }
    }
  });
});
