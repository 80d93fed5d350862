/**
 * The StudioApi contract: the one seam between the UI and the platform (docs/architecture.md "One
 * service, three clients"). Every method's request and response and every streamed event has
 * a zod schema here; transports (Electron IPC, the browser-mode WebSocket) validate requests
 * with these schemas where they cross a process boundary.
 *
 * The renderer imports only from this file (types, and the schemas if it wants them), never
 * other cluster code. The runtime's methods (cluster.*, deploy, invoke, runs.*, artifacts.*,
 * schedule.explain) and events (cluster.*, deploy.function, run, log) sit beside the project's;
 * `studio.info` tells clients which feature groups a service offers.
 *
 * Why one file of ~820 lines: the renderer imports the contract as one module, and every method's request and response schema sits beside its documentation; it is frozen by contract.schema.json.
 */
import { z } from 'zod';
import { DiagnosticSchema } from '../preprocessor/diagnostic';
import { ConsumesSchema, FunctionSpecSchema, GateSchema, PoliciesSchema, ProducesSchema } from '../spec/function';
import { LayoutSchema, TriggerSchema } from '../spec/workflow';
import { SIM_WORKLOADS } from '../common/sim-choices';
import { AcceleratorKindSchema, StickIdentitySchema } from '../common/sticks';
import { BACKEND_KINDS, DEPLOY_ACTIONS, DEPLOY_MODES, NODE_STATUSES, PLACEMENT_STATUSES, RUN_STATUSES } from '../common/status';

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
    /** a function whose file no longer parses, shown as it last parsed: the syntax error (file:line:col: message) */
    unparsed: z.string().optional(),
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

export const NextActionSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('problems') }),
  z.object({ kind: z.literal('cluster-up') }),
  z.object({ kind: z.literal('deploy') }),
  /** run the function once (it takes no input) */
  z.object({ kind: z.literal('run'), function: z.string() }),
  /** open the invoke console on the function (it needs the user's input) */
  z.object({ kind: z.literal('try'), function: z.string() }),
]);
export const NextStepSchema = z.object({ id: z.string(), title: z.string(), detail: z.string(), done: z.boolean(), action: NextActionSchema.optional() });
export type NextStepDto = z.infer<typeof NextStepSchema>;

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


// ---------------------------------------------------------------------------------------------
// Runtime shapes (the local edge cluster: cluster/runtime's Controller behind the service)

const NodeStatusEnum = z.enum(NODE_STATUSES);
const PlacementStatusEnum = z.enum(PLACEMENT_STATUSES);
const RunStatusEnum = z.enum(RUN_STATUSES);

export const ClusterNodeSchema = z.object({
  name: z.string(),
  status: NodeStatusEnum,
  reason: z.string().nullable(),
  device: z.string(),
  type: z.string(),
  network: z.string(),
  arch: z.string(),
  cpuMillis: z.number(),
  memoryBytes: z.number(),
  capabilities: z.array(z.string()),
  port: z.number().nullable(),
  /** where the agent listens with `port`: 127.0.0.1, or a container's address on the cluster's Docker network */
  host: z.string().nullable(),
  pid: z.number().nullable(),
  container: z.string().nullable(),
  /** `workflow/function` placed on this node */
  functions: z.array(z.string()),
  /** from the node agent's last heartbeat */
  health: z.object({ uptimeMs: z.number().optional(), functions: z.array(z.object({ id: z.string(), workers: z.number(), busy: z.number(), coldStarts: z.number() }).passthrough()).optional() }).passthrough().optional(),
  /**
   * a node that USB sticks were attached to at `up`: what it has of them now, the kinds it lost
   * (since when, why), and one line per capability for people — the very lines `edgeai cluster
   * status` prints (runtime/controller/accelerators.ts StickBook.view), e.g. `tpu: lost since … (…)`
   * or `tpu: stick present, runtime libedgetpu.so.1 missing → models run on cpu (fallback: …); …`
   */
  accelerators: z
    .object({
      lines: z.array(z.string()),
      lost: z.array(z.object({ kind: AcceleratorKindSchema, since: z.string(), why: z.string() })),
    })
    .passthrough()
    .optional(),
});
export type ClusterNodeDto = z.infer<typeof ClusterNodeSchema>;

