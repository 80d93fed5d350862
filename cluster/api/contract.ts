/**
 * The StudioApi contract: the one seam between the UI and the platform (DESIGN.md "One
 * service, three clients"). Every method's request and response and every streamed event has
 * a zod schema here; transports (Electron IPC, the browser-mode WebSocket) validate requests
 * with these schemas where they cross a process boundary.
 *
 * The renderer imports only from this file (types, and the schemas if it wants them), never
 * other cluster code. Methods the runtime will bring (schedule, simulate, cluster.*, deploy,
 * invoke, artifacts, runs, accelerators) are added to `METHODS` and `EVENTS` the same way
 * when issue 5 lands; `studio.info` tells clients which feature groups a service offers.
 */
import { z } from 'zod';
import { DiagnosticSchema } from '../preprocessor/diagnostic';
import { ConsumesSchema, FunctionSpecSchema, GateSchema, PoliciesSchema, ProducesSchema } from '../spec/function';
import { LayoutSchema, TriggerSchema } from '../spec/workflow';

// ---------------------------------------------------------------------------------------------
// Shared shapes

export const ApiErrorSchema = z.object({
  /** stable machine-readable code, e.g. 'revision-conflict', 'invalid-request' */
  code: z.string(),
  /** what went wrong and where (file:line:col when there is a file) */
  message: z.string(),
  /** what to do about it */
  hint: z.string().optional(),
  /** for revision conflicts: the file and its current revision */
  conflict: z.object({ path: z.string(), revision: z.number().int() }).optional(),
});
export type ApiError = z.infer<typeof ApiErrorSchema>;

export type ApiResult<T> = { ok: true; value: T } | { ok: false; error: ApiError };

/** The project a request is about: the absolute folder `project.open` returned. */
const ProjectRef = z.string().min(1, 'open a project first (project.open)');
/** A project-relative path with forward slashes, e.g. functions/train.ts */
const RelPath = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith('/') && !/^[A-Za-z]:/.test(p) && !p.split('/').includes('..'), 'a path relative to the project, such as functions/train.ts');
const Revision = z.number().int().nonnegative();

export const ProjectFileSchema = z.object({
  path: z.string(),
  source: z.string(),
  /** bumped on every write; writes carry the revision they were based on */
  revision: Revision,
});
export type ProjectFileState = z.infer<typeof ProjectFileSchema>;

export const GraphNodeSchema = z.object({
  id: z.string(),
  kind: z.enum(['data-source', 'function', 'model', 'data', 'trigger', 'gate']),
  label: z.string(),
  detail: z.object({
    urn: z.string().optional(),
    type: z.string().optional(),
    tags: z.array(z.string()).optional(),
    data_tags: z.array(z.string()).optional(),
    file: z.string().optional(),
    line: z.number().optional(),
    policies: PoliciesSchema.optional(),
    gates: z.array(GateSchema).optional(),
    consumes: z.array(ConsumesSchema).optional(),
    produces: z.array(ProducesSchema).optional(),
    trigger: TriggerSchema.optional(),
    gate: GateSchema.optional(),
    dangling: z.array(z.number()).optional(),
  }),
});
export type GraphNodeDto = z.infer<typeof GraphNodeSchema>;
export type GraphNodeKindDto = GraphNodeDto['kind'];

export const GraphEdgeSchema = z.object({
  id: z.string(),
  source: z.string(),
  target: z.string(),
  kind: z.enum(['consumes', 'produces', 'triggers', 'guards', 'fires']),
  input: z.number().int().optional(),
});
export type GraphEdgeDto = z.infer<typeof GraphEdgeSchema>;

export const GraphSchema = z.object({
  nodes: z.array(GraphNodeSchema),
  edges: z.array(GraphEdgeSchema),
  warnings: z.array(DiagnosticSchema),
});
export type GraphDto = z.infer<typeof GraphSchema>;

/** workflow.json as stored (validated by the service with the spec's WorkflowSchema on save). */
const WorkflowValue = z.record(z.string(), z.unknown());

export const ProjectSnapshotSchema = z.object({
  dir: z.string(),
  name: z.string(),
  /** workflow.json (parsed); when it has errors, a default and the diagnostics say why */
  workflow: z.object({
    name: z.string(),
    description: z.string().optional(),
    version: z.literal(1),
    dataSources: z.array(z.record(z.string(), z.unknown())),
    triggers: z.array(TriggerSchema),
    target: z.record(z.string(), z.unknown()).optional(),
  }),
  layout: LayoutSchema,
  /** function sources, plus workflow.json and layout.json (for their revisions) */
  files: z.array(ProjectFileSchema),
  functions: z.array(FunctionSpecSchema),
  diagnostics: z.array(DiagnosticSchema),
  graph: GraphSchema,
});
export type ProjectSnapshot = z.infer<typeof ProjectSnapshotSchema>;
export type FunctionSpecDto = ProjectSnapshot['functions'][number];
export type DiagnosticDto = z.infer<typeof DiagnosticSchema>;
export type LayoutDto = z.infer<typeof LayoutSchema>;

