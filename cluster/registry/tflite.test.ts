/**
 * TensorFlow Lite models on the CPU (registry/tflite.ts) with the model the face sample uses,
 * @mediapipe/face_detection's face_detection_short_range.tflite (229,032 bytes; docs/reference.md
 * §9: 1×128×128×3 float32 in, 1×896×16 boxes and 1×896×1 scores out).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { StudioError } from '../common/errors';
import { TfliteModel, compiledForEdgeTpu, isTflite, tfliteRuntime } from './tflite';

const FACE = createRequire(import.meta.url).resolve('@mediapipe/face_detection/face_detection_short_range.tflite');
const bytes = new Uint8Array(readFileSync(FACE));
const runtime = tfliteRuntime();

describe('TensorFlow Lite models', () => {
  it('recognises a TFLite flatbuffer and whether it is compiled for the Edge TPU', () => {
    expect(bytes.byteLength).toBe(229_032);
    expect(isTflite(bytes)).toBe(true);
    expect(isTflite(new TextEncoder().encode('EATFJS01 not a tflite model'))).toBe(false);
    expect(compiledForEdgeTpu(bytes)).toBe(false);
    const compiled = new Uint8Array([...bytes.subarray(0, 64), ...new TextEncoder().encode('edgetpu-custom-op')]);
    expect(compiledForEdgeTpu(compiled)).toBe(true);
  });

  it('refuses what is not a TFLite model before native code sees it', () => {
    const e = (() => {
      try {
        TfliteModel.open(new Uint8Array(64), 'model x');
      } catch (x) {
        return x;
      }
    })();
    expect(e).toBeInstanceOf(StudioError);
    expect(e).toMatchObject({ code: 'not-tflite', message: expect.stringMatching(/model x is not a TensorFlow Lite model/) });
  });

  // the addon is an optional dependency: this machine builds it, so the test runs (and must, in CI)
  it.skipIf(!runtime.ok && process.env.CI !== 'true')('loads the face model on the CPU: its tensors, and a run that answers for each of the 896 anchors', () => {
    expect(runtime).toEqual({ ok: true });
    const m = TfliteModel.open(bytes, 'face_detection_short_range');
    expect(m.runsOn).toBe('cpu');
    expect(m.info).toEqual({
      inputs: [{ name: 'input', dtype: 'float32', shape: [1, 128, 128, 3] }],
      outputs: [
        { name: 'regressors', dtype: 'float32', shape: [1, 896, 16] },
        { name: 'classificators', dtype: 'float32', shape: [1, 896, 1] },
      ],
      edgetpu: false,
      bytes: 229_032,
    });
    // a flat grey image: no face anywhere (every anchor's score, a logit, is below 0)
    const grey = { data: new Float32Array(128 * 128 * 3).fill(0), shape: [1, 128, 128, 3], dtype: 'float32' as const };
    const out = m.run([grey]);
    expect(out.regressors.shape).toEqual([1, 896, 16]);
    expect(out.classificators.data.length).toBe(896);
    expect(Math.max(...out.classificators.data)).toBeLessThan(0);
    // by name, too; a wrong size is refused with the model's own shapes
    expect(m.run({ input: grey }).classificators.data).toEqual(out.classificators.data);
    expect(() => m.run([{ data: new Float32Array(10), shape: [10], dtype: 'float32' }])).toThrow(/input input holds 49152 values \(\[1,128,128,3\]\), got 10/);
    expect(() => m.run([])).toThrow(/the model takes 1 input\(s\) \(input \[1,128,128,3\] float32\), got 0/);
  });
});
