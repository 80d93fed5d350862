/**
 * What a deploy promises, on a real process-backend cluster (issue 10): a strict data policy
 * holds at import (nothing crosses, the counters prove it), `changed` is per function, a data
 * add into the running cluster fires its data triggers and its outputs are visible from the CLI,
 * declared http routes are served, and `cluster down` means down.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Controller, type ClusterEvent } from './controller';
import { HealthSchema } from './agent/protocol';
import { bearer, readClusterSecret } from './agent/secret';
import { startGateway } from './gateway';
import { run } from '../cli/main';
import { planProject } from '../app/plan';
import { loadProject } from '../project/project';
import { topologyByName } from '../topology/scenarios';

const made: string[] = [];
function tmp(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}

/** A project folder written from files (path → text). */
function project(name: string, files: Record<string, string>, workflow: Record<string, unknown> = {}): string {
  const dir = join(tmp('edgeai-rules-'), name);
  mkdirSync(join(dir, 'functions'), { recursive: true });
  writeFileSync(join(dir, 'workflow.json'), JSON.stringify({ name, version: 1, dataSources: [], triggers: [], ...workflow }, null, 2));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

const VAULT = {
  'data/records.csv': 'user,value\nalice,1\nbob,2\n',
  'functions/audit.ts': `import { consumes, policy, type Data, type Request } from 'edge-ai-studio/sdk';

/** Reads the records; they may not cross anything but 'local'. */
export class Audit {
  @consumes.data({ selector: { urn: 'vault:records' } })
  @policy.data({ network: 'local', strict: true })
  async audit(data: Data, request: Request) {
    return { rows: data.length };
  }
}
`,
};

const twins = (a: number, b: number) => `import { policy, type Request } from 'edge-ai-studio/sdk';

/** Two functions in one file: editing one must not restart the other. */
export class Twins {
  @policy.fn({ node: 'edge' })
  async left(request: Request) {
    return { left: ${a}, pid: process.pid };
  }

  @policy.fn({ node: 'edge' })
  async right(request: Request) {
    return { right: ${b}, pid: process.pid };
  }
}
`;

describe('deploy rules on the process backend', () => {
  let home: string;
  let c: Controller;
  const cluster = `rules-${process.pid}`;
  const cli = async (...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await run([...argv, '--home', home, '--cluster', cluster], { out: (s) => out.push(s), err: (s) => err.push(s) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  beforeAll(async () => {
    home = tmp('edgeai-rules-home-');
    // this controller fires no triggers: the data-add test says who does
    c = await Controller.open({ home, cluster, triggers: 'off' });
    await c.up({ backend: 'process', topology: 'local' });
  }, 180_000);

  afterAll(async () => {
    if (c) {
      await c.down().catch(() => undefined);
      c.close();
    }
    for (const d of made) rmSync(d, { recursive: true, force: true });
  }, 120_000);

  it('strict data: a data source on a node outside the allowed networks is refused before any byte moves (item 2)', async () => {
    const dir = project('vault', VAULT, {
      dataSources: [{ urn: 'vault:records', type: 'table', tags: [], format: 'csv', source: { kind: 'file', path: 'data/records.csv' }, node: 'cloud-1' }],
    });
    // the plan (what `edgeai schedule` prints) refuses it …
    const plan = planProject(loadProject(dir), topologyByName('local'), 'edge-ai');
    expect(plan.placements[0].node).toBeNull();
    expect(plan.infeasible.audit.message).toMatch(/DataNetwork removed/);
    const before = JSON.stringify(c.status().links);
    // … and so does the deploy, with the artifact, where it lives and the networks named
    const r = await c.deploy(dir);
    const audit = r.functions.find((f) => f.id === 'audit')!;
    expect(audit.status).toBe('failed');
    expect(audit.reason).toMatch(/vault:records lives on cloud-1 \(network cloud\)/);
    expect(audit.reason).toMatch(/policy\.data/);
    expect(audit.reason).toMatch(/network\(s\) local/);
    // nothing crossed: the bytes were put where the data lives, no link counted them
    expect(JSON.stringify(c.status().links)).toBe(before);
    const records = c.registry.artifact('vault:records')!;
    expect(records.locations.map((l) => l.node)).toEqual(['cloud-1']);
    expect(c.registry.hasBytes(records)).toBe(false);
  }, 120_000);

  it("the deadline clock starts when the controller begins the invocation: a CLI's own start-up is not counted (item 4)", async () => {
    const dir = project(
      'quick',
      {
        'data/in.csv': 'x\n1\n2\n',
        'functions/read.ts': `import { consumes, policy, type Data, type Request } from 'edge-ai-studio/sdk';

export class Read {
  @consumes.data({ selector: { urn: 'quick:in' } })
  @policy.fn({ node: 'local' })
  @policy.deadline('150ms')
  async read(data: Data, request: Request) {
    return { rows: data.length };
  }
}
`,
      },
      { dataSources: [{ urn: 'quick:in', type: 'table', tags: [], format: 'csv', source: { kind: 'file', path: 'data/in.csv' } }] },
    );
    expect((await c.deploy(dir)).functions[0].status).toBe('ready');
    // a registry that has seen a lot: a fresh process reads its index once (~0.4 s here for
    // 30,000 records); that start-up used to fall inside the first invocation's deadline
    c.registry.transaction(() => {
      for (let i = 0; i < 30_000; i++) c.registry.putRemote({ kind: 'data', urn: `quick:old:${i}`, format: 'jsonl', tags: [], locations: [{ node: 'edge-1' }] }, { sha256: 'a'.repeat(64), size: 1 });
    });
    const r = await cli('invoke', 'quick/read', '--json');
    expect(r.err).not.toMatch(/deadline/);
    expect(r.code).toBe(0);
    const a = JSON.parse(r.out) as { output: unknown; timings: Record<string, number> };
    expect(a.output).toEqual({ rows: 2 });
    // the parts add up to the total
    const t = a.timings;
    expect(t.queueMs + t.transferMs + t.coldStartMs + t.execMs + t.overheadMs).toBeCloseTo(t.totalMs, 0);
  }, 120_000);

  it('a registry error at deploy (a data file that does not parse) is a user error, not a stack trace, and claims no revision', async () => {
    const dir = project('badcsv', { 'data/rows.csv': 'a,b\n1,2,3,4\n"unterminated\n', 'functions/audit.ts': VAULT['functions/audit.ts'].replace(/vault:records/g, 'bad:rows').replace(/\n  @policy\.data[^\n]*/, '') }, {
      dataSources: [{ urn: 'bad:rows', type: 'table', tags: [], format: 'csv', source: { kind: 'file', path: 'data/rows.csv' } }],
    });
    const r = await cli('deploy', dir);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^edgeai deploy: .*rows\.csv/m);
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(c.state.deployment('badcsv')).toBeUndefined();
  }, 60_000);

  it('changed is per function: editing one function of a file leaves its sibling running (item 6)', async () => {
    const dir = project('twins', { 'functions/twins.ts': twins(1, 1) });
    const first = await c.deploy(dir);
    expect(first.functions.map((f) => `${f.id}:${f.status}`).sort()).toEqual(['left:ready', 'right:ready']);
    const rightPid = (await c.invoke('twins', 'right')).output as { pid: number };
    writeFileSync(join(dir, 'functions/twins.ts'), twins(2, 1));
    const second = await c.deploy(dir, { mode: 'changed' });
    const by = Object.fromEntries(second.functions.map((f) => [f.id, f]));
    expect(by.left).toMatchObject({ status: 'ready', action: 'deployed' });
    expect(by.right).toMatchObject({ status: 'ready', action: 'unchanged' });
    // the sibling kept its worker: the same process answers
    expect(((await c.invoke('twins', 'right')).output as { pid: number }).pid).toBe(rightPid.pid);
    expect((await c.invoke('twins', 'left')).output).toMatchObject({ left: 2 });
  }, 120_000);

  it('data add publishes into the running cluster, fires its data triggers, and the CLI sees what ran (item 3)', async () => {
    const dir = project(
      'cam',
      {
        'data/frame.csv': 'pixel\n1\n2\n3\n',
        'functions/count.ts': `import { consumes, produces, type Data, type Request } from 'edge-ai-studio/sdk';

/** Counts the rows of the newest frame. */
export class Count {
  @consumes.data({ selector: { urn: 'cam:frame' } })
  @produces.data({ urn: 'cam:count', format: 'jsonl' })
  async count(data: Data, request: Request) {
    return { rows: data.length };
  }
}
`,
      },
      { triggers: [{ kind: 'data', id: 'on-frame', function: 'count', selector: { urn: 'cam:frame' }, batch: 1 }] },
    );
    await c.deploy(dir);
    const add = await cli('data', 'add', dir, join(dir, 'data/frame.csv'), '--urn', 'cam:frame');
    expect(add.code).toBe(0);
    expect(add.err).toMatch(new RegExp(`registry: cluster '${cluster}' \\(running\\)`));
    expect(add.out).toMatch(/published +cam:frame@1/);
    expect(add.out).toMatch(/trigger on-frame started cam\/count: ok/);
    // the output of what ran, with its lineage, is in the registry the CLI reads
    const list = await cli('artifacts', 'list', '--json');
    const urns = (JSON.parse(list.out) as Array<{ urn: string }>).map((a) => a.urn);
    expect(urns).toEqual(expect.arrayContaining(['cam:frame', 'cam:count']));
    const lineage = await cli('artifacts', 'lineage', 'cam:count');
    expect(lineage.out).toMatch(/cam:frame@1/);
    // the same bytes again are no new frame: nothing fires
    const again = await cli('data', 'add', dir, join(dir, 'data/frame.csv'), '--urn', 'cam:frame');
    expect(again.out).toMatch(/unchanged/);
    expect(again.out).not.toMatch(/trigger/);
    // a running controller that fires the cluster's triggers (the studio, `edgeai gateway`) fires it instead, once
    const owner = await Controller.open({ home, cluster });
    /** the triggers the owner fired for cam (its `trigger <id> (…) starts cam/<fn>` progress events) */
    const ownerFired: string[] = [];
    owner.on('event', (ev: ClusterEvent) => {
      if (ev.type === 'progress' && ev.step === 'trigger' && / starts cam\//.test(ev.message)) ownerFired.push(ev.message);
    });
    try {
      owner.fireTriggers(); // takes the trigger lease
      writeFileSync(join(dir, 'data/frame2.csv'), 'pixel\n1\n2\n');
      const byOwner = await cli('data', 'add', dir, join(dir, 'data/frame2.csv'), '--urn', 'cam:frame');
      expect(byOwner.out).toMatch(/published +cam:frame@2/);
      expect(byOwner.out).toMatch(/the running controller \(pid \d+: the studio or `edgeai gateway`\) fires the cluster's data triggers/);
      expect(byOwner.out).not.toMatch(/trigger on-frame started/);
      const t0 = Date.now();
      while (c.runs({ workflow: 'cam', function: 'count' }).filter((r) => r.status === 'ok').length < 2) {
        if (Date.now() - t0 > 20_000) throw new Error('the owner did not fire the data trigger');
        await new Promise((r) => setTimeout(r, 50));
      }
      // once: the owner's scan and this command's read one cursor. Proof the owner scanned again
      // since: something unrelated published after the frame, and the owner's cursor past it
      writeFileSync(join(dir, 'data/other.csv'), 'x\n1\n');
      const other = await cli('data', 'add', dir, join(dir, 'data/other.csv'), '--urn', 'cam:other');
      expect(other.out).toMatch(/published +cam:other@1/);
      const otherSeq = c.registry.since(-1).find((e) => e.artifact.urn === 'cam:other')!.seq;
      const t1 = Date.now();
      while (Number(owner.state.get('triggers.seq') ?? -1) < otherSeq) {
        if (Date.now() - t1 > 20_000) throw new Error(`the owner's trigger scan did not read past seq ${otherSeq} (its cursor: ${owner.state.get('triggers.seq')})`);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(ownerFired).toHaveLength(1);
      expect(ownerFired[0]).toMatch(/^trigger on-frame \(1 new data artifact \(cam:frame@2\)\) starts cam\/count$/);
      expect(c.runs({ workflow: 'cam', function: 'count' }).length).toBe(2);
    } finally {
      owner.close();
    }
  }, 120_000);

  it('data add --node puts the bytes on that node only; --store project writes the project\'s own store and says which registry', async () => {
    const dir = project('lens', { 'data/shot.csv': 'pixel\n4\n5\n' });
    const add = await cli('data', 'add', dir, join(dir, 'data/shot.csv'), '--urn', 'lens:shot', '--node', 'edge-2');
    expect(add.code, add.err).toBe(0);
    const a = c.registry.artifact('lens:shot')!;
    expect(a.locations.map((l) => l.node)).toEqual(['edge-2']);
    // on the node's agent, not in the registry's own store
    expect(c.registry.hasBytes(a)).toBe(false);
    const n = c.status().nodes.find((x) => x.name === 'edge-2')!;
    const held = await fetch(`http://${n.host}:${n.port}/blobs/${a.sha256}`, { method: 'HEAD', headers: { authorization: bearer(readClusterSecret(c.dir)!) } });
    expect(held.status).toBe(200);
    // the project's own store, asked for by name: the cluster's registry is untouched, and the CLI says where it wrote
    const local = await cli('data', 'add', dir, join(dir, 'data/shot.csv'), '--urn', 'lens:local', '--store', 'project');
    expect(local.code, local.err).toBe(0);
    expect(local.err).toMatch(/registry: the project's own store .*\.edgeai[/\\]registry/);
    expect(c.registry.artifact('lens:local')).toBeUndefined();
    const listed = JSON.parse((await cli('artifacts', 'list', '--store', 'project', '--project', dir, '--json')).out) as Array<{ urn: string }>;
    expect(listed.map((x) => x.urn)).toEqual(['lens:local']);
    expect((await cli('data', 'add', dir, join(dir, 'data/shot.csv'), '--urn', 'lens:x', '--store', 'elsewhere')).err).toMatch(/--store elsewhere: use cluster or project/);
  }, 60_000);

  it('serves the declared route of an http trigger (path and method), besides /fn/<workflow>/<function> (item 9)', async () => {
    const dir = project(
      'hello',
      {
        'functions/greet.ts': `import { type Request } from 'edge-ai-studio/sdk';
import { policy } from 'edge-ai-studio/sdk';

export class Greet {
  @policy.fn({ node: 'edge' })
  async greet(request: Request) {
    return { hello: (request.input as { name?: string } | undefined)?.name ?? request.params.name ?? 'world' };
  }
}
`,
      },
      {
        triggers: [
          { kind: 'http', id: 'greet-post', function: 'greet', method: 'POST', path: '/greet' },
          { kind: 'http', id: 'greet-get', function: 'greet', method: 'GET', path: '/hi' },
        ],
      },
    );
    await c.deploy(dir);
    expect(c.routes()).toEqual(expect.arrayContaining([expect.objectContaining({ method: 'POST', path: '/greet', workflow: 'hello', function: 'greet' })]));
    const g = await startGateway(c, 0);
    try {
      const post = await fetch(`${g.url}/greet`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ input: { name: 'ada' } }) });
      expect(post.status).toBe(200);
      expect((await post.json()).output).toEqual({ hello: 'ada' });
      const get = await fetch(`${g.url}/hi?name=bob`);
      expect(get.status).toBe(200);
      expect((await get.json()).output).toEqual({ hello: 'bob' });
      const wrong = await fetch(`${g.url}/greet`);
      expect(wrong.status).toBe(405);
      expect(wrong.headers.get('allow')).toBe('POST');
      expect((await fetch(`${g.url}/fn/hello/greet`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(200);
    } finally {
      await g.close();
    }
  }, 120_000);

  it("a produced urn template is filled from the request's params at run time; a missing one is named", async () => {
    const dir = project('notes', {
      'functions/note.ts': `import { policy, produces, type Request } from 'edge-ai-studio/sdk';
export class Notes {
  @produces.data({ urn: 'notes:{user}', format: 'jsonl' })
  @policy.fn({ node: 'local' })
  async note(request: Request) {
    return [{ user: request.params.user, n: 1 }];
  }
}
`,
    });
    expect((await c.deploy(dir)).functions.map((f) => f.status)).toEqual(['ready']);
    const alice = await c.invoke('notes', 'note', { params: { user: 'alice' } });
    const bob = await c.invoke('notes', 'note', { params: { user: 'bob' } });
    expect([alice.produced, bob.produced]).toEqual([['notes:alice@1'], ['notes:bob@1']]);
    expect(c.registry.artifact('notes:alice')).toMatchObject({ urn: 'notes:alice', version: 1 });
    expect(c.registry.artifact('notes:bob')).toMatchObject({ urn: 'notes:bob', version: 1 });
    const missing = await c.invoke('notes', 'note').then(
      () => undefined,
      (e: unknown) => e as { code?: string; message: string; hint?: string },
    );
    expect(missing).toMatchObject({ code: 'missing-param', message: expect.stringMatching(/note produces notes:\{user\}, which needs request parameter 'user'/), hint: expect.stringMatching(/--param user=/) });
    expect(c.registry.versions('notes:{user}')).toEqual([]);
  }, 60_000);

  it('cluster down means down: deployments, placements and what lived only on the nodes do not come back; --keep-state keeps them (item 8)', async () => {
    const dir = project('twins', { 'functions/twins.ts': twins(3, 3) });
    await c.deploy(dir, { replace: true });
    await c.invoke('twins', 'left');
    // keep-state first: the next up sees the deployment (stopped) and the node store
    await c.down({ keepState: true });
    expect(c.status().deployments.map((d) => `${d.workflow}:${d.status}`)).toContain('twins:stopped');
    await c.up({ backend: 'process', topology: 'local' });
    expect(c.status().deployments.length).toBeGreaterThan(0);
    // a plain down: nothing of the run comes back
    await c.down();
    await c.up({ backend: 'process', topology: 'local' });
    const s = c.status();
    expect(s.deployments).toEqual([]);
    expect(s.unavailable).toEqual([]);
    expect(c.routes()).toEqual([]);
    // the agents' stores are new: nothing survived on them
    for (const n of s.nodes) {
      const h = HealthSchema.parse(await (await fetch(`http://${n.host}:${n.port}/health`, { headers: { authorization: bearer(readClusterSecret(c.dir)!) } })).json());
      expect(h.blobs).toBe(0);
    }
  }, 180_000);
});
