/**
 * workflow.json and layout.json. workflow.json holds what the graph cannot derive from the
 * function sources: data sources, triggers and the default target. No positions (layout.json)
 * and no function contracts (the sources are the single source of truth).
 */
import { z } from 'zod';
import { SelectorSchema } from './selector';
import { NODE_TYPES } from './function';

const Id = z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]*$/, 'ids start with a letter and use letters, digits, _ . -');
const Duration = z.string().regex(/^\s*\d+(?:\.\d+)?\s*(ms|s|m|h)\s*$/, "a duration such as '150ms', '2s', '1m'");

export const DATA_FORMATS = ['csv', 'jsonl', 'npy', 'json', 'mnist'] as const;

export const DataSourceSchema = z
  .object({
    urn: z.string().min(1).refine((s) => !/[*{}]/.test(s), 'a data source urn is concrete: no * and no {param}'),
    type: z.string().optional(),
    tags: z.array(z.string()).default([]),
    format: z.enum(DATA_FORMATS),
    /** where the bytes come from: a file in the project, or a loader that ships with the studio */
    source: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('file'), path: z.string().min(1) }),
      z.object({ kind: z.literal('loader'), loader: z.enum(['mnist']), count: z.number().int().positive().optional() }),
    ]),
    /** the topology node whose store holds the bytes (data locality); optional */
    node: z.string().optional(),
    description: z.string().optional(),
  })
  .strict();
export type DataSource = z.infer<typeof DataSourceSchema>;

/**
 * A model that ships with the project instead of being trained by one of its functions: a
 * TensorFlow Lite file in the project, or one an npm package ships (issue 14). The deploy puts it
 * in the registry as a model artifact; functions consume it with @consumes.model.
 */
export const ModelSourceSchema = z
  .object({
    urn: z.string().min(1).refine((s) => !/[*{}]/.test(s), 'a model source urn is concrete: no * and no {param}'),
    type: z.string().optional(),
    tags: z.array(z.string()).default([]),
    format: z.literal('tflite'),
    source: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('file'), path: z.string().min(1) }),
      /** a file inside an installed package, as require.resolve names it: '@mediapipe/face_detection/face_detection_short_range.tflite' */
      z.object({ kind: z.literal('package'), module: z.string().min(1) }),
    ]),
    description: z.string().optional(),
  })
  .strict();
export type ModelSource = z.infer<typeof ModelSourceSchema>;

const TriggerBase = { id: Id, function: z.string().min(1), description: z.string().optional() };

export const TriggerSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('http'), ...TriggerBase, method: z.enum(['POST', 'GET']).default('POST'), path: z.string().optional() }).strict(),
  z.object({ kind: z.literal('schedule'), ...TriggerBase, every: Duration }).strict(),
  z
    .object({ kind: z.literal('data'), ...TriggerBase, selector: SelectorSchema, batch: z.number().int().positive().default(1) })
    .strict(),
  z.object({ kind: z.literal('model'), ...TriggerBase, selector: SelectorSchema }).strict(),
  z.object({ kind: z.literal('gate'), ...TriggerBase, source: z.string().min(1), gate: z.enum(['bias', 'drift']).optional() }).strict(),
]);
export type Trigger = z.infer<typeof TriggerSchema>;
export const TRIGGER_KINDS = ['http', 'schedule', 'data', 'model', 'gate'] as const;

export const TargetSchema = z
  .object({
    topology: z.string().default('local'),
    backend: z.enum(['process', 'docker']).default('process'),
    profile: z.enum(['edge-ai', 'skippy', 'kube-default']).default('edge-ai'),
  })
  .strict();

export const WorkflowSchema = z
  .object({
    name: Id,
    description: z.string().optional(),
    version: z.literal(1).default(1),
    dataSources: z.array(DataSourceSchema).default([]),
    /** models the project ships (TensorFlow Lite files) */
    models: z.array(ModelSourceSchema).optional(),
    triggers: z.array(TriggerSchema).default([]),
    target: TargetSchema.optional(),
  })
  .strict()
  .superRefine((w, ctx) => {
    const urns = new Set<string>();
    w.dataSources.forEach((d, i) => {
      if (urns.has(d.urn)) ctx.addIssue({ code: 'custom', path: ['dataSources', i, 'urn'], message: `data source urn '${d.urn}' is declared twice` });
      urns.add(d.urn);
    });
    (w.models ?? []).forEach((m, i) => {
      if (urns.has(m.urn)) ctx.addIssue({ code: 'custom', path: ['models', i, 'urn'], message: `urn '${m.urn}' is declared twice` });
      urns.add(m.urn);
    });
    const ids = new Set<string>();
    w.triggers.forEach((t, i) => {
      if (ids.has(t.id)) ctx.addIssue({ code: 'custom', path: ['triggers', i, 'id'], message: `trigger id '${t.id}' is used twice` });
      ids.add(t.id);
    });
  });
export type Workflow = z.infer<typeof WorkflowSchema>;
export type WorkflowInput = z.input<typeof WorkflowSchema>;

export const LayoutSchema = z
  .object({
    nodes: z.record(z.string(), z.object({ x: z.number(), y: z.number() })).default({}),
    viewport: z.object({ x: z.number(), y: z.number(), zoom: z.number().positive() }).default({ x: 0, y: 0, zoom: 1 }),
  })
  .strict();
export type Layout = z.infer<typeof LayoutSchema>;

/** JSON Schema of workflow.json, for editors (`"$schema"`) and for docs. */
export function workflowJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(WorkflowSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...schema, $id: 'https://edge-ai-studio.dev/schema/workflow.json', title: 'Edge AI Studio workflow.json' };
}

export { NODE_TYPES };
