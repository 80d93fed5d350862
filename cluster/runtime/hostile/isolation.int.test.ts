/**
 * Function code on the process backend is contained (issue 11, item 4): on a real cluster, a
 * deployed function tries to read what it must not (/etc/passwd, /etc/shadow, the controller's
 * state.db, another node's store, its own node's agent files, the project, the agent's
 * environment through /proc), to write outside its scratch folder, to start a shell or a thread,
 * to load an addon, and to read a secret from the environment of the process that ran
 * `cluster up`. Each attempt fails inside the function; uncaught, the caller gets one clear
 * error; files outside are unchanged; the agent and the controller keep serving.
 *
 * What the process backend does NOT isolate is measured too, so the README can say it plainly:
 * the network (Node 20 has no network permission: a function reaches any agent's port on 127.0.0.1,
 * which refuses it without the cluster's secret: auth.int.test.ts)
 * signals to the user's other processes, CPU time, memory outside the JS heap, the blobs of other
 * workflows on the node, and the user it runs as.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Controller } from '../controller';
import { StudioError } from '../../common/errors';
import { AgentClient } from '../agent/client';
import { readClusterSecret } from '../agent/secret';
import { dockerSkipReason } from '../testing/docker-skip';

// a secret in the environment of the process that runs `cluster up` (its agents inherit it)
process.env.EDGEAI_TEST_SECRET = 's3cret';

const made: string[] = [];
function tmp(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}

const PROBE = `import { policy, type Request } from 'edge-ai-studio/sdk';
import { appendFileSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { execSync, spawn } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import * as inspector from 'node:inspector';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getHeapStatistics } from 'node:v8';

/** 'ok …' or 'denied <error code>' */
function attempt(f: () => unknown): string {
  try {
    return 'ok ' + String(f()).slice(0, 80);
  } catch (e) {
    return 'denied ' + ((e as { code?: string }).code ?? (e as Error).message);
  }
}

export class Hostile {
  /** tries everything it is given and reports what happened, catching every error */
  @policy.fn({ node: 'edge' })
  async probe(request: Request) {
    const t = request.input as { read: string[]; write: string[]; list: string[]; port: number };
    const fix = (p: string) => p.replace('{ppid}', String(process.ppid));
    const read: Record<string, string> = {};
    for (const p of t.read) read[p] = attempt(() => readFileSync(fix(p)).length);
    const write: Record<string, string> = {};
    for (const p of t.write) write[p] = attempt(() => (appendFileSync(p, 'pwned'), 'written'));
    const list: Record<string, string> = {};
    for (const p of t.list) list[p] = attempt(() => readdirSync(p).join(','));
    const network = await fetch('http://127.0.0.1:' + t.port + '/health').then((r) => 'ok ' + r.status, (e) => 'denied ' + e.message);
    return {
      read,
      write,
      list,
      network,
      execSync: attempt(() => execSync('id').toString()),
      spawn: attempt(() => spawn('/bin/sh', ['-c', 'id']).pid),
      thread: attempt(() => new Worker('1', { eval: true })),
      inspector: attempt(() => inspector.open(0)),
      binding: attempt(() => (process as unknown as { binding(n: string): unknown }).binding('fs')),
      addon: attempt(() => process.dlopen({ exports: {} } as never, '/nonexistent/addon.node')),
      signal: attempt(() => process.kill(process.ppid, 0)),
      scratch: attempt(() => {
        const p = join(tmpdir(), 'scratch.txt');
        writeFileSync(p, 'mine');
        return readFileSync(p, 'utf8');
      }),
      secret: process.env.EDGEAI_TEST_SECRET ?? null,
      env: Object.keys(process.env).sort(),
      cwd: process.cwd(),
      tmpdir: tmpdir(),
      heapLimit: getHeapStatistics().heap_size_limit,
      pid: process.pid,
    };
  }

  /** reads /etc/shadow and lets the error go */
  @policy.fn({ node: 'edge' })
  async shadow(request: Request) {
    return readFileSync('/etc/shadow', 'utf8').length;
  }

  /** starts a shell and lets the error go */
  @policy.fn({ node: 'edge' })
  async shell(request: Request) {
    return execSync('cat /etc/shadow').toString();
  }

