/**
 * `npm run bench -- accelerators [--runs 200]`
 *
 * TensorFlow Lite inference of the face sample's model (MediaPipe BlazeFace short range,
 * face_detection_short_range.tflite, 1×128×128×3 float32) on one of the sample's real frames:
 * 1. on the CPU in this process (tfjs-tflite-node's native interpreter, one thread): the baseline.
 *    There is no tfjs or wasm path for this model to compare with: tfjs-converter does not read
 *    .tflite files and the wasm TensorFlow Lite runtime (@tensorflow/tfjs-tflite) is a browser
 *    package that is not installed here.
 * 2. on the CPU through the node agent's TensorFlow Lite runner (runtime/agent/tflite-host.ts: a
 *    process of its own, tensors over IPC), the path every function's model.run() takes — as a
 *    ratio to 1.
 * 2b. the same through the runner inside a docker node (the node image's tfjs-tflite-node, the
 *    runner process forked in the container as its agent forks it, the container's CPU not
 *    capped) when a Docker engine answers; otherwise "not measured: <why>". Measured in the
 *    container, so the figure has no host↔container transfer in it; the container is labelled
 *    with a bench cluster and removed afterwards (the node image stays, as `cluster down` leaves it).
 * 3. on the Edge TPU: only where a Coral stick and libedgetpu.so.1 are ready
 *    (accelerators/runtimes.ts) and with a model compiled for it; otherwise printed as
 *    "not measured: <why>". No Edge-TPU-compiled face model ships on npm, so even with a stick
 *    this needs one given with --edgetpu-model <file>.
 * Latencies are medians (and p90) of --runs inferences after 10 warm-up runs.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { TfliteModel, tfliteRuntime } from '../cluster/registry/tflite';
import { TfliteHost } from '../cluster/runtime/agent/tflite-host';
import { edgeTpuReadiness } from '../cluster/accelerators/runtimes';
import { decodeJpeg, toInput } from '../samples/face-assist/functions/blazeface';
import { buildAgent } from '../cluster/runtime/build';
import { newSecret } from '../cluster/runtime/agent/secret';
import { execIn, writeFileIn } from '../cluster/runtime/testing/docker-exec';

const now = () => Number(process.hrtime.bigint()) / 1e6;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

async function measure(runs: number, once: () => unknown): Promise<{ p50: number; p90: number }> {
  for (let i = 0; i < 10; i++) await once();
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = now();
    await once();
    t.push(now() - t0);
  }
  return { p50: pct(t, 50), p90: pct(t, 90) };
}

export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { runs: { type: 'string', default: '200' }, 'edgetpu-model': { type: 'string' } } });
  const runs = Math.max(1, Number(values.runs) || 200);
  const rt = tfliteRuntime();
  if (!rt.ok) {
    console.log(`accelerators: not measured: ${rt.reason}`);
    return;
  }
  const modelFile = createRequire(import.meta.url).resolve('@mediapipe/face_detection/face_detection_short_range.tflite');
  const frame = decodeJpeg(readFileSync(fileURLToPath(new URL('../samples/face-assist/frames/man-at-table.jpg', import.meta.url))));
  const input = toInput(frame);
  console.log(`face_detection_short_range.tflite (${readFileSync(modelFile).byteLength} bytes), input 1×128×128×3 float32 from frames/man-at-table.jpg, ${runs} runs each`);

  const t0 = now();
  const inProcess = TfliteModel.open(new Uint8Array(readFileSync(modelFile)), 'face detector');
  const loadMs = now() - t0;
  const base = await measure(runs, () => inProcess.run([input]));
  console.log(`  cpu, in this process (baseline)      p50 ${base.p50.toFixed(2)} ms  p90 ${base.p90.toFixed(2)} ms   (load ${loadMs.toFixed(1)} ms)`);

  const host = new TfliteHost({ file: fileURLToPath(new URL('../cluster/runtime/agent/tflite-runner.ts', import.meta.url)), execArgv: ['--import', 'tsx'] });
  try {
    const t1 = now();
    const viaRunner = await host.open(modelFile, 'face detector');
    const openMs = now() - t1;
    const r = await measure(runs, () => viaRunner.run([input]));
    console.log(`  cpu, through the agent's runner      p50 ${r.p50.toFixed(2)} ms  p90 ${r.p90.toFixed(2)} ms   (start + load ${openMs.toFixed(0)} ms)  ×${(r.p50 / base.p50).toFixed(2)} of the baseline (IPC of 196 KB in, 61 KB out)`);

    console.log(`  ${'cpu, the runner in a docker node'.padEnd(37)}${await inDocker(modelFile, input, runs, base.p50)}`);

    const ready = edgeTpuReadiness();
    if (!ready.ready) console.log(`  edgetpu                              not measured: no stick (${ready.reason})`);
    else if (!values['edgetpu-model']) console.log(`  edgetpu                              not measured: ${ready.detail} is ready, but no Edge-TPU-compiled face model was given (--edgetpu-model <file>, from edgetpu_compiler)`);
    else {
      const tpu = await host.open(values['edgetpu-model'], 'face detector (Edge TPU)', { edgeTpu: ready });
      const e = await measure(runs, () => tpu.run([input]));
      console.log(`  ${tpu.runsOn.padEnd(36)} p50 ${e.p50.toFixed(2)} ms  p90 ${e.p90.toFixed(2)} ms   ×${(e.p50 / base.p50).toFixed(2)} of the baseline`);
    }
  } finally {
    host.close();
  }
}

/**
 * The runner's latency inside a docker node: the model and the input written to the node's store
 * volume, the node image's /app/tflite-runner.cjs forked in the container with the agent's IPC
 * (structured clone), medians timed there. What to print after the label.
 */
