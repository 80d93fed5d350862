import * as tf from '@tensorflow/tfjs';
import { consumes, produces, policy, type Data, type Model, type Request, type TrainedModel } from 'edge-ai-studio/sdk';

/**
 * Personalises the base model with one user's digits, on the user's own device: the user's
 * data may not leave the local network.
 */
export class MnistRefine {
  @consumes.model({ selector: { urn: 'model:base' } })
  @consumes.data({ selector: { urn: 'mnist:user:{usr}' }, batch: 100 })
  @produces.model({ type: 'regressor', urn: 'model:user:{usr}', tags: ['personal'] })
  @policy.fn({ node: 'local' })
  @policy.data({ network: 'local', strict: true })
  async refine(base: Model, data: Data, request: Request): Promise<TrainedModel> {
    const model = base.tf;
    model.compile({ optimizer: tf.train.sgd(0.01), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    for (const batch of data.batches(100)) {
      const x = batch.toTensor(['x']);
      const y = tf.oneHot(batch.toTensor(['y']).toInt().flatten(), 10);
      await model.fit(x, y, { epochs: 1, verbose: 0 });
      tf.dispose([x, y]);
    }
    request.log(`refined for user ${request.params.usr ?? '(unknown)'} on ${data.length} digits`);
    return { model, metrics: {} };
  }
}
