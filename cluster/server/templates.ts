/** What the studio writes for a user: new function files from the palette, and the editor's tf.js typings. */

export const TEMPLATES: Record<string, (cls: string, id: string) => string> = {
  transform: (cls, id) => `import { consumes, produces, policy, type Data, type Request } from 'edge-ai-studio/sdk';

/** Describe what ${id} does. */
export class ${cls} {
  @consumes.data({ selector: { urn: 'sensor:readings' } })
  @produces.data({ urn: '${id}:output', format: 'json' })
  @policy.fn({ node: 'edge' })
  async ${id}(data: Data, request: Request) {
    request.log(\`${id} got \${data.length} rows\`);
    return { rows: data.length };
  }
}
`,
  train: (cls, id) => `import { consumes, produces, policy, type Data, type Request, type TrainedModel } from 'edge-ai-studio/sdk';

/** Trains a model; the platform scores it on the holdout. */
export class ${cls} {
  @consumes.data({ selector: { urn: 'mnist:data' }, holdout: 0.2 })
  @produces.model({ type: 'classifier', urn: 'model:${id}' })
  @policy.fn({ node: 'cloud' })
  async ${id}(data: Data, request: Request): Promise<TrainedModel> {
    throw new Error('${id}: build and fit a tf.js model from data.toTensor() here');
  }
}
`,
  inference: (cls, id) => `import { consumes, policy, type Model, type Request } from 'edge-ai-studio/sdk';

/** Serves predictions from the best matching model. */
export class ${cls} {
  @consumes.model({ selector: { type: 'classifier', accuracy: '>=0.8' } })
  @policy.deadline('1s')
  @policy.fn({ node: 'edge' })
  async ${id}(model: Model, request: Request) {
    const [prediction] = model.estimate([request.input as number[]]);
    return prediction;
  }
}
`,
};

/** Minimal tf.js typings for the editor; the runtime uses the real @tensorflow/tfjs. */
export const TFJS_STUB = `// Editor typings only: a loose view of @tensorflow/tfjs (the runtime uses the real package).
export type Tensor = any;
export type Tensor2D = any;
export type LayersModel = any;
export type Sequential = any;
export declare const layers: any;
export declare const train: any;
export declare const losses: any;
export declare const metrics: any;
export declare function sequential(config?: any): any;
export declare function tensor(values: any, shape?: number[], dtype?: string): any;
export declare function tensor2d(values: any, shape?: number[], dtype?: string): any;
export declare function oneHot(indices: any, depth: number): any;
export declare function dispose(container: any): void;
export declare function tidy<T>(fn: () => T): T;
`;

