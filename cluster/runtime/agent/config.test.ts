/**
 * The agent's defaults, as the README states them: idle workers retire after 300 s, an
 * invocation without a deadline is killed after 5 min, a worker that has not loaded within 60 s
 * is killed; EDGEAI_IDLE_MS, EDGEAI_INVOKE_TIMEOUT_MS and EDGEAI_LOAD_TIMEOUT_MS in the
 * environment of `cluster up` change them; the node's worker cap is its memory over 256 MiB,
 * 1 to 16 workers.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from './config';

const base = ['--node', 'n1', '--store', '/tmp/edgeai-config-test'];

describe('agent defaults', () => {
  it('300 s idle, 5 min invocation timeout, 60 s load timeout, 4 workers per function', () => {
    const c = parseConfig(base, {});
    expect([c.idleMs, c.invokeTimeoutMs, c.loadTimeoutMs, c.maxWorkers]).toEqual([300_000, 300_000, 60_000, 4]);
  });

  it('the environment of `cluster up` sets them; a flag wins over it', () => {
    const env = { EDGEAI_IDLE_MS: '1000', EDGEAI_INVOKE_TIMEOUT_MS: '2000', EDGEAI_LOAD_TIMEOUT_MS: '3000' };
    const c = parseConfig(base, env);
    expect([c.idleMs, c.invokeTimeoutMs, c.loadTimeoutMs]).toEqual([1000, 2000, 3000]);
    expect(parseConfig([...base, '--idle-ms', '50'], env).idleMs).toBe(50);
  });

  it("a node's worker cap is its memory over 256 MiB, at least 1 and at most 16; each worker's heap its share", () => {
    const MiB = 1024 * 1024;
    const cap = (mem: number) => parseConfig([...base, '--memory-bytes', String(mem)], {}).maxNodeWorkers;
    expect([cap(128 * MiB), cap(1024 * MiB), cap(16 * 1024 * MiB), cap(64 * 1024 * MiB)]).toEqual([1, 4, 16, 16]);
    // an RPi 4 (1 GiB): 4 workers of 256 MiB
    expect(parseConfig([...base, '--memory-bytes', String(1024 * MiB)], {}).workerHeapMb).toBe(256);
  });
});
