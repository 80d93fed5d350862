/** The runtime through its two outside doors: the edgeai commands and the HTTP gateway. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from './main';
import { Controller } from '../runtime/controller';
import { startGateway, type Gateway } from '../runtime/gateway';

const OPS = fileURLToPath(new URL('../runtime/fixtures/ops', import.meta.url));

describe('edgeai cluster / deploy / invoke / runs, and the gateway', () => {
  const home = mkdtempSync(join(tmpdir(), 'edgeai-cli-rt-'));
  const common = ['--home', home, '--cluster', 'cli'];
  async function cli(...argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await run([...argv, ...common], { out: (s) => out.push(s), err: (s) => err.push(s) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  beforeAll(async () => {
    const up = await cli('cluster', 'up');
    expect(up.code, up.err).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await cli('cluster', 'down');
    rmSync(home, { recursive: true, force: true });
  }, 60_000);

  it('shows the nodes, refuses a second up, deploys and invokes', async () => {
    const s = await cli('cluster', 'status', '--json');
    expect(JSON.parse(s.out).nodes.map((n: { status: string }) => n.status)).toEqual(['Ready', 'Ready', 'Ready', 'Ready']);
    const again = await cli('cluster', 'up');
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/already up with 4 ready node\(s\).*cluster down/s);

    const d = await cli('deploy', OPS);
    expect(d.code, d.err).toBe(0);
    expect(d.out).toMatch(/deployed ops revision 1/);
    expect(d.err).toMatch(/ops\/echo: scheduled on edge-\d[\s\S]*ops\/echo: shipped[\s\S]*ops\/echo: started[\s\S]*ops\/echo: ready/);

    const input = join(home, 'in.json');
    writeFileSync(input, JSON.stringify({ hello: 'edge' }));
    const inv = await cli('invoke', 'ops/echo', '--input', input, '--json');
    expect(inv.code, inv.err).toBe(0);
    const a = JSON.parse(inv.out);
    expect(a.output).toMatchObject({ echo: { hello: 'edge' } });
    expect(Object.keys(a.timings)).toEqual(['queueMs', 'transferMs', 'coldStartMs', 'execMs', 'overheadMs', 'totalMs']);

    const list = await cli('runs', 'list');
    expect(list.out).toMatch(new RegExp(`^${a.run.slice(0, 8)} .* ops/echo +ok +edge-\\d`, 'm'));
    const show = await cli('runs', 'show', a.run.slice(0, 8), '--json');
    expect(JSON.parse(show.out)).toMatchObject({ id: a.run, status: 'ok', request: { input: { hello: 'edge' } } });
  }, 120_000);

  it('says what is wrong with bad invocations', async () => {
    const nofn = await cli('invoke', 'ops/nope');
    expect(nofn.code).toBe(2);
    expect(nofn.err).toMatch(/ops has no function 'nope' \(deployed: .*echo/);
    const badInput = await cli('invoke', 'ops/echo', '--input', '{not json');
    expect(badInput.err).toMatch(/--input is neither a file nor JSON/);
    const badParam = await cli('invoke', 'ops/echo', '--param', 'novalue');
    expect(badParam.err).toMatch(/--param 'novalue' must look like name=value/);
    const shape = await cli('invoke', 'echo');
    expect(shape.err).toMatch(/expected <workflow>\/<function>/);
  }, 60_000);

  it('deploys changed-only and restarts, and refuses a stale --expect-revision', async () => {
    const same = await cli('deploy', OPS, '--mode', 'changed', '--expect-revision', '1');
    expect(same.code, same.err).toBe(0);
    // nothing changed: the revision stays
    expect(same.out).toMatch(/kept ops revision 1 \(mode changed\)/);
    expect(same.out).toMatch(/nothing changed in ops since revision 1: .*still revision 1/);
    expect(same.out).toMatch(/^ {2}echo +unchanged +edge-\d$/m);
    const restart = await cli('deploy', OPS, '--mode', 'restart');
    expect(restart.code, restart.err).toBe(0);
    expect(restart.out).toMatch(/restarted ops revision 1 \(mode restart\)/);
    expect(restart.out).toMatch(/^ {2}echo +restarted +edge-\d/m);
    const full = await cli('deploy', OPS);
    expect(full.out).toMatch(/deployed ops revision 2 in/);
    const stale = await cli('deploy', OPS, '--expect-revision', '1');
    expect(stale.code).toBe(2);
    expect(stale.err).toMatch(/ops is at revision 2 on cluster 'cli', not the expected revision 1; nothing was deployed\n +another window or `edgeai deploy` deployed it meanwhile/);
  }, 60_000);

  describe('HTTP gateway', () => {
    let c: Controller;
    let g: Gateway;
    beforeAll(async () => {
      c = await Controller.open({ home, cluster: 'cli' });
      g = await startGateway(c);
    });
    afterAll(async () => {
      await g.close();
      c.close();
    });

    it('routes POST /fn/<workflow>/<function> to the placed node and answers with the timings', async () => {
      const r = await fetch(`${g.url}/fn/ops/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ input: { x: 1 } }) });
      expect(r.status).toBe(200);
      const a = await r.json();
      expect(a).toMatchObject({ workflow: 'ops', function: 'echo', output: { echo: { x: 1 } } });
      expect(g.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    }, 60_000);

    it('answers errors as JSON with a status that fits', async () => {
      const bad = await fetch(`${g.url}/fn/ops/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{oops' });
      expect(bad.status).toBe(400);
      expect((await bad.json()).error.code).toBe('bad-request');
      const missing = await fetch(`${g.url}/fn/nowhere/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(missing.status).toBe(404);
      expect((await missing.json()).error).toMatchObject({ code: 'not-deployed', hint: expect.stringMatching(/edgeai deploy/) });
      const slow = await fetch(`${g.url}/fn/ops/slow`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ input: { ms: 3000 } }) });
      expect(slow.status).toBe(504);
    }, 60_000);
  });
  // last: it takes the cluster down and up again
  it('deploy --replace takes over a workflow name from another folder; cluster down --keep-state keeps the deployment for the next up', async () => {
    const copy = join(home, 'ops-copy');
    cpSync(OPS, copy, { recursive: true });
    const taken = await cli('deploy', copy);
    expect(taken.code).toBe(2);
    expect(taken.err).toMatch(/workflow 'ops' on cluster 'cli' is deployed from .*fixtures\/ops; .*ops-copy has a workflow of the same name.*nothing was deployed.*--replace/s);
    const replaced = await cli('deploy', copy, '--replace');
    expect(replaced.code, replaced.err).toBe(0);
    const status = async () => JSON.parse((await cli('cluster', 'status', '--json')).out) as { up: boolean; deployments: Array<{ workflow: string; project: string; status: string }> };
    expect((await status()).deployments.find((d) => d.workflow === 'ops')!.project).toBe(copy);

    const down = await cli('cluster', 'down', '--keep-state');
    expect(down.code, down.err).toBe(0);
    const kept = await status();
    expect(kept.up).toBe(false);
    expect(kept.deployments.map((d) => `${d.workflow}:${d.status}`)).toEqual(['ops:stopped']);
    const up = await cli('cluster', 'up');
    expect(up.code, up.err).toBe(0);
    expect((await status()).deployments.map((d) => d.workflow)).toEqual(['ops']);
    // a plain down forgets it
    expect((await cli('cluster', 'down')).code).toBe(0);
    expect((await cli('cluster', 'up')).code).toBe(0);
    expect((await status()).deployments).toEqual([]);
  }, 180_000);
});