/** A USB accelerator plugged into this machine (cluster/accelerators, docs/reference.md §6). */
export const AcceleratorSchema = StickIdentitySchema.extend({
  /** 'Google Coral USB Accelerator', … */
  name: z.string(),
  product: z.string().optional(),
  manufacturer: z.string().optional(),
  serial: z.string().optional(),
  /** can this user open the device node; when not, what to do (the udev rule) */
  access: z.object({ path: z.string(), ok: z.boolean(), problem: z.enum(['missing', 'denied']).optional(), hint: z.string().optional() }).optional(),
});
export type AcceleratorDto = z.infer<typeof AcceleratorSchema>;

export const ClusterStatusSchema = z.object({
  cluster: z.string(),
  up: z.boolean(),
  backend: z.enum(BACKEND_KINDS).nullable(),
  topology: z.string().nullable(),
  nodes: z.array(ClusterNodeSchema),
  deployments: z.array(
    z.object({
      workflow: z.string(),
      revision: z.number(),
      project: z.string(),
      status: z.string(),
      functions: z.array(z.object({ id: z.string(), node: z.string().nullable(), status: z.string(), reason: z.string().nullable() })),
    }),
  ),
  links: z.array(z.object({ link: z.string(), bytes: z.number(), transfers: z.number() })),
  unavailable: z.array(z.object({ urn: z.string(), version: z.number(), locations: z.array(z.string()) })),
});
export type ClusterStatusDto = z.infer<typeof ClusterStatusSchema>;

export const DeployCheckSchema = z.object({
  workflow: z.string(),
  /** block the deploy */
  errors: z.array(DiagnosticSchema),
  /** shown first; the user may "deploy anyway" */
  warnings: z.array(DiagnosticSchema),
  functions: z.array(z.string()),
});
export type DeployCheckDto = z.infer<typeof DeployCheckSchema>;

/** full: place and ship every function; changed: only functions whose code or spec changed; restart: fresh workers for the deployed code, same revision */
export const DeployModeEnum = z.enum(DEPLOY_MODES);
export type DeployMode = z.infer<typeof DeployModeEnum>;
/** what a deploy did with a function: deployed (placed and shipped), unchanged (kept on its node, workers warm), restarted */
export const DeployActionEnum = z.enum(DEPLOY_ACTIONS);

export const DeployResultSchema = z.object({
  workflow: z.string(),
  revision: z.number(),
  /** every function ends ready or failed, with the reason when it failed */
  functions: z.array(
    z.object({
      id: z.string(),
      node: z.string().nullable(),
      status: PlacementStatusEnum,
      reason: z.string().optional(),
      coldStartMs: z.number().optional(),
      action: DeployActionEnum.optional(),
      /** sha256 of the bundle it runs */
      bundle: z.string().optional(),
    }),
  ),
  warnings: z.array(z.string()),
  mode: DeployModeEnum.optional(),
  /** the revision before this deploy (0: none); the same as revision after a restart */
  previousRevision: z.number().optional(),
  /** functions no longer in the project: undeployed (placement dropped, workers retired) */
  removed: z.array(z.object({ id: z.string(), node: z.string().nullable() })).optional(),
  /** a changed deploy found nothing to do: every function unchanged, none removed */
  nothingChanged: z.boolean().optional(),
  /** one line on what happened */
  summary: z.string().optional(),
});
export type DeployResultDto = z.infer<typeof DeployResultSchema>;

const GateResultSchema = z.object({ kind: z.string(), metric: z.string().optional(), predicate: z.string().optional(), pass: z.boolean(), detail: z.string().optional() }).passthrough();

export const InvokeAnswerSchema = z.object({
  run: z.string(),
  workflow: z.string(),
  function: z.string(),
  node: z.string(),
  output: z.unknown(),
  /** the model versions the function used, `urn@version` */
  models: z.array(z.string()),
  inputs: z.array(z.string()),
  produced: z.array(z.string()),
  gates: z.array(GateResultSchema),
  /** the parts add up to totalMs (overheadMs: the platform's own work between them) */
  timings: z.object({ queueMs: z.number(), transferMs: z.number(), coldStartMs: z.number(), execMs: z.number(), overheadMs: z.number(), totalMs: z.number() }),
  cold: z.boolean(),
  attempts: z.number(),
  logs: z.array(z.string()),
  /** where its models ran: 'edgetpu', 'cpu' or 'cpu (fallback: <reason>)'; several apart: '<urn>: <where>; …'. Absent: no model */
  modelRanOn: z.string().optional(),
});
export type InvokeAnswerDto = z.infer<typeof InvokeAnswerSchema>;

