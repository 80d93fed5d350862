/**
 * samples/face-assist end to end (issue 14, item 6): deployed on a real cluster — the process
 * backend always, docker where an engine answers (always under CI) — its functions consume the
 * real BlazeFace model the project ships (workflow.json `models`: a .tflite file of
 * @mediapipe/face_detection) through the node agent's TensorFlow Lite runner, on real photos
 * (frames/, crops of @vladmandic/human's samples.jpg, see NOTICE). Each box found must overlap the
 * face checked by eye in frames/faces.json (IoU ≥ 0.5), the empty frame must have none, each
 * recognised face must be named after its enrolled person, and every run must record where its
 * model ran — `cpu` here: this machine has no Coral stick, so nothing claims the Edge TPU.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Controller } from '../../cluster/runtime/controller';
import { tempDirs } from '../../cluster/runtime/testing/temp';
import { dockerSkipReason } from '../../cluster/runtime/testing/docker-skip';
import { tfliteRuntime } from '../../cluster/registry/tflite';
import { iou } from './functions/blazeface';
import { runView } from '../../cluster/server/views';
import { run as cli } from '../../cluster/cli/main';

const HERE = import.meta.dirname;
const known = JSON.parse(readFileSync(join(HERE, 'frames', 'faces.json'), 'utf8')) as {
  frames: Record<string, { faces: Array<{ person: string; box: { x: number; y: number; width: number; height: number } }> }>;
};
const frame = (f: string) => ({ jpeg: readFileSync(join(HERE, 'frames', f)).toString('base64') });
const tmp = tempDirs();
const runs = tfliteRuntime().ok || process.env.CI === 'true';

function suite(backend: 'process' | 'docker', skip: string | false) {
  describe.skipIf(!!skip || !runs)(`samples/face-assist on the ${backend} backend`, () => {
    let c: Controller;
    let dir: string;
    let home: string;
    const cluster = `face-${backend}-${process.pid}`;
    beforeAll(async () => {
      // a copy: the deploy must find the model in the installed package from any folder
      dir = join(tmp('edgeai-face-'), 'face-assist');
      cpSync(HERE, dir, { recursive: true, filter: (p) => !p.endsWith('.test.ts') });
      home = tmp('edgeai-face-home-');
      c = await Controller.open({ home, cluster, triggers: 'off' });
      await c.up({ backend, topology: 'local' });
    }, 240_000);
    afterAll(async () => {
      if (c) {
        await c.down().catch(() => undefined);
        c.close();
      }
    }, 120_000);

    it('deploys: the shipped model is a tflite model artifact, detect lands on the laptop and recognise on an edge box', async () => {
      const r = await c.deploy(dir);
      expect(r.functions.map((f) => [f.id, f.status, f.reason])).toEqual([
        ['detect', 'ready', undefined],
        ['recognise', 'ready', undefined],
      ]);
      expect(r.functions.find((f) => f.id === 'detect')!.node).toBe('laptop');
      expect(r.functions.find((f) => f.id === 'recognise')!.node).toMatch(/^edge-/);
      expect(c.registry.artifact('face:detector')).toMatchObject({ kind: 'model', format: 'tflite', type: 'face-detector', lineage: { source: 'package:@mediapipe/face_detection/face_detection_short_range.tflite' } });
    }, 180_000);

    it('detect finds the faces checked by eye (IoU ≥ 0.5) and none in the empty frame; the run says its model ran on the cpu', async () => {
      for (const [file, want] of Object.entries(known.frames)) {
        const a = await c.invoke('face-assist', 'detect', { input: frame(file) });
        const got = (a.output as { faces: Array<{ box: { x: number; y: number; width: number; height: number }; score: number }> }).faces;
        expect(got.length, file).toBe(want.faces.length);
        for (const w of want.faces) expect(Math.max(...got.map((g) => iou(g.box, w.box))), file).toBeGreaterThanOrEqual(0.5);
        expect(a.modelRanOn).toBe('cpu');
        expect((a.output as { ranOn: string }).ranOn).toBe('cpu');
        expect(runView(c.runs({ workflow: 'face-assist', function: 'detect', limit: 1 })[0]).modelRanOn).toBe('cpu');
      }
    }, 180_000);

    it('recognise names each face after its enrolled person, under its 2 s deadline at the edge', async () => {
      for (const [file, want] of Object.entries(known.frames)) {
        const a = await c.invoke('face-assist', 'recognise', { input: frame(file) });
        const out = a.output as { faces: Array<{ box: { x: number; y: number; width: number; height: number }; person: string | null }>; confidence: number };
        expect(out.faces.map((f) => f.person), file).toEqual(want.faces.map((f) => f.person));
        for (const [i, w] of want.faces.entries()) expect(iou(out.faces[i].box, w.box), file).toBeGreaterThanOrEqual(0.5);
        expect(a.node).toMatch(/^edge-/);
        expect(a.modelRanOn).toBe('cpu');
        expect(a.gates.map((g) => g.kind)).toEqual(['drift']);
      }
      const run = c.runs({ workflow: 'face-assist', function: 'recognise', limit: 1 })[0];
      expect(run.status).toBe('ok');
      expect(run.ran_on).toBe('cpu');
    }, 180_000);

    it('the CLI says where the model ran: edgeai invoke, runs list and runs show', async () => {
      const out: string[] = [];
      const io = { out: (x: string) => out.push(x), err: (x: string) => out.push(x) };
      const at = ['--home', home, '--cluster', cluster];
      expect(await cli(['invoke', 'face-assist/detect', '--input', JSON.stringify(frame('man-at-table.jpg')), ...at], io)).toBe(0);
      expect(out.join('\n')).toMatch(/^node laptop, model face:detector@1 on cpu; \d+ ms = /m);
      out.length = 0;
      expect(await cli(['runs', 'list', '--workflow', 'face-assist', '--limit', '1', ...at], io)).toBe(0);
      expect(out.join('\n')).toMatch(/face-assist\/detect\s+ok\s+laptop\s+model on cpu$/);
      const id = out.join('\n').slice(0, 8);
      out.length = 0;
      expect(await cli(['runs', 'show', id, ...at], io)).toBe(0);
      expect(out.join('\n')).toMatch(/^ {2}model on {2}cpu$/m);
    }, 180_000);
  });
}

suite('process', false);
suite('docker', await dockerSkipReason('face-assist sample'));
