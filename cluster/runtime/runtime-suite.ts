/**
 * The runtime's integration suite, run against a real cluster on one backend: deploy and
 * invoke samples/mnist (real tfjs training, a real digit), the deadline, the strict data
 * refusal, a node killed under an in-flight invocation, and a controller restart. Shared by
 * process.int.test.ts and docker.int.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Controller, type BackendKind, type ClusterEvent } from './controller';
import { loadMnistSamples } from '../registry/mnist';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const MNIST = join(ROOT, 'samples/mnist');
export const OPS = join(ROOT, 'cluster/runtime/fixtures/ops');

import { rejects } from './testing/rejects';

async function until<T>(what: string, fn: () => T | undefined | false, timeoutMs: number): Promise<{ value: T; ms: number }> {
  const t0 = Date.now();
  for (;;) {
    const v = fn();
    if (v) return { value: v, ms: Date.now() - t0 };
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The heartbeat settings the suite's controllers run with (the defaults, said here): what a test
 * waits for after a node dies is derived from them, never a wall time of its own.
 */
const HEARTBEAT = { heartbeatMs: 500, notReadyAfterMs: 1500 } as const;

/** The trigger a `trigger <id> (<why>) starts <workflow>/<fn>` progress event names (TriggerBoard.fire). */
function firedTrigger(ev: ClusterEvent, workflow: string): string | undefined {
  if (ev.type !== 'progress' || ev.step !== 'trigger') return undefined;
  const m = /^trigger (\S+) \(.*\) starts ([^/\s]+)\//.exec(ev.message);
  return m && m[2] === workflow ? m[1] : undefined;
}

