/**
 * The agent's side of TensorFlow Lite models (tflite-service.ts): which model a worker may open,
 * where it runs, and a Coral stick pulled out while a model runs on it — on fake sysfs trees
 * through the accelerator watcher. The Edge TPU itself cannot run here (no stick, no
 * libedgetpu.so.1): where a test needs a model "on the Edge TPU", a stand-in runner answers as
 * TfliteHost would once the delegate loaded, and says so; the CPU cases use the real runner.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StudioError } from '../../common/errors';
import { coralReady, FakeSysfs } from '../../accelerators/testing/fake-sysfs';
import { EDGETPU_LIBRARY, type Readiness } from '../../accelerators/runtimes';
import { tfliteRuntime } from '../../registry/tflite';
import { sha256Hex } from '../../registry/blobs';
import { rejects } from '../testing/rejects';
import { tempDirs } from '../testing/temp';
import { until } from '../testing/until';
import { NodeStore } from './store';
import { TfliteService } from './tflite-service';
import type { OpenedModel } from './tflite-host';
import type { InvocationInput } from './protocol';

const req = createRequire(import.meta.url);
const FACE = new Uint8Array(readFileSync(req.resolve('@mediapipe/face_detection/face_detection_short_range.tflite')));
/** the face model with the Edge TPU compiler's op name in it: what the service takes for a compiled model (only the stand-in runs it) */
const COMPILED = new Uint8Array([...FACE, ...Buffer.from('edgetpu-custom-op')]);
const grey = { data: new Float32Array(128 * 128 * 3), shape: [1, 128, 128, 3], dtype: 'float32' as const };
const tmp = tempDirs();

function input(bytes: Uint8Array, urn: string, tags: string[] = []): InvocationInput {
  return { kind: 'model', artifact: { kind: 'model', urn, version: 1, tags, data_tags: [], metrics: {}, format: 'tflite', sha256: sha256Hex(bytes), size: bytes.byteLength, lineage: { inputs: [] }, locations: [], created: new Date().toISOString() } as unknown as InvocationInput['artifact'] };
}

/** Answers as TfliteHost does once a model loaded; its runs wait until released (a long inference). */
function standIn() {
  const opened: Array<{ edgeTpu?: Readiness }> = [];
  let closed = 0;
  return {
    opened,
    get closed() {
      return closed;
    },
    host: {
      async open(_file: string, _where: string, opts: { edgeTpu?: Readiness } = {}): Promise<OpenedModel> {
        opened.push(opts);
        const runsOn = opts.edgeTpu ? (opts.edgeTpu.ready ? 'edgetpu' : `cpu (fallback: ${opts.edgeTpu.reason})`) : 'cpu';
        return { info: { inputs: [], outputs: [], edgetpu: true, bytes: 0 }, runsOn, run: () => new Promise(() => undefined), loaded: () => closed === 0 };
      },
      close: () => void closed++,
    },
  };
}

let fs: FakeSysfs;
let libs: string;
beforeEach(() => {
  fs = new FakeSysfs();
  libs = join(fs.root, 'lib');
  mkdirSync(libs);
  // an ELF shared library by that name: enough for the readiness check, never loaded here
  copyFileSync(join(dirname(req.resolve('tfjs-tflite-node/package.json')), 'cc_deps', 'linux_amd64', 'libexternal_delegate_obj.so'), join(libs, EDGETPU_LIBRARY));
});
afterEach(() => fs.dispose());

function service(store: NodeStore, host?: ReturnType<typeof standIn>['host']) {
  return new TfliteService({ node: 'edge-1', store, launch: { file: fileURLToPath(new URL('./tflite-runner.ts', import.meta.url)), execArgv: ['--import', 'tsx'] }, sysfsRoot: fs.sysfsRoot, libraryDirs: [libs], watchIntervalMs: 20, ...(host ? { host } : {}) });
}

