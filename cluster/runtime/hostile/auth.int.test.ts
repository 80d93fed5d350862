/**
 * Node agents serve only their cluster's controller (issue 11, item 6), on real clusters:
 * - process backend: a request without the cluster's secret, or with a wrong one, is a 401 on
 *   every route, one for a foreign Host a 403, and nothing it asked for happens (no bundle or blob
 *   stored, nothing warmed, invoked or retired, no shutdown); the secret is in no agent's command
 *   line, environment or store; a deployed function that scans the ports of 127.0.0.1 given in its
 *   input (it cannot read agent.json to find them) reaches the other agents and gets 401 from each,
 *   with or without a forged Host;
 * - docker backend (skipped without Docker, except with CI=true): a function on one node reaches
 *   no other node's agent, by name or address, on its Docker network or another (inter-container
 *   traffic is off), and its own agent refuses it (401); it cannot read the secret from its
 *   environment or its container's /proc/1/environ.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Controller } from '../controller';
import { dockerSkipReason } from '../testing/docker-skip';
import { functionRef } from '../controller/invoker';
import type { StoredSpec } from '../controller/types';
import { AgentClient } from '../agent/client';
import { bearer, newSecret, readClusterSecret, secretPathOf, SECRET_ENV } from '../agent/secret';
import { DockerBackend } from '../backends/docker';

import { tempDirs } from '../testing/temp';

const tmp = tempDirs();

const PROBE = `import { policy, type Request } from 'edge-ai-studio/sdk';
import { request } from 'node:http';
import { readFileSync } from 'node:fs';

/** the status an agent answered, or 'unreachable <code>' */
function call(host: string, port: number, method: string, path: string, headers: Record<string, string>, body?: string): Promise<string> {
  return new Promise((resolve) => {
    const h = { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) };
    const req = request({ host, port, method, path, headers: h, timeout: 3000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(String(res.statusCode)));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', (e) => resolve('unreachable ' + ((e as { code?: string }).code ?? e.message)));
    req.end(body);
  });
}

export class Probe {
  /** every route of every target, as a function could try it: no secret, a forged Host, a guessed secret */
  @policy.fn({ node: 'edge' })
  async scan(request: Request) {
    const t = request.input as { targets: Array<{ host: string; port: number }>; bundle: string; code: string; invoke: unknown; reads: string[] };
    const seen: Record<string, Record<string, string>> = {};
    // every target and route at once: an unreachable one costs one timeout, not one per route
    await Promise.all(t.targets.map(async ({ host, port }) => {
      const loop = { host: '127.0.0.1:' + port };
      const [health, healthForgedHost, guessed, bundle, invoke, shutdown] = await Promise.all([
        call(host, port, 'GET', '/health', {}),
        call(host, port, 'GET', '/health', loop),
        call(host, port, 'GET', '/health', { ...loop, authorization: 'Bearer ' + 'A'.repeat(43) }),
        call(host, port, 'PUT', '/bundles/' + t.bundle, loop, t.code),
        call(host, port, 'POST', '/invoke', { ...loop, 'content-type': 'application/json' }, JSON.stringify(t.invoke)),
        call(host, port, 'POST', '/shutdown', loop, '{}'),
      ]);
      seen[host + ':' + port] = { health, healthForgedHost, guessed, bundle, invoke, shutdown };
    }));
    const reads: Record<string, string> = {};
    for (const p of t.reads) {
      try {
        reads[p] = 'ok ' + readFileSync(p).length;
      } catch (e) {
        reads[p] = 'denied ' + ((e as { code?: string }).code ?? (e as Error).message);
      }
    }
    return { seen, reads, env: Object.keys(process.env).sort() };
  }