async function inDocker(modelFile: string, input: { data: Float32Array; shape: number[]; dtype: 'float32' }, runs: number, baseP50: number): Promise<string> {
  const { DockerBackend, dockerAvailable } = await import('../cluster/runtime/backends/docker');
  const avail = await dockerAvailable();
  if (!avail.ok) return `not measured: ${avail.reason}`;
  const backend = new DockerBackend();
  const cluster = `bench-${process.pid}`;
  try {
    const build = await buildAgent();
    await backend.prepare(build, () => {});
    const h = await backend.start({ cluster, name: 'bench-1', storeDir: '/unused', cpuMillis: 0, memoryBytes: 1024 * 1024 * 1024, labels: {}, network: 'bench', secret: newSecret() }, build);
    const c = backend.docker.getContainer(h.container!);
    await writeFileIn(c, '/store/bench-model.tflite', readFileSync(modelFile));
    await writeFileIn(c, '/store/bench-input.bin', Buffer.from(input.data.buffer, input.data.byteOffset, input.data.byteLength));
    const script = `
const { fork } = require('child_process');
const fs = require('fs');
const now = () => Number(process.hrtime.bigint()) / 1e6;
const b = fs.readFileSync('/store/bench-input.bin');
const input = { data: new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)), shape: ${JSON.stringify(input.shape)}, dtype: 'float32' };
const t0 = now();
const r = fork('/app/tflite-runner.cjs', [], { serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
let id = 0; const waiting = new Map();
r.on('message', (m) => { if (m.type === 'ready') return waiting.get('ready')?.(m); const w = waiting.get(m.id); waiting.delete(m.id); w?.(m); });
const call = (m) => new Promise((res) => { waiting.set(m.id = ++id, res); r.send(m); });
(async () => {
  await new Promise((res) => waiting.set('ready', res));
  const o = await call({ type: 'open', file: '/store/bench-model.tflite', where: 'face detector' });
  if (o.type !== 'opened') throw new Error(o.message);
  const openMs = now() - t0;
  const run = async () => { const x = await call({ type: 'run', model: o.model, inputs: [input] }); if (x.type !== 'ran') throw new Error(x.message); };
  for (let i = 0; i < 10; i++) await run();
  const t = [];
  for (let i = 0; i < ${runs}; i++) { const s = now(); await run(); t.push(now() - s); }
  t.sort((a, b) => a - b);
  const p = (q) => t[Math.min(t.length - 1, Math.floor(q * t.length))];
  console.log(JSON.stringify({ p50: p(0.5), p90: p(0.9), openMs, runsOn: o.runsOn }));
  r.disconnect();
})().catch((e) => { console.log(JSON.stringify({ error: e.message })); process.exit(1); });
`;
    const out = await execIn(c, ['/usr/local/bin/node', '-e', script]);
    const last = out.trim().split('\n').pop() ?? '';
    let got: { p50?: number; p90?: number; openMs?: number; runsOn?: string; error?: string };
    try {
      got = JSON.parse(last) as typeof got;
    } catch {
      return `not measured: the runner in the container said ${out.trim().slice(0, 300) || 'nothing'}`;
    }
    if (got.error || got.p50 === undefined) return `not measured: ${got.error ?? last}`;
    return `p50 ${got.p50.toFixed(2)} ms  p90 ${got.p90!.toFixed(2)} ms   (start + load ${got.openMs!.toFixed(0)} ms, on ${got.runsOn})  ×${(got.p50 / baseP50).toFixed(2)} of the baseline`;
  } catch (e) {
    return `not measured: ${(e as Error).message}`;
  } finally {
    await backend.teardown(cluster).catch(() => undefined);
  }
}
