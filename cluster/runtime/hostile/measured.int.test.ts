/**
 * The platform, not the function, measures what selectors and gates rely on (issue 11, item 7),
 * on a real cluster of each backend (docker: skipped without an engine, except with CI=true).
 * A function that trains a model which always answers class 1 tries to pass for a good, fair one:
 * it reports accuracy 0.999 over a million rows, and patches what the measuring code would use
 * in its own process (Math.round, with which every prediction would match its truth, and the
 * model's predict). The node's evaluator, a process that never loads function code, measures the saved
 * model: accuracy is what it is on the holdout (every row of group 0 wrong), the bias gate fails
 * and nothing is published; without a gate, the model is published with the measured accuracy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Controller } from '../controller';
import { dockerSkipReason } from '../testing/docker-skip';
import type { BackendKind } from '../../common/status';

import { tempDirs } from '../testing/temp';

const tmp = tempDirs();

const FORGER = `import * as tf from '@tensorflow/tfjs';
import { consumes, produces, policy, gate, type Data, type Request, type TrainedModel } from 'edge-ai-studio/sdk';

/** a model that answers class 1 whatever it sees */
function alwaysOne(): tf.LayersModel {
  const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [1], units: 2, activation: 'softmax', kernelInitializer: 'zeros', biasInitializer: tf.initializers.constant({ value: 0 }) })] });
  model.layers[0].setWeights([tf.zeros([1, 2]), tf.tensor1d([0, 5])]);
  return model;
}

/** what measuring code in this process would use, bent to make any model look good and fair */
function patch(): void {
  // every prediction compared as equal to its truth: every group right, accuracy 1, disparate impact 1
  Math.round = () => 0;
  const predict = tf.LayersModel.prototype.predict;
  tf.LayersModel.prototype.predict = function (this: tf.LayersModel, x: tf.Tensor | tf.Tensor[], args?: object) {
    return predict.call(this, x, args);
  } as typeof predict;
}

export class Forger {
  @consumes.data({ selector: { urn: 'forge:rows' }, holdout: 0.5 })
  @produces.model({ type: 'classifier', urn: 'forge:fair', tags: [] })
  @gate.bias({ attribute: 'group', predicate: '>=0.8' })
  @policy.fn({ node: 'edge' })
  async fair(data: Data, request: Request): Promise<TrainedModel> {
    patch();
    return { model: alwaysOne(), metrics: { accuracy: 0.999, holdout_size: 1_000_000, loss: 0.01 }, features: ['x'], label: 'y' };
  }

  @consumes.data({ selector: { urn: 'forge:rows' }, holdout: 0.5 })
  @produces.model({ type: 'classifier', urn: 'forge:boast', tags: [] })
  @policy.fn({ node: 'edge' })
  async boast(data: Data, request: Request): Promise<TrainedModel> {
    patch();
    return { model: alwaysOne(), metrics: { accuracy: 0.999, holdout_size: 1_000_000, loss: 0.01 }, features: ['x'], label: 'y' };
  }
}
`;

function project(): string {
  const dir = join(tmp('edgeai-measured-'), 'forge');
  mkdirSync(join(dir, 'functions'), { recursive: true });
  mkdirSync(join(dir, 'data'), { recursive: true });
  // group 1 is always class 1, group 0 always class 0: a model that answers 1 is right on one, wrong on the other
  writeFileSync(join(dir, 'data', 'rows.csv'), 'x,group,y\n' + Array.from({ length: 80 }, (_, i) => `${(i % 10) / 10},${i % 2},${i % 2}`).join('\n') + '\n');
  writeFileSync(join(dir, 'functions', 'forger.ts'), FORGER);
  writeFileSync(join(dir, 'workflow.json'), JSON.stringify({ name: 'forge', version: 1, dataSources: [{ urn: 'forge:rows', type: 'table', tags: [], format: 'csv', source: { kind: 'file', path: 'data/rows.csv' } }], triggers: [] }, null, 2));
  return dir;
}

const dockerSkip = await dockerSkipReason('measured.int.test');

for (const [kind, skip] of [['process', false], ['docker', dockerSkip]] as Array<[BackendKind, string | false]>) {
  describe.skipIf(!!skip)(`the platform measures the model, not the function (${kind} backend)`, () => {
    let c: Controller;

    beforeAll(async () => {
      c = await Controller.open({ home: tmp(`edgeai-measured-${kind}-`), cluster: `measured-${kind}-${process.pid}`, triggers: 'off' });
      await c.up({ backend: kind, topology: 'local' });
      const d = await c.deploy(project());
      expect(d.functions.filter((f) => f.status !== 'ready')).toEqual([]);
    }, 300_000);

    afterAll(async () => {
      if (c) {
        await c.down().catch(() => undefined);
        c.close();
      }
    }, 120_000);

    it('a biased model that forges its accuracy and patches the measuring code fails its bias gate and is not published', async () => {
      const a = await c.invoke('forge', 'fair');
      expect(a.gates).toEqual([expect.objectContaining({ kind: 'bias', metric: 'disparate_impact', pass: false, value: 0 })]);
      expect(a.gates[0].detail).toMatch(/group accuracy 0\.000–1\.000/);
      expect(a.produced).toEqual([]);
      expect(c.registry.artifact('forge:fair')).toBeUndefined();
      expect(c.run(a.run)!.status).toBe('gate-failed');
    }, 120_000);

    it('without a gate it is published with the accuracy measured on the holdout, not the one it reported', async () => {
      const a = await c.invoke('forge', 'boast');
      expect(a.produced).toEqual(['forge:boast@1']);
      const m = c.registry.artifact('forge:boast')!;
      // half the holdout is group 0, every row of it wrong; its own numbers that are not the platform's stay
      expect(m.metrics.holdout_size).toBe(40);
      expect(m.metrics.accuracy).toBeGreaterThan(0.3);
      expect(m.metrics.accuracy).toBeLessThan(0.7);
      expect(m.metrics.loss).toBe(0.01);
      // a selector for a good model does not pick it
      expect(c.registry.resolve({ urn: 'forge:boast', accuracy: '>=0.9' } as never).candidates).toEqual([]);
    }, 120_000);
  });
}
