/**
 * Claims of the README's command-line tour that no other test asserted (docs/coverage.md):
 * `edgeai schema topology`; where `schedule` takes its topology when none is named; the JSON form
 * of `schedule … --profile skippy --json` agreeing with the text form; the `local` topology's
 * devices; and the local cluster's 32-node limit on the command line (urban-sensing:cells=1, with
 * its 23 nodes, fits).
 */
import { describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from './main';
import { printStatus } from './commands/cluster';
import type { ClusterStatus } from '../runtime/controller';
import { topologyByName } from '../topology/scenarios';
import { CAPABILITIES } from '../spec/function';
import { tempDirs } from '../runtime/testing/temp';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MNIST = join(ROOT, 'samples/mnist');
const tmp = tempDirs();

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(argv, { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** samples/mnist in a temp folder, its workflow.json changed by `edit` */
function mnistWith(edit: (wf: Record<string, unknown>) => void): string {
  const dir = join(tmp('edgeai-tour-'), 'mnist');
  cpSync(MNIST, dir, { recursive: true });
  const wf = JSON.parse(readFileSync(join(dir, 'workflow.json'), 'utf8'));
  edit(wf);
  writeFileSync(join(dir, 'workflow.json'), JSON.stringify(wf, null, 2));
  return dir;
}

describe('edgeai schema', () => {
  it('topology prints the JSON Schema of topology.json; an unknown name says which exist', async () => {
    const r = await cli('schema', 'topology');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out) as { type: string; required?: string[]; properties: Record<string, unknown> };
    expect(s.type).toBe('object');
    expect(Object.keys(s.properties)).toEqual(expect.arrayContaining(['name', 'nodes', 'networks']));
    expect(s.required).toEqual(expect.arrayContaining(['nodes']));
    const bad = await cli('schema', 'nodes');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/which schema\? workflow or topology/);
  });
});

describe('edgeai schedule: which topology when none is named', () => {
  const placedOn = (out: string) => [...out.matchAll(/→ (\S+)/g)].map((m) => m[1]);

  it("takes the project's topology.json, else workflow.json's target.topology, else local", async () => {
    // workflow.json names skippy-testbed: its nodes, and the header says so
    const targeted = mnistWith((wf) => ((wf.target as Record<string, unknown>).topology = 'skippy-testbed'));
    expect(existsSync(join(targeted, 'topology.json'))).toBe(false);
    const a = await cli('schedule', targeted);
    // the testbed has no user device, so refine (node: 'local') has nowhere to go: exit 1, and it says why
    expect(a.code).toBe(1);
    expect(a.out).toMatch(/λ refine\s+✗ no node can run refine \(8 nodes examined\)/);
    expect(a.out).toMatch(/^mnist on skippy-testbed \(\d+ nodes\)/);
    const testbed = new Set(topologyByName('skippy-testbed').nodes.map((n) => n.name));
    expect(placedOn(a.out).length).toBeGreaterThan(0);
    for (const n of placedOn(a.out)) expect(testbed.has(n)).toBe(true);

    // a topology.json in the project wins over target.topology
    writeFileSync(
      join(targeted, 'topology.json'),
      JSON.stringify({
        name: 'own-lab',
        networks: [{ name: 'local', kind: 'lan' }, { name: 'internet', kind: 'wan' }, { name: 'cloud', kind: 'datacenter' }],
        nodes: [
          { name: 'lab-laptop', device: 'laptop', type: 'user_device', network: 'local' },
          { name: 'lab-nuc', device: 'nuc', type: 'edge', network: 'local' },
          { name: 'lab-vm', device: 'xeon-cpu', type: 'cloud', network: 'cloud' },
        ],
        links: [
          { from: 'local', to: 'internet', upMbps: 50, downMbps: 500 },
          { from: 'cloud', to: 'internet', upMbps: 1000, downMbps: 1000 },
        ],
        registry: { at: ['lab-laptop'] },
      }),
    );
    const b = await cli('schedule', targeted);
    expect(b.code, b.err).toBe(0);
    expect(b.out).toMatch(/^mnist on own-lab/);
    for (const n of placedOn(b.out)) expect(n).toMatch(/^lab-/);

    // neither: local
    const plain = mnistWith((wf) => delete wf.target);
    const c = await cli('schedule', plain);
    expect(c.code, c.err).toBe(0);
    expect(c.out).toMatch(/^mnist on local \(4 nodes\)/);
  });

  it('--profile skippy --json on urban-sensing:cells=8 places each function where the text form does', async () => {
    const json = await cli('schedule', MNIST, '--topology', 'urban-sensing:cells=8', '--profile', 'skippy', '--json');
    const text = await cli('schedule', MNIST, '--topology', 'urban-sensing:cells=8', '--profile', 'skippy');
    expect([json.code, text.code]).toEqual([0, 0]);
    const j = JSON.parse(json.out) as { topology: string; profile: string; placements: Array<{ function: string; node: string | null; score: number }> };
    expect([j.topology, j.profile]).toEqual(['urban-sensing-8', 'skippy']);
    expect(j.placements.map((p) => p.function).sort()).toEqual(['inference', 'refine', 'train', 'trainFair']);
    for (const p of j.placements) expect(text.out).toContain(`λ ${p.function.padEnd(20)} → ${p.node} (score ${p.score})`);
  });
});

describe('the local cluster on the command line', () => {
  it("`local` is a laptop (user device), edge-1 a NUC, edge-2 a Raspberry Pi 4 and cloud-1 a Xeon VM", () => {
    expect(topologyByName('local').nodes.map((n) => [n.name, n.type, n.device])).toEqual([
      ['laptop', 'user_device', 'laptop'],
      ['edge-1', 'edge', 'nuc'],
      ['edge-2', 'edge', 'rpi4'],
      ['cloud-1', 'cloud', 'xeon-cpu'],
    ]);
  });

  it('cluster up refuses a topology of more than 32 nodes and starts nothing; urban-sensing:cells=1 has 23', async () => {
    expect(topologyByName('urban-sensing:cells=1').nodes.length).toBe(23);
    const home = tmp('edgeai-tour-home-');
    const up = await cli('cluster', 'up', '--topology', 'urban-sensing:cells=8', '--home', home, '--cluster', 'big');
    expect(up.code).toBe(2);
    expect(up.err).toMatch(/topology 'urban-sensing-8' has 182 nodes; the local cluster runs every node on this machine \(a process each\) and starts at most 32; nothing was started/);
    const status = await cli('cluster', 'status', '--json', '--home', home, '--cluster', 'big');
    expect(JSON.parse(status.out).nodes ?? []).toEqual([]);
  });
});

describe('edgeai cluster status, in words', () => {
  it('lists the nodes, why one is NotReady, the bytes moved per link and the artifacts whose only copies are on stopped nodes', () => {
    const node = (name: string, status: 'Ready' | 'NotReady', reason: string | null) => ({ name, status, reason, device: 'nuc', type: 'edge', network: 'local', arch: 'amd64', cpuMillis: 4000, memoryBytes: 8 * 1024 ** 3, capabilities: [], port: 40000, host: '127.0.0.1', pid: 1, container: null, functions: ['echo'] });
    const s: ClusterStatus = {
      cluster: 'c',
      up: true,
      backend: 'process',
      topology: 'local',
      nodes: [node('edge-1', 'NotReady', '4 heartbeats in a row unanswered (last answer 1.6 s ago)'), node('edge-2', 'Ready', null)],
      deployments: [],
      links: [
        { link: 'edge-1 → local', bytes: 2 * 1024 * 1024, transfers: 3 },
        { link: 'local → internet', bytes: 512, transfers: 1 },
      ],
      unavailable: [{ urn: 'ops:echo', version: 1, locations: ['edge-1'] }],
    };
    const text: string[] = [];
    printStatus(s, { out: (l) => text.push(l), err: () => undefined });
    expect(text.join('\n')).toMatch(/^ {2}edge-1 +NotReady +nuc /m);
    expect(text).toContain('  edge-1: 4 heartbeats in a row unanswered (last answer 1.6 s ago)');
    expect(text).toContain('bytes moved: edge-1 → local 2.00 MiB, local → internet 512 B');
    expect(text).toContain('unavailable artifacts (only copies on stopped nodes): ops:echo@1 [edge-1]');
  });
});

describe('@policy.fn capability: the whole list', () => {
  it('gpu, tpu, vpu, cuda, npu, fpga and camera each send a function to the one node that has it, and nowhere without it', async () => {
    const caps = ['gpu', 'tpu', 'vpu', 'cuda', 'npu', 'fpga', 'camera'];
    const dir = join(tmp('edgeai-caps-'), 'caps');
    mkdirSync(join(dir, 'functions'), { recursive: true });
    writeFileSync(join(dir, 'workflow.json'), JSON.stringify({ name: 'caps', version: 1, dataSources: [], triggers: [] }));
    const methods = caps.map((c) => `  @policy.fn({ capability: '${c}' })\n  async needs_${c}(request: Request) { return '${c}'; }\n`).join('\n');
    writeFileSync(join(dir, 'functions', 'caps.ts'), `import { policy, type Request } from 'edge-ai-studio/sdk';\nexport class Caps {\n${methods}}\n`);
    const topology = (withCaps: boolean) => ({
      name: withCaps ? 'one-of-each' : 'none-of-them',
      networks: [{ name: 'local', kind: 'lan' }],
      nodes: caps.map((c) => ({ name: `has-${c}`, device: 'nuc', type: 'edge', network: 'local', ...(withCaps ? { capabilities: [c] } : {}) })),
      links: [],
      registry: { at: ['has-gpu'] },
    });
    writeFileSync(join(dir, 'with.json'), JSON.stringify(topology(true)));
    writeFileSync(join(dir, 'without.json'), JSON.stringify(topology(false)));
    const placed = await cli('schedule', dir, '--topology', join(dir, 'with.json'));
    expect(placed.code, placed.out + placed.err).toBe(0);
    for (const c of caps) expect(placed.out).toMatch(new RegExp(`λ needs_${c} +→ has-${c} `));
    const none = await cli('schedule', dir, '--topology', join(dir, 'without.json'));
    expect(none.code).toBe(1);
    for (const c of caps) expect(none.out).toMatch(new RegExp(`λ needs_${c} +✗ no node can run needs_${c}.*capability ${c}`));
    // and the spec knows no other
    expect([...CAPABILITIES]).toEqual(caps);
  });
});
