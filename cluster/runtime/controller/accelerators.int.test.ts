/**
 * Functions that ask for the tpu, on a real process-backend cluster whose node edge-1 has a Coral
 * stick — in a fake sysfs tree, with an ELF file standing in for libedgetpu.so.1 (EDGEAI_SYSFS_ROOT,
 * EDGEAI_LIBRARY_DIRS), since this machine has neither (issue 14, items 2 and 3):
 * - a model not compiled for the Edge TPU: a warning at deploy, or not deployed with
 *   strictAccelerators; its runs record `cpu (fallback: <why>)`;
 * - a model that claims to be compiled (the face model with the compiler's op name appended):
 *   every precondition holds, so the agent's runner loads the delegate — which, with no real
 *   runtime behind it, crashes the runner (the real crash, docs/reference.md §9). The run fails
 *   saying so, the agent lives, and the next run on the CPU answers.
 * Nothing here ran on an Edge TPU.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Controller } from '../controller';
import { tempDirs } from '../testing/temp';
import { rejects } from '../testing/rejects';
import { coralReady, FakeSysfs } from '../../accelerators/testing/fake-sysfs';
import { discoverAccelerators } from '../../accelerators/discover';
import { withAccelerators } from '../../accelerators/attach';
import { EDGETPU_LIBRARY } from '../../accelerators/runtimes';
import { localCluster } from '../../topology/scenarios';
import { tfliteRuntime } from '../../registry/tflite';

const req = createRequire(import.meta.url);
const FACE = readFileSync(req.resolve('@mediapipe/face_detection/face_detection_short_range.tflite'));
const tmp = tempDirs();

const fn = (cls: string, name: string, urn: string) => `import { consumes, policy, type Request, type TfliteModel } from 'edge-ai-studio/sdk';
export class ${cls} {
  @consumes.model({ selector: { urn: '${urn}' } })
  @policy.fn({ capability: 'tpu' })
  async ${name}(model: TfliteModel, request: Request) {
    const out = await model.run([{ data: new Float32Array(128 * 128 * 3), shape: [1, 128, 128, 3], dtype: 'float32' }]);
    return { runsOn: model.runsOn, scores: out.classificators.shape };
  }
}
`;

describe.skipIf(!tfliteRuntime().ok && process.env.CI !== 'true')('capability tpu on a node with a (fake) Coral stick', () => {
  const fs = new FakeSysfs();
  let c: Controller;
  let dir: string;
  const saved = { sysfs: process.env.EDGEAI_SYSFS_ROOT, libs: process.env.EDGEAI_LIBRARY_DIRS };
  beforeAll(async () => {
    fs.plug(coralReady('1-1.2', 6));
    const libs = join(fs.root, 'lib');
    mkdirSync(libs);
    copyFileSync(join(dirname(req.resolve('tfjs-tflite-node/package.json')), 'cc_deps', 'linux_amd64', 'libexternal_delegate_obj.so'), join(libs, EDGETPU_LIBRARY));
    // the agents (and the deploy's check) look at the fake tree and the fake library folder
    process.env.EDGEAI_SYSFS_ROOT = fs.sysfsRoot;
    process.env.EDGEAI_LIBRARY_DIRS = libs;
    dir = join(tmp('edgeai-tpu-'), 'tpu-probe');
    mkdirSync(join(dir, 'functions'), { recursive: true });
    mkdirSync(join(dir, 'models'));
    writeFileSync(join(dir, 'models', 'claims-edgetpu.tflite'), Buffer.concat([FACE, Buffer.from('edgetpu-custom-op')]));
    writeFileSync(join(dir, 'functions', 'plain.ts'), fn('Plain', 'plain', 'face:plain'));
    writeFileSync(join(dir, 'functions', 'compiled.ts'), fn('Compiled', 'compiled', 'face:compiled'));
    writeFileSync(
      join(dir, 'workflow.json'),
      JSON.stringify({
        name: 'tpu-probe',
        version: 1,
        models: [
          { urn: 'face:plain', format: 'tflite', source: { kind: 'package', module: '@mediapipe/face_detection/face_detection_short_range.tflite' } },
          { urn: 'face:compiled', format: 'tflite', source: { kind: 'file', path: 'models/claims-edgetpu.tflite' } },
        ],
        dataSources: [],
        triggers: [],
      }),
    );
    const topology = withAccelerators(localCluster(), discoverAccelerators({ sysfsRoot: fs.sysfsRoot }), 'edge-1');
    c = await Controller.open({ home: tmp('edgeai-tpu-home-'), cluster: `tpu-${process.pid}`, triggers: 'off' });
    await c.up({ backend: 'process', topology });
  }, 240_000);
  afterAll(async () => {
    if (c) {
      await c.down().catch(() => undefined);
      c.close();
    }
    fs.dispose();
    for (const [k, v] of [['EDGEAI_SYSFS_ROOT', saved.sysfs], ['EDGEAI_LIBRARY_DIRS', saved.libs]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }, 120_000);

  it('strict: a tpu function whose model is not compiled for the Edge TPU is not deployed, saying why; the compiled one is', async () => {
    const r = await c.deploy(dir, { strictAccelerators: true });
    const plain = r.functions.find((f) => f.id === 'plain')!;
    expect(plain.status).toBe('failed');
    expect(plain.reason).toMatch(/plain asks for capability tpu, but on edge-1 its model will run on the CPU: its model face:plain is not compiled for the Edge TPU .*not deployed \(strict accelerators\)/);
    expect(r.functions.find((f) => f.id === 'compiled')).toMatchObject({ status: 'ready', node: 'edge-1' });
  }, 180_000);

  it("without strict it deploys with a warning, and its runs say 'cpu (fallback: …)'", async () => {
    const r = await c.deploy(dir);
    expect(r.functions.map((f) => [f.id, f.status, f.node])).toEqual([
      ['compiled', 'ready', 'edge-1'],
      ['plain', 'ready', 'edge-1'],
    ]);
    expect(r.warnings).toEqual([expect.stringMatching(/^plain asks for capability tpu, but on edge-1 its model will run on the CPU: its model face:plain is not compiled for the Edge TPU/)]);
    const a = await c.invoke('tpu-probe', 'plain');
    expect(a.modelRanOn).toBe('cpu (fallback: face:plain is not compiled for the Edge TPU (it has no edgetpu-custom-op))');
    expect(a.output).toMatchObject({ runsOn: a.modelRanOn, scores: [1, 896, 1] });
    expect(c.runs({ workflow: 'tpu-probe', function: 'plain', limit: 1 })[0].ran_on).toBe(a.modelRanOn);
  }, 180_000);

  it('a delegate that crashes (no real Edge TPU runtime behind the library) fails the run saying so; the agent lives and the next run answers', async () => {
    const e = await rejects(c.invoke('tpu-probe', 'compiled'));
    expect(e.code).toBe('tflite-crashed');
    expect(e.message).toMatch(/the TensorFlow Lite runtime crashed \(SIG\w+\) while loading face:compiled version 1 on edge-1 with the Edge TPU delegate/);
    const run = c.runs({ workflow: 'tpu-probe', function: 'compiled', limit: 1 })[0];
    expect(run.status).toBe('failed');
    expect(c.status().nodes.find((n) => n.name === 'edge-1')?.status).toBe('Ready');
    const again = await c.invoke('tpu-probe', 'plain');
    expect(again.node).toBe('edge-1');
    expect(again.modelRanOn).toMatch(/^cpu \(fallback: /);
  }, 180_000);
});
