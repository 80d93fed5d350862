/**
 * The cluster's agent secret, on the controller's side (issue 11, item 6), against fake agents
 * (runtime/testing/fake-agent.ts, which check it as real agents do): `cluster up` makes one in the
 * cluster's directory, mode 0600; every request the controller makes carries it; a controller
 * that opens a cluster that is up reads it and adopts the nodes, one with another secret adopts
 * none; `down` removes it and the next `up` makes a new one. The real agents' side (every route,
 * a function on one node calling another's agent, docker) is hostile/auth.int.test.ts.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Controller } from '../controller';
import { FakeBackend } from '../testing/fake-agent';
import { AgentClient, AgentRefused } from './client';
import { authorized, bearer, hostAllowed, newSecret, readClusterSecret, secretPathOf } from './secret';

const made: string[] = [];
const tmp = (p: string) => {
  const d = mkdtempSync(join(tmpdir(), p));
  made.push(d);
  return d;
};
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

const PING = `import { policy, type Request } from 'edge-ai-studio/sdk';
export class Ping {
  @policy.fn({ node: 'edge' })
  async ping(request: Request) {
    return { pong: true };
  }
}
`;

/** A GET with the Host header given (fetch sets its own). */
function getWithHost(port: number, path: string, host: string, secret: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host, authorization: bearer(secret) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

function project(): string {
  const dir = join(tmp('edgeai-auth-'), 'pinger');
  mkdirSync(join(dir, 'functions'), { recursive: true });
  writeFileSync(join(dir, 'functions', 'ping.ts'), PING);
  writeFileSync(join(dir, 'workflow.json'), JSON.stringify({ name: 'pinger', version: 1, dataSources: [], triggers: [] }));
  return dir;
}

describe('secret.ts', () => {
  it('compares a Bearer secret exactly, whatever its length or scheme', () => {
    const s = newSecret();
    expect(s.length).toBeGreaterThanOrEqual(43);
    expect(newSecret()).not.toBe(s);
    expect(authorized(bearer(s), s)).toBe(true);
    expect(authorized(`  ${bearer(s)} `, s)).toBe(true);
    for (const h of [undefined, '', s, `bearer ${s}`, `Basic ${s}`, `Bearer ${s}x`, `Bearer ${s.slice(0, -1)}`, `Bearer ${s} ${s}`, `Bearer  ${s}`, 'Bearer ', [bearer(s)]]) expect([h, authorized(h as string | undefined, s)]).toEqual([h, false]);
  });

  it('takes a Host of 127.0.0.1, localhost or [::1] only, with the port when it is known', () => {
    for (const h of ['127.0.0.1:7070', 'localhost:7070', 'LOCALHOST:7070', '[::1]:7070']) expect([h, hostAllowed(h, 7070)]).toEqual([h, true]);
    expect(hostAllowed('127.0.0.1:40000', undefined)).toBe(true);
    for (const h of [undefined, '', '127.0.0.1', '127.0.0.1:7071', 'evil.example:7070', '127.0.0.1.nip.io:7070', 'localhost.evil.example:7070', '127.0.0.2:7070', '0.0.0.0:7070', '172.18.0.3:7070', 'edge-2:7070', '127.0.0.1:7070@evil']) {
      expect([h, hostAllowed(h, 7070)]).toEqual([h, false]);
    }
    expect(hostAllowed('edge-2:7070', undefined)).toBe(false);
    // a container's agent: its own addresses on the cluster's network, with its port
    expect(hostAllowed('172.18.0.3:7070', 7070, ['172.18.0.3'])).toBe(true);
    for (const h of ['172.18.0.3:7071', '172.18.0.4:7070', 'edge-2:7070', '127.0.0.2:7070']) expect([h, hostAllowed(h, 7070, ['172.18.0.3'])]).toEqual([h, false]);
  });
});

describe('the controller and its agents share a per-cluster secret', () => {
  it('up makes it (0600, in the cluster directory); the agents answer only requests that carry it, and only for their own Host', async () => {
    const fb = new FakeBackend().handle('ping', () => ({ output: { pong: true } }));
    const home = tmp('edgeai-auth-home-');
    // no heartbeats meanwhile: the agent's request log is this test's alone
    const c = await Controller.open({ home, cluster: 'sec', backend: () => fb, timeScale: 0, triggers: 'off', heartbeatMs: 600_000, notReadyAfterMs: 1_200_000 });
    try {
      await c.up({ topology: 'local' });
      const file = secretPathOf(c.dir);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const secret = readClusterSecret(c.dir)!;
      expect(secret.length).toBeGreaterThanOrEqual(43);
      await c.deploy(project());
      expect((await c.invoke('pinger', 'ping')).output).toEqual({ pong: true });
      // what the controller sent was accepted: nothing refused
      for (const a of fb.agents.values()) expect(a.refused).toEqual([]);

      const [name, agent] = [...fb.agents][0];
      const before = agent.requests.length;
      for (const creds of [{}, { authorization: bearer(newSecret()) }, { authorization: secret }] as Array<Record<string, string>>) {
        for (const [method, path] of [['GET', '/health'], ['PUT', `/bundles/${'0'.repeat(64)}`], ['POST', '/invoke'], ['POST', '/shutdown']]) {
          const r = await fetch(`http://127.0.0.1:${agent.port}${path}`, { method, headers: creds, ...(method === 'GET' ? {} : { body: '{}' }) });
          expect([method, path, r.status]).toEqual([method, path, 401]);
        }
      }
      const wrong = await new AgentClient(name, agent.port, newSecret()).health().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(wrong).toBeInstanceOf(AgentRefused);
      expect([(wrong as AgentRefused).status, (wrong as AgentRefused).code]).toEqual([401, 'unauthorized']);
      // the secret, for a Host that is not this agent's: 403 (a page that rebinds its name to 127.0.0.1)
      for (const host of ['evil.example', `evil.example:${agent.port}`, `127.0.0.1:${agent.port + 1}`]) expect(await getWithHost(agent.port, '/health', host, secret)).toBe(403);
      expect(await getWithHost(agent.port, '/health', `localhost:${agent.port}`, secret)).toBe(200);
      // nothing refused was done: no request recorded, the node still up
      expect(agent.requests.length).toBe(before + 1);
      expect(agent.refused.length).toBe(16);
      expect(agent.alive).toBe(true);
      expect(await new AgentClient(name, agent.port, secret).alive()).toBe(true);
    } finally {
      await c.down();
      c.close();
    }
    // down means down: the secret went with the nodes
    expect(readClusterSecret(c.dir)).toBeUndefined();
  });

  it('a controller that opens a cluster that is up reads its secret and adopts its nodes; with another secret it adopts none; each up makes a new one', async () => {
    const fb = new FakeBackend().handle('ping', () => ({ output: { pong: true } }));
    const home = tmp('edgeai-auth-home-');
    const open = () => Controller.open({ home, cluster: 'adopt', backend: () => fb, timeScale: 0, triggers: 'off' });
    const first = await open();
    await first.up({ topology: 'local' });
    await first.deploy(project());
    const secret = readClusterSecret(first.dir)!;
    first.close();

    const second = await open();
    try {
      expect(second.status().nodes.every((n) => n.status === 'Ready')).toBe(true);
      expect((await second.invoke('pinger', 'ping')).output).toEqual({ pong: true });
    } finally {
      second.close();
    }

    // a secret that is not the agents' (another `up`'s): nothing answers it, every node NotReady
    writeFileSync(secretPathOf(first.dir), newSecret() + '\n', { mode: 0o600 });
    const third = await open();
    try {
      expect(third.status().nodes.map((n) => n.status)).toEqual(third.status().nodes.map(() => 'NotReady'));
      for (const a of fb.agents.values()) expect(a.refused.filter((r) => r.startsWith('401 GET /health')).length).toBeGreaterThan(0);
    } finally {
      third.close();
    }

    // no secret at all: NotReady, saying so
    rmSync(secretPathOf(first.dir));
    const fourth = await open();
    try {
      expect(fourth.status().nodes[0].reason).toMatch(/no agent secret/);
      writeFileSync(secretPathOf(first.dir), secret + '\n', { mode: 0o600 });
      await fourth.down();
      await fourth.up({ topology: 'local' });
      const again = readClusterSecret(fourth.dir)!;
      expect(again).not.toBe(secret);
      expect([...fb.agents.values()].every((a) => a.alive)).toBe(true);
    } finally {
      await fourth.down();
      fourth.close();
    }
  });
});
