/**
 * What a simulation can express (issue 15, item 3), checked on one function whose answers are
 * known: the service-time distribution (lognormal with a chosen σ, exponential — an M/M/1 queue's
 * mean time in system is 1/(μ − λ) — or deterministic), a fixed replica count, cold starts on or
 * off, and a function's arrivals starting late. The options are validated by one rule for the
 * CLI and the studio (app/simulation.ts).
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEVICES } from '../topology/catalog';
import { DEFAULT_REFERENCE_SECONDS } from '../planning/exec-model';
import { requirements, type FunctionRequirements } from '../scheduler/requirements';
import { topologyByName } from '../topology/scenarios';
import { simulate, type SimulationOptions } from './sim';
import type { ArrivalProcess, SimWorkflow } from './workflow';
import { exponentialFromNormal } from './engine';
import { parseServiceTime, simulationRequest } from '../app/simulation';
import { StudioError } from '../common/errors';
import { loadProject } from '../project/index';
import { fileURLToPath } from 'node:url';
import { run } from '../cli/main';

const local = topologyByName('local');
const mnist = fileURLToPath(new URL('../../samples/mnist', import.meta.url));

function oneFunction(req: Partial<FunctionRequirements>, arrivals: Array<Omit<ArrivalProcess, 'function'>>): SimWorkflow {
  return { name: 't', functions: [{ id: 'f', base: requirements('f', req), inputs: [], outputs: [] }], artifacts: [], arrivals: arrivals.map((a) => ({ ...a, function: 'f' }) as ArrivalProcess), followUps: [], notes: [] };
}
const poisson = (ratePerS: number) => ({ kind: 'poisson', ratePerS, source: 'http' }) as Omit<ArrivalProcess, 'function'>;
// a 100 ms function on the laptop (as fast as the NUC: 0.1 s × 0.96)
const fn = { nodeTypes: ['local'] as FunctionRequirements['nodeTypes'], referenceSeconds: 0.1 };
const base: Omit<SimulationOptions, 'workflow' | 'durationS'> = { topology: local, profile: 'edge-ai', seed: 7 };

describe('service-time distributions', () => {
  it('deterministic: every execution takes the mean', () => {
    const r = simulate({ ...base, durationS: 600, service: { kind: 'deterministic' }, workflow: oneFunction(fn, [poisson(0.5)]) }).functions[0];
    expect(r.completed).toBeGreaterThan(200);
    expect(r.execution.p50).toBeCloseTo(r.execution.p99, 9);
    expect(r.execution.max).toBeCloseTo(r.execution.mean, 9);
  });

  it('exponential: its median is ln 2 of its mean, and one replica without cold starts is an M/M/1 queue (mean time in system 1/(μ − λ), within 5%)', () => {
    // exponentialFromNormal maps the standard normal onto Exp(mean): check its quantiles directly
    expect(exponentialFromNormal(1, 0)).toBeCloseTo(Math.LN2, 6);
    expect(exponentialFromNormal(2, 1.6448536)).toBeCloseTo(-2 * Math.log(0.05), 4);
    const lambda = 5;
    const r = simulate({ ...base, durationS: 4 * 3600, service: { kind: 'exponential' }, coldStarts: false, minReplicas: 1, maxReplicas: 1, workflow: oneFunction(fn, [poisson(lambda)]) }).functions[0];
    const mean = r.execution.mean;
    const mu = 1 / mean;
    expect(r.replicasStarted).toBe(1);
    expect(r.coldStarts).toBe(0);
    expect(r.execution.p50 / mean).toBeGreaterThan(0.65);
    expect(r.execution.p50 / mean).toBeLessThan(0.74);
    const expected = 1 / (mu - lambda);
    expect(Math.abs(r.total.mean - expected) / expected).toBeLessThan(0.05);
  });

  it('lognormal with a chosen σ: a wider spread, the same mean', () => {
    const narrow = simulate({ ...base, durationS: 3600, service: { kind: 'lognormal', sigma: 0.1 }, workflow: oneFunction(fn, [poisson(0.5)]) }).functions[0];
    const wide = simulate({ ...base, durationS: 3600, service: { kind: 'lognormal', sigma: 1 }, workflow: oneFunction(fn, [poisson(0.5)]) }).functions[0];
    expect(wide.execution.p99 / wide.execution.p50).toBeGreaterThan(5 * (narrow.execution.p99 / narrow.execution.p50));
    expect(Math.abs(wide.execution.mean - narrow.execution.mean) / narrow.execution.mean).toBeLessThan(0.15);
  });
});

describe('replicas, cold starts and start offsets', () => {
  it('cold starts off: no cold start, no startup wait', () => {
    const on = simulate({ ...base, durationS: 600, workflow: oneFunction(fn, [poisson(0.2)]) }).functions[0];
    const off = simulate({ ...base, durationS: 600, coldStarts: false, workflow: oneFunction(fn, [poisson(0.2)]) }).functions[0];
    expect(on.coldStarts).toBeGreaterThan(0);
    expect(off.coldStarts).toBe(0);
    expect(off.wait.max).toBeLessThan(on.wait.max);
  });

  it('a fixed count: never more replicas than max, and min kept through idle time', () => {
    const r = simulate({ ...base, durationS: 1800, minReplicas: 2, maxReplicas: 2, workflow: oneFunction(fn, [poisson(20)]) }).functions[0];
    expect(r.replicasStarted).toBeLessThanOrEqual(2);
  });

  it("a function's arrivals start at its offset", () => {
    const all = simulate({ ...base, durationS: 1000, workflow: oneFunction(fn, [poisson(1)]) }).functions[0];
    const late = simulate({ ...base, durationS: 1000, arrivalStartS: { f: 500 }, workflow: oneFunction(fn, [poisson(1)]) }).functions[0];
    expect(late.arrivals / all.arrivals).toBeGreaterThan(0.4);
    expect(late.arrivals / all.arrivals).toBeLessThan(0.6);
  });
});

describe('one rule for the CLI and the studio (app/simulation.ts)', () => {
  const project = loadProject(mnist);
  const req = (extra: object) => simulationRequest({ project, topology: local, profiles: ['edge-ai'], seed: 1, duration: '10m', ...extra });
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(StudioError);
      return (e as StudioError).code;
    }
    return 'accepted';
  };

  it('takes the service, replicas, cold starts and start offsets, and refuses what is not one', () => {
    expect(parseServiceTime('lognormal')).toEqual({ kind: 'lognormal' });
    expect(parseServiceTime('lognormal:0.5')).toEqual({ kind: 'lognormal', sigma: 0.5 });
    expect(parseServiceTime('exponential')).toEqual({ kind: 'exponential' });
    for (const bad of ['gamma', 'lognormal:0', 'lognormal:x', 'lognormal:9', 'exponential:2', 'lognormal:0.5:1', '']) expect([bad, code(() => parseServiceTime(bad))]).toEqual([bad, 'bad-service']);
    const o = req({ service: 'deterministic', coldStarts: false, starts: { inference: '5m' }, replicas: { min: 1, max: 3 } }).options;
    expect([o.service, o.coldStarts, o.arrivalStartS, o.minReplicas, o.maxReplicas]).toEqual([{ kind: 'deterministic' }, false, { inference: 300 }, 1, 3]);
    expect(code(() => req({ starts: { nope: '1m' } }))).toBe('function-not-found');
    expect(code(() => req({ starts: { inference: '20m' } }))).toBe('bad-duration');
    expect(code(() => req({ replicas: { min: 3, max: 1 } }))).toBe('bad-replicas');
    expect(code(() => req({ replicas: { max: 0 } }))).toBe('bad-replicas');
  });

  it('edgeai simulate takes --service, --replicas, --cold-starts and --start', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (s: string) => out.push(s), err: (s: string) => err.push(s) };
    const json = async (...args: string[]) => {
      out.length = 0;
      expect(await run(['simulate', mnist, '--topology', 'local', '--duration', '10m', '--rate', 'inference=2', '--json', ...args], io), err.join('\n')).toBe(0);
      return JSON.parse(out.join('\n')) as { functions: Array<{ function: string; coldStarts: number; execution: { p50: number; p99: number }; replicasStarted: number }> };
    };
    const inf = (r: Awaited<ReturnType<typeof json>>) => r.functions.find((f) => f.function === 'inference')!;
    const det = inf(await json('--service', 'deterministic', '--cold-starts', 'off', '--replicas', '1'));
    expect(det.coldStarts).toBe(0);
    expect(det.replicasStarted).toBe(1);
    expect(det.execution.p50).toBeCloseTo(det.execution.p99, 9);
    expect(await run(['simulate', mnist, '--service', 'gamma'], io)).not.toBe(0);
    expect(err.join('\n')).toMatch(/service 'gamma': use lognormal, lognormal:<σ>, exponential or deterministic/);
    expect(await run(['simulate', mnist, '--cold-starts', 'maybe'], io)).not.toBe(0);
    expect(await run(['simulate', mnist, '--replicas', '2', '--max-replicas', '3'], io)).not.toBe(0);
  });
});

describe('node utilisation (the report\'s "busy" column)', () => {
  it('a node serving one replica is busy ρ = λ·S of the time, and the report prints it', async () => {
    const lambda = 2;
    const r = simulate({ ...base, durationS: 2 * 3600, service: { kind: 'deterministic' }, coldStarts: false, minReplicas: 1, maxReplicas: 1, workflow: oneFunction(fn, [poisson(lambda)]) });
    const f = r.functions[0];
    const used = r.nodeUsage.filter((u) => u.invocations > 0);
    expect(used.map((u) => u.node)).toEqual(['laptop']);
    expect(used[0].invocations).toBe(f.completed);
    const rho = lambda * f.execution.mean;
    expect(Math.abs(used[0].busy - rho) / rho).toBeLessThan(0.05);
    // an idle node is busy 0, whatever its size
    expect(r.nodeUsage.filter((u) => u.invocations === 0).every((u) => u.busy === 0)).toBe(true);
    // and the command line shows the same figure
    const out: string[] = [];
    expect(await run(['simulate', mnist, '--topology', 'local', '--duration', '10m', '--rate', 'inference=2'], { out: (s) => out.push(s), err: () => undefined })).toBe(0);
    expect(out.join('\n')).toMatch(/node utilisation\n\s+node\s+device\s+runs\s+busy\s+cpu reserved\n\s+edge-1\s+nuc\s+\d+\s+\d+\.\d%/);
  });
});

describe('the execution-time model without a workload', () => {
  it("a function with none named runs 50 ms on a Xeon VM, scaled by each device's slowdown", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'edgeai-exec-')), 'small');
    onTestFinished(() => rmSync(join(dir, '..'), { recursive: true, force: true }));
    mkdirSync(join(dir, 'functions'), { recursive: true });
    writeFileSync(join(dir, 'workflow.json'), JSON.stringify({ name: 'small', version: 1, dataSources: [], triggers: [] }));
    writeFileSync(
      join(dir, 'functions', 'small.ts'),
      `import { policy, type Request } from 'edge-ai-studio/sdk';
export class Small {
  @policy.fn({ node: 'cloud' })
  async up(request: Request) { return 1; }
  @policy.fn({ node: 'edge' })
  async near(request: Request) { return 1; }
}
`,
    );
    const out: string[] = [];
    const argv = ['simulate', dir, '--topology', 'local', '--duration', '10m', '--service', 'deterministic', '--cold-starts', 'off', '--rate', 'up=1', '--rate', 'near=1', '--json'];
    expect(await run(argv, { out: (s) => out.push(s), err: () => undefined })).toBe(0);
    const r = JSON.parse(out.join('\n')) as { functions: Array<{ function: string; completed: number; execution: { mean: number }; nodes: Record<string, number> }> };
    expect(DEFAULT_REFERENCE_SECONDS).toBe(0.05);
    for (const f of r.functions) {
      const [node] = Object.keys(f.nodes);
      const device = local.nodes.find((n) => n.name === node)!.device;
      expect(f.completed).toBeGreaterThan(300);
      expect([f.function, node, f.execution.mean]).toEqual([f.function, node, expect.closeTo(0.05 * DEVICES[device].slowdown, 9)]);
    }
    // one on the Xeon VM itself: 50 ms exactly; one on an edge device, scaled
    expect(r.functions.find((f) => f.function === 'up')!.execution.mean).toBeCloseTo(0.05, 9);
    expect(Object.keys(r.functions.find((f) => f.function === 'near')!.nodes)[0]).toMatch(/^edge-/);
  });
});
