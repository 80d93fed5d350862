import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { run } from '../cli/main';

const MNIST = fileURLToPath(new URL('../../samples/mnist', import.meta.url));

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(argv, { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('edgeai simulate', () => {
  it('prints the deployment, latency table, links and cost', async () => {
    const r = await cli('simulate', MNIST, '--topology', 'urban-sensing:cells=2', '--duration', '10m', '--rate', 'inference=2');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^mnist on urban-sensing-2 \(\d+ nodes\), profile edge-ai, seed 1, 10\.0m simulated/);
    expect(r.out).toMatch(/λ inference → cloudlet-\d-/);
    expect(r.out).toMatch(/\n  inference +\d{3,} /);
    expect(r.out).toContain('bytes per link');
    expect(r.out).toContain('cloud cost $');
  });

  it('compares profiles on the same seed; --json gives the reports', async () => {
    const r = await cli('simulate', MNIST, '--topology', 'local', '--duration', '5m', '--profile', 'edge-ai,kube-default', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { comparison: Array<{ profile: string; functions: Array<{ function: string; arrivalsChecksum: string }> }> };
    expect(j.comparison.map((x) => x.profile)).toEqual(['edge-ai', 'kube-default']);
    const sums = j.comparison.map((x) => x.functions.find((f) => f.function === 'inference')!.arrivalsChecksum);
    expect(sums[0]).toBe(sums[1]);
    const text = await cli('simulate', MNIST, '--topology', 'local', '--duration', '5m', '--profile', 'edge-ai,kube-default');
    expect(text.out).toContain('the same arrivals for every profile');
  });

  it('--preset faas-sim: faas-sim\'s behaviour and, with --workload faas-sim, its 10 deployments per cell', async () => {
    const r = await cli('simulate', '--workload', 'faas-sim', '--preset', 'faas-sim', '--topology', 'urban-sensing:cells=1', '--duration', '30m', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { workflow: string; functions: Array<{ function: string; replicasStarted: number }> };
    expect(j.workflow).toBe('faas-sim-ml (10 deployments)');
    expect(j.functions).toHaveLength(30);
    expect(j.functions.find((f) => f.function === 'inference-0')!.replicasStarted).toBe(1);
    expect((await cli('simulate', MNIST, '--preset', 'ns-3')).err).toMatch(/--preset ns-3: the only preset is faas-sim/);
  });

  it('says what is wrong with a bad option', async () => {
    expect((await cli('simulate', MNIST, '--rate', 'nosuch=1')).err).toMatch(/rate for 'nosuch': mnist has no function or http trigger of that name/);
    expect((await cli('simulate', MNIST, '--profile', 'edge-aj')).err).toMatch(/unknown scheduler profile 'edge-aj'/);
    expect((await cli('simulate', MNIST, '--duration', 'forever')).code).toBe(2);
  });
});
