import { describe, expect, it } from 'vitest';
import { arrivalSource, DEFAULT_MODEL, fmtS, modelRequest, parseRates, p95Rows, runsCompareLines } from './sim-view';
import { fmtBytes } from '../format';
import type { ProjectSnapshot, SimulationReportDto } from '../../cluster/api/contract';

describe('simulate panel view', () => {
  it('formats seconds, bytes', () => {
    expect(fmtS(0.0493)).toBe('49 ms');
    expect(fmtS(0.0004)).toBe('0.40 ms');
    expect(fmtS(2.5)).toBe('2.50 s');
    expect(fmtS(90)).toBe('1.5 min');
    expect(fmtS(0)).toBe('0');
    expect(fmtBytes(5.8 * 1024 * 1024)).toBe('5.80 MiB');
  });

  it('says where invocations come from', () => {
    const wf = {
      triggers: [
        { kind: 'http', id: 'classify', function: 'inference' },
        { kind: 'schedule', id: 'nightly', function: 'train', every: '24h' },
        { kind: 'gate', id: 'retrain', function: 'train' },
      ],
    } as unknown as ProjectSnapshot['workflow'];
    expect(arrivalSource(wf, 'inference')).toEqual({ text: 'http classify: 1/s unless set', defaultRate: 1 });
    expect(arrivalSource(wf, 'train').text).toBe('every 24h, when a gate fails; a rate adds requests');
    expect(arrivalSource(wf, 'refine')).toEqual({ text: 'no trigger: give a rate to invoke it', defaultRate: 0 });
  });

  it('parses rates, refusing what is not a positive number with where and what to do', () => {
    expect(parseRates({ inference: ' 2.5 ', train: '' })).toEqual({ rates: { inference: 2.5 } });
    expect(parseRates({ inference: 'fast' })).toEqual({ error: expect.stringMatching(/^rate of inference: 'fast' is not a number.*blank for the default/) });
    expect('error' in parseRates({ inference: '0' })).toBe(true);
    expect('error' in parseRates({ inference: '-3' })).toBe(true);
  });

  it('charts p95 per function per profile, in ms, leaving out functions that never completed', () => {
    const fn = (name: string, completed: number, p95: number) => ({ function: name, completed, total: { p95 } });
    const reports = [
      { profile: 'edge-ai', functions: [fn('inference', 10, 0.0661), fn('refine', 0, 0)] },
      { profile: 'kube-default', functions: [fn('inference', 10, 0.069), fn('refine', 0, 0)] },
    ] as unknown as SimulationReportDto[];
    expect(p95Rows(reports)).toEqual([{ function: 'inference', 'edge-ai': 66.1, 'kube-default': 69 }]);
  });
});

describe('the model controls as the simulate request takes them', () => {
  it('leaves the defaults out and passes the rest as typed (the service checks it)', () => {
    expect(modelRequest(DEFAULT_MODEL, ['inference'])).toEqual({});
    expect(modelRequest({ ...DEFAULT_MODEL, sigma: ' 0.5 ' }, [])).toEqual({ service: 'lognormal:0.5' });
    expect(modelRequest({ ...DEFAULT_MODEL, service: 'deterministic', sigma: '0.5' }, [])).toEqual({ service: 'deterministic' });
    expect(modelRequest({ ...DEFAULT_MODEL, replicas: 'fixed', fixed: '3' }, [])).toEqual({ replicas: { min: 3, max: 3 } });
    expect(modelRequest({ ...DEFAULT_MODEL, replicas: 'range', min: '1', max: '' }, [])).toEqual({ replicas: { min: 1 } });
    expect(modelRequest({ ...DEFAULT_MODEL, coldStarts: false, starts: { inference: ' 5m ', train: '', gone: '1m' } }, ['inference', 'train'])).toEqual({ coldStarts: false, starts: { inference: '5m' } });
  });

  it('lists sim vs real per function (runs, p50, p95, cold starts) then bytes per link, with the differences', () => {
    const lines = runsCompareLines(
      {
        rows: [{ function: 'inference', real: { runs: 40, p50: 0.02, p95: 0.032, coldStarts: 1 }, sim: { runs: 40, p50: 0.0199, p95: 0.0336, coldStarts: 1 } }, { function: 'train', real: { runs: 1, p50: 2, p95: 2, coldStarts: 0 }, sim: { runs: 0, p50: null, p95: null, coldStarts: 0 } }],
        links: [{ link: 'edge-1→cloud-1', real: 2048, sim: 2048 }, { link: 'laptop→edge-1', real: 10, sim: 0 }],
      },
      fmtBytes,
    );
    expect(lines.map((l) => [l.what, l.figure, l.real, l.sim, l.difference])).toEqual([
      ['inference', 'runs', '40', '40', 'equal'],
      ['', 'p50 latency', '20 ms', '20 ms', '-0.5%'],
      ['', 'p95 latency', '32 ms', '34 ms', '+5.0%'],
      ['', 'cold starts', '1', '1', 'equal'],
      ['train', 'runs', '1', '0', 'differ'],
      ['', 'p50 latency', '2.00 s', '–', '–'],
      ['', 'p95 latency', '2.00 s', '–', '–'],
      ['', 'cold starts', '0', '0', 'equal'],
      ['bytes', 'edge-1→cloud-1', fmtBytes(2048), fmtBytes(2048), 'equal'],
      ['bytes', 'laptop→edge-1', fmtBytes(10), fmtBytes(0), 'differ'],
    ]);
    expect(new Set(lines.map((l) => l.key)).size).toBe(lines.length);
  });
});
