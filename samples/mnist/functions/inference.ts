import { consumes, produces, policy, gate, type Model, type Request } from 'edge-ai-studio/sdk';

/** Classifies one digit (784 pixel values, 0-1) with the best published classifier. */
export class MnistInference {
  @consumes.model({ selector: { type: 'classifier', data_tags: ['mnist'], accuracy: '>=0.88' } })
  @produces.data({ urn: 'mnist:predictions', format: 'jsonl', tags: ['predictions'] })
  @policy.deadline('2s')
  @policy.fn({ node: 'edge' })
  @gate.drift({ metric: 'confidence', predicate: '<0.2', window: 50 })
  async inference(model: Model, request: Request) {
    const { pixels } = request.input as { pixels: number[] };
    if (!Array.isArray(pixels) || pixels.length !== 784) {
      throw new Error('input must be { "pixels": [784 numbers between 0 and 1] }');
    }
    const [prediction] = model.estimate([pixels]);
    return { digit: prediction.label, confidence: prediction.confidence, model: `${model.urn}@${model.version}` };
  }
}
