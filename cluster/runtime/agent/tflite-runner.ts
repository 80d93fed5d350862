/**
 * The TensorFlow Lite runner: a process of its own, platform code only, that loads models and
 * runs them for its parent (tflite-host.ts) over Node IPC with structured clone (typed arrays go
 * as they are). Native code runs here so that its crash — the Edge TPU delegate segfaults when its
 * runtime library is missing — ends this process only; the parent reports it and starts another.
 * Messages: {open: id, file, where, edgeTpuLibrary?} → {opened: id, info, runsOn} | {error: id, …};
 * {run: id, model, inputs} → {ran: id, outputs} | {error: id, …}.
 */
import { readFileSync } from 'node:fs';
import { TfliteModel } from '../../registry/tflite';
import type { NdArray } from '../../sdk/data';

export type ToRunner =
  | { type: 'open'; id: number; file: string; where: string; edgeTpuLibrary?: string }
  | { type: 'run'; id: number; model: number; inputs: NdArray[] | Record<string, NdArray> };
export type FromRunner =
  | { type: 'ready' }
  | { type: 'opened'; id: number; model: number; info: TfliteModel['info']; runsOn: TfliteModel['runsOn'] }
  | { type: 'ran'; id: number; outputs: Record<string, NdArray> }
  | { type: 'error'; id: number; code: string; message: string; hint?: string };

const models = new Map<number, TfliteModel>();
let next = 1;
const send = (m: FromRunner) => process.send!(m);

process.on('message', (m: ToRunner) => {
  try {
    if (m.type === 'open') {
      const model = TfliteModel.open(new Uint8Array(readFileSync(m.file)), m.where, m.edgeTpuLibrary ? { edgeTpuLibrary: m.edgeTpuLibrary } : {});
      const id = next++;
      models.set(id, model);
      send({ type: 'opened', id: m.id, model: id, info: model.info, runsOn: model.runsOn });
    } else if (m.type === 'run') {
      const model = models.get(m.model);
      if (!model) throw Object.assign(new Error(`no model ${m.model} is open in this runner`), { code: 'tflite-no-model' });
      send({ type: 'ran', id: m.id, outputs: model.run(m.inputs) });
    }
  } catch (e) {
    const x = e as { code?: string; message?: string; hint?: string };
    send({ type: 'error', id: m.id, code: x.code ?? 'tflite-failed', message: x.message ?? String(e), ...(x.hint ? { hint: x.hint } : {}) });
  }
});
// the parent went away: so does the runner
process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
