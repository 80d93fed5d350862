/**
 * Simulating with a Coral stick shows the difference (issue 14, item 7): the same workflow on the
 * `local` topology with and without a stick on edge-1 (written by `edgeai accelerators --save
 * --host edge-1` from a fake sysfs tree), through `edgeai simulate`, `edgeai schedule --explain`
 * and the studio's simulate request (app/simulation.ts), and on a Coral dev board. The figures
 * are docs/reference.md §4's: mobilenet tflite on a NUC 0.280 s, on the dev board 0.665 s with its
 * CPU and 0.548 s with its Edge TPU; a USB stick on the NUC runs 0.280 × 0.548 / 0.665 s (§10).
 * Execution times are deterministic here (`--service deterministic`, no cold starts), so the
 * mean execution is the model's figure itself.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../cli/main';
import { FakeSysfs, coralReady } from '../accelerators/testing/fake-sysfs';
import { loadProject } from '../project/index';
import { chooseTopology } from '../app/topology';
import { simulationRequest } from '../app/simulation';
import { compareSchedulers } from './sim';
import { localCluster } from '../topology/scenarios';
import { saveTopology } from '../topology/model';

const NUC_CPU = 0.28; // §4 mobilenet inference (tflite), nuc
const BOARD_CPU = 0.665; // §4 mobilenet inference (tflite), coral
const BOARD_TPU = 0.548; // §4 mobilenet inference (Edge TPU), coral
const NUC_STICK = (NUC_CPU * BOARD_TPU) / BOARD_CPU; // 0.2307: the stated assumption (§10)

let fs: FakeSysfs;
/** one mobilenet function on an edge node; `deadline`, `tight`: the same with a 250 ms, a 200 ms deadline */
let project: string;
let deadline: string;
let tight: string;
let withStick: string;

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(argv, { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

interface Report {
  deploy: Array<{ function: string; node: string | null }>;
  functions: Array<{ function: string; completed: number; failed: number; deadlineMisses: number; execution: { mean: number; p50: number; p99: number }; nodes: Record<string, number>; failures: string[] }>;
  notes: string[];
}

async function simulate(topology: string, extra: string[] = [], dir = project): Promise<Report> {
  const r = await cli('simulate', dir, '--topology', topology, '--duration', '10m', '--rate', 'classify=1', '--exec', 'classify=mobilenet-inference-tflite', '--service', 'deterministic', '--cold-starts', 'off', '--json', ...extra);
  expect(r.code, r.err).toBe(0);
  return JSON.parse(r.out) as Report;
}

beforeAll(async () => {
  fs = new FakeSysfs();
  fs.plug(coralReady('1-1.3', 6));
  const write = (name: string, decorators: string) => {
    const dir = join(fs.root, name);
    mkdirSync(join(dir, 'functions'), { recursive: true });
    writeFileSync(join(dir, 'workflow.json'), JSON.stringify({ name: 'classify', version: 1, dataSources: [], triggers: [] }));
    writeFileSync(join(dir, 'functions', 'classify.ts'), `import { policy, type Request } from 'edge-ai-studio/sdk';\nexport class Classify {\n${decorators}  async classify(request: Request) { return 1; }\n}\n`);
    return dir;
  };
  project = write('classify', "  @policy.fn({ node: 'edge' })\n");
  deadline = write('deadline', "  @policy.deadline('250ms')\n  @policy.fn({ node: 'edge' })\n");
  tight = write('tight', "  @policy.deadline('200ms')\n  @policy.fn({ node: 'edge' })\n");
  withStick = join(fs.root, 'with-stick.json');
  const saved = await cli('accelerators', '--sysfs', fs.sysfsRoot, '--dev', fs.devRoot, '--save', withStick, '--host', 'edge-1');
  expect(saved.code, saved.err).toBe(0);
});
afterAll(() => fs?.dispose());

describe('edgeai simulate with and without a Coral stick on edge-1 (docs/reference.md §4, §10)', () => {
  it('the same workflow runs 0.280 s on edge-1 without the stick and 0.280 × 0.548 / 0.665 = 0.231 s with it', async () => {
    const plain = await simulate('local');
    const stick = await simulate(withStick);
    const p = plain.functions[0];
    const s = stick.functions[0];
    // both place on edge-1 (the NUC), so only the stick differs
    expect(Object.keys(p.nodes)).toEqual(['edge-1']);
    expect(Object.keys(s.nodes)).toEqual(['edge-1']);
    expect(p.completed).toBeGreaterThan(500);
    expect(s.completed).toBe(p.completed); // the same arrivals
    expect(p.execution.mean).toBeCloseTo(NUC_CPU, 9);
    expect(s.execution.mean).toBeCloseTo(NUC_STICK, 9);
    expect(p.execution.mean - s.execution.mean).toBeCloseTo(NUC_CPU * (1 - BOARD_TPU / BOARD_CPU), 9); // 49 ms
    // the report says where the Edge TPU ran and with which figure
    expect(plain.notes.filter((n) => n.includes('Edge TPU'))).toEqual([]);
    expect(stick.notes).toContain("classify: edge-1 (nuc) runs mobilenet-inference-tflite on its Edge TPU: 0.231 s, against 0.280 s on its CPU (no §4 figure for a Coral stick on a nuc: its CPU time × 0.824, the Coral dev board's Edge TPU / CPU ratio 0.548 / 0.665 — an assumption, docs/reference.md §10)");
    // and the text report prints it
    const text = await cli('simulate', project, '--topology', withStick, '--duration', '10m', '--rate', 'classify=1', '--exec', 'classify=mobilenet-inference-tflite');
    expect(text.out).toContain('note: classify: edge-1 (nuc) runs mobilenet-inference-tflite on its Edge TPU: 0.231 s, against 0.280 s on its CPU');
  });

  it('a 250 ms deadline: no node meets it without the stick; with it, edge-1 runs every invocation within it', async () => {
    const plain = await simulate('local', [], deadline);
    expect(plain.deploy).toEqual([{ function: 'classify', node: null, reason: expect.stringMatching(/Deadline removed 2 .* 0\.292 s on edge-1 \(execution 0\.280 s/) }]);
    expect(plain.functions[0].completed).toBe(0);
    // four workers on the replica: an arrival while one runs is not queued for the autoscaler's next tick (scaling.ts)
    const stick = await simulate(withStick, ['--workers', '4'], deadline);
    expect(stick.deploy).toEqual([{ function: 'classify', node: 'edge-1' }]);
    expect(stick.functions[0].completed).toBeGreaterThan(500);
    expect(stick.functions[0].execution.mean).toBeCloseTo(NUC_STICK, 9);
    expect(stick.functions[0].deadlineMisses).toBe(0);
  });

  it('an Edge TPU model (mobilenet-inference-tpu) fails without the stick, with the reason, and runs 0.231 s with it', async () => {
    const tpu = ['--exec', 'classify=mobilenet-inference-tpu'];
    const plain = await simulate('local', tpu);
    expect(plain.functions[0].completed).toBe(0);
    expect(plain.functions[0].failures[0]).toMatch(/^edge-1 \(nuc\) has no Edge TPU \(capability tpu\) for workload mobilenet-inference-tpu: attach a Coral stick/);
    const stick = await simulate(withStick, tpu);
    expect(stick.functions[0].failed).toBe(0);
    expect(stick.functions[0].execution.mean).toBeCloseTo(NUC_STICK, 9);
  });
});

describe('edgeai schedule --explain with the stick', () => {
  it('the deadline that only the Edge TPU meets is feasible on edge-1 alone; without the stick edge-1 is removed by it', async () => {
    const argv = ['--exec', 'classify=mobilenet-inference-tflite', '--explain'];
    const stick = await cli('schedule', deadline, '--topology', withStick, ...argv);
    expect(stick.code, stick.err).toBe(0);
    expect(stick.out).toMatch(/λ classify +→ edge-1/);
    expect(stick.out).toMatch(/★ edge-1 +total/);
    expect(stick.out).toMatch(/✗ edge-2 +Deadline: estimated 1\.295 s \(execution 1\.283 s \+/);
    const plain = await cli('schedule', deadline, '--topology', 'local', ...argv);
    expect(plain.code).toBe(1);
    expect(plain.out).toMatch(/✗ edge-1 +Deadline: estimated 0\.292 s \(execution 0\.280 s \+ input transfer 0\.000 s \+ image pull 0\.012 s\) > deadline 0\.250 s/);
    // the stick on the laptop (an Edge TPU off the edge) does not help an edge function
    const onLaptop = join(fs.root, 'on-laptop.json');
    expect((await cli('accelerators', '--sysfs', fs.sysfsRoot, '--dev', fs.devRoot, '--save', onLaptop)).code).toBe(0);
    expect((await cli('schedule', deadline, '--topology', onLaptop, ...argv)).code).toBe(1);
  });

  it('a TPU node removed by a tighter deadline says its time is on the Edge TPU', async () => {
    const r = await cli('schedule', tight, '--topology', withStick, '--exec', 'classify=mobilenet-inference-tflite', '--explain');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/✗ edge-1 +Deadline: estimated 0\.243 s \(execution 0\.231 s on the Edge TPU \+/);
  });
});

describe("the studio's simulate request (app/simulation.ts) with the project's topology.json", () => {
  it('a stick saved into the project changes the execution time by the same figures', async () => {
    const dir = join(fs.root, 'studio');
    mkdirSync(join(dir, 'functions'), { recursive: true });
    writeFileSync(join(dir, 'workflow.json'), JSON.stringify({ name: 'classify', version: 1, dataSources: [], triggers: [] }));
    writeFileSync(join(dir, 'functions', 'classify.ts'), "import { policy, type Request } from 'edge-ai-studio/sdk';\nexport class Classify {\n  @policy.fn({ node: 'edge' })\n  async classify(request: Request) { return 1; }\n}\n");
    // as the studio's Simulate tab asks: topology 'project', the function's execution profile
    const studio = async () => {
      const p = loadProject(dir);
      const { topology, source } = await chooseTopology(p, 'project');
      const req = simulationRequest({ project: p, topology, profiles: ['edge-ai'], seed: 3, duration: '5m', rates: { classify: 1 }, workloads: { classify: 'mobilenet-inference-tflite' }, service: 'deterministic', coldStarts: false });
      const [report] = compareSchedulers(req.options, req.profiles);
      return { source, f: report.functions[0], notes: report.notes };
    };
    await saveTopology(join(dir, 'topology.json'), localCluster());
    const plain = await studio();
    expect((await cli('accelerators', '--sysfs', fs.sysfsRoot, '--dev', fs.devRoot, '--save', join(dir, 'topology.json'), '--host', 'edge-1')).code).toBe(0);
    const stick = await studio();
    expect([plain.source, stick.source]).toEqual(['topology.json', 'topology.json']);
    expect(Object.keys(plain.f.nodes)).toEqual(['edge-1']);
    expect(Object.keys(stick.f.nodes)).toEqual(['edge-1']);
    expect(plain.f.execution.mean).toBeCloseTo(NUC_CPU, 9);
    expect(stick.f.execution.mean).toBeCloseTo(NUC_STICK, 9);
    expect(stick.notes.some((n) => n.startsWith('classify: edge-1 (nuc) runs mobilenet-inference-tflite on its Edge TPU: 0.231 s'))).toBe(true);
  });
});

describe('a Coral dev board: the measured figures', () => {
  it('0.665 s on its CPU (capabilities: [] in topology.json), 0.548 s on its Edge TPU (its default capability tpu)', async () => {
    const t = localCluster();
    // edge-1 a dev board (edge-2 unschedulable, so the function runs there)
    const board = (capabilities: string[]) => ({ ...t, nodes: t.nodes.map((n) => (n.name === 'edge-1' ? { ...n, device: 'coral', arch: 'arm64' as const, capabilities } : n.name === 'edge-2' ? { ...n, noSchedule: true } : n)) });
    const noTpu = join(fs.root, 'board-cpu.json');
    const tpu = join(fs.root, 'board-tpu.json');
    await saveTopology(noTpu, board([]));
    await saveTopology(tpu, board(['tpu']));
    const cpu = (await simulate(noTpu)).functions[0];
    const edge = (await simulate(tpu)).functions[0];
    expect(Object.keys(cpu.nodes)).toEqual(['edge-1']);
    expect(Object.keys(edge.nodes)).toEqual(['edge-1']);
    expect(cpu.execution.mean).toBeCloseTo(BOARD_CPU, 9);
    expect(edge.execution.mean).toBeCloseTo(BOARD_TPU, 9);
  });
});
