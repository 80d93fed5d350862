/**
 * What one invocation may send back is bounded (issue 11, item 9), on a real cluster of each
 * backend (docker: skipped without an engine, except with CI=true):
 * - a return value over 16 MiB of JSON is refused where it is made (output-too-large), in about
 *   the time it takes to make it, and the nodes stay Ready meanwhile;
 * - a function with @produces.data that returns more than that answers with a reference to the
 *   artifact it stored, which holds every row;
 * - an output over 64 KiB is kept beside its run, not in state.db: the row stays small, and
 *   `runOutput` (`edgeai runs show <run> --output`) gives it back whole;
 * - a log is cut at 1 MiB per invocation (one line at 16 KiB), with a last line that says so;
 * - an agent refuses an /invoke body over the request cap (64 MiB + its envelope) with a 413.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Controller } from '../controller';
import { MAX_LOG_BYTES, MAX_OUTPUT_BYTES, MAX_REQUEST_BYTES } from '../../common/limits';
import { dockerSkipReason } from '../testing/docker-skip';
import { rejects } from '../testing/rejects';
import { bearer, readClusterSecret } from '../agent/secret';
import type { BackendKind } from '../../common/status';
import { tempDirs } from '../testing/temp';

const tmp = tempDirs();

const LOUD = `import { policy, produces, type Request } from 'edge-ai-studio/sdk';

const MiB = 1024 * 1024;

export class Loud {
  /** 20 MiB of JSON */
  @policy.fn({ node: 'edge' })
  async huge(request: Request) {
    return { blob: 'x'.repeat(20 * MiB) };
  }

  /** 200 KiB: within the cap, too large for its run's row */
  @policy.fn({ node: 'edge' })
  async big(request: Request) {
    return { blob: 'y'.repeat(200 * 1024) };
  }

  /** 3 MiB of log in 1 KiB lines, and one line of 100 KiB */
  @policy.fn({ node: 'edge' })
  async chatty(request: Request) {
    request.log('z'.repeat(100 * 1024));
    for (let i = 0; i < 3072; i++) request.log(String(i).padStart(6, '0') + ' ' + 'l'.repeat(1017));
    return { logged: 3073 };
  }

  /** 20 MiB of rows, stored as the artifact it produces */
  @produces.data({ urn: 'loud:rows', format: 'jsonl' })
  @policy.fn({ node: 'edge' })
  async rows(request: Request) {
    return Array.from({ length: 20 * 1024 }, (_, i) => ({ i, pad: 'r'.repeat(1024) }));
  }
}
`;

function project(): string {
  const dir = join(tmp('edgeai-answers-'), 'loud');
  mkdirSync(join(dir, 'functions'), { recursive: true });
  writeFileSync(join(dir, 'workflow.json'), JSON.stringify({ name: 'loud', version: 1, dataSources: [], triggers: [] }, null, 2));
  writeFileSync(join(dir, 'functions', 'loud.ts'), LOUD);
  return dir;
}


const dockerSkip = await dockerSkipReason('answers.int.test');

for (const [kind, skip] of [['process', false], ['docker', dockerSkip]] as Array<[BackendKind, string | false]>) {
  describe.skipIf(!!skip)(`what an invocation sends back is bounded (${kind} backend)`, () => {
    let c: Controller;
    let home: string;

    beforeAll(async () => {
      home = tmp(`edgeai-answers-${kind}-`);
      c = await Controller.open({ home, cluster: `answers-${kind}-${process.pid}`, triggers: 'off' });
      await c.up({ backend: kind, topology: 'local' });
      const d = await c.deploy(project());
      expect(d.functions.filter((f) => f.status !== 'ready')).toEqual([]);
    }, 300_000);

    afterAll(async () => {
      if (c) {
        await c.down().catch(() => undefined);
        c.close();
      }
    }, 120_000);

    it('a return value over 16 MiB is refused where it is made; the nodes stay Ready', async () => {
      const changes: string[] = [];
      const onEvent = (e: { type: string; node?: string; status?: string }) => e.type === 'node' && changes.push(`${e.node} ${e.status}`);
      c.on('event', onEvent);
      const t0 = performance.now();
      const e = await rejects(c.invoke('loud', 'huge'));
      const ms = performance.now() - t0;
      c.off('event', onEvent);
      console.log(`[answers.int.test] ${kind}: a 20 MiB return value refused in ${Math.round(ms)} ms`);
      expect(e.code).toBe('output-too-large');
      expect(e.detail ?? e.message).toMatch(/huge returned 20 MiB of JSON; an answer may be at most 16 MiB/);
      expect(e.hint).toMatch(/@produces\.data/);
      expect(changes).toEqual([]);
      expect(c.status().nodes.every((n) => n.status === 'Ready')).toBe(true);
      // the run says so, and holds nothing of it
      const run = c.runs({ workflow: 'loud', function: 'huge', limit: 1 })[0];
      expect(run.status).toBe('failed');
      expect((run.output ?? '').length + run.logs.length).toBeLessThan(1024);
      // and the worker is fine: the next call answers
      expect((await c.invoke('loud', 'big')).output).toMatchObject({ blob: expect.any(String) });
      expect(MAX_OUTPUT_BYTES).toBe(16 * 1024 * 1024);
    }, 120_000);

    it('@produces.data over the cap: the answer names the artifact, which holds every row', async () => {
      const a = await c.invoke('loud', 'rows');
      expect(a.produced).toEqual(['loud:rows@1']);
      const art = c.registry.artifact('loud:rows')!;
      expect(art.size).toBeGreaterThan(MAX_OUTPUT_BYTES);
      expect(a.output).toMatchObject({ produced: [{ urn: 'loud:rows', size: art.size, sha256: art.sha256 }], note: expect.stringMatching(/too large to answer with/) });
    }, 120_000);

    it('an output over 64 KiB is kept beside its run: the row stays small, runOutput gives it whole', async () => {
      const before = statSync(join(c.dir, 'state.db')).size;
      const a = await c.invoke('loud', 'big');
      const row = c.run(a.run)!;
      expect(row.output!.length).toBeLessThan(1024);
      expect(JSON.parse(row.output!)).toMatchObject({ outputBlob: { size: 200 * 1024 + 11 }, gates: [] });
      expect(c.runOutput(row)).toEqual({ blob: 'y'.repeat(200 * 1024) });
      expect(statSync(join(c.dir, 'state.db')).size - before).toBeLessThan(64 * 1024);
    }, 120_000);

    it('a log is cut at 1 MiB per invocation, a line at 16 KiB, with a last line that says so', async () => {
      const a = await c.invoke('loud', 'chatty');
      const bytes = a.logs.reduce((n, l) => n + Buffer.byteLength(l), 0);
      expect(bytes).toBeLessThanOrEqual(MAX_LOG_BYTES + 1024);
      expect(a.logs[0]).toMatch(/^z{16384}… \(line cut at 16 KiB\)$/);
      expect(a.logs.at(-1)).toMatch(/^… \d+ more log lines dropped: an invocation logs at most 1 MiB$/);
      const kept = a.logs.length - 2;
      expect(kept + Number(/… (\d+) more/.exec(a.logs.at(-1)!)![1])).toBe(3072);
      expect(JSON.parse(c.run(a.run)!.logs)).toEqual(a.logs);
    }, 120_000);

    it('an agent refuses an /invoke body over the request cap with a 413, and keeps serving', async () => {
      const n = c.status().nodes.find((x) => x.status === 'Ready')!;
      const auth = bearer(readClusterSecret(c.dir)!);
      const r = await fetch(`http://${n.host}:${n.port}/invoke`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: Buffer.alloc(MAX_REQUEST_BYTES + 2 * 1024 * 1024, 0x20) });
      expect(r.status).toBe(413);
      expect(await r.json()).toMatchObject({ ok: false, error: { code: 'request-too-large', message: expect.stringMatching(/accepts at most 65 MiB here/) } });
      expect((await fetch(`http://${n.host}:${n.port}/health`, { headers: { authorization: auth } })).status).toBe(200);
    }, 120_000);
  });
}
