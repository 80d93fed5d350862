/**
 * TensorFlow Lite models in their own process (tflite-host.ts, tflite-runner.ts): where each one
 * runs, and a delegate crash contained. The crash is the real one (docs/reference.md §9): the
 * Edge TPU delegate asked to load with no libedgetpu.so.1 on this machine segfaults inside
 * TfLiteInterpreterCreate — here in the runner, which the test forces past the precondition
 * check. There is no stick and no Edge TPU runtime here: the `edgetpu` path itself is untested.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { StudioError } from '../../common/errors';
import { tfliteRuntime } from '../../registry/tflite';
import { edgeTpuReadiness } from '../../accelerators/runtimes';
import { TfliteHost } from './tflite-host';

const FACE = createRequire(import.meta.url).resolve('@mediapipe/face_detection/face_detection_short_range.tflite');
const runner = fileURLToPath(new URL('./tflite-runner.ts', import.meta.url));
const grey = { data: new Float32Array(128 * 128 * 3), shape: [1, 128, 128, 3], dtype: 'float32' as const };
const runs = tfliteRuntime().ok || process.env.CI === 'true';

describe.skipIf(!runs)('TensorFlow Lite in a runner process', () => {
  const host = new TfliteHost({ file: runner, execArgv: ['--import', 'tsx'] });
  afterAll(() => host.close());

  it('runs a model on the CPU, and says why when the Edge TPU was wanted but is not there', async () => {
    const cpu = await host.open(FACE, 'face detector');
    expect(cpu.runsOn).toBe('cpu');
    expect(cpu.info.inputs[0]).toEqual({ name: 'input', dtype: 'float32', shape: [1, 128, 128, 3] });
    const out = await cpu.run([grey]);
    expect(out.classificators.shape).toEqual([1, 896, 1]);
    expect(out.classificators.data).toBeInstanceOf(Float32Array);

    const readiness = edgeTpuReadiness({ sysfsRoot: '/nonexistent' });
    const wanted = await host.open(FACE, 'face detector', { edgeTpu: readiness });
    expect(wanted.runsOn).toMatch(/^cpu \(fallback: no Coral USB Accelerator is plugged in/);
    expect((await wanted.run([grey])).classificators.data).toEqual(out.classificators.data);
  }, 60_000);

  it('a delegate that segfaults ends the runner only: the load fails saying so, and the next model loads in a fresh runner', async () => {
    const before = await host.open(FACE, 'face detector');
    const e = await host.open(FACE, 'face detector', { force: { edgeTpuLibrary: 'libedgetpu.so.1' } }).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(StudioError);
    expect(e).toMatchObject({
      code: 'tflite-crashed',
      message: expect.stringMatching(/the TensorFlow Lite runtime crashed \(SIGSEGV\) while loading face detector with the Edge TPU delegate \(libedgetpu\.so\.1\); nothing else was affected/),
      hint: expect.stringMatching(/edgeai accelerators/),
    });
    // what the dead runner held is gone, and says so; this process lives on
    await expect(before.run([grey])).rejects.toMatchObject({ code: 'tflite-crashed', message: expect.stringMatching(/no longer loaded/) });
    const after = await host.open(FACE, 'face detector');
    expect((await after.run([grey])).regressors.shape).toEqual([1, 896, 16]);
  }, 60_000);
});