export const RunSchema = z.object({
  id: z.string(),
  workflow: z.string(),
  function: z.string(),
  node: z.string().nullable(),
  status: RunStatusEnum,
  started: z.string(),
  ended: z.string().nullable(),
  request: z.unknown(),
  inputs: z.array(z.string()),
  outputs: z.array(z.string()),
  output: z.unknown(),
  timings: z.record(z.string(), z.number()),
  logs: z.array(z.string()),
  error: z.string().nullable(),
  attempts: z.number(),
  /** where its models ran: 'edgetpu', 'cpu' or 'cpu (fallback: <reason>)'; several apart: '<urn>: <where>; …'. Absent: no model, or a run before issue 14 */
  modelRanOn: z.string().optional(),
});
export type RunDto = z.infer<typeof RunSchema>;

export const ArtifactViewSchema = z.object({
  kind: z.enum(['data', 'model']),
  urn: z.string(),
  version: z.number(),
  type: z.string().optional(),
  tags: z.array(z.string()),
  data_tags: z.array(z.string()),
  metrics: z.record(z.string(), z.number()),
  format: z.string(),
  size: z.number(),
  sha256: z.string(),
  created: z.string(),
  lineage: z.object({ run: z.string().optional(), function: z.string().optional(), source: z.string().optional(), inputs: z.array(z.object({ urn: z.string(), version: z.number() }).passthrough()) }),
  locations: z.array(z.string()),
});
export type ArtifactViewDto = z.infer<typeof ArtifactViewSchema>;

/** One artifact of a lineage walk, flattened: depth 1 = direct input (or output). */
export const LineageEntrySchema = z.object({ urn: z.string(), version: z.number(), kind: z.string().optional(), depth: z.number(), function: z.string().optional(), run: z.string().optional(), source: z.string().optional(), missing: z.boolean().optional() });
export const LineageSchema = z.object({ artifact: ArtifactViewSchema, inputs: z.array(LineageEntrySchema), outputs: z.array(LineageEntrySchema) });
export type LineageDto = z.infer<typeof LineageSchema>;

export const PlacementExplanationSchema = z.object({
  function: z.string(),
  topology: z.string(),
  profile: z.string(),
  node: z.string().nullable(),
  /** where the function runs now, when it is deployed */
  deployedOn: z.string().nullable(),
  infeasible: z.string().optional(),
  warnings: z.array(z.string()),
  nodes: z.array(
    z.object({
      node: z.string(),
      status: z.enum(['chosen', 'feasible', 'filtered', 'not-examined']),
      filter: z.string().optional(),
      reason: z.string().optional(),
      total: z.number().optional(),
      scores: z.array(z.object({ plugin: z.string(), raw: z.number(), normalised: z.number(), weight: z.number() }).passthrough()).optional(),
    }),
  ),
});
export type PlacementExplanationDto = z.infer<typeof PlacementExplanationSchema>;

