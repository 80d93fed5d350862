import { describe, expect, it } from 'vitest';
import { SIM_PROFILES, SIM_TOPOLOGIES, SIM_WORKLOADS } from './sim-choices';
import { WORKLOADS } from '../topology/index';
import { SCENARIO_NAMES, topologyByName } from '../topology/scenarios';
import { profileByName } from '../scheduler/index';

describe('simulation choices offered in the studio', () => {
  it('are every topology scenario there is, each of which builds', () => {
    expect([...SIM_TOPOLOGIES].sort()).toEqual([...SCENARIO_NAMES].sort());
    for (const t of SIM_TOPOLOGIES) expect(topologyByName(t).nodes.length).toBeGreaterThan(0);
  });
  it('are the execution-time profiles of the device catalog', () => {
    expect([...SIM_WORKLOADS]).toEqual([...WORKLOADS]);
  });
  it('are scheduler profiles the scheduler knows', () => {
    for (const p of SIM_PROFILES) expect(profileByName(p).name).toBe(p);
  });
});
