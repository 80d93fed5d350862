import { describe, expect, it } from 'vitest';
import { arrivalSource, DEFAULT_MODEL, fmtS, modelRequest, parseRates, p95Rows } from './sim-view';
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
});
