/**
 * The autoscaler skips its inert ticks (scaling.ts: every replica of a function pulling or
 * starting, both windows' averages 0) exactly: a run with skipping gives the same report, byte
 * for byte, as the run that runs every tick (the internal switch skipInertTicks: false), with the
 * same event count (the skipped ticks counted). Random topologies, workloads, rates, presets,
 * service-time distributions, reconcile intervals (ticks and reconciles on one instant) and seeds.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fileURLToPath } from 'node:url';
import { loadProject } from '../project/index';
import { topologyByName } from '../topology/scenarios';
import { simulateWithWork } from './simulation';
import type { SimulationOptions } from './types';

const mnist = loadProject(fileURLToPath(new URL('../../samples/mnist', import.meta.url)));

function both(opts: SimulationOptions): { same: boolean; skipped: number; events: number } {
  const a = simulateWithWork(opts);
  const b = simulateWithWork(opts, { skipInertTicks: false });
  expect(b.engineEvents).toBe(b.report.events);
  return { same: JSON.stringify(a.report) === JSON.stringify(b.report), skipped: a.report.events - a.engineEvents, events: a.report.events };
}

const service = fc.constantFrom<SimulationOptions['service']>(undefined, { kind: 'exponential' }, { kind: 'deterministic' }, { kind: 'lognormal', sigma: 0.5 });
const concurrency = fc.constantFrom<SimulationOptions['concurrency']>(undefined, { kind: 'workers', workers: 4 }, { kind: 'agent', workers: 2 });

describe('skipping inert autoscaler ticks', () => {
  it('the 16-cell faas-sim chain (10 deployments per cell, all at t = 0): the same report, most ticks skipped', () => {
    const r = both({ workload: 'faas-sim', deployments: 160, topology: topologyByName('urban-sensing:cells=16'), profile: 'edge-ai', seed: 1, durationS: 900 });
    expect(r.same).toBe(true);
    expect(r.skipped).toBeGreaterThan(r.events / 3);
  });

  it('random faas-sim workloads, with and without the preset: the same reports', () => {
    let skipped = 0;
    fc.assert(
      fc.property(
        fc.record({
          cells: fc.integer({ min: 1, max: 3 }),
          perCell: fc.integer({ min: 1, max: 12 }),
          preset: fc.boolean(),
          staggered: fc.boolean(),
          seed: fc.integer({ min: 0, max: 1000 }),
          durationS: fc.integer({ min: 200, max: 1500 }),
          profile: fc.constantFrom('edge-ai', 'skippy'),
          reconcileS: fc.constantFrom(undefined, 2, 4, 10),
          idleTimeoutS: fc.constantFrom(undefined, 20, 60),
          maxReplicas: fc.constantFrom(undefined, 1, 3),
          service,
          concurrency,
        }),
        (c) => {
          const opts: SimulationOptions = {
            workload: 'faas-sim',
            deployments: c.cells * c.perCell,
            topology: topologyByName(`urban-sensing:cells=${c.cells}`),
            profile: c.profile,
            seed: c.seed,
            durationS: c.durationS,
            ...(c.preset ? { preset: 'faas-sim' as const, ...(c.staggered ? {} : { deployIntervalS: 0 }) } : c.staggered ? { deployIntervalS: 30 } : {}),
            ...(c.reconcileS !== undefined ? { reconcileS: c.reconcileS } : {}),
            ...(c.idleTimeoutS !== undefined ? { idleTimeoutS: c.idleTimeoutS } : {}),
            ...(c.maxReplicas !== undefined ? { maxReplicas: c.maxReplicas } : {}),
            ...(c.service ? { service: c.service } : {}),
            ...(c.concurrency ? { concurrency: c.concurrency } : {}),
          };
          const r = both(opts);
          skipped += r.skipped;
          expect(r.same).toBe(true);
        },
      ),
      { numRuns: 40, seed: 15, interruptAfterTimeLimit: 40_000 },
    );
    // the property exercised skipping
    expect(skipped).toBeGreaterThan(100);
  }, 60_000);

  it('random mnist runs (http and timer triggers, cold starts on and off, small and large topologies): the same reports', () => {
    fc.assert(
      fc.property(
        fc.record({
          topology: fc.constantFrom('local', 'skippy-testbed', 'urban-sensing:cells=1', 'urban-sensing:cells=4', 'industrial-iot:sites=2', 'cloud-regions:regions=2,vms=20'),
          rate: fc.double({ min: 0.05, max: 40, noNaN: true }),
          seed: fc.integer({ min: 0, max: 1000 }),
          durationS: fc.integer({ min: 60, max: 1800 }),
          coldStarts: fc.boolean(),
          reconcileS: fc.constantFrom(undefined, 2, 6),
          service,
          concurrency,
        }),
        (c) => {
          const r = both({
            project: mnist,
            topology: topologyByName(c.topology),
            profile: 'edge-ai',
            seed: c.seed,
            durationS: c.durationS,
            rates: { inference: c.rate },
            ...(c.coldStarts ? {} : { coldStarts: false }),
            ...(c.reconcileS !== undefined ? { reconcileS: c.reconcileS } : {}),
            ...(c.service ? { service: c.service } : {}),
            ...(c.concurrency ? { concurrency: c.concurrency } : {}),
          });
          expect(r.same).toBe(true);
        },
      ),
      { numRuns: 30, seed: 15, interruptAfterTimeLimit: 30_000 },
    );
  }, 60_000);
});
