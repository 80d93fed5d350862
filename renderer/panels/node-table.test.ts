import { describe, expect, it, onTestFinished } from 'vitest';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StudioService } from '../../cluster/server/service';
import type { RunDto } from '../../cluster/api/contract';
import { nodeRows } from './NodeTable';

describe('table view rows', () => {
  it('one row per graph node, with policies, gates, problems, deploy state and the last run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'node-table-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    cpSync(join(import.meta.dirname, '..', '..', 'samples', 'mnist'), dir, { recursive: true });
    const svc = new StudioService();
    const r = await svc.call('project.open', { dir });
    if (!r.ok) throw new Error(r.error.message);
    const snap = r.value;
    const run: RunDto = {
      id: 'r1', workflow: 'mnist', function: 'inference', node: 'edge-1', status: 'ok', started: '2026-11-26T10:00:00.000Z', ended: '2026-11-26T10:00:00.040Z',
      request: {}, inputs: ['mnist:model@1'], outputs: [], output: { digit: 7 }, timings: { totalMs: 41.6 }, logs: [], error: null, attempts: 1,
    };
    const problems = [{ file: 'functions/refine.ts', line: 3, column: 1, severity: 'warning' as const, code: 'x', message: 'm' }];
    const rows = nodeRows(snap.graph, problems, { inference: { status: 'ready', node: 'edge-1', since: 0, action: 'unchanged' } }, { inference: run });
    expect(rows.map((x) => x.id).sort()).toEqual(snap.graph.nodes.map((n) => n.id).sort());
    const inference = rows.find((x) => x.id === 'fn:inference')!;
    expect(inference).toMatchObject({ kind: 'function', where: expect.stringMatching(/^functions\/inference\.ts:\d+$/), deploy: 'ready', node: 'edge-1', lastRun: 'ok in 42 ms on edge-1', io: 'mnist:model@1 → {"digit":7}' });
    expect(inference.policies).toMatch(/deadline 2s · on edge/);
    expect(inference.gates).toBe('drift confidence <0.2');
    expect(rows.find((x) => x.id === 'fn:refine')!.problems).toBe(1);
    expect(rows.find((x) => x.id === 'fn:refine')!.policies).toMatch(/data in local \(strict\)/);
    expect(rows.find((x) => x.id === 'source:mnist:data')).toMatchObject({ kind: 'data-source', where: 'mnist:data', deploy: '', lastRun: '' });
    await svc.close();
  });
});