describe('the agent opens only the invocation\'s models, and says where they run', () => {
  it('a model that is not an input of the invocation is refused', async () => {
    const store = new NodeStore(tmp('edgeai-tfs-'));
    const s = service(store, standIn().host);
    const session = s.begin();
    await expect(s.open(session, [input(FACE, 'face:a')], 'f'.repeat(64), undefined)).rejects.toMatchObject({ code: 'tflite-not-an-input' });
  });

  it('a compiled model with the stick and its runtime ready opens on the Edge TPU (stand-in runner); without the stick, on the CPU with the reason', async () => {
    const store = new NodeStore(tmp('edgeai-tfs-'));
    store.blobs.write(COMPILED);
    fs.plug(coralReady());
    const fake = standIn();
    const s = service(store, fake.host);
    const session = s.begin();
    const { model } = await s.open(session, [input(COMPILED, 'face:tpu', ['edgetpu'])], sha256Hex(COMPILED), undefined);
    expect(model.runsOn).toBe('edgetpu');
    expect(fake.opened[0].edgeTpu).toMatchObject({ ready: true, library: join(libs, EDGETPU_LIBRARY) });
    s.end(session);
    s.close();

    const bare = new FakeSysfs();
    try {
      const s2 = new TfliteService({ node: 'edge-1', store, launch: { file: 'unused' }, sysfsRoot: bare.sysfsRoot, libraryDirs: [libs], host: standIn().host });
      const { model: m2 } = await s2.open(s2.begin(), [input(COMPILED, 'face:tpu', ['edgetpu'])], sha256Hex(COMPILED), undefined);
      expect(m2.runsOn).toMatch(/^cpu \(fallback: no Coral USB Accelerator is plugged in/);
    } finally {
      bare.dispose();
    }
  });

  it('a stick pulled out while a model runs on it fails the run at once (the watcher), says why, and stops the runner that drove it', async () => {
    const store = new NodeStore(tmp('edgeai-tfs-'));
    store.blobs.write(COMPILED);
    fs.plug(coralReady('1-1.2', 6));
    const fake = standIn();
    const s = service(store, fake.host);
    const session = s.begin();
    const { handle } = await s.open(session, [input(COMPILED, 'face:tpu', ['edgetpu'])], sha256Hex(COMPILED), ['tpu']);
    const running = s.run(session, handle, [grey]);
    fs.unplug('1-1.2');
    const e = await rejects(running);
    expect(e).toBeInstanceOf(StudioError);
    expect(e).toMatchObject({ code: 'accelerator-gone', message: expect.stringMatching(/Coral USB Accelerator of node edge-1 is gone/), hint: expect.stringMatching(/placed again/) });
    expect(session.gone?.message).toBe(e.message);
    await until('the runner to be stopped', () => fake.closed > 0);
    // the next call of that invocation fails the same way, without waiting
    await expect(s.run(session, handle, [grey])).rejects.toMatchObject({ code: 'accelerator-gone' });
    s.close();
  });
});

describe.skipIf(!tfliteRuntime().ok && process.env.CI !== 'true')('with the real runner', () => {
  const store = new NodeStore(tmp('edgeai-tfs-real-'));
  const s = new TfliteService({ node: 'edge-1', store, launch: { file: fileURLToPath(new URL('./tflite-runner.ts', import.meta.url)), execArgv: ['--import', 'tsx'] }, sysfsRoot: '/nonexistent' });
  afterAll(() => s.close());

  it("a function asking for the tpu with a model not compiled for it runs on the CPU, and the run says why; one that does not ask, plain 'cpu'", async () => {
    store.blobs.write(FACE);
    const session = s.begin();
    const { handle, model } = await s.open(session, [input(FACE, 'face:plain')], sha256Hex(FACE), ['tpu']);
    expect(model.runsOn).toBe('cpu (fallback: face:plain is not compiled for the Edge TPU (it has no edgetpu-custom-op))');
    expect((await s.run(session, handle, [grey])).classificators.shape).toEqual([1, 896, 1]);
    expect(session.summary()).toBe(model.runsOn);
    const other = s.begin();
    expect((await s.open(other, [input(FACE, 'face:plain')], sha256Hex(FACE), undefined)).model.runsOn).toBe('cpu');
    // an NCS2 never runs a model here, and the run says so with what is missing
    const vpu = await s.open(s.begin(), [input(FACE, 'face:plain')], sha256Hex(FACE), ['vpu']);
    expect(vpu.model.runsOn).toMatch(/^cpu \(fallback: an Intel NCS2 runs no models in this studio \(its OpenVINO 2022\.3 runtime has no Node binding here\): no Neural Compute Stick is plugged in/);
  }, 60_000);
});