  @policy.fn({ node: 'edge' })
  async ping(request: Request) {
    return { pong: true, pid: process.pid };
  }
}
`;

function project(): string {
  const dir = join(tmp('edgeai-authint-'), 'probe');
  mkdirSync(join(dir, 'functions'), { recursive: true });
  writeFileSync(join(dir, 'workflow.json'), JSON.stringify({ name: 'probe', version: 1, dataSources: [], triggers: [] }, null, 2));
  writeFileSync(join(dir, 'functions', 'probe.ts'), PROBE);
  return dir;
}

interface Scan {
  seen: Record<string, Record<string, string>>;
  reads: Record<string, string>;
  env: string[];
}

/** One request with the headers given (the Host too: node:http sends the one it is told). */
function raw(port: number, method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; body: string; connection?: string }> {
  return new Promise((resolve, reject) => {
    const h = { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) };
    const req = request({ host: '127.0.0.1', port, method, path, headers: h, agent: false, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), connection: res.headers.connection }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Ports on 127.0.0.1 nothing listens on (a port scan's misses). */
async function freePorts(n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    out.push(
      await new Promise<number>((resolve) => {
        const s = createServer().listen(0, '127.0.0.1', () => {
          const p = (s.address() as { port: number }).port;
          s.close(() => resolve(p));
        });
      }),
    );
  }
  return out;
}

const JUNK = 'export class Pwned { run() { return "pwned"; } }\n';
const JUNK_SHA = createHash('sha256').update(JUNK).digest('hex');

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

describe('node agents serve only their controller (process backend)', () => {
  let home: string;
  let c: Controller;
  let secret: string;
  const cluster = `auth-${process.pid}`;
  const nodes = () => c.status().nodes.map((n) => ({ name: n.name, port: n.port!, pid: n.pid! }));
  const clientOf = (n: { name: string; port: number }) => new AgentClient(n.name, n.port, secret);
  const pingRef = () => {
    const p = c.state.placement('probe', 'ping')!;
    return functionRef('probe', JSON.parse(p.spec) as StoredSpec, p.bundle);
  };
  /** what each agent holds: its functions' workers and invocations, its blobs, its bundles */
  const snapshot = async (except?: string) => {
    const out: Record<string, unknown> = {};
    for (const n of nodes()) {
      const h = await clientOf(n).health();
      out[n.name] = {
        pid: h.pid,
        functions: h.functions.filter((f) => f.id !== except).map((f) => ({ id: f.id, workers: f.workers, pids: f.pids, invocations: f.invocations })),
        blobs: h.blobs,
        bundles: readdirSync(join(c.dir, 'nodes', n.name, 'bundles')).sort(),
      };
    }
    return out;
  };

  beforeAll(async () => {
    home = tmp('edgeai-authint-home-');
    c = await Controller.open({ home, cluster, triggers: 'off' });
    await c.up({ backend: 'process', topology: 'local' });
    const d = await c.deploy(project());
    expect(d.functions.filter((f) => f.status !== 'ready')).toEqual([]);
    secret = readClusterSecret(c.dir)!;
    expect((await c.invoke('probe', 'ping')).output).toMatchObject({ pong: true });
  }, 180_000);

  afterAll(async () => {
    if (c) {
      await c.down().catch(() => undefined);
      c.close();
    }
  }, 120_000);

  it('keeps the secret out of the agents’ command lines, environments and stores; the cluster’s copy is 0600', () => {
    expect(statSync(secretPathOf(c.dir)).mode & 0o777).toBe(0o600);
    for (const n of nodes()) {
      expect(readFileSync(`/proc/${n.pid}/cmdline`, 'utf8')).not.toContain(secret);
      expect(readFileSync(`/proc/${n.pid}/environ`, 'utf8')).not.toContain(secret);
      for (const f of filesUnder(join(c.dir, 'nodes', n.name))) expect([f, readFileSync(f).includes(secret)]).toEqual([f, false]);
      // it came on the agent's stdin, a pipe (Node's is a socket pair) the controller wrote once and closed: no file, no terminal
      expect(readFileSync(`/proc/${n.pid}/cmdline`, 'utf8').split('\0')).toContain('--secret-stdin');
      expect(readlinkSync(`/proc/${n.pid}/fd/0`)).toMatch(/^(pipe|socket):\[\d+\]$/);
    }
    // the stated limit (README "Security"): a program running as this user reads the file like any other it owns
    expect(readFileSync(secretPathOf(c.dir), 'utf8').trim()).toBe(secret);
  });

  it('answers a request without the secret or with a wrong one with 401, and one for a foreign Host with 403, on every route; nothing it asked for happens', async () => {
    const before = await snapshot();
    const ping = pingRef();
    const blob = Buffer.from(`not for you ${Math.random()}`);
    const blobSha = createHash('sha256').update(blob).digest('hex');
    const routes: Array<[string, string, string | undefined]> = [
      ['GET', '/health', undefined],
      ['PUT', `/bundles/${JUNK_SHA}`, JUNK],
      ['PUT', `/blobs/${blobSha}`, blob.toString()],
      ['GET', `/blobs/${blobSha}`, undefined],
      ['HEAD', `/blobs/${blobSha}`, undefined],
      // a worker of ping where it is not deployed
      ['POST', '/warm', JSON.stringify({ fn: ping })],
      ['POST', '/invoke', JSON.stringify({ fn: ping, inputs: [], request: { id: 'stolen', params: {} } })],
      ['POST', '/retire', JSON.stringify({ workflow: 'probe', id: 'ping', bundle: ping.bundle })],
      ['POST', '/nope', '{}'],
      ['POST', '/shutdown', '{}'],
    ];
    let refused = 0;
    for (const n of nodes()) {
      const own = `127.0.0.1:${n.port}`;
      const tries: Array<[Record<string, string>, number]> = [
        [{ host: own }, 401],
        [{ host: own, authorization: bearer(newSecret()) }, 401],
        [{ host: own, authorization: `Basic ${secret}` }, 401],
        [{ host: `evil.example:${n.port}`, authorization: bearer(secret) }, 403],
        [{ host: `127.0.0.1:${n.port + 1}`, authorization: bearer(secret) }, 403],
      ];
      for (const [headers, status] of tries) {
        for (const [method, path, body] of routes) {
          const r = await raw(n.port, method, path, body !== undefined ? { ...headers, 'content-type': 'application/json' } : headers, body);
          expect([n.name, method, path, headers.host, r.status]).toEqual([n.name, method, path, headers.host, status]);
          expect(r.connection).toBe('close');
          if (method !== 'HEAD') {
            const e = JSON.parse(r.body) as { ok: boolean; error: { code: string } };
            expect(e).toMatchObject({ ok: false, error: { code: status === 401 ? 'unauthorized' : 'forbidden-host' } });
            // a refusal tells nothing of the node
            expect(r.body).not.toMatch(/"functions"|"pid"|probe/);
          }
          refused++;
        }
      }
    }
    expect(refused).toBe(nodes().length * 5 * 10);
    // nothing happened: the same agents (no shutdown), the same workers and invocations (nothing
    // warmed, invoked or retired), no blob and no bundle stored
    expect(await snapshot()).toEqual(before);
    for (const n of nodes()) {
      expect(existsSync(join(c.dir, 'nodes', n.name, 'bundles', `${JUNK_SHA}.mjs`))).toBe(false);
      expect(await clientOf(n).hasBlob(blobSha)).toBe(false);
    }
    expect((await c.invoke('probe', 'ping')).output).toMatchObject({ pong: true });
  }, 60_000);

  it('a function on one node that scans 127.0.0.1 for agents reaches each and is refused by each; it cannot read the secret', async () => {
    const scanNode = c.state.placement('probe', 'scan')!.node!;
    const agents = nodes();
    const misses = await freePorts(3);
    const ping = pingRef();
    // what the scan's own invocation changes (its counts) aside
    const before = await snapshot('scan');
    const r = (
      await c.invoke('probe', 'scan', {
        input: {
          targets: [...agents.map((n) => n.port), ...misses].sort((a, b) => a - b).map((port) => ({ host: '127.0.0.1', port })),
          bundle: JUNK_SHA,
          code: JUNK,
          invoke: { fn: ping, inputs: [], request: { id: 'from-a-function', params: {} } },
          reads: [secretPathOf(c.dir), ...agents.flatMap((n) => [`/proc/${n.pid}/environ`, `/proc/${n.pid}/cmdline`, join(c.dir, 'nodes', n.name, 'agent.json')])],
        },
      })
    ).output as Scan;
    for (const n of agents) {
      // its own node's agent included
      expect([n.name, n.name === scanNode, r.seen[`127.0.0.1:${n.port}`]]).toEqual([n.name, n.name === scanNode, { health: '401', healthForgedHost: '401', guessed: '401', bundle: '401', invoke: '401', shutdown: '401' }]);
    }
    for (const p of misses) expect(Object.values(r.seen[`127.0.0.1:${p}`]).every((s) => s.startsWith('unreachable'))).toBe(true);
    for (const [p, v] of Object.entries(r.reads)) expect([p, v]).toEqual([p, 'denied ERR_ACCESS_DENIED']);
    expect(r.env.join(' ')).not.toMatch(/SECRET/);
    // nothing happened on any node
    expect(await snapshot('scan')).toEqual(before);
    expect(c.status().nodes.every((n) => n.status === 'Ready')).toBe(true);
  }, 60_000);
});

const dockerSkip = await dockerSkipReason('auth.int.test');

describe.skipIf(dockerSkip)('node agents serve only their controller (docker backend)', () => {
  let home: string;
  let c: Controller;
  const cluster = `authd-${process.pid}`;

  beforeAll(async () => {
    home = tmp('edgeai-authint-docker-');
    c = await Controller.open({ home, cluster, triggers: 'off' });
    await c.up({ backend: 'docker', topology: 'local' });
    const d = await c.deploy(project());
    expect(d.functions.filter((f) => f.status !== 'ready')).toEqual([]);
  }, 300_000);

  afterAll(async () => {
    if (c) {
      await c.down().catch(() => undefined);
      c.close();
    }
  }, 120_000);

  it('a function on edge-1 reaches no other node (by name or address, on its Docker network or not) and is refused by its own agent; the secret is not in its reach', async () => {
    const scanNode = c.state.placement('probe', 'scan')!.node!;
    const topo = c.status().nodes;
    const p = c.state.placement('probe', 'ping')!;
    const ping = functionRef('probe', JSON.parse(p.spec) as StoredSpec, p.bundle);
    // the other nodes by their names on the Docker networks (the aliases docker.ts gives them) and by address, and its own agent
    const others = topo.filter((n) => n.name !== scanNode);
    const targets = [{ host: '127.0.0.1', port: 7070 }, ...others.flatMap((n) => [{ host: n.name, port: 7070 }, { host: n.host!, port: 7070 }])];
    const r = (await c.invoke('probe', 'scan', { input: { targets, bundle: JUNK_SHA, code: JUNK, invoke: { fn: ping, inputs: [], request: { id: 'from-a-container', params: {} } }, reads: ['/proc/1/environ', '/proc/1/cmdline'] } })).output as Scan;
    // its own agent: reached on 127.0.0.1, refused for want of the secret
    expect(r.seen['127.0.0.1:7070']).toEqual({ health: '401', healthForgedHost: '401', guessed: '401', bundle: '401', invoke: '401', shutdown: '401' });
    // every other node: not even reached (inter-container traffic is off on the cluster's networks, docker.ts networkSpec)
    for (const n of others) {
      for (const key of [`${n.name}:7070`, `${n.host}:7070`]) expect([key, Object.values(r.seen[key]).every((s) => s.startsWith('unreachable'))]).toEqual([key, true]);
    }
    // the local topology puts laptop, edge-1 and edge-2 on one network: the same network was tried
    expect(others.some((n) => n.network === topo.find((x) => x.name === scanNode)!.network)).toBe(true);
    expect(r.reads).toEqual({ '/proc/1/environ': 'denied ERR_ACCESS_DENIED', '/proc/1/cmdline': 'denied ERR_ACCESS_DENIED' });
    expect(r.env.join(' ')).not.toMatch(/SECRET/);
    // where the container's agent has it from: its environment (README "Security")
    const docker = new DockerBackend().docker;
    for (const n of topo) {
      const env = (await docker.getContainer(n.container!).inspect()).Config.Env ?? [];
      expect([n.name, env.includes(`${SECRET_ENV}=${readClusterSecret(c.dir)!}`)]).toEqual([n.name, true]);
    }
    // every agent still serves, and ping was never invoked by the scan
    expect(c.status().nodes.every((n) => n.status === 'Ready')).toBe(true);
    const secret = readClusterSecret(c.dir)!;
    for (const n of topo) {
      const h = await new AgentClient(n.name, n.port!, secret, n.host!).health();
      expect(h.functions.find((f) => f.id === 'ping')?.invocations ?? 0).toBe(0);
    }
  }, 120_000);
});
