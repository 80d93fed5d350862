/**
 * For the commands' unit tests: a small project snapshot (a data source, a training function,
 * its model, an inference function) and a StudioContext whose StudioApi answers from handlers
 * the test gives, recording every call. No React, no browser, no service.
 */
import type { ApiError, MethodName, MethodRequest, MethodResponse, ProjectSnapshot } from '../../cluster/api/contract';
import { createStudioStore, type StudioContext, type StudioState } from '../state/studio';

export const TRAIN_SRC = "export class Train {\n  @consumes.data({ selector: { urn: 'mnist:data' } })\n  async train(data: Data, request: Request) {}\n}\n";
export const INFER_SRC = "export class Infer {\n  @consumes.model({ selector: { type: 'classifier' } })\n  async inference(model: Model, request: Request) {}\n}\n";

export function snapshot(over: Partial<ProjectSnapshot> = {}): ProjectSnapshot {
  return {
    dir: '/p/mnist',
    name: 'mnist',
    workflow: { name: 'mnist', version: 1, dataSources: [{ urn: 'mnist:data', type: 'table', tags: [], format: 'csv', source: { kind: 'file', path: 'data/mnist.csv' } }], triggers: [] },
    layout: { nodes: {}, viewport: { x: 0, y: 0, zoom: 1 } },
    files: [
      { path: 'workflow.json', source: '{}', revision: 1 },
      { path: 'functions/train.ts', source: TRAIN_SRC, revision: 1 },
      { path: 'functions/inference.ts', source: INFER_SRC, revision: 1 },
    ],
    functions: [
      { id: 'train', file: 'functions/train.ts', line: 3 },
      { id: 'inference', file: 'functions/inference.ts', line: 3 },
    ] as unknown as ProjectSnapshot['functions'],
    diagnostics: [],
    graph: {
      nodes: [
        { id: 'source:mnist:data', kind: 'data-source', label: 'mnist:data', detail: { urn: 'mnist:data' } },
        { id: 'fn:train', kind: 'function', label: 'train', detail: { file: 'functions/train.ts', line: 3 } },
        { id: 'model:mnist:model', kind: 'model', label: 'mnist:model', detail: { urn: 'mnist:model' } },
        { id: 'fn:inference', kind: 'function', label: 'inference', detail: { file: 'functions/inference.ts', line: 3 } },
      ],
      edges: [
        { id: 'source:mnist:data->fn:train#0', source: 'source:mnist:data', target: 'fn:train', kind: 'consumes', input: 0 },
        { id: 'fn:train->model:mnist:model', source: 'fn:train', target: 'model:mnist:model', kind: 'produces' },
        { id: 'model:mnist:model->fn:inference#0', source: 'model:mnist:model', target: 'fn:inference', kind: 'consumes', input: 0 },
      ],
      warnings: [],
    },
    ...over,
  };
}

/** The snapshot with one file's source replaced (its revision bumped), or the file removed (null). */
export function withFile(s: ProjectSnapshot, path: string, source: string | null): ProjectSnapshot {
  const others = s.files.filter((f) => f.path !== path);
  const rev = (s.files.find((f) => f.path === path)?.revision ?? 0) + 1;
  return { ...s, files: source === null ? others : [...others, { path, source, revision: rev }] };
}

export class Refused extends Error {
  constructor(readonly error: ApiError) {
    super(error.message);
  }
}

type Handlers = { [M in MethodName]?: (params: MethodRequest<M>) => MethodResponse<M> | Promise<MethodResponse<M>> };

export function fakeStudio(handlers: Handlers, init: Partial<StudioState> = {}) {
  const calls: Array<{ method: MethodName; params: unknown }> = [];
  const fits: unknown[] = [];
  const ctx: StudioContext = {
    store: createStudioStore(init),
    async call(method, params) {
      calls.push({ method, params });
      const h = handlers[method] as ((p: unknown) => unknown) | undefined;
      if (!h) throw new Refused({ code: 'not-faked', message: `${method} is not answered in this test` });
      return (await h(params)) as never;
    },
    errorOf: (e) => (e instanceof Refused ? e.error : { code: 'ui-error', message: String((e as Error)?.message ?? e) }),
    flow: () => ({ getViewport: () => ({ x: 0, y: 0, zoom: 1 }), fitView: (o) => fits.push(o), setCenter: () => undefined, getZoom: () => 1 }),
    layout: async (graph) => Object.fromEntries(graph.nodes.map((n, i) => [n.id, { x: i * 300, y: 0 }])),
  };
  return { ctx, calls, fits, state: () => ctx.store.getState() };
}
