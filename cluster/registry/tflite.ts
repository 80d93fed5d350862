/**
 * TensorFlow Lite models (issue 14): recognise a `.tflite` flatbuffer, tell whether it was
 * compiled for the Edge TPU, and run it — on the CPU, or through the Edge TPU delegate.
 *
 * It drives tfjs-tflite-node's native interpreter (its N-API addon) directly, with typed arrays in
 * and out: the package's tfjs wrapper would bring a second tfjs-core (4.9) into a process that
 * runs the project's tfjs 4.22, and the two share tfjs's global engine. The package is an
 * optional dependency; without it (its addon could not be built at install) `tfliteRuntime()`
 * says so and every load is refused with that reason.
 *
 * Native code cannot be contained in-process: with the Edge TPU delegate and no runtime library,
 * TfLiteInterpreterCreate segfaults instead of failing (docs/reference.md §9). So platform code
 * checks the preconditions first (accelerators/runtimes.ts) and loads models in a process of its
 * own whose death is reported (runtime/agent/tflite-host.ts). Node-only.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { NdArray } from '../sdk/data';
import { StudioError } from '../common/errors';

export const TFLITE_FORMAT = 'tflite';
/** the custom op the Edge TPU compiler puts in a model it compiled */
const EDGETPU_OP = 'edgetpu-custom-op';

export type TfliteDType = 'int8' | 'uint8' | 'bool' | 'int16' | 'int32' | 'uint32' | 'float32' | 'float64';

export interface TfliteTensorSpec {
  name: string;
  dtype: TfliteDType;
  shape: number[];
}

export interface TfliteModelInfo {
  inputs: TfliteTensorSpec[];
  outputs: TfliteTensorSpec[];
  /** compiled for the Edge TPU (it holds the edgetpu-custom-op) */
  edgetpu: boolean;
  bytes: number;
}

/** A flatbuffer with TensorFlow Lite's file identifier `TFL3` (bytes 4–8). */
export function isTflite(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && bytes[4] === 0x54 && bytes[5] === 0x46 && bytes[6] === 0x4c && bytes[7] === 0x33;
}

export function compiledForEdgeTpu(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).includes(EDGETPU_OP);
}

interface NativeTensorInfo {
  name: string;
  dataType: TfliteDType;
  shape: string;
  data(): Int8Array | Uint8Array | Int16Array | Int32Array | Uint32Array | Float32Array | Float64Array;
}
interface NativeInterpreter {
  getInputs(): NativeTensorInfo[];
  getOutputs(): NativeTensorInfo[];
  infer(): boolean;
}
interface Addon {
  Interpreter: new (model: ArrayBuffer, options: { threads: number; delegate?: { path: string; options: Array<[string, string]> } }) => NativeInterpreter;
}

let addon: Addon | StudioError | undefined;

/** The native interpreter, or why there is none here. */
export function tfliteRuntime(): { ok: true } | { ok: false; reason: string } {
  const a = loadAddon();
  return a instanceof StudioError ? { ok: false, reason: a.message } : { ok: true };
}

function loadAddon(): Addon | StudioError {
  if (addon) return addon;
  try {
    // a CommonJS bundle (the node agent's) has require; an ES module (tsx, the studio) makes one
    const req = typeof require === 'function' ? require : createRequire(import.meta.url);
    const dir = dirname(req.resolve('tfjs-tflite-node/package.json'));
    addon = req(join(dir, 'build', 'Release', 'node_tflite_binding.node')) as Addon;
  } catch (e) {
    addon = new StudioError(
      'tflite-unavailable',
      `TensorFlow Lite models cannot run here: the optional package tfjs-tflite-node ${(e as { code?: string }).code === 'MODULE_NOT_FOUND' ? 'is not installed' : `did not load (${(e as Error).message.split('\n')[0]})`}`,
      'run `npm install` where its native addon can be built (a C++ toolchain and Node headers) and read its warnings',
    );
  }
  return addon;
}

const shapeOf = (s: string) => (s === '' ? [] : s.split(',').map(Number));
const spec = (t: NativeTensorInfo): TfliteTensorSpec => ({ name: t.name, dtype: t.dataType, shape: shapeOf(t.shape) });

