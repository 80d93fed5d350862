/**
 * Nothing hangs and nothing is left running (issue 11, items 4, 10 and 11), on a real
 * process-backend cluster with short timeouts (so the file runs in seconds):
 * - a function without a deadline that never returns (awaiting forever, or spinning) is killed
 *   at the invocation timeout and the caller is told so;
 * - the agent kills the worker when the controller's request closes;
 * - a worker stuck while loading (its module's top level never returns) is killed and named, at
 *   deploy (warm) and at a cold invocation;
 * - a return value that is not JSON (a cycle, a BigInt) is an error that says so;
 * - a node runs at most its cap of workers (from its device profile's memory), queueing the rest
 *   and making room by stopping another function's idle worker;
 * - after an agent was SIGKILLed under a spinning worker, stopping the node (the same
 *   controller) or `cluster down` (a fresh one, as the CLI is) kills the worker it left.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Controller } from '../controller';
import { AgentClient, AgentRefused } from '../agent/client';
import { functionRef } from '../controller/invoker';
import type { StoredSpec } from '../controller/types';
import type { FunctionRef } from '../agent/protocol';
import { ProcessBackend } from '../backends/process';
import { readClusterSecret } from '../agent/secret';
import { dockerSkipReason } from '../testing/docker-skip';
import { rejects } from '../testing/rejects';
import { until } from '../testing/until';

// read by the invoker (each invocation) and by the agents (they inherit the environment of `cluster up`)
const INVOKE_TIMEOUT_MS = 2500;
// cold starts here take about a second, several at once on a busy 2-core machine up to 5 s
// long enough for a healthy worker to load on a loaded 2-core machine (tfjs' wasm start-up), short
// enough that the stuck ones are named within the test's time
const LOAD_TIMEOUT_MS = 15_000;
process.env.EDGEAI_INVOKE_TIMEOUT_MS = String(INVOKE_TIMEOUT_MS);
process.env.EDGEAI_LOAD_TIMEOUT_MS = String(LOAD_TIMEOUT_MS);

const made: string[] = [];
function tmp(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}

function project(name: string, files: Record<string, string>): string {
  const dir = join(tmp('edgeai-limits-'), name);
  mkdirSync(join(dir, 'functions'), { recursive: true });
  writeFileSync(join(dir, 'workflow.json'), JSON.stringify({ name, version: 1, dataSources: [], triggers: [] }, null, 2));
  for (const [path, text] of Object.entries(files)) writeFileSync(join(dir, path), text);
  return dir;
}

const HANGS = `import { policy, produces, type Request } from 'edge-ai-studio/sdk';

export class Hangs {
  /** awaits what never comes */
  @policy.fn({ node: 'edge' })
  async forever(request: Request) {
    await new Promise(() => undefined);
  }

  /** spins: no await, the event loop never turns */
  @policy.fn({ node: 'edge' })
  async spin(request: Request) {
    for (;;) {}
  }

  /** spins for at most a minute (its deadline), so only a kill of the agent leaves it behind */
  @policy.deadline('60s')
  @policy.fn({ node: 'edge' })
  async spinLong(request: Request) {
    for (;;) {}
  }

  @policy.fn({ node: 'edge' })
  async sleepy(request: Request) {
    const { ms = 0 } = (request.input ?? {}) as { ms?: number };
    await new Promise((r) => setTimeout(r, ms));
    return { slept: ms, pid: process.pid };
  }

  @policy.fn({ node: 'edge' })
  async circular(request: Request) {
    const o: Record<string, unknown> = { name: 'loop' };
    o.self = o;
    return o;
  }

  @policy.fn({ node: 'edge' })
  async bigint(request: Request) {
    return { n: 12345678901234567890n };
  }

  @produces.data({ urn: 'limits:rows', format: 'jsonl' })
  @policy.fn({ node: 'edge' })
  async bigRows(request: Request) {
    return [{ ok: 1 }, { n: 1n }];
  }
}
`;

const STUCK = `import { policy, type Request } from 'edge-ai-studio/sdk';

// the module's top level never returns
const until = Date.now() + 3_600_000;
while (Date.now() < until) {}

