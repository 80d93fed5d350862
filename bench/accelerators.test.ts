/**
 * `npm run bench -- accelerators` prints each line it promises (issue 14's done-when): the face
 * model on the CPU in-process, through the agent's runner, through the runner inside a docker
 * node when a Docker engine answers (else "not measured: <why>"), and the Edge TPU line ("not
 * measured: no stick" on this machine). Three timed runs each: the figures are not asserted, only
 * that each is a measurement.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from './accelerators';
import { tfliteRuntime } from '../cluster/registry/tflite';
import { dockerSkipReason } from '../cluster/runtime/testing/docker-skip';

const rt = tfliteRuntime();
const dockerSkip = await dockerSkipReason('bench/accelerators.test');

afterEach(() => vi.restoreAllMocks());

describe.skipIf(!rt.ok)('bench accelerators', () => {
  it('prints the in-process baseline, the agent runner, the docker node\'s runner and the Edge TPU line', async () => {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
    await main(['--runs', '3']);
    const line = (label: string) => lines.find((l) => l.trimStart().startsWith(label)) ?? `(no line '${label}' in:\n${lines.join('\n')})`;
    const measured = /p50 \d+\.\d+ ms {2}p90 \d+\.\d+ ms/;
    expect(line('cpu, in this process (baseline)')).toMatch(measured);
    expect(line('cpu, through the agent\'s runner')).toMatch(measured);
    if (dockerSkip) expect(line('cpu, the runner in a docker node')).toMatch(/not measured: Docker/);
    else expect(line('cpu, the runner in a docker node')).toMatch(new RegExp(`${measured.source} .*on cpu\\)  ×\\d+\\.\\d+ of the baseline`));
    expect(line('edgetpu')).toMatch(/not measured: /);
  }, 180_000);
});