export interface OpenOptions {
  /** the Edge TPU delegate's library (libedgetpu.so.1, as found by accelerators/runtimes.ts); absent: the CPU */
  edgeTpuLibrary?: string;
  threads?: number;
}

/** A loaded model: its tensors, and run() with typed arrays. Not thread-safe: one run at a time. */
export class TfliteModel {
  readonly info: TfliteModelInfo;
  readonly runsOn: 'edgetpu' | 'cpu';

  private constructor(
    private readonly interpreter: NativeInterpreter,
    info: TfliteModelInfo,
    runsOn: 'edgetpu' | 'cpu',
  ) {
    this.info = info;
    this.runsOn = runsOn;
  }

  /** Loads `bytes`; `where` names the model in errors. Refuses what is not a TFLite model before the native code sees it. */
  static open(bytes: Uint8Array, where: string, opts: OpenOptions = {}): TfliteModel {
    if (!isTflite(bytes)) throw new StudioError('not-tflite', `${where} is not a TensorFlow Lite model (no TFL3 identifier in its first 8 bytes)`, 'give a .tflite file, as converted by the TensorFlow Lite converter');
    const a = loadAddon();
    if (a instanceof StudioError) throw a;
    const copy = bytes.slice().buffer;
    const delegate = opts.edgeTpuLibrary ? { path: opts.edgeTpuLibrary, options: [['device', 'usb']] as Array<[string, string]> } : undefined;
    const edgetpu = compiledForEdgeTpu(bytes);
    let interpreter: NativeInterpreter;
    try {
      interpreter = new a.Interpreter(copy, { threads: opts.threads ?? 1, ...(delegate ? { delegate } : {}) });
    } catch (e) {
      throw new StudioError(
        'tflite-load-failed',
        `${where} did not load: ${(e as Error).message}${edgetpu && !delegate ? ' (it is compiled for the Edge TPU: its edgetpu-custom-op runs only with the Edge TPU delegate)' : ''}`,
        edgetpu && !delegate ? 'attach a Coral stick with the Edge TPU runtime, or use the model before Edge TPU compilation on the CPU' : 'check that the file is a valid TensorFlow Lite model',
      );
    }
    const info: TfliteModelInfo = { inputs: interpreter.getInputs().map(spec), outputs: interpreter.getOutputs().map(spec), edgetpu, bytes: bytes.byteLength };
    return new TfliteModel(interpreter, info, delegate ? 'edgetpu' : 'cpu');
  }

  /**
   * Runs the model on one array per input (in order, or by name) and returns every output by
   * name. Sizes must match the model's tensors (a -1 dimension takes any size).
   */
  run(inputs: NdArray[] | Record<string, NdArray>): Record<string, NdArray> {
    const slots = this.interpreter.getInputs();
    const given = Array.isArray(inputs) ? inputs : slots.map((s) => inputs[s.name]);
    if (given.length !== slots.length || given.some((g) => g === undefined)) {
      throw new StudioError('tflite-bad-input', `the model takes ${slots.length} input(s) (${slots.map((s) => `${s.name} [${s.shape}] ${s.dataType}`).join(', ')}), got ${Array.isArray(inputs) ? given.length : `{${Object.keys(inputs).join(', ')}}`}`);
    }
    slots.forEach((slot, i) => {
      const buf = slot.data();
      const x = given[i]!;
      if (x.data.length !== buf.length) throw new StudioError('tflite-bad-input', `input ${slot.name} holds ${buf.length} values ([${slot.shape}]), got ${x.data.length} ([${x.shape.join(',')}])`);
      buf.set(x.data as ArrayLike<number> as never);
    });
    if (!this.interpreter.infer()) throw new StudioError('tflite-run-failed', 'the TensorFlow Lite interpreter failed to run the model');
    const out: Record<string, NdArray> = {};
    for (const o of this.interpreter.getOutputs()) {
      const d = o.data();
      const data = d instanceof Float32Array || d instanceof Float64Array || d instanceof Int32Array || d instanceof Uint8Array ? d.slice() : Int32Array.from(d);
      out[o.name] = { data, shape: shapeOf(o.shape), dtype: data instanceof Float32Array ? 'float32' : data instanceof Float64Array ? 'float64' : data instanceof Uint8Array ? 'uint8' : 'int32' };
    }
    return out;
  }
}