export class Stuck {
  @policy.fn({ node: 'edge' })
  async stuck(request: Request) {
    return 'never loaded';
  }
}
`;

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return true;
  }
}



describe('nothing hangs, nothing is left running (process backend)', () => {
  let home: string;
  let c: Controller;
  const cluster = `limits-${process.pid}`;

  const nodeOf = (workflow: string, fn: string) => c.state.placement(workflow, fn)!.node!;
  const clientOf = (node: string) => new AgentClient(node, c.status().nodes.find((n) => n.name === node)!.port!, readClusterSecret(c.dir)!);
  const refOf = (workflow: string, fn: string): FunctionRef => {
    const p = c.state.placement(workflow, fn)!;
    return functionRef(workflow, JSON.parse(p.spec) as StoredSpec, p.bundle);
  };
  /** the pid of the busy worker of a function, once it is running */
  const busyPid = (node: string, workflow: string, fn: string) =>
    until(`${fn} busy on ${node}`, async () => {
      const f = (await clientOf(node).health()).functions.find((x) => x.workflow === workflow && x.id === fn && x.busy > 0);
      return f?.pids?.[0];
    });

  beforeAll(async () => {
    home = tmp('edgeai-limits-home-');
    c = await Controller.open({ home, cluster, triggers: 'off' });
    await c.up({ backend: 'process', topology: 'local' });
    const d = await c.deploy(project('hangs', { 'functions/hangs.ts': HANGS }));
    expect(d.functions.filter((f) => f.status !== 'ready')).toEqual([]);
  }, 180_000);

  afterAll(async () => {
    if (c) {
      await c.down().catch(() => undefined);
      c.close();
    }
    for (const d of made) rmSync(d, { recursive: true, force: true });
  }, 120_000);

  it('a function without a deadline that never returns is killed at the invocation timeout (awaiting or spinning)', async () => {
    for (const fn of ['forever', 'spin']) {
      const node = nodeOf('hangs', fn);
      const t0 = Date.now();
      const answer = rejects(c.invoke('hangs', fn));
      const pid = await busyPid(node, 'hangs', fn);
      const e = await answer;
      const ms = Date.now() - t0;
      expect(e.code).toBe('invocation-timeout');
      expect(e.message).toContain(`${fn} did not return within 2.5 s on ${node}`);
      expect(e.message).toContain(`its worker (pid ${pid}) was killed`);
      expect(e.hint).toMatch(/@policy\.deadline/);
      // one answer, not before the timeout, and not a retry on another node (wall times are the bench's)
      expect(ms).toBeGreaterThanOrEqual(INVOKE_TIMEOUT_MS - 100);
      await until(`worker ${pid} gone`, () => !pidAlive(pid), 10_000);
      const run = c.runs({ workflow: 'hangs', function: fn, limit: 1 })[0];
      expect(run.status).toBe('failed');
      expect(run.attempts).toBe(1);
      expect(JSON.parse(run.error!).code).toBe('invocation-timeout');
    }
    // the node serves on
    expect((await c.invoke('hangs', 'sleepy', { input: { ms: 1 } })).output).toMatchObject({ slept: 1 });
  }, 60_000);

  it('the agent kills the worker when the controller closes the request', async () => {
    const node = nodeOf('hangs', 'forever');
    const client = clientOf(node);
    const ac = new AbortController();
    const pending = client.invoke({ fn: refOf('hangs', 'forever'), inputs: [], request: { id: 'closed-1', params: {}, timeoutMs: 60_000 } }, { signal: ac.signal }).catch((e: unknown) => e);
    const pid = await busyPid(node, 'hangs', 'forever');
    ac.abort();
    await pending;
    await until(`worker ${pid} gone`, () => !pidAlive(pid), 10_000);
    // the agent logs the kill right after sending SIGKILL: on a loaded machine the worker can be
    // gone before the line is written, so wait for the line (CI saw that race once)
    const line = `killed worker ${pid} of hangs/forever: the controller closed the request for forever on ${node}`;
    const agentLog = () => readFileSync(join(home, 'clusters', cluster, 'nodes', node, 'agent.log'), 'utf8');
    await until(`the agent's log line for worker ${pid}`, () => agentLog().includes(line), 10_000).catch(() => undefined);
    expect(agentLog()).toContain(line);
  }, 30_000);

  it('a worker stuck while loading is killed and named, at deploy and at a cold invocation', async () => {
    const d = await c.deploy(project('stuck', { 'functions/stuck.ts': STUCK }));
    const f = d.functions.find((x) => x.id === 'stuck')!;
    expect(f.status).toBe('failed');
    expect(f.reason).toMatch(/the worker for stuck \(workflow stuck\) did not finish loading within 15 s: the module's top level \(or what it awaits\) never returned; its worker \(pid \d+\) was killed/);
    const pid = Number(/pid (\d+)/.exec(f.reason!)![1]);
    await until(`worker ${pid} gone`, () => !pidAlive(pid), 3000);

    // the same bundle invoked cold, straight at the agent: killed and named again
    const p = c.state.placement('stuck', 'stuck')!;
    const node = f.node ?? /on ([\w-]+):/.exec(f.reason!)?.[1];
    expect(node).toBeTruthy();
    const ref = functionRef('stuck', JSON.parse(p.spec) as StoredSpec, p.bundle);
    const e = await clientOf(node!)
      .invoke({ fn: ref, inputs: [], request: { id: 'cold-1', params: {}, timeoutMs: 30_000 } })
      .then(
        () => undefined,
        (x: unknown) => x,
      );
    expect(e).toBeInstanceOf(AgentRefused);
    expect((e as AgentRefused).code).toBe('load-timeout');
    expect((e as AgentRefused).message).toMatch(/stuck could not start on .*did not finish loading within 15 s/);
    const h = await clientOf(node!).health();
    expect(h.functions.find((x) => x.workflow === 'stuck')?.workers ?? 0).toBe(0);
  }, 60_000);

  it('a return value that is not JSON is an error that says so, not "[object Object]"', async () => {
    const circular = await rejects(c.invoke('hangs', 'circular'));
    expect(circular.code).toBe('output-not-json');
    expect(circular.message).toMatch(/circular's return value is not JSON-serialisable: Converting circular structure to JSON/);
    expect(circular.message).not.toContain('[object Object]');
    const big = await rejects(c.invoke('hangs', 'bigint'));
    expect(big.code).toBe('output-not-json');
    expect(big.message).toMatch(/bigint's return value is not JSON-serialisable: Do not know how to serialize a BigInt/);
    expect(big.hint).toMatch(/BigInt as a string/);
    const rows = await rejects(c.invoke('hangs', 'bigRows'));
    expect(rows.code).toBe('output-not-json');
    expect(rows.message).toMatch(/bigRows's output for limits:rows \(row 1\) is not JSON-serialisable: Do not know how to serialize a BigInt/);
    expect(c.registry.artifact('limits:rows')).toBeUndefined();
    // the worker that said so is still the function's warm worker
    const node = nodeOf('hangs', 'circular');
    const f = (await clientOf(node).health()).functions.find((x) => x.workflow === 'hangs' && x.id === 'circular')!;
    expect(f.workers).toBe(1);
    expect(f.errors).toBe(1);
  }, 60_000);

  it("a node runs at most its cap of workers (its memory over 256 MiB): the rest wait, another function's idle worker makes room", async () => {
    // edge-2 is a Raspberry Pi 4 (1 GiB): 4 workers of 256 MiB heap each
    const node = 'edge-2';
    const client = clientOf(node);
    const limits = (await client.health()).limits!;
    expect(limits).toMatchObject({ memoryBytes: 1024 ** 3, maxNodeWorkers: 4, workerHeapBytes: 256 * 1024 ** 2, invokeTimeoutMs: INVOKE_TIMEOUT_MS, loadTimeoutMs: LOAD_TIMEOUT_MS, isolation: 'permission' });
    // the sleepy bundle, shipped to edge-2 whatever node it was deployed on
    const base = refOf('hangs', 'sleepy');
    const code = readFileSync(join(home, 'clusters', cluster, 'nodes', nodeOf('hangs', 'sleepy'), 'bundles', `${base.bundle}.mjs`));
    await client.putBundle(base.bundle, code);
    const live = async () => (await client.health()).functions.reduce((n, f) => n + f.workers, 0);
    const already = await live();
    // as many functions as leave one over the cap, each sleeping 1.5 s
    const n = limits.maxNodeWorkers - already + 1;
    let most = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        most = Math.max(most, await live().catch(() => 0));
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const answers = await Promise.all(Array.from({ length: n }, (_, i) => client.invoke({ fn: { ...base, workflow: 'cap', id: `cap-${i}` }, inputs: [], request: { id: `cap-${i}`, params: {}, input: { ms: 1500 }, timeoutMs: 30_000 } }))).finally(() => {
      sampling = false;
    });
    await sampler;
    expect(answers.every((a) => a.ok)).toBe(true);
    expect(most).toBeLessThanOrEqual(limits.maxNodeWorkers);
    // one waited for a worker of another function to finish (and be stopped to make room)
    expect(Math.max(...answers.map((a) => a.timings.queueMs))).toBeGreaterThan(500);
    // all idle now, the node full: one more function still runs, by stopping the least recently used idle worker
    const extra = await client.invoke({ fn: { ...base, workflow: 'cap', id: 'cap-extra' }, inputs: [], request: { id: 'cap-extra', params: {}, input: { ms: 1 }, timeoutMs: 30_000 } });
    expect(extra.ok).toBe(true);
    expect(await live()).toBeLessThanOrEqual(limits.maxNodeWorkers);
  }, 60_000);

  it('after an agent is SIGKILLed under a spinning worker, stopping its node or `cluster down` kills the worker it left', async () => {
    const ref = refOf('hangs', 'spinLong');
    const code = readFileSync(join(home, 'clusters', cluster, 'nodes', nodeOf('hangs', 'spinLong'), 'bundles', `${ref.bundle}.mjs`));
    /** spinLong running on `node` (straight at its agent: the controller would retry it elsewhere), then the agent SIGKILLed */
    const orphanOn = async (node: string) => {
      const client = clientOf(node);
      await client.putBundle(ref.bundle, code);
      void client.invoke({ fn: ref, inputs: [], request: { id: `spin-${node}`, params: {}, deadlineMs: 60_000 } }).catch(() => undefined);
      const pid = await busyPid(node, 'hangs', 'spinLong');
      const agent = c.status().nodes.find((n) => n.name === node)!.pid!;
      process.kill(agent, 'SIGKILL');
      await until(`agent ${agent} gone`, () => !pidAlive(agent), 3000);
      // the worker outlived its agent: reparented, still spinning
      const ppid = () => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
      await until(`worker ${pid} reparented`, () => ppid() !== agent, 3000);
      expect(pidAlive(pid)).toBe(true);
      return { pid, agent };
    };
    // the same controller stops the node (what `down` does with the handle it holds)
    const a = await orphanOn('edge-1');
    await new ProcessBackend().stop({ name: 'edge-1', port: c.status().nodes.find((n) => n.name === 'edge-1')!.port!, pid: a.agent, secret: readClusterSecret(c.dir)! });
    expect(pidAlive(a.pid)).toBe(false);

    // `edgeai cluster down` is a fresh controller: the agent is gone, nothing to adopt, its worker still goes
    const b = await orphanOn('edge-2');
    c.close();
    const fresh = await Controller.open({ home, cluster, triggers: 'off' });
    try {
      await fresh.down();
    } finally {
      fresh.close();
    }
    expect(pidAlive(b.pid)).toBe(false);
    c = await Controller.open({ home, cluster, triggers: 'off' }); // for afterAll
  }, 60_000);
});

const dockerSkip = await dockerSkipReason('limits.int.test');

describe.skipIf(dockerSkip)('nothing hangs (docker backend): the same timeouts inside a container', () => {
  let c: Controller;
  const health = async (node: string) => {
    const n = c.status().nodes.find((x) => x.name === node)!;
    return new AgentClient(node, n.port!, readClusterSecret(c.dir)!, n.host!).health();
  };

  beforeAll(async () => {
    c = await Controller.open({ home: tmp('edgeai-limitsd-home-'), cluster: `limitsd-${process.pid}`, triggers: 'off' });
    await c.up({ backend: 'docker', topology: 'local' });
    const d = await c.deploy(project('hangs', { 'functions/hangs.ts': HANGS }));
    expect(d.functions.filter((f) => f.status !== 'ready')).toEqual([]);
  }, 300_000);

  afterAll(async () => {
    if (c) {
      await c.down().catch(() => undefined);
      c.close();
    }
    // what this part made after the process part's afterAll removed its own
    for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
  }, 120_000);

  it('a function that never returns is killed at the invocation timeout, one answer; the node serves on', async () => {
    for (const fn of ['forever', 'spin']) {
      const node = c.state.placement('hangs', fn)!.node!;
      const e = await rejects(c.invoke('hangs', fn));
      expect(e.code).toBe('invocation-timeout');
      expect(e.message).toContain(`${fn} did not return within 2.5 s on ${node}`);
      expect(e.message).toMatch(/its worker \(pid \d+\) was killed/);
      expect(c.runs({ workflow: 'hangs', function: fn, limit: 1 })[0].attempts).toBe(1);
      await until(`${fn}'s worker gone on ${node}`, async () => ((await health(node)).functions.find((f) => f.id === fn)?.busy ?? 0) === 0);
    }
    expect((await c.invoke('hangs', 'sleepy', { input: { ms: 1 } })).output).toMatchObject({ slept: 1 });
  }, 60_000);

  it('a return value JSON cannot hold is an error that says so', async () => {
    expect((await rejects(c.invoke('hangs', 'circular'))).code).toBe('output-not-json');
    expect((await rejects(c.invoke('hangs', 'bigint'))).code).toBe('output-not-json');
  }, 60_000);

  it('a worker stuck while loading is killed and named at deploy', async () => {
    const d = await c.deploy(project('stuck', { 'functions/stuck.ts': STUCK }));
    const f = d.functions.find((x) => x.id === 'stuck')!;
    expect(f.status).toBe('failed');
    expect(f.reason).toMatch(/did not finish loading within 15 s: the module's top level \(or what it awaits\) never returned; its worker \(pid \d+\) was killed/);
  }, 120_000);
});