// ---- simulation (cluster/simulator's SimulationReport, as the studio shows it) ----
const LatencyStatsSchema = z.object({ mean: z.number(), p50: z.number(), p95: z.number(), p99: z.number(), max: z.number() });
export const SimulationReportSchema = z.object({
  workflow: z.string(),
  topology: z.string(),
  nodes: z.number().int(),
  profile: z.string(),
  seed: z.number().int(),
  durationS: z.number(),
  endS: z.number(),
  events: z.number().int(),
  concurrency: z.string(),
  deploy: z.array(z.object({ function: z.string(), node: z.string().nullable(), reason: z.string().optional() })),
  functions: z.array(
    z.object({
      function: z.string(),
      invocations: z.number().int(),
      arrivals: z.number().int(),
      arrivalsChecksum: z.string(),
      completed: z.number().int(),
      failed: z.number().int(),
      unfinished: z.number().int(),
      coldStarts: z.number().int(),
      deadlineMs: z.number().nullable(),
      deadlineMisses: z.number().int(),
      /** seconds, over completed invocations */
      wait: LatencyStatsSchema,
      transfer: LatencyStatsSchema,
      execution: LatencyStatsSchema,
      total: LatencyStatsSchema,
      replicasStarted: z.number().int(),
      nodes: z.record(z.string(), z.number()),
      failures: z.array(z.string()),
    }),
  ),
  totals: z.object({ invocations: z.number().int(), completed: z.number().int(), failed: z.number().int(), unfinished: z.number().int(), coldStarts: z.number().int(), deadlineMisses: z.number().int() }),
  links: z.array(z.object({ link: z.string(), from: z.string(), to: z.string(), upBytes: z.number(), downBytes: z.number() })),
  nodeUsage: z.array(z.object({ node: z.string(), type: z.string(), device: z.string(), invocations: z.number().int(), busy: z.number(), allocated: z.number() })),
  edgeUtilisation: z.number().nullable(),
  cloudCost: z.object({ cloudInvocations: z.number(), gbSeconds: z.number(), compute: z.number(), requests: z.number(), egressBytes: z.number(), egress: z.number(), total: z.number() }),
  notes: z.array(z.string()),
});
export type SimulationReportDto = z.infer<typeof SimulationReportSchema>;
export const SimulationSummarySchema = z.object({
  profile: z.string(),
  completed: z.number().int(),
  failed: z.number().int(),
  coldStarts: z.number().int(),
  deadlineMisses: z.number().int(),
  meanS: z.number(),
  p95S: z.number(),
  wanUpBytes: z.number(),
  wanDownBytes: z.number(),
  edgeUtilisation: z.number().nullable(),
  cloudCost: z.number(),
});
export type SimulationSummaryDto = z.infer<typeof SimulationSummarySchema>;

export { SIM_MAX_ARRIVALS, SIM_PROFILES, SIM_TOPOLOGIES, SIM_WORKLOADS } from '../common/sim-choices';

const WorkflowName = z.string().min(1, 'name the workflow (deploy it first)');
const FunctionName = z.string().min(1, 'name the function');

export const FUNCTION_TEMPLATES = ['transform', 'train', 'inference'] as const;

// ---------------------------------------------------------------------------------------------
// Methods

