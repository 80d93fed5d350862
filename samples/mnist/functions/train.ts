import * as tf from '@tensorflow/tfjs';
import { consumes, produces, policy, type Data, type Request, type TrainedModel } from 'edge-ai-studio/sdk';

/** Trains the digit classifier on the shared data set; the platform scores it on the holdout. */
export class MnistTraining {
  @consumes.data({ selector: { urn: 'mnist:data' }, holdout: 0.2 })
  @produces.model({ type: 'classifier', urn: 'mnist:model', tags: ['digits'] })
  @policy.fn({ node: 'cloud' })
  async train(data: Data, request: Request): Promise<TrainedModel> {
    const x = data.toTensor(['x']);
    const y = tf.oneHot(data.toTensor(['y']).toInt().flatten(), 10);
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [784], units: 64, activation: 'relu' }),
        tf.layers.dense({ units: 10, activation: 'softmax' }),
      ],
    });
    model.compile({ optimizer: tf.train.adam(0.005), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const history = await model.fit(x, y, { epochs: 5, batchSize: 64, verbose: 0 });
    const acc = history.history.acc ?? history.history.accuracy ?? [];
    request.log(`trained on ${data.length} digits, training accuracy ${Number(acc[acc.length - 1]).toFixed(3)}`);
    tf.dispose([x, y]);
    return { model, metrics: {} };
  }
}