  /** what the process backend does not contain (README): CPU time, memory outside the JS heap, the node's blobs, the user */
  @policy.fn({ node: 'edge' })
  async uncontained(request: Request) {
    const t = request.input as { blob: string };
    const outside = getHeapStatistics().heap_size_limit + 64 * 1024 * 1024;
    const buffer = attempt(() => Buffer.alloc(outside, 1).length);
    return { pid: process.pid, buffer, outside, blob: attempt(() => readFileSync(t.blob, 'utf8')), uid: process.getuid!() };
  }

  @policy.fn({ node: 'edge' })
  async ping(request: Request) {
    return { pong: request.input ?? null, pid: process.pid };
  }
}
`;

function project(name: string, files: Record<string, string>): string {
  const dir = join(tmp('edgeai-hostile-'), name);
  mkdirSync(join(dir, 'functions'), { recursive: true });
  writeFileSync(join(dir, 'workflow.json'), JSON.stringify({ name, version: 1, dataSources: [], triggers: [] }, null, 2));
  for (const [path, text] of Object.entries(files)) writeFileSync(join(dir, path), text);
  return dir;
}

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

interface Report {
  read: Record<string, string>;
  write: Record<string, string>;
  list: Record<string, string>;
  network: string;
  execSync: string;
  spawn: string;
  thread: string;
  inspector: string;
  binding: string;
  addon: string;
  signal: string;
  scratch: string;
  secret: string | null;
  env: string[];
  cwd: string;
  tmpdir: string;
  heapLimit: number;
  pid: number;
}

describe('function code on the process backend is contained', () => {
  let home: string;
  let c: Controller;
  let dir: string;
  const cluster = `hostile-${process.pid}`;
  const storeOf = (node: string) => join(home, 'clusters', cluster, 'nodes', node);

  beforeAll(async () => {
    home = tmp('edgeai-hostile-home-');
    c = await Controller.open({ home, cluster, triggers: 'off' });
    await c.up({ backend: 'process', topology: 'local' });
    dir = project('hostile', { 'functions/hostile.ts': PROBE });
    const d = await c.deploy(dir);
    expect(d.functions.filter((f) => f.status !== 'ready')).toEqual([]);
  }, 180_000);

  afterAll(async () => {
    if (c) {
      await c.down().catch(() => undefined);
      c.close();
    }
    for (const d of made) rmSync(d, { recursive: true, force: true });
    delete process.env.EDGEAI_TEST_SECRET;
  }, 120_000);

  it('every attempt to read, write, spawn or learn a secret fails inside the function; files outside are unchanged', async () => {
    const node = c.state.placement('hostile', 'probe')!.node!;
    const other = c.status().nodes.find((n) => n.name !== node)!;
    const own = storeOf(node);
    const stateDb = join(home, 'clusters', cluster, 'state.db');
    const bundle = join(own, 'bundles', `${c.state.placement('hostile', 'probe')!.bundle}.mjs`);
    const outside = join(tmp('edgeai-outside-'), 'keep.txt');
    writeFileSync(outside, 'untouched');
    const source = join(dir, 'functions', 'hostile.ts');
    // what must stay as it is
    const watched = [outside, join(storeOf(other.name), 'agent.json'), join(own, 'agent.json'), bundle, source];
    const before = watched.map(sha);
    const agentPid = c.status().nodes.find((n) => n.name === node)!.pid;

    const read = ['/etc/passwd', '/etc/shadow', stateDb, join(home, 'clusters', cluster, 'agent-secret'), join(home, 'clusters', cluster, 'registry'), join(storeOf(other.name), 'agent.json'), join(own, 'agent.json'), join(own, 'agent.log'), source, '/proc/self/environ', '/proc/{ppid}/environ'];
    const write = [outside, stateDb, join(storeOf(other.name), 'agent.json'), join(own, 'agent.json'), bundle, source, join(own, 'blobs', 'pwned'), join(own, 'pwned')];
    const list = ['/', home, own, join(own, 'bundles'), storeOf(other.name)];
    const r = (await c.invoke('hostile', 'probe', { input: { read, write, list, port: other.port } })).output as Report;

    for (const p of read) expect([p, r.read[p]]).toEqual([p, 'denied ERR_ACCESS_DENIED']);
    for (const p of write) expect([p, r.write[p]]).toEqual([p, 'denied ERR_ACCESS_DENIED']);
    for (const p of list) expect([p, r.list[p]]).toEqual([p, 'denied ERR_ACCESS_DENIED']);
    expect(r.execSync).toBe('denied ERR_ACCESS_DENIED');
    expect(r.spawn).toBe('denied ERR_ACCESS_DENIED');
    expect(r.thread).toBe('denied ERR_ACCESS_DENIED');
    expect(r.inspector).toBe('denied ERR_ACCESS_DENIED');
    expect(r.binding).toBe('denied ERR_ACCESS_DENIED');
    expect(r.addon).toBe('denied ERR_DLOPEN_DISABLED');
    // the environment is a whitelist: no secret, no NODE_OPTIONS, no PATH
    expect(r.secret).toBeNull();
    for (const k of r.env) expect(['EDGEAI_NODE', 'EDGEAI_TFJS_WASM_DIR', 'LANG', 'LC_ALL', 'TMPDIR', 'TZ']).toContain(k);
    // its one writable place: a scratch folder in its node's store (its cwd and TMPDIR)
    expect(r.scratch).toBe('ok mine');
    expect(r.cwd.startsWith(join(own, 'tmp') + '/') || r.cwd.includes(`/nodes/${node}/tmp/`)).toBe(true);
    expect(r.tmpdir).toBe(r.cwd);
    // its heap limit is its share of the node's memory
    const limits = (await new AgentClient(node, c.status().nodes.find((n) => n.name === node)!.port!, readClusterSecret(c.dir)!).health()).limits!;
    expect(limits.isolation).toBe('permission');
    expect(limits.workerHeapBytes).toBeGreaterThan(0);
    expect(r.heapLimit).toBeGreaterThanOrEqual(limits.workerHeapBytes);
    expect(r.heapLimit).toBeLessThan(limits.workerHeapBytes + 128 * 1024 * 1024);

    // not isolated on the process backend (the README says so): the network, and signals; another
    // node's agent is reached, and refuses a request without the cluster's secret
    expect(r.network).toBe('ok 401');
    expect(r.signal).toBe('ok true');

    // nothing outside changed, nothing was dropped into the stores
    expect(watched.map(sha)).toEqual(before);
    expect(readFileSync(outside, 'utf8')).toBe('untouched');
    expect(existsSync(join(own, 'pwned')) || existsSync(join(own, 'blobs', 'pwned'))).toBe(false);
    // the agent that ran it is the same process, and still serves
    expect(c.status().nodes.find((n) => n.name === node)!.pid).toBe(agentPid);
    expect(readdirSync(join(own, 'bundles')).length).toBeGreaterThan(0);
  }, 60_000);

  it('what it does not isolate, as the README says: CPU time, memory outside the JS heap, another workflow\'s blobs on the node; it runs as the user', async () => {
    // another workflow's output on the same node
    const other = project('neighbour', {
      'functions/neighbour.ts': `import { policy, produces, type Request } from 'edge-ai-studio/sdk';
