/**
 * Function bundles are what the controller shipped, or nothing runs (issue 11, item 8), on a real
 * cluster of each backend (docker: skipped without an engine, except with CI=true):
 * - a function cannot write another workflow's bundle on its node (workers write only their
 *   scratch folder): every way of writing, replacing or removing it is refused;
 * - a bundle changed on disk (here by the test, into code that would run and answer otherwise; in a
 *   container through the engine's archive endpoint, as a host process with access to it could) is
 *   refused at the next invocation and warm with a clear error — even with a warm worker that
 *   loaded the genuine code — and a worker never imports one that does not hash to its name;
 * - `PUT /bundles/<sha>` replaces a file whose hash does not match (had: false) and keeps one that
 *   does (had: true), so a redeploy (full, or changed) repairs the damage.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Controller } from '../controller';
import { buildAgent } from '../build';
import { functionRef } from '../controller/invoker';
import type { StoredSpec } from '../controller/types';
import { AgentClient, AgentRefused } from '../agent/client';
import type { FromWorker, ToWorker } from '../agent/protocol';
import { readClusterSecret } from '../agent/secret';
import { DockerBackend } from '../backends/docker';
import type { BackendKind } from '../../common/status';
import { dockerSkipReason } from '../testing/docker-skip';
import { rejects } from '../testing/rejects';
import { readFileIn, writeFileIn } from '../testing/docker-exec';

import { tempDirs } from '../testing/temp';

const tmp = tempDirs();

const VICTIM = `import { policy, type Request } from 'edge-ai-studio/sdk';
export class Victim {
  @policy.fn({ node: 'local' })
  async serve(request: Request) {
    return { answer: 'genuine' };
  }
}
`;

const ATTACKER = `import { policy, type Request } from 'edge-ai-studio/sdk';
import { appendFileSync, renameSync, rmSync, symlinkSync, truncateSync, unlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function attempt(f: () => unknown): string {
  try {
    f();
    return 'done';
  } catch (e) {
    return 'denied ' + ((e as { code?: string }).code ?? (e as Error).message);
  }
}

export class Attacker {
  /** tries to replace another workflow's bundle on its node */
  @policy.fn({ node: 'local' })
  async overwrite(request: Request) {
    const { path, code } = request.input as { path: string; code: string };
    const mine = join(tmpdir(), 'forged.mjs');
    writeFileSync(mine, code);
    return {
      write: attempt(() => writeFileSync(path, code)),
      append: attempt(() => appendFileSync(path, code)),
      truncate: attempt(() => truncateSync(path, 0)),
      copy: attempt(() => copyFileSync(mine, path)),
      rename: attempt(() => renameSync(mine, path)),
      unlink: attempt(() => unlinkSync(path)),
      rm: attempt(() => rmSync(path, { force: true })),
      symlink: attempt(() => symlinkSync(mine, path + '.mjs')),
    };
  }
}
`;

function project(name: string, file: string, source: string): string {
  const dir = join(tmp('edgeai-bundles-'), name);
  mkdirSync(join(dir, 'functions'), { recursive: true });
  writeFileSync(join(dir, 'workflow.json'), JSON.stringify({ name, version: 1, dataSources: [], triggers: [] }, null, 2));
  writeFileSync(join(dir, 'functions', file), source);
  return dir;
}

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');


/** A node's files as the test reaches them: the host's folder (process) or the container (docker). */
interface NodeFiles {
  /** where the agent keeps a bundle, as the function on that node sees the path */
  bundlePath(node: string, bundle: string): string;
  read(node: string, path: string): Promise<Buffer>;
  write(node: string, path: string, data: string | Buffer): Promise<void>;
}

function nodeFiles(kind: BackendKind, c: () => Controller): NodeFiles {
  if (kind === 'process') {
    return {
      bundlePath: (node, bundle) => join(c().dir, 'nodes', node, 'bundles', `${bundle}.mjs`),
      read: async (_node, path) => readFileSync(path),
      write: async (_node, path, data) => writeFileSync(path, data),
    };
  }
  const docker = new DockerBackend().docker;
  const container = (node: string) => docker.getContainer(c().status().nodes.find((n) => n.name === node)!.container!);
  return {
    bundlePath: (_node, bundle) => `/store/bundles/${bundle}.mjs`,
    read: (node, path) => readFileIn(container(node), path),
    write: (node, path, data) => writeFileIn(container(node), path, data),
  };
}

const dockerSkip = await dockerSkipReason('bundles.int.test');

for (const [kind, skip] of [['process', false], ['docker', dockerSkip]] as Array<[BackendKind, string | false]>) {
describe.skipIf(!!skip)(`bundles are what the controller shipped (${kind} backend)`, () => {
  let home: string;
  let c: Controller;
  let victim: string;
  const cluster = `bundles-${kind}-${process.pid}`;
  const files = nodeFiles(kind, () => c);
  const placement = () => c.state.placement('victim', 'serve')!;
  const node = () => placement().node!;
  const bundleFile = () => files.bundlePath(node(), placement().bundle);
  const readBundle = () => files.read(node(), bundleFile());
  const writeBundle = (data: string | Buffer) => files.write(node(), bundleFile(), data);
  const client = () => {
    const n = c.status().nodes.find((x) => x.name === node())!;
    return new AgentClient(n.name, n.port!, readClusterSecret(c.dir)!, n.host ?? undefined);
  };
  /** the victim's bundle, changed into code that loads and answers 'forged' */
  const corrupt = async () => {
    const code = (await readBundle()).toString('utf8');
    expect(code).toMatch(/genuine/);
    await writeBundle(code.replaceAll('genuine', 'forged'));
  };

  beforeAll(async () => {
    home = tmp('edgeai-bundles-home-');
    c = await Controller.open({ home, cluster, triggers: 'off' });
    await c.up({ backend: kind, topology: 'local' });
    victim = project('victim', 'victim.ts', VICTIM);
    for (const dir of [victim, project('attacker', 'attacker.ts', ATTACKER)]) {
      const d = await c.deploy(dir);
      expect(d.functions.filter((f) => f.status !== 'ready')).toEqual([]);
    }
    expect((await c.invoke('victim', 'serve')).output).toEqual({ answer: 'genuine' });
  }, 300_000);

  afterAll(async () => {
    if (c) {
      await c.down().catch(() => undefined);
      c.close();
    }
  }, 120_000);

  it("a function cannot write, replace or remove another workflow's bundle on its node", async () => {
    // the same node: both are placed on the user's device
    expect(c.state.placement('attacker', 'overwrite')!.node).toBe(placement().node);
    const before = await readBundle();
    const forged = before.toString('utf8').replaceAll('genuine', 'forged');
    const r = (await c.invoke('attacker', 'overwrite', { input: { path: bundleFile(), code: forged } })).output as Record<string, string>;
    for (const [how, what] of Object.entries(r)) expect([how, what]).toEqual([how, 'denied ERR_ACCESS_DENIED']);
    expect((await readBundle()).equals(before)).toBe(true);
    expect(sha(before)).toBe(placement().bundle);
    expect((await c.invoke('victim', 'serve')).output).toEqual({ answer: 'genuine' });
  }, 60_000);

  it('a bundle changed on disk is refused at the next invocation and warm, warm worker or not; a redeploy repairs it', async () => {
    const worker = (await client().health()).functions.find((f) => f.workflow === 'victim')!;
    expect(worker.workers).toBeGreaterThan(0);
    await corrupt();
    const e = await rejects(c.invoke('victim', 'serve'));
    expect(e.code).toBe('bundle-corrupt');
    expect(e.message).toMatch(new RegExp(`bundle ${placement().bundle.slice(0, 12)} of serve does not match its sha256`));
    expect(e.hint).toMatch(/deploy the workflow again/);
    expect(c.runs({ workflow: 'victim', limit: 1 })[0].status).toBe('failed');
    const ref = functionRef('victim', JSON.parse(placement().spec) as StoredSpec, placement().bundle);
    const w = await rejects(client().warm(ref));
    expect([w instanceof AgentRefused, (w as AgentRefused).code]).toEqual([true, 'bundle-corrupt']);
    // a restart reuses the bundle on the node: it fails, saying why
    const restart = await c.deploy(victim, { mode: 'restart' });
    expect(restart.functions[0]).toMatchObject({ id: 'serve', status: 'failed', reason: expect.stringMatching(/does not match its sha256/) });

    // a full redeploy ships the bundle again: the agent replaces the damaged copy
    const d = await c.deploy(victim);
    expect(d.functions.map((f) => [f.id, f.status])).toEqual([['serve', 'ready']]);
    expect(sha(await readBundle())).toBe(placement().bundle);
    expect((await c.invoke('victim', 'serve')).output).toEqual({ answer: 'genuine' });

    // so does a changed-only deploy: the function cannot stay as it is, and is shipped again
    await corrupt();
    const changed = await c.deploy(victim, { mode: 'changed' });
    expect(changed.functions.map((f) => [f.id, f.status, f.action])).toEqual([['serve', 'ready', 'deployed']]);
    expect(sha(await readBundle())).toBe(placement().bundle);
    expect((await c.invoke('victim', 'serve')).output).toEqual({ answer: 'genuine' });
  }, 120_000);

  it('PUT /bundles/<sha> keeps an intact copy (had) and replaces a damaged one', async () => {
    const code = await readBundle();
    const bundle = placement().bundle;
    expect(await client().putBundle(bundle, code)).toMatchObject({ ok: true, had: true });
    await writeBundle('garbage');
    expect(await client().putBundle(bundle, code)).toMatchObject({ ok: true, had: false });
    expect((await readBundle()).equals(code)).toBe(true);
    expect(await client().putBundle(bundle, code)).toMatchObject({ ok: true, had: true });
    // bytes that do not hash to the name are refused, the copy on the node stays
    await expect(client().putBundle(bundle, 'export const x = 1;\n')).rejects.toMatchObject({ code: 'hash-mismatch' });
    expect((await readBundle()).equals(code)).toBe(true);
  }, 60_000);
});
}

describe('a worker imports only a bundle that hashes to its name', () => {
  it('refuses one that does not, before it runs any of it', async () => {
    const build = await buildAgent();
    const dir = tmp('edgeai-worker-bundle-');
    const code = "globalThis.__ran = true; export class Hello { hi() { return 'hi'; } }\n";
    const file = join(dir, 'b.mjs');
    writeFileSync(file, code.replace("'hi'", "'forged'"));
    const fn = { workflow: 'w', id: 'hi', bundle: sha(code), className: 'Hello', method: 'hi', consumes: [], produces: [], gates: [] };
    const child = fork(build.worker, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], env: { EDGEAI_TFJS_WASM_DIR: build.dir + '/' } });
    try {
      const first = new Promise<FromWorker>((resolve) => child.once('message', (m) => resolve(m as FromWorker)));
      const init: ToWorker = { type: 'init', bundlePath: file, fn, storeDir: dir, scratchDir: dir, confined: false };
      child.send(init);
      const m = await first;
      expect(m).toMatchObject({ type: 'error', code: 'bundle-corrupt', message: expect.stringMatching(/does not match its sha256/) });
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);
});
