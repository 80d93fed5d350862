import * as tf from '@tensorflow/tfjs';
import { consumes, produces, policy, gate, type Data, type Request, type TrainedModel } from 'edge-ai-studio/sdk';

/**
 * Trains the base model that users personalise. The bias gate blocks publication when the
 * model serves some digit classes much worse than others (accuracy per digit class y, disparate impact).
 */
export class MnistFairTraining {
  @consumes.data({ selector: { urn: 'mnist:data', tags: ['digits'] }, holdout: 0.25 })
  @produces.model({ type: 'classifier', urn: 'model:base', tags: ['base'] })
  @policy.fn({ node: ['cloud', 'edge'] })
  @gate.bias({ attribute: 'y', predicate: '>=0.8', metric: 'disparate_impact' })
  async trainFair(data: Data, request: Request): Promise<TrainedModel> {
    const x = data.toTensor(['x']);
    const y = tf.oneHot(data.toTensor(['y']).toInt().flatten(), 10);
    const model = tf.sequential({
      layers: [tf.layers.dense({ inputShape: [784], units: 10, activation: 'softmax' })],
    });
    model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
    await model.fit(x, y, { epochs: 2, batchSize: 64, verbose: 0 });
    request.log(`base model trained on ${data.length} digits`);
    tf.dispose([x, y]);
    return { model, metrics: {} };
  }
}