export const METHODS = {
  /** Which methods and feature groups this service offers. */
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
  /**
   * Creates a project from the template (as `edgeai new`: a function, a CSV data source and an
   * http trigger that inspect clean) in a new or empty folder, given as a full path (~ for home),
   * and opens it.
   */
  'project.create': {
    request: z.object({ dir: z.string().min(1, 'name the new project folder'), name: z.string().min(1).optional() }).strict(),
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
    /** with `project`: also the project's graph as it would be with this buffer saved (the canvas follows typing) */
    request: z.object({ path: RelPath, source: z.string().max(2_000_000), project: ProjectRef.optional() }).strict(),
    response: z.object({ functions: z.array(FunctionSpecSchema), diagnostics: z.array(DiagnosticSchema), graph: GraphSchema.optional() }),
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
    request: z
      .object({
        project: ProjectRef,
        producer: z.string().min(1),
        consumer: z.string().min(1),
        input: z.number().int().nonnegative().optional(),
        /** when the consumer's input of that kind is connected already: add another input, or replace it (without: refused as connection-choice) */
        mode: z.enum(['add', 'replace']).optional(),
      })
      .strict(),
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
  // ---- runtime (features.runtime) ----
  'cluster.status': {
    request: z.object({}).strict(),
    response: ClusterStatusSchema,
  },
  /** Starts the local cluster; progress streams as cluster.progress and cluster.node events. */
  'cluster.up': {
    request: z
      .object({
        backend: z.enum(BACKEND_KINDS).default('process'),
        topology: z.string().min(1).default('local'),
        /** the node the USB accelerators plugged into this machine join ('none': leave them out) */
        acceleratorsOn: z.string().min(1).default('laptop'),
        /**
         * the kubernetes backend's cluster: a kubeconfig (default $KUBECONFIG, else ~/.kube/config),
         * a context in it (default its current one), the namespace of the agents (default edgeai);
         * with it, topology 'cluster' maps the cluster's own Ready nodes
         */
        kubernetes: z
          .object({ kubeconfig: z.string().min(1).optional(), context: z.string().min(1).optional(), namespace: z.string().min(1).optional(), privilegedUsb: z.boolean().optional() })
          .strict()
          .optional(),
      })
      .strict(),
    response: ClusterStatusSchema,
  },
  /** Stops every node. `keepState` keeps the deployments (stopped), the node stores and where artifacts live, for the next up. */
  'cluster.down': {
    request: z.object({ keepState: z.boolean().default(false) }).strict(),
    response: ClusterStatusSchema,
  },
  /**
   * The USB accelerators plugged into this machine (Linux sysfs; elsewhere `note` says why none
   * can be found), with the udev rules that give access. Hot-plug streams as accelerators.changed.
   */
  'accelerators.list': {
    request: z.object({}).strict(),
    response: z.object({ accelerators: z.array(AcceleratorSchema), note: z.string().optional(), udevFile: z.string(), udevRules: z.string(), udevReload: z.string() }),
  },
  /** Validation before a deploy: errors block it, warnings ask "deploy anyway". */
  /**
   * What to do next with the project, from the real state (errors, the cluster, the deployment,
   * the models its functions need, the requests tried): the studio's guide (app/next-steps.ts).
   */
  'project.nextSteps': {
    request: z.object({ project: ProjectRef }).strict(),
    response: z.object({ steps: z.array(NextStepSchema) }),
  },
  'deploy.check': {
    request: z.object({ project: ProjectRef }).strict(),
    response: DeployCheckSchema,
  },
  /**
   * Deploys the project as saved on disk; per-function progress streams as deploy.function
   * events. `expectedRevision` (the workflow's deployed revision the window last saw, 0: not
   * deployed) makes a deploy that someone else overtook fail with `revision-conflict`.
   */
  deploy: {
    request: z
      .object({
        project: ProjectRef,
        acceptWarnings: z.boolean().default(false),
        mode: DeployModeEnum.default('full'),
        expectedRevision: z.number().int().nonnegative().optional(),
        /** replace a deployment of the same workflow name made from another project folder */
        replace: z.boolean().default(false),
      })
      .strict(),
    response: DeployResultSchema,
  },
  invoke: {
    request: z.object({ workflow: WorkflowName, function: FunctionName, input: z.unknown().optional(), params: z.record(z.string(), z.string()).optional() }).strict(),
    response: InvokeAnswerSchema,
  },
  'runs.list': {
    request: z.object({ workflow: z.string().optional(), function: z.string().optional(), limit: z.number().int().positive().max(1000).default(50) }).strict(),
    response: z.array(RunSchema),
  },
  'runs.get': {
    request: z.object({ id: z.string().min(1) }).strict(),
    response: RunSchema,
  },
  'artifacts.list': {
    request: z.object({ kind: z.enum(['data', 'model']).optional() }).strict(),
    response: z.array(ArtifactViewSchema),
  },
  'artifacts.lineage': {
    request: z.object({ urn: z.string().min(1), version: z.number().int().positive().optional() }).strict(),
    response: LineageSchema,
  },
  /** Why a function would run where it runs: per node, the filter that removed it or each plugin's score. */
  'schedule.explain': {
    request: z.object({ project: ProjectRef, function: FunctionName }).strict(),
    response: PlacementExplanationSchema,
  },
  /**
   * Simulates the project as saved on a topology with the real scheduler, once per profile on the
   * same arrivals (cluster/simulator). Runs in slices so the service keeps answering; progress
   * streams as `progress` events with id 'simulate'; simulate.cancel stops it.
   * topology: a scenario (SIM_TOPOLOGIES, optionally `name:key=N`), or 'project' (default): the
   * project's topology.json, else workflow.json target.topology, else local.
   */
  'simulate.run': {
    request: z
      .object({
        project: ProjectRef,
        topology: z.string().min(1).default('project'),
        profiles: z.array(z.string().min(1)).min(1, 'pick at least one scheduler profile').max(4, 'compare at most 4 profiles at once').default(['edge-ai']),
        seed: z.number().int().nonnegative().default(1),
        /** simulated time with arrivals: 600s, 30m, 1h, … */
        duration: z.string().min(1).default('1h'),
        /** requests per second of a function's http trigger (or of a function without one); default 1 */
        rates: z.record(z.string(), z.number().positive().max(10_000)).default({}),
        /** a function's execution-time profile (docs/reference.md §4); default: a small function */
        workloads: z.record(z.string(), z.enum(SIM_WORKLOADS)).default({}),
        /** execution-time distribution: lognormal, lognormal:<σ>, exponential, deterministic (checked by app/simulation.ts) */
        service: z.string().min(1).max(40).optional(),
        /** replicas per function: at least min, at most max (the same for a fixed count); default 0 to 20, scaled by the KPA rule */
        replicas: z.object({ min: z.number().optional(), max: z.number().optional() }).strict().optional(),
        /** false: no cold starts (a replica is ready the moment it is placed) */
        coldStarts: z.boolean().optional(),
        /** function id → when its arrivals begin (a duration: 30s, 5m) */
        starts: z.record(z.string(), z.string().min(1).max(40)).optional(),
      })
      .strict(),
    response: z.object({ topology: z.object({ name: z.string(), nodes: z.number().int(), source: z.string() }), reports: z.array(SimulationReportSchema),
      /** per report, its line of the comparison (as `edgeai simulate` prints it) */
      summaries: z.array(SimulationSummarySchema),
      elapsedMs: z.number(),
      warning: z.string().optional(),
    }),
  },
  /**
   * Sim vs real (issue 15, item 6): the recorded runs of the project's workflow on the open
   * cluster beside a simulation of them — the runs' own arrival times and execution-time
   * profiles on the cluster's topology, the comparison `edgeai simulate --exec-from-runs
   * --compare-runs` prints (app/simulation.ts). Real bytes per link are the cluster's link
   * counters since it started. No cluster up or no runs yet: `empty` says so, rows are [].
   */
  'simulate.compareRuns': {
    request: z.object({ project: ProjectRef, profile: z.string().min(1).default('edge-ai'), seed: z.number().int().nonnegative().default(1) }).strict(),
    response: z.object({
      workflow: z.string(),
      /** why there is nothing to compare (the cluster is not up, no runs yet), and what to do */
      empty: z.object({ message: z.string(), hint: z.string().optional() }).optional(),
      profile: z.string(),
      topology: z.string(),
      /** recorded runs read (all statuses), from `since`, over `durationS` */
      runs: z.number().int().nonnegative(),
      since: z.string().optional(),
      durationS: z.number(),
      /** per function: latency in seconds (null: none completed) */
      rows: z.array(
        z.object({
          function: z.string(),
          real: z.object({ runs: z.number().int(), p50: z.number().nullable(), p95: z.number().nullable(), coldStarts: z.number().int() }),
          sim: z.object({ runs: z.number().int(), p50: z.number().nullable(), p95: z.number().nullable(), coldStarts: z.number().int() }),
        }),
      ),
      /** bytes per link and direction ("a→b"): real (the cluster's counters since it started) and simulated */
      links: z.array(z.object({ link: z.string(), real: z.number(), sim: z.number() })),
      elapsedMs: z.number(),
    }),
  },
  /** Stops the running simulation (it answers with a `cancelled` error); false when none runs. */
  'simulate.cancel': {
    request: z.object({}).strict(),
    response: z.object({ cancelled: z.boolean() }),
  },
  /** A real handwritten digit from the mnist data (one the sample never trains on), for the invoke console. */
  'samples.digit': {
    request: z.object({ digit: z.number().int().min(0).max(9).optional(), index: z.number().int().min(0).max(99).optional() }).strict(),
    response: z.object({ label: z.number().int(), pixels: z.array(z.number()).length(784) }),
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
  /** A step of cluster work (building the agent, starting a node, importing data, …): what it waits for. */
  'cluster.progress': z.object({ step: z.string(), message: z.string() }),
  'cluster.node': z.object({ node: z.string(), status: NodeStatusEnum, reason: z.string().optional() }),
  /** A function's deploy step: scheduled → shipped → started → ready, or failed with the reason; an unchanged function gets one ready event (action 'unchanged'). */
  'deploy.function': z.object({ workflow: z.string(), function: z.string(), status: PlacementStatusEnum, node: z.string().nullable().optional(), reason: z.string().optional(), action: DeployActionEnum.optional() }),
  /** A USB accelerator was plugged in, pulled out, or re-enumerated (firmware loaded: one stick, new ids). */
  'accelerators.changed': z.object({ type: z.enum(['attached', 'detached', 'changed']), accelerator: AcceleratorSchema, previous: AcceleratorSchema.optional() }),
  run: z.object({ run: z.string(), workflow: z.string(), function: z.string(), status: RunStatusEnum }),
  log: z.object({ run: z.string(), line: z.string() }),
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

/** Browser mode's GET /api/boot: studio.info and project.open of the initial project, asked for before the page's script has finished loading. */
export interface BootResponse {
  info: ApiResult<MethodResponse<'studio.info'>>;
  project?: ApiResult<MethodResponse<'project.open'>>;
}

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
