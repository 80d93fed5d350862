/** `edgeai schedule` (cluster/cli/commands/schedule.ts) on the mnist sample. */
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { command, type ScheduleReport } from '../cli/commands/schedule';
import { StudioError } from '../common/errors';

const sample = fileURLToPath(new URL('../../samples/mnist', import.meta.url));

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await command.run(args, { out: (s) => (out += s + '\n'), err: (s) => (err += s + '\n') });
  return { code, out, err };
}

describe('edgeai schedule', () => {
  it('places the mnist sample feasibly on the local topology', async () => {
    const { code, out } = await run([sample, '--topology', 'local', '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(out) as ScheduleReport;
    const where = Object.fromEntries(report.placements.map((p) => [p.function, p.node]));
    expect(where.refine).toBe('laptop'); // policy.fn node local + strict data on network local
    expect(where.train).toBe('cloud-1'); // policy.fn node cloud
    expect(['edge-1', 'edge-2']).toContain(where.inference); // policy.fn node edge
    for (const p of report.placements) {
      expect(typeof p.score).toBe('number');
      expect(report.explanations[p.function].nodes).toHaveLength(4);
    }
  });

  it('explains an infeasible placement and exits 1', async () => {
    const { code, out } = await run([sample, '--topology', 'skippy-testbed', '--explain']);
    expect(code).toBe(1);
    expect(out).toContain("no node has type local ('local' is a user_device node on network 'local')");
    expect(out).toMatch(/✗ cloud-vm +NodeType: node type cloud; policy.fn allows local/);
  });

  it('turns a bad topology or profile into a user error', async () => {
    await expect(run([sample, '--topology', 'urban-sensin'])).rejects.toThrow(StudioError);
    await expect(run([sample, '--profile', 'skipy'])).rejects.toThrow(/did you mean 'skippy'/);
    await expect(run([sample, '--topology', '/nonexistent/topology.json'])).rejects.toThrow(/cannot read it/);
  });
});