export const TextChangeSchema = z.object({ start: z.number().int(), end: z.number().int(), text: z.string() });
export type TextChangeDto = z.infer<typeof TextChangeSchema>;

export const DecoratorPatchSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('set'), decorator: z.string(), args: z.array(z.unknown()), index: z.number().int().nonnegative().optional() }),
  z.object({ op: z.literal('add'), decorator: z.string(), args: z.array(z.unknown()) }),
  z.object({ op: z.literal('remove'), decorator: z.string(), index: z.number().int().nonnegative().optional() }),
  z.object({ op: z.literal('setOption'), decorator: z.string(), option: z.string(), value: z.unknown(), index: z.number().int().nonnegative().optional() }),
  z.object({ op: z.literal('removeOption'), decorator: z.string(), option: z.string(), index: z.number().int().nonnegative().optional() }),
]);
export type DecoratorPatchDto = z.infer<typeof DecoratorPatchSchema>;

/** The result of an edit to one file: what changed, and the project after it. */
export const FileEditSchema = z.object({
  path: z.string(),
  /** the file's content before the edit (for undo) and its revision after */
  before: z.string(),
  source: z.string(),
  revision: Revision,
  change: TextChangeSchema,
  snapshot: ProjectSnapshotSchema,
});
export type FileEdit = z.infer<typeof FileEditSchema>;

export const SelectorMatchSchema = z.object({
  /** the graph node of the candidate (a data source, or an output of a function) */
  nodeId: z.string(),
  urn: z.string(),
  kind: z.enum(['data', 'model']),
});
export const SelectorPreviewSchema = z.object({
  /** problems with the selector itself (bad clause, malformed predicate) */
  problems: z.array(z.object({ clause: z.string(), message: z.string() })),
  matches: z.array(SelectorMatchSchema),
  misses: z.array(SelectorMatchSchema.extend({ clause: z.string(), reason: z.string() })),
  /** where candidates came from: what the workflow declares or produces (the registry joins with the runtime) */
  scope: z.literal('workflow'),
});
export type SelectorPreview = z.infer<typeof SelectorPreviewSchema>;

export const FUNCTION_TEMPLATES = ['transform', 'train', 'inference'] as const;

// ---------------------------------------------------------------------------------------------
// Methods

export const METHODS = {
  /** Which methods and feature groups this service offers (the runtime adds 'runtime' later). */
  'studio.info': {
    request: z.object({}).strict(),
    response: z.object({
      version: z.string(),
      transport: z.enum(['electron', 'websocket', 'in-process']),
      methods: z.array(z.string()),
      features: z.object({ runtime: z.boolean() }),
      /** the project the studio was started with (npm run web -- <dir>), if any */
      initialProject: z.string().optional(),
    }),
  },
  'project.open': {
    request: z.object({ dir: z.string().min(1, 'name the project folder') }).strict(),
    response: ProjectSnapshotSchema,
  },
  /** Reloads from disk (after an external change) and returns the project. */
  'project.snapshot': {
    request: z.object({ project: ProjectRef }).strict(),
    response: ProjectSnapshotSchema,
  },
  'project.files.read': {
    request: z.object({ project: ProjectRef, path: RelPath }).strict(),
    response: ProjectFileSchema,
  },
  /** Writes a file when its revision is still `expectedRevision` (0 creates a new file). */
  'project.files.write': {
    request: z.object({ project: ProjectRef, path: RelPath, source: z.string().max(2_000_000), expectedRevision: Revision }).strict(),
    response: z.object({ path: z.string(), before: z.string(), revision: Revision, snapshot: ProjectSnapshotSchema }),
  },
  /** Deletes a file when its revision is still `expectedRevision`; returns its last content (for undo). */
  'project.files.delete': {
    request: z.object({ project: ProjectRef, path: RelPath, expectedRevision: Revision }).strict(),
    response: z.object({ path: z.string(), before: z.string(), snapshot: ProjectSnapshotSchema }),
  },
  /** Creates functions/<id>.ts from a template. */
  'project.functions.create': {
    request: z
      .object({
        project: ProjectRef,
        functionId: z.string().regex(/^[a-z][A-Za-z0-9_]*$/, 'a function id is a method name: a lowercase letter, then letters, digits or _'),
        template: z.enum(FUNCTION_TEMPLATES),
      })
      .strict(),
    response: z.object({ path: z.string(), revision: Revision, snapshot: ProjectSnapshotSchema }),
  },
  /** Preprocesses a buffer (unsaved editor content) without writing it. */
  preprocess: {
    request: z.object({ path: RelPath, source: z.string().max(2_000_000) }).strict(),
    response: z.object({ functions: z.array(FunctionSpecSchema), diagnostics: z.array(DiagnosticSchema) }),
  },
  /** Edits one function's decorators in its file (a minimal text edit) and saves the file. */
  'decorators.edit': {
    request: z.object({ project: ProjectRef, path: RelPath, functionId: z.string().min(1), patch: DecoratorPatchSchema, expectedRevision: Revision }).strict(),
    response: FileEditSchema,
  },
  'graph.derive': {
    request: z.object({ project: ProjectRef }).strict(),
    response: GraphSchema,
  },
  /** Draws an edge: rewrites the consumer's selector so it matches the producer. */
  'graph.connect': {
    request: z.object({ project: ProjectRef, producer: z.string().min(1), consumer: z.string().min(1), input: z.number().int().nonnegative().optional() }).strict(),
    response: FileEditSchema,
  },
  /** Deletes a consumes edge: removes the consumer's input. */
  'graph.disconnect': {
    request: z.object({ project: ProjectRef, edgeId: z.string().min(1) }).strict(),
    response: FileEditSchema,
  },
  'layout.save': {
    request: z.object({ project: ProjectRef, layout: LayoutSchema }).strict(),
    response: z.object({ layout: LayoutSchema, revision: Revision }),
  },
  'workflow.save': {
    request: z.object({ project: ProjectRef, workflow: WorkflowValue, expectedRevision: Revision }).strict(),
    response: z.object({ before: z.string(), revision: Revision, snapshot: ProjectSnapshotSchema }),
  },
  /** Which of the workflow's artifacts a selector matches, and why the others miss. */
  'selector.preview': {
    request: z.object({ project: ProjectRef, kind: z.enum(['data', 'model']), selector: z.record(z.string(), z.unknown()) }).strict(),
    response: SelectorPreviewSchema,
  },
  schema: {
    request: z.object({ name: z.enum(['workflow', 'layout']) }).strict(),
    response: z.object({ schema: z.record(z.string(), z.unknown()) }),
  },
  /** The SDK's sources, for the code editor's typings (`import … from 'edge-ai-studio/sdk'`). */
  'sdk.typings': {
    request: z.object({}).strict(),
    response: z.object({ files: z.array(z.object({ path: z.string(), content: z.string() })) }),
  },
} as const;

