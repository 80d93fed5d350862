/**
 * What a project and a web page can make the platform do (issue 11, items 12 and 13), on a real
 * cluster of each backend (docker: skipped without an engine, except with CI=true):
 * - a project whose data source is a symbolic link out of its folder (to a file holding a secret)
 *   is refused before anything moves: by the front door's preflight and by the controller itself
 *   (a caller that skips the preflight); no revision is claimed, the running deployment keeps its
 *   revision and keeps serving, and the secret reaches no node and no registry;
 * - the gateway, in front of that cluster, runs nothing for what a web page can send (a no-cors
 *   text/plain POST, another Origin, a cross-site fetch, a foreign Host) — counted as runs recorded
 *   by the controller — and runs what a program on this machine sends.
 * The unit-level checks live beside the code (cluster/project/paths.test.ts,
 * cluster/runtime/gateway.test.ts); a real page in Chromium is e2e/cross-origin.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Controller } from '../controller';
import { deployProject } from '../../app/deploy';
import { startGateway, type Gateway } from '../gateway';
import { dockerSkipReason } from '../testing/docker-skip';
import { rejects } from '../testing/rejects';
import { DockerBackend } from '../backends/docker';
import { execIn } from '../testing/docker-exec';
import type { BackendKind } from '../../common/status';
import { tempDirs } from '../testing/temp';

const tmp = tempDirs();

const SECRET = 'the password is hunter2';

const SERVE = `import { policy, type Request } from 'edge-ai-studio/sdk';
export class Serve {
  @policy.fn({ node: 'local' })
  async echo(request: Request) {
    return { echo: request.input ?? null };
  }
}
`;

function project(): string {
  const dir = join(tmp('edgeai-pages-'), 'pages');
  mkdirSync(join(dir, 'functions'), { recursive: true });
  writeFileSync(join(dir, 'workflow.json'), JSON.stringify({ name: 'pages', version: 1, dataSources: [], triggers: [] }, null, 2));
  writeFileSync(join(dir, 'functions', 'serve.ts'), SERVE);
  return dir;
}

/** The project's workflow gains a data source whose file is a link to a secret outside the project. */
function linkOut(dir: string): void {
  const outside = tmp('edgeai-pages-outside-');
  writeFileSync(join(outside, 'secret.csv'), `line\n${SECRET}\n`);
  mkdirSync(join(dir, 'data'), { recursive: true });
  symlinkSync(join(outside, 'secret.csv'), join(dir, 'data', 'rows.csv'));
  const wf = JSON.parse(readFileSync(join(dir, 'workflow.json'), 'utf8'));
  wf.dataSources.push({ urn: 'pages:rows', type: 'table', tags: [], format: 'csv', source: { kind: 'file', path: 'data/rows.csv' } });
  writeFileSync(join(dir, 'workflow.json'), JSON.stringify(wf, null, 2));
}


/** Every file under `dir` whose bytes contain `needle` (the host side of a cluster: state, registry, process stores). */
function filesHolding(dir: string, needle: string): string[] {
  const hits: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && statSync(p).size < 64 * 1024 * 1024 && readFileSync(p).includes(needle)) hits.push(p);
    }
  };
  walk(dir);
  return hits;
}

/** Raw bytes on one connection (a foreign Host header cannot be set through fetch). */
function raw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    const out: Buffer[] = [];
    const timer = setTimeout(() => (s.destroy(), reject(new Error('no answer within 5 s'))), 5000);
    s.on('data', (d) => out.push(d));
    s.on('error', () => undefined);
    s.on('close', () => (clearTimeout(timer), resolve(Buffer.concat(out).toString('latin1'))));
    s.end(bytes);
  });
}

const dockerSkip = await dockerSkipReason('pages.int.test');

for (const [kind, skip] of [['process', false], ['docker', dockerSkip]] as Array<[BackendKind, string | false]>) {
  describe.skipIf(!!skip)(`what a project and a web page can make the platform do (${kind} backend)`, () => {
    let c: Controller;
    let dir: string;
    let gateway: Gateway;
    const runs = () => c.runs({ workflow: 'pages', limit: 1000 }).length;

    beforeAll(async () => {
      c = await Controller.open({ home: tmp(`edgeai-pages-${kind}-home-`), cluster: `pages-${kind}-${process.pid}`, triggers: 'off' });
      await c.up({ backend: kind, topology: 'local' });
      dir = project();
      const d = await deployProject(c, dir, {});
      expect(d.functions.map((f) => [f.id, f.status])).toEqual([['echo', 'ready']]);
      gateway = await startGateway(c);
    }, 300_000);

    afterAll(async () => {
      await gateway?.close();
      if (c) {
        await c.down().catch(() => undefined);
        c.close();
      }
    }, 120_000);

    it('a data source linked out of the project is refused before anything moves; no revision is claimed and nothing of it is stored', async () => {
      const revision = c.state.deployment('pages')!.revision;
      linkOut(dir);
      // the front door: the preflight names the file
      const front = await rejects(deployProject(c, dir, {}));
      expect(JSON.stringify(front)).toMatch(/rows\.csv/);
      // the controller, for a caller that skips the preflight
      const direct = await rejects(c.deploy(dir));
      expect(direct.code).toBe('deploy-invalid');
      expect(direct.detail).toMatch(/nothing was deployed:\nworkflow\.json:\d+:\d+: error data-file-outside: data source 'pages:rows': data\/rows\.csv leaves the project folder/);
      expect(c.state.deployment('pages')).toMatchObject({ revision, status: 'ready' });
      // the deployment that ran keeps running
      expect((await c.invoke('pages', 'echo', { input: 1 })).output).toEqual({ echo: 1 });
      // and the secret is nowhere the platform keeps things: state, registry, stores
      expect(filesHolding(c.dir, 'hunter2')).toEqual([]);
      if (kind === 'docker') {
        const docker = new DockerBackend().docker;
        for (const n of c.status().nodes) {
          const found = await execIn(docker.getContainer(n.container!), ['/usr/local/bin/node', '-e', "const fs=require('fs'),p=require('path');let n=0;const w=d=>{for(const e of fs.readdirSync(d,{withFileTypes:true})){const f=p.join(d,e.name);if(e.isDirectory())w(f);else if(e.isFile()&&fs.readFileSync(f).includes('hunter2'))n++}};w('/store');console.log(n)"]);
          expect([n.name, found.trim()]).toEqual([n.name, '0']);
        }
      }
    }, 120_000);

    it('the gateway runs nothing a web page can send, and runs what a program sends', async () => {
      const before = runs();
      const url = `${gateway.url}/fn/pages/echo`;
      const json = { 'content-type': 'application/json' };
      const answers = [
        await fetch(url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"input":1}' }),
        await fetch(url, { method: 'POST', headers: { ...json, origin: 'http://evil.example' }, body: '{"input":1}' }),
        await fetch(url, { method: 'POST', headers: { ...json, 'sec-fetch-site': 'cross-site' }, body: '{"input":1}' }),
      ];
      expect(answers.map((a) => a.status)).toEqual([415, 403, 403]);
      const host = await raw(gateway.port, 'POST /fn/pages/echo HTTP/1.1\r\nHost: evil.example\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}');
      expect(host).toMatch(/^HTTP\/1\.1 403/);
      expect(runs()).toBe(before);
      const ok = await fetch(url, { method: 'POST', headers: json, body: '{"input":2}' });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toMatchObject({ output: { echo: 2 } });
      expect(runs()).toBe(before + 1);
    }, 60_000);
  });
}
