/**
 * The runtime commands a README reader types, as separate programs on a real process-backend
 * cluster: `edgeai cluster up`, `deploy`, `edgeai gateway` (its own long-running process: it
 * prints where it listens and its routes, answers POST /fn/<workflow>/<function>, and exits 0 on
 * SIGTERM; with --token every request must carry it), `runs show --output`, and `edgeai cluster down`, after which no process of the cluster is left — no agent,
 * no worker.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { run } from './main';

const ROOT = resolve(import.meta.dirname, '../..');
const made: string[] = [];
const tmp = (p: string) => {
  const d = mkdtempSync(join(tmpdir(), p));
  made.push(d);
  return d;
};
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

const HELLO = `import { policy, type Request } from 'edge-ai-studio/sdk';

export class Hello {
  @policy.fn({ node: 'edge' })
  async greet(request: Request) {
    const { name } = (request.input ?? {}) as { name?: string };
    return { hello: name ?? 'world', pid: process.pid };
  }
}
`;

function alive(pid: number): boolean {
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

describe('edgeai cluster up, deploy, gateway, cluster down (separate programs, process backend)', () => {
  const home = tmp('edgeai-cli-rt-home-');
  const cluster = `clirt-${process.pid}`;
  const cli = async (...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await run([...argv, '--home', home, '--cluster', cluster], { out: (s) => out.push(s), err: (s) => err.push(s) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  afterAll(async () => {
    await cli('cluster', 'down');
  }, 60_000);

  it('serves an invocation from `edgeai gateway`, and `cluster down` leaves no process behind', async () => {
    const dir = join(tmp('edgeai-cli-rt-'), 'hello');
    mkdirSync(join(dir, 'functions'), { recursive: true });
    writeFileSync(join(dir, 'workflow.json'), JSON.stringify({ name: 'hello', version: 1, dataSources: [], triggers: [{ kind: 'http', id: 'greet-route', function: 'greet', method: 'POST', path: '/greet' }] }));
    writeFileSync(join(dir, 'functions', 'hello.ts'), HELLO);
    expect((await cli('cluster', 'up')).code).toBe(0);
    const dep = await cli('deploy', dir);
    expect(dep.code, dep.err).toBe(0);

    const gw = spawn(process.execPath, [join(ROOT, 'bin/edgeai.mjs'), 'gateway', '--port', '0', '--home', home, '--cluster', cluster], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    gw.stdout!.on('data', (d) => (out += String(d)));
    gw.stderr!.on('data', (d) => (err += String(d)));
    const exited = new Promise<number | null>((r) => gw.once('exit', (code) => r(code)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`edgeai gateway printed no URL within 30 s: ${out} ${err}`)), 30_000);
        const check = () => {
          const m = /gateway on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
          if (m && /declared routes/.test(out) && /\/greet/.test(out)) (clearTimeout(timer), resolve(m[1]));
        };
        gw.stdout!.on('data', check);
        gw.once('exit', (code) => reject(new Error(`edgeai gateway exited (${code}): ${err}`)));
      });
      expect(out).toMatch(/POST http:\/\/127\.0\.0\.1:\d+\/greet {2}→ hello\/greet \(trigger greet-route\)/);
      const r = await fetch(`${url}/fn/hello/greet`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ input: { name: 'edge' } }) });
      expect(r.status).toBe(200);
      expect(await r.json()).toMatchObject({ output: { hello: 'edge' } });
      const viaRoute = await fetch(`${url}/greet`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ input: { name: 'route' } }) });
      expect(await viaRoute.json()).toMatchObject({ output: { hello: 'route' } });
    } finally {
      gw.kill('SIGTERM');
    }
    expect(await exited).toBe(0);

    // `edgeai gateway --token <secret>`: every request must carry it
    const secured = spawn(process.execPath, [join(ROOT, 'bin/edgeai.mjs'), 'gateway', '--port', '0', '--token', 's3cret-token', '--home', home, '--cluster', cluster], { stdio: ['ignore', 'pipe', 'pipe'] });
    const securedExit = new Promise<number | null>((r) => secured.once('exit', (code) => r(code)));
    try {
      let sOut = '';
      const sUrl = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`edgeai gateway --token printed no URL within 30 s: ${sOut}`)), 30_000);
        secured.stdout!.on('data', (d) => {
          sOut += String(d);
          const m = /gateway on (http:\/\/127\.0\.0\.1:\d+)/.exec(sOut);
          if (m) (clearTimeout(timer), resolve(m[1]));
        });
      });
      expect(sOut).toMatch(/Authorization: Bearer <token>/);
      const body = JSON.stringify({ input: { name: 'token' } });
      const without = await fetch(`${sUrl}/fn/hello/greet`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(without.status).toBe(401);
      const wrong = await fetch(`${sUrl}/fn/hello/greet`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer nope-nope' }, body });
      expect(wrong.status).toBe(401);
      const right = await fetch(`${sUrl}/fn/hello/greet`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer s3cret-token' }, body });
      expect(await right.json()).toMatchObject({ output: { hello: 'token' } });
    } finally {
      secured.kill('SIGTERM');
    }
    expect(await securedExit).toBe(0);

    // every process of the cluster: the agents, and the workers they run
    const status = JSON.parse((await cli('cluster', 'status', '--json')).out) as { nodes: Array<{ name: string; pid: number | null; health?: { functions?: Array<{ pids?: number[] }> } }> };
    const agents = status.nodes.map((n) => n.pid!).filter(Boolean);
    expect(agents).toHaveLength(4);
    const answer = await cli('invoke', 'hello/greet', '--input', '{"name":"last"}', '--json');
    const worker = (JSON.parse(answer.out) as { output: { pid: number } }).output.pid;
    // `runs show <run> --output` prints the run's whole output
    const runId = (JSON.parse(answer.out) as { run: string }).run;
    expect(JSON.parse((await cli('runs', 'show', runId.slice(0, 8), '--output')).out)).toEqual({ hello: 'last', pid: worker });
    expect(alive(worker)).toBe(true);
    expect((await cli('cluster', 'down')).code).toBe(0);
    const t0 = Date.now();
    while ([...agents, worker].some(alive) && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 50));
    expect([...agents, worker].filter(alive)).toEqual([]);
  }, 180_000);
});