export type MethodName = keyof typeof METHODS;
export const METHOD_NAMES = Object.keys(METHODS) as MethodName[];
export type MethodRequest<M extends MethodName> = z.input<(typeof METHODS)[M]['request']>;
export type MethodResponse<M extends MethodName> = z.output<(typeof METHODS)[M]['response']>;

// ---------------------------------------------------------------------------------------------
// Events (streamed from the service to every client)

export const EVENTS = {
  /** A project changed on disk through the service (another window, the inspector, …). */
  'project.changed': z.object({
    project: z.string(),
    paths: z.array(z.string()),
    /** the client that made the change, so it can ignore its own echo */
    origin: z.string().optional(),
  }),
  /** Progress of long work: shown as a bar; finished with `done === total` or an error. */
  progress: z.object({
    id: z.string(),
    title: z.string(),
    done: z.number(),
    total: z.number().optional(),
    message: z.string().optional(),
    error: ApiErrorSchema.optional(),
    finished: z.boolean().optional(),
  }),
} as const;
export type EventName = keyof typeof EVENTS;
export const EVENT_NAMES = Object.keys(EVENTS) as EventName[];
export type EventPayload<E extends EventName> = z.output<(typeof EVENTS)[E]>;

// ---------------------------------------------------------------------------------------------
// What a client sees: window.studio (Electron preload, or the browser-mode WebSocket client)

export interface StudioClient {
  readonly transport: 'electron' | 'websocket' | 'in-process';
  call<M extends MethodName>(method: M, params: MethodRequest<M>): Promise<ApiResult<MethodResponse<M>>>;
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
}

/** The Electron IPC channel prefix: `studio:<method>` for calls, `studio:event` for events. */
export const IPC_PREFIX = 'studio:';
export const IPC_EVENT_CHANNEL = 'studio:event';

/** The browser-mode WebSocket frames. */
export const WsRequestSchema = z.object({ id: z.number().int(), method: z.string(), params: z.unknown() });
export type WsRequest = z.infer<typeof WsRequestSchema>;
export type WsFrame =
  | { type: 'result'; id: number; result: ApiResult<unknown> }
  | { type: 'event'; event: EventName; payload: unknown }
  | { type: 'hello'; clientId: string };

/** Formats a validation failure as an ApiError that names the field. */
export function invalidRequest(method: string, error: z.ZodError): ApiError {
  const first = error.issues[0];
  const where = first && first.path.length ? first.path.join('.') : '(request)';
  return {
    code: 'invalid-request',
    message: `${method}: ${where}: ${first?.message ?? 'invalid request'}`,
    hint: 'this is a bug in the client that sent it; reload the window and try again',
  };
}