export function defineRuntimeSuite(kind: BackendKind, skip: string | false): void {
  describe.skipIf(!!skip)(`runtime on the ${kind} backend${skip ? ` (skipped: ${skip})` : ''}`, () => {
    let home: string;
    let c: Controller;
    const cluster = `test-${kind}-${process.pid}`;
    /** what the last heartbeat said of a function on a node (workers, pids, busy, cold starts) */
    const health = (node: string, fn: string) => c.status().nodes.find((n) => n.name === node)?.health?.functions.find((x) => x.workflow !== undefined ? x.workflow === 'ops' && x.id === fn : x.id === fn);
    const placed = (fn: string) => c.status().deployments.find((d) => d.workflow === 'ops')!.functions.find((f) => f.id === fn)!.node!;

    beforeAll(async () => {
      home = mkdtempSync(join(tmpdir(), `edgeai-${kind}-`));
      c = await Controller.open({ home, cluster, ...HEARTBEAT });
      await c.up({ backend: kind, topology: 'local' });
    }, 180_000);

    afterAll(async () => {
      if (c) {
        await c.down().catch(() => undefined);
        c.close();
      }
      rmSync(home, { recursive: true, force: true });
    }, 120_000);

    it('starts every node of the local topology, each answering at its own address', () => {
      const s = c.status();
      expect(s.nodes.map((n) => [n.name, n.status])).toEqual([
        ['laptop', 'Ready'],
        ['edge-1', 'Ready'],
        ['edge-2', 'Ready'],
        ['cloud-1', 'Ready'],
      ]);
      expect(new Set(s.nodes.map((n) => `${n.host}:${n.port}`)).size).toBe(4);
      // process: on 127.0.0.1; docker: each container at its address on the cluster's network
      for (const n of s.nodes) expect(kind === 'process' ? n.host : n.port).toBe(kind === 'process' ? '127.0.0.1' : 7070);
    });

    it('deploys samples/mnist where the scheduler says, with a revision', async () => {
      const d = await c.deploy(MNIST);
      // each bundle travelled from the registry node (laptop): the one for cloud-1 over the uplink
      expect(c.status().links.find((l) => l.link === 'local→internet')?.bytes).toBeGreaterThan(0);
      expect(d.revision).toBe(1);
      expect(d.functions.filter((f) => f.status !== 'ready')).toEqual([]);
      expect(d.functions.map((f) => f.id).sort()).toEqual(['inference', 'refine', 'train', 'trainFair']);
      const node = (id: string) => d.functions.find((f) => f.id === id)!.node;
      expect(node('train')).toBe('cloud-1'); // policy.fn node cloud
      expect(['edge-1', 'edge-2']).toContain(node('inference')); // node edge
      expect(node('refine')).toBe('laptop'); // node local = the user's device
    }, 120_000);

    it('trains on its node and publishes mnist:model with its holdout accuracy', async () => {
      const linksBefore = Object.fromEntries(c.status().links.map((l) => [l.link, l.bytes]));
      const r = await c.invoke('mnist', 'train');
      expect(r.node).toBe('cloud-1');
      expect(r.produced).toEqual(['mnist:model@1']);
      const model = c.registry.artifact('mnist:model', 1)!;
      expect(model.metrics.accuracy).toBeGreaterThanOrEqual(0.88);
      expect(model.data_tags).toEqual(expect.arrayContaining(['mnist', 'digits']));
      expect(model.locations.map((l) => l.node)).toEqual(['cloud-1']);
      expect(model.lineage).toMatchObject({ run: r.run, inputs: [{ urn: 'mnist:data', version: 1 }] });
      // mnist:data crossed laptop → local → internet → cloud → cloud-1, counted per link
      const links = Object.fromEntries(c.status().links.map((l) => [l.link, l.bytes - (linksBefore[l.link] ?? 0)]));
      const data = c.registry.artifact('mnist:data', 1)!;
      expect(links['local→internet']).toBe(data.size);
      expect(links['internet→cloud']).toBe(data.size);
      expect(links['cloud→internet'] ?? 0).toBe(0);
    }, 120_000);

    it('answers inference for real digits with the model it resolved by selector', async () => {
      const { images, labels } = loadMnistSamples(10_000);
      const placed = c.status().deployments.find((d) => d.workflow === 'mnist')!.functions.find((f) => f.id === 'inference')!.node;
      let correct = 0;
      for (let i = 9990; i < 10_000; i++) {
        const r = await c.invoke('mnist', 'inference', { input: { pixels: images[i] } });
        expect(r.node).toBe(placed);
        expect(r.models).toEqual(['mnist:model@1']);
        expect(r.timings.totalMs).toBeGreaterThan(0);
        const out = r.output as { digit: number; confidence: number };
        expect(out.confidence).toBeGreaterThan(0);
        if (out.digit === labels[i]) correct++;
      }
      // digits the model never saw in training; it scored ≥ 0.88 on its holdout
      expect(correct).toBeGreaterThanOrEqual(7);
    }, 120_000);

    it('aborts an invocation at its deadline: the miss is recorded, the worker replaced, the next call answers warm', async () => {
      await c.deploy(OPS);
      const node = placed('slow');
      // the function's one warm worker: the one the deadline must abort
      const warm = await c.invoke('ops', 'slow', { input: { ms: 10 } });
      const abortedPid = (warm.output as { pid: number }).pid;
      const e = await rejects(c.invoke('ops', 'slow', { input: { ms: 5000 } }));
      expect(e.code).toBe('deadline-exceeded');
      expect(e.message).toMatch(/slow missed its 600ms deadline on edge-\d/);
      const miss = c.runs({ workflow: 'ops', function: 'slow' })[0];
      expect(miss.status).toBe('deadline-miss');
      expect(miss.output).toBeNull();
      // aborted, not left sleeping its 5 s: that worker is gone and a new one waits, idle, ahead of demand
      await until('the aborted worker replaced by an idle one', () => {
        const f = health(node, 'slow');
        return f && f.pids && f.pids.length >= 1 && !f.pids.includes(abortedPid) && f.busy === 0;
      }, 20_000);
      const ok = await c.invoke('ops', 'slow', { input: { ms: 10 } });
      expect(ok.output).toMatchObject({ slept: 10 });
      expect((ok.output as { pid: number }).pid).not.toBe(abortedPid);
      expect(ok.cold).toBe(false);
    }, 120_000);

    it('refuses a transfer that would leave a strict policy\'s networks before any byte moves', async () => {
      const first = await c.invoke('ops', 'summarize');
      expect(first.node).toBe('laptop');
      expect(first.output).toEqual({ rows: 3 });
      const leak = await c.invoke('ops', 'leak');
      expect(leak.node).toBe('cloud-1');
      expect(leak.produced).toEqual(['ops:private@2']);
      const before = JSON.stringify(c.status().links);
      const e = await rejects(c.invoke('ops', 'summarize'));
      expect(e.code).toBe('data-policy-violation');
      expect(e.message).toMatch(/ops:private version 2 from cloud-1 to laptop/);
      expect(e.message).toMatch(/crosses networks? .*internet/);
      expect(e.message).toMatch(/policy\.data allows only local \(strict\)/);
      expect(JSON.stringify(c.status().links)).toBe(before);
      // leak published ops:private@2: the data-arrival trigger (batch 1) started ping
      await until('the triggered ping', () => c.runs({ workflow: 'ops', function: 'ping' }).find((r) => r.status === 'ok'), 20_000);
    }, 120_000);

    it('runs schedule triggers while the controller runs, and stops them on redeploy', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'edgeai-sched-'));
      cpSync(OPS, dir, { recursive: true });
      /** the ops fixture with one schedule trigger on ping, every 500 ms */
      const scheduled = (id: string) => {
        const wf = JSON.parse(readFileSync(join(OPS, 'workflow.json'), 'utf8'));
        wf.triggers.push({ kind: 'schedule', id, function: 'ping', every: '500ms' });
        writeFileSync(join(dir, 'workflow.json'), JSON.stringify(wf));
      };
      const fired: string[] = [];
      const onEvent = (ev: ClusterEvent) => {
        const t = firedTrigger(ev, 'ops');
        if (t) fired.push(t);
      };
      const count = (id: string) => fired.filter((t) => t === id).length;
      c.on('event', onEvent);
      try {
        scheduled('tick');
        const before = c.runs({ workflow: 'ops', function: 'ping', limit: 1000 }).length;
        // another folder with the same workflow name would silently replace the deployment: refused, nothing changes
        const placements = JSON.stringify(c.state.placements('ops'));
        const taken = await rejects(c.deploy(dir));
        expect(taken.code).toBe('workflow-name-taken');
        expect(taken.message).toContain(`is deployed from ${OPS}`);
        expect(JSON.stringify(c.state.placements('ops'))).toBe(placements);
        await c.deploy(dir, { replace: true });
        await until('two ticks and their pings', () => count('tick') >= 2 && c.runs({ workflow: 'ops', function: 'ping', limit: 1000 }).length >= before + 2, 20_000);
        // redeployed with another schedule in its place: tick's timer stops with the deploy
        scheduled('tock');
        await c.deploy(dir);
        const ticks = count('tick');
        // tock firing twice is a full period of the same schedule after the redeploy, in which tick would have fired
        await until('two tocks', () => count('tock') >= 2, 20_000);
        expect(count('tick')).toBe(ticks);
      } finally {
        c.off('event', onEvent);
        // back to the fixture as it is, with no schedule, for the tests below
        await c.deploy(OPS, { replace: true });
        rmSync(dir, { recursive: true, force: true });
      }
    }, 120_000);

    it('marks a killed node NotReady once its heartbeats stop, retries the in-flight invocation once elsewhere, reports lost artifacts', async () => {
      const first = await c.invoke('ops', 'echo', { input: { n: 1 } });
      const victim = first.node;
      expect(c.registry.artifact('ops:echo', 1)!.locations.map((l) => l.node)).toEqual([victim]);
      const notReady: Array<{ at: number; reason?: string }> = [];
      const onEvent = (ev: ClusterEvent) => {
        if (ev.type === 'node' && ev.node === victim && ev.status === 'NotReady') notReady.push({ at: Date.now(), ...(ev.reason ? { reason: ev.reason } : {}) });
      };
      c.on('event', onEvent);
      let answer!: Awaited<ReturnType<Controller['invoke']>>;
      try {
        const inflight = c.invoke('ops', 'echo', { input: { n: 2, ms: 2500 } });
        // the node dies under the invocation: its worker is busy with it (the heartbeat says so)
        await until('echo running on the victim', () => (health(victim, 'echo')?.busy ?? 0) >= 1, 20_000);
        expect(notReady).toEqual([]);
        const killedAt = Date.now();
        await c.killNode(victim);
        answer = await inflight;
        expect(answer.attempts).toBe(2);
        expect(answer.node).not.toBe(victim);
        expect(answer.output).toMatchObject({ echo: { n: 2 } });
        // NotReady comes from the heartbeats: silent for notReadyAfterMs, noticed by the next poll (which
        // may itself wait a heartbeat for its answer); twice that margin for a loaded machine
        const bound = HEARTBEAT.notReadyAfterMs + 4 * HEARTBEAT.heartbeatMs;
        await until(`the NotReady event of ${victim}`, () => notReady.length > 0, bound);
        expect(notReady).toHaveLength(1);
        expect(notReady[0].at).toBeGreaterThan(killedAt);
        expect(notReady[0].reason).toBe('no heartbeat');
        const row = c.status().nodes.find((n) => n.name === victim)!;
        expect(row.status).toBe('NotReady');
        // notReadyAfterMs worth of heartbeats unanswered, each the node's fault
        const m = /^(\d+) heartbeats in a row unanswered \(last answer ([\d.]+) s ago\)$/.exec(row.reason ?? '');
        expect(Number(m?.[1])).toBeGreaterThanOrEqual(Math.ceil(HEARTBEAT.notReadyAfterMs / HEARTBEAT.heartbeatMs));
        expect(Number(m?.[2]) * 1000).toBeGreaterThanOrEqual(HEARTBEAT.notReadyAfterMs);
      } finally {
        c.off('event', onEvent);
      }
      const placedNow = await until('echo rescheduled', () => {
        const f = c.status().deployments.find((d) => d.workflow === 'ops')!.functions.find((x) => x.id === 'echo')!;
        return f.node !== victim && f.status === 'ready' ? f.node : undefined;
      }, 10_000);
      expect(placedNow.value).not.toBe(victim);
      // its only copy was on the dead node: reported unavailable, not silently lost
      expect(c.status().unavailable).toEqual(expect.arrayContaining([{ urn: 'ops:echo', version: 1, locations: [victim] }]));
      expect(c.status().unavailable.some((u) => u.urn === 'ops:echo' && u.version === 2)).toBe(false);
      // the retried invocation is one run, recorded with the answer it got: one output, on the node that answered
      const mine = c.runs({ workflow: 'ops', function: 'echo', limit: 100 }).filter((r) => r.id === answer.run);
      expect(mine.map((r) => [r.status, r.node])).toEqual([['ok', answer.node]]);
      expect(c.registry.versions('ops:echo').map((a) => [a.version, a.locations.map((l) => l.node)])).toEqual([
        [1, [victim]],
        [2, [answer.node]],
      ]);
    }, 120_000);

    it('re-adopts running nodes after a controller restart, without starting new ones', async () => {
      const before = c.status().nodes.filter((n) => n.status === 'Ready').map((n) => [n.name, n.pid ?? n.container]);
      c.close();
      c = await Controller.open({ home, cluster, ...HEARTBEAT });
      const after = c.status().nodes.filter((n) => n.status === 'Ready').map((n) => [n.name, n.pid ?? n.container]);
      expect(after).toEqual(before);
      const r = await c.invoke('ops', 'echo', { input: { n: 4 } });
      expect(r.output).toMatchObject({ echo: { n: 4 } });
      expect(c.runs({ workflow: 'ops' }).length).toBeGreaterThan(4);
    }, 60_000);
  });
}
