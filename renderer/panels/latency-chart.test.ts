import { describe, expect, it } from 'vitest';
import type { RunDto } from '../../cluster/api/contract';
import { latencyRows } from './LatencyChart';

const run = (id: string, started: string, timings: Record<string, number>, status: RunDto['status'] = 'ok'): RunDto => ({
  id, workflow: 'w', function: `f${id}`, node: 'edge-1', status, started, ended: started, request: {}, inputs: [], outputs: [], output: null, timings, logs: [], error: null, attempts: 1,
});

describe('latency chart rows', () => {
  it('finished runs oldest first, ms per part (missing parts are 0), at most the last N', () => {
    const runs = [
      run('b', '2026-11-26T10:00:02Z', { queueMs: 0.26, transferMs: 12.04, coldStartMs: 800, execMs: 30, totalMs: 842.3 }),
      run('a', '2026-11-26T10:00:01Z', { execMs: 3 }),
      run('c', '2026-11-26T10:00:03Z', {}, 'running'),
      run('d', '2026-11-26T10:00:04Z', { execMs: 5, coldStartMs: -1 }),
    ];
    const rows = latencyRows(runs);
    expect(rows.map((r) => r.id)).toEqual(['a', 'b', 'd']);
    expect(rows[1]).toMatchObject({ label: 'fb', node: 'edge-1', queue: 0.3, transfer: 12, coldStart: 800, exec: 30 });
    expect(rows[0]).toMatchObject({ queue: 0, transfer: 0, coldStart: 0, exec: 3 });
    expect(rows[2].coldStart).toBe(0);
    expect(latencyRows(runs, 2).map((r) => r.id)).toEqual(['b', 'd']);
  });
});
