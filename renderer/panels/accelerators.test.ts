import { describe, expect, it } from 'vitest';
import { stickUse } from './Accelerators';
import type { AcceleratorDto, ClusterStatusDto } from '../../cluster/api/contract';

const coral = { kind: 'coral', capability: 'tpu' } as AcceleratorDto;
const status = (up: boolean, laptopCaps: string[] | null) =>
  ({ up, topology: 'local', nodes: laptopCaps ? [{ name: 'laptop', capabilities: laptopCaps }] : [{ name: 'edge-1', capabilities: [] }] }) as unknown as ClusterStatusDto;

describe('where a USB stick is used', () => {
  it('joins the laptop when the cluster starts', () => {
    expect(stickUse(coral, undefined)).toEqual({ text: 'joins laptop as tpu when the cluster starts', tone: 'muted' });
    expect(stickUse(coral, status(false, ['tpu'])).tone).toBe('muted');
  });
  it('in use when the running laptop node offers its capability', () => {
    expect(stickUse(coral, status(true, ['tpu']))).toEqual({ text: 'laptop offers tpu', tone: 'ok' });
  });
  it('plugged in after the start: says to restart the cluster', () => {
    expect(stickUse(coral, status(true, []))).toEqual({ text: 'plugged in after the cluster started: stop and start it to use this stick', tone: 'warn' });
  });
  it('a topology without the laptop does not use it', () => {
    expect(stickUse(coral, status(true, null)).text).toBe('not used: topology local has no node laptop');
  });
});