export class Neighbour {
  @produces.data({ urn: 'neighbour:diary', format: 'jsonl' })
  @policy.fn({ node: 'edge' })
  async write(request: Request) {
    return [{ entry: 'dear diary' }];
  }
}
`,
    });
    expect((await c.deploy(other)).functions.map((f) => f.status)).toEqual(['ready']);
    await c.invoke('neighbour', 'write');
    const node = c.state.placement('hostile', 'uncontained')!.node!;
    const diary = c.registry.artifact('neighbour:diary')!;
    expect(diary.locations.map((l) => l.node)).toContain(node);
    const blob = join(storeOf(node), 'blobs', diary.sha256.slice(0, 2), diary.sha256);
    expect(existsSync(blob)).toBe(true);
    const r = (await c.invoke('hostile', 'uncontained', { input: { blob } })).output as { pid: number; buffer: string; outside: number; blob: string; uid: number };
    expect(r.blob).toMatch(/^ok .*dear diary/);
    // a buffer 64 MiB beyond its heap limit: memory outside the JS heap is not capped
    expect(r.buffer).toBe(`ok ${r.outside}`);
    expect(r.uid).toBe(process.getuid!());
    // CPU time: no limit on the worker and no cgroup of its own (it shares this test's)
    expect(readFileSync(`/proc/${r.pid}/limits`, 'utf8')).toMatch(/^Max cpu time\s+unlimited\s+unlimited/m);
    expect(readFileSync(`/proc/${r.pid}/cgroup`, 'utf8')).toBe(readFileSync('/proc/self/cgroup', 'utf8'));
  }, 60_000);

  it('uncaught, a refused read or a refused shell is one clear error for the caller', async () => {
    const e1 = await c.invoke('hostile', 'shadow').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(e1).toBeInstanceOf(StudioError);
    expect((e1 as StudioError).code).toBe('access-denied');
    expect((e1 as StudioError).message).toMatch(/was refused FileSystemRead of \/etc\/shadow/);
    expect((e1 as StudioError).hint).toMatch(/confined/);
    const e2 = await c.invoke('hostile', 'shell').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((e2 as StudioError).code).toBe('access-denied');
    expect((e2 as StudioError).message).toMatch(/was refused ChildProcess/);
    // the runs say so too
    const runs = c.runs({ workflow: 'hostile', limit: 10 });
    expect(runs.find((x) => x.function === 'shadow')?.status).toBe('failed');
  }, 60_000);

  it('the agents and the controller keep serving', async () => {
    const r = await c.invoke('hostile', 'ping', { input: 7 });
    expect(r.output).toMatchObject({ pong: 7 });
    expect(c.status().nodes.every((n) => n.status === 'Ready')).toBe(true);
    for (const n of c.status().nodes) expect(await new AgentClient(n.name, n.port!, readClusterSecret(c.dir)!).alive(2000)).toBe(true);
  }, 60_000);
});

const dockerSkip = await dockerSkipReason('isolation.int.test');

describe.skipIf(dockerSkip)('function code on the docker backend is contained the same way, inside its container', () => {
  let c: Controller;
  const cluster = `hostiled-${process.pid}`;

  beforeAll(async () => {
    c = await Controller.open({ home: tmp('edgeai-hostiled-home-'), cluster, triggers: 'off' });
    await c.up({ backend: 'docker', topology: 'local' });
    const d = await c.deploy(project('hostile', { 'functions/hostile.ts': PROBE }));
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

  it('reads, writes, lists, spawns and threads are refused; the environment is the whitelist; its own agent refuses it', async () => {
    const read = ['/etc/passwd', '/store/agent.json', '/proc/1/environ', '/proc/1/cmdline', '/proc/{ppid}/environ', '/app/agent.cjs'];
    const write = ['/store/agent.json', '/store/pwned', '/store/blobs/pwned', '/app/pwned', '/etc/passwd'];
    const list = ['/', '/store', '/store/bundles', '/app'];
    // its own agent, on the container's loopback (another node is not even reached: auth.int.test.ts)
    const r = (await c.invoke('hostile', 'probe', { input: { read, write, list, port: 7070 } })).output as Report;
    for (const p of read) expect([p, r.read[p]]).toEqual([p, 'denied ERR_ACCESS_DENIED']);
    for (const p of write) expect([p, r.write[p]]).toEqual([p, 'denied ERR_ACCESS_DENIED']);
    for (const p of list) expect([p, r.list[p]]).toEqual([p, 'denied ERR_ACCESS_DENIED']);
    for (const k of ['execSync', 'spawn', 'thread', 'inspector', 'binding'] as const) expect([k, r[k]]).toEqual([k, 'denied ERR_ACCESS_DENIED']);
    expect(r.addon).toBe('denied ERR_DLOPEN_DISABLED');
    expect(r.secret).toBeNull();
    for (const k of r.env) expect(['EDGEAI_NODE', 'EDGEAI_TFJS_WASM_DIR', 'LANG', 'LC_ALL', 'TMPDIR', 'TZ']).toContain(k);
    expect(r.scratch).toBe('ok mine');
    expect(r.cwd.startsWith('/store/tmp/')).toBe(true);
    expect(r.network).toBe('ok 401');
    // still serving
    expect((await c.invoke('hostile', 'ping', { input: 8 })).output).toMatchObject({ pong: 8 });
    expect(c.status().nodes.every((n) => n.status === 'Ready')).toBe(true);
  }, 120_000);
});
