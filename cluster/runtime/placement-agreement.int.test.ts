/**
 * Schedule, simulate and deploy place every function on the same node: the plan
 * (planWorkflow, what `edgeai schedule` prints), the simulator's first placements and what a
 * real deploy on the process backend put where — for samples/mnist and a generated workflow, on
 * two scenarios. Deploys place with the edge-ai profile; for the other profiles the plan and
 * the simulator are compared.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Controller } from './controller';
import { MNIST } from './runtime-suite';
import { planProject } from '../app/plan';
import { loadProject } from '../project/project';
import { simulate } from '../simulator/sim';
import { topologyByName } from '../topology/scenarios';
import { mulberry32 } from '../registry/data';

const made: string[] = [];
function tmp(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

/**
 * A workflow of `n` functions in a chain (each reads what the one before wrote, the first a
 * CSV data source), with node types, deadlines and memory-hungry-looking placements drawn from
 * a fixed seed: not a sample, so no placement is tuned for it.
 */
function generatedWorkflow(n: number, seed: number): string {
  const rand = mulberry32(seed);
  const dir = join(tmp('edgeai-agree-'), 'chain');
  mkdirSync(join(dir, 'functions'), { recursive: true });
  mkdirSync(join(dir, 'data'), { recursive: true });
  writeFileSync(join(dir, 'data', 'in.csv'), 'x\n' + Array.from({ length: 200 }, (_, i) => i).join('\n') + '\n');
  const nodes = [undefined, "'edge'", "'cloud'", "['edge', 'cloud']"];
  for (let i = 0; i < n; i++) {
    const input = i === 0 ? "@consumes.data({ selector: { urn: 'chain:in' } })" : `@consumes.data({ selector: { urn: 'chain:step${i - 1}' } })`;
    const node = nodes[Math.floor(rand() * nodes.length)];
    const deadline = rand() < 0.3 ? `\n  @policy.deadline('${[2, 5, 10][Math.floor(rand() * 3)]}s')` : '';
    writeFileSync(
      join(dir, 'functions', `step${i}.ts`),
      `import { consumes, produces, policy, type Data, type Request } from 'edge-ai-studio/sdk';

export class Step${i} {
  ${input}
  @produces.data({ urn: 'chain:step${i}', format: 'jsonl' })${node ? `\n  @policy.fn({ node: ${node} })` : ''}${deadline}
  async step${i}(data: Data, request: Request) {
    return { rows: data.length };
  }
}
`,
    );
  }
  writeFileSync(join(dir, 'workflow.json'), JSON.stringify({ name: 'chain', version: 1, dataSources: [{ urn: 'chain:in', type: 'table', tags: [], format: 'csv', source: { kind: 'file', path: 'data/in.csv' } }], triggers: [] }, null, 2));
  return dir;
}

const PROJECTS = () => {
  const mnist = tmp('edgeai-agree-mnist-');
  cpSync(MNIST, mnist, { recursive: true });
  return { mnist, chain: generatedWorkflow(7, 10) };
};

describe.each(['local', 'skippy-testbed'])('placements agree on %s (process backend)', (scenario) => {
  let home: string;
  let c: Controller;
  const cluster = `agree-${scenario}-${process.pid}`;
  const topology = topologyByName(scenario);
  const projects = PROJECTS();

  beforeAll(async () => {
    home = tmp('edgeai-agree-home-');
    c = await Controller.open({ home, cluster, triggers: 'off' });
  }, 60_000);

  afterAll(async () => {
    if (c) {
      await c.down().catch(() => undefined);
      c.close();
    }
  }, 120_000);

  for (const name of ['mnist', 'chain'] as const) {
    it(`${name}: deploy = plan = the simulator's first placements (edge-ai), plan = simulator (skippy, kube-default)`, async () => {
      const dir = projects[name];
      const project = loadProject(dir);
      const byFn = (xs: Array<{ function?: string; id?: string; node: string | null }>) => Object.fromEntries(xs.map((x) => [x.function ?? x.id, x.node]));
      for (const profile of ['edge-ai', 'skippy', 'kube-default']) {
        const plan = byFn(planProject(project, topology, profile).placements);
        const sim = byFn(simulate({ project, topology, profile, seed: 1, durationS: 1 }).deploy);
        expect(sim, `${profile}: the simulator's placements`).toEqual(plan);
        expect(Object.values(plan).some((n) => n !== null), `${profile}: something is placed`).toBe(true);
        if (profile !== 'edge-ai') continue;
        // a fresh cluster each time: no other workflow holds resources the plan does not know of
        await c.up({ backend: 'process', topology: scenario });
        try {
          const deployed = await c.deploy(dir);
          expect(byFn(deployed.functions.map((f) => ({ id: f.id, node: f.status === 'ready' ? f.node : null }))), 'the deployed placements').toEqual(plan);
        } finally {
          await c.down();
        }
      }
    }, 240_000);
  }
});
