/**
 * The contract of one function, as declared by its decorators. The table `DECORATORS` is the
 * single definition of what each decorator accepts; `specFromDecorators` turns decorator
 * arguments (read statically by the preprocessor, or recorded at run time by the SDK) into a
 * FunctionSpec, so both paths share one validator and cannot disagree.
 *
 * Why one file of ~400 lines: the decorator table, its schemas and the reader of decorator arguments are one definition; splitting it would let them drift apart.
 */
import { z } from 'zod';
import { checkSelector, SelectorSchema, type Selector } from './selector';
import { isPredicateError, parseDuration, parsePredicate } from './predicate';
import { didYouMeanSuffix } from './names';

export const NODE_TYPES = ['cloud', 'edge', 'user_device', 'local'] as const;
export type NodeType = (typeof NODE_TYPES)[number];

/** Capabilities a node can offer and a function can require (docs/reference.md §4, §6). */
export const CAPABILITIES = ['gpu', 'tpu', 'vpu', 'cuda', 'npu', 'fpga', 'camera'] as const;
export type Capability = (typeof CAPABILITIES)[number];

export const BIAS_METRICS = ['disparate_impact', 'statistical_parity_difference', 'equal_opportunity_difference'] as const;

// ---------------------------------------------------------------------------------------------
// Spec types and schemas

export const ConsumesSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('data'),
    selector: SelectorSchema,
    holdout: z.number().gt(0).lt(1).optional(),
    batch: z.number().int().positive().optional(),
  }),
  z.object({
    kind: z.literal('model'),
    selector: SelectorSchema,
    /** rank candidates by this metric (highest first) instead of newest version first */
    best: z.string().optional(),
  }),
]);
export type Consumes = z.infer<typeof ConsumesSchema>;

export const ProducesSchema = z.object({
  kind: z.enum(['data', 'model']),
  urn: z.string().min(1),
  type: z.string().optional(),
  tags: z.array(z.string()).optional(),
  format: z.string().optional(),
});
export type Produces = z.infer<typeof ProducesSchema>;

export const DeadlineSchema = z.object({ text: z.string(), ms: z.number().positive() });
export const FnPolicySchema = z.object({
  node: z.array(z.enum(NODE_TYPES)).optional(),
  capability: z.array(z.string()).optional(),
});
export const DataPolicySchema = z.object({ network: z.array(z.string()).min(1), strict: z.boolean() });
export const PoliciesSchema = z.object({
  deadline: DeadlineSchema.optional(),
  fn: FnPolicySchema.optional(),
  data: DataPolicySchema.optional(),
});
export type Policies = z.infer<typeof PoliciesSchema>;

export const GateSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('bias'), attribute: z.string(), predicate: z.string(), metric: z.string() }),
  z.object({ kind: z.literal('drift'), metric: z.string(), predicate: z.string(), window: z.number().int().positive().optional() }),
]);
export type Gate = z.infer<typeof GateSchema>;

export const FunctionParamSchema = z.object({ name: z.string(), type: z.string().optional() });

export const FunctionSpecSchema = z.object({
  /** the function's id within its workflow: the method name */
  id: z.string(),
  className: z.string(),
  method: z.string(),
  /** path of the source file, relative to the project */
  file: z.string(),
  line: z.number().int(),
  column: z.number().int(),
  consumes: z.array(ConsumesSchema),
  produces: z.array(ProducesSchema),
  policies: PoliciesSchema,
  gates: z.array(GateSchema),
  params: z.array(FunctionParamSchema),
});
export type FunctionSpec = z.infer<typeof FunctionSpecSchema>;

/** The part of a FunctionSpec that the decorators alone determine. */
export type FunctionContract = Pick<FunctionSpec, 'consumes' | 'produces' | 'policies' | 'gates'>;

// ---------------------------------------------------------------------------------------------
// Decorator table

type ValueKind = 'selector' | 'string' | 'string[]' | 'number' | 'integer' | 'boolean' | 'predicate' | 'urn' | 'node' | 'capability' | 'network';

export interface OptionDef {
  kind: ValueKind;
  required?: boolean;
  doc: string;
}

export interface DecoratorDef {
  /** 'options': one object literal argument; 'duration': one string argument */
  arg: 'options' | 'duration';
  options: Record<string, OptionDef>;
  doc: string;
  /** may appear more than once on one method */
  repeatable: boolean;
}

export const DECORATORS: Record<string, DecoratorDef> = {
  'consumes.data': {
    arg: 'options',
    repeatable: true,
    doc: 'The function consumes a data artifact chosen by selector.',
    options: {
      selector: { kind: 'selector', required: true, doc: "which data, e.g. { urn: 'mnist:data' }" },
      holdout: { kind: 'number', doc: 'fraction kept back for evaluation, between 0 and 1 (exclusive)' },
      batch: { kind: 'integer', doc: 'hand the data over in batches of this many rows' },
    },
  },
  'consumes.model': {
    arg: 'options',
    repeatable: true,
    doc: 'The function consumes a model chosen by selector.',
    options: {
      selector: { kind: 'selector', required: true, doc: "which model, e.g. { type: 'classifier', accuracy: '>=0.88' }" },
      best: { kind: 'string', doc: 'pick the candidate with the highest value of this metric instead of the newest' },
    },
  },
  'produces.data': {
    arg: 'options',
    repeatable: true,
    doc: 'The function publishes a data artifact.',
    options: {
      urn: { kind: 'urn', required: true, doc: "the URN it is published under; may be a template such as 'data:user:{usr}'" },
      type: { kind: 'string', doc: 'the data type' },
      tags: { kind: 'string[]', doc: 'tags recorded with the artifact' },
      format: { kind: 'string', doc: 'csv, jsonl, npy or json' },
    },
  },
  'produces.model': {
    arg: 'options',
    repeatable: true,
    doc: 'The function publishes a model.',
    options: {
      type: { kind: 'string', required: true, doc: 'the model type, e.g. classifier or regressor' },
      urn: { kind: 'urn', required: true, doc: "the URN it is published under; may be a template such as 'model:user:{usr}'" },
      tags: { kind: 'string[]', doc: 'tags recorded with the model' },
    },
  },
  'policy.deadline': {
    arg: 'duration',
    repeatable: false,
    doc: "Abort and record a miss when an invocation takes longer than this, e.g. '2s'.",
    options: {},
  },
  'policy.fn': {
    arg: 'options',
    repeatable: false,
    doc: 'Where the function may run: node type and required capabilities.',
    options: {
      node: { kind: 'node', doc: `node type, one or a list of ${NODE_TYPES.join(', ')}` },
      capability: { kind: 'capability', doc: `required capability, one or a list of ${CAPABILITIES.join(', ')}` },
    },
  },
  'policy.data': {
    arg: 'options',
    repeatable: false,
    doc: 'Which networks the function\'s data may cross.',
    options: {
      network: { kind: 'network', required: true, doc: 'a network name or a list of them' },
      strict: { kind: 'boolean', doc: 'refuse (instead of penalise) placements and transfers outside these networks' },
    },
  },
  'gate.bias': {
    arg: 'options',
    repeatable: true,
    doc: 'Block the output when a bias metric over an attribute fails its predicate.',
    options: {
      attribute: { kind: 'string', required: true, doc: 'the protected attribute, e.g. gender' },
      predicate: { kind: 'predicate', required: true, doc: "e.g. '>=0.8'" },
      metric: { kind: 'string', doc: `bias metric, one of ${BIAS_METRICS.join(', ')} (default disparate_impact)` },
    },
  },
  'gate.drift': {
    arg: 'options',
    repeatable: true,
    doc: 'Flag the output when a drift metric fails its predicate.',
    options: {
      metric: { kind: 'string', required: true, doc: 'what is watched, e.g. confidence' },
      predicate: { kind: 'predicate', required: true, doc: "e.g. '<0.2'" },
      window: { kind: 'integer', doc: 'how many recent invocations the metric is computed over' },
    },
  },
};

export const DECORATOR_NAMES = Object.keys(DECORATORS);

// ---------------------------------------------------------------------------------------------
// Building a contract from decorator arguments

/** One decorator application, with literal argument values. */
export interface DecoratorUse {
  name: string;
  args: unknown[];
  /** where it stands; the preprocessor fills it, the SDK leaves it undefined */
  loc?: { line: number; column: number };
  /** per option, where its value stands (preprocessor only) */
  optionLocs?: Record<string, { line: number; column: number }>;
}

export interface ContractIssue {
  code: string;
  message: string;
  hint?: string;
  /** the decorator index in the list given */
  decorator: number;
  option?: string;
}

function asList(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [v];
}

/**
 * Validates decorator uses (in source order) and builds the contract. Never throws; every
 * problem is an issue with a code, a message naming the decorator and option, and a hint.
 */
export function contractFromDecorators(uses: DecoratorUse[]): { contract: FunctionContract; issues: ContractIssue[] } {
  const contract: FunctionContract = { consumes: [], produces: [], policies: {}, gates: [] };
  const issues: ContractIssue[] = [];
  const seen = new Set<string>();

  uses.forEach((use, i) => {
    const def = DECORATORS[use.name];
    const issue = (code: string, message: string, hint?: string, option?: string) => issues.push({ code, message, hint, decorator: i, option });
    if (!def) {
      issue('unknown-decorator', `unknown decorator @${use.name}${didYouMeanSuffix(use.name, DECORATOR_NAMES)}`, `known decorators: ${DECORATOR_NAMES.map((n) => '@' + n).join(', ')}`);
      return;
    }
    if (!def.repeatable && seen.has(use.name)) {
      issue('duplicate-decorator', `@${use.name} appears more than once on this function`, 'keep one; a function has one deadline, one placement policy and one data policy');
      return;
    }
    seen.add(use.name);

    if (def.arg === 'duration') {
      if (use.args.length !== 1 || typeof use.args[0] !== 'string') {
        issue('bad-argument', `@${use.name} takes one duration string, e.g. @${use.name}('2s')`);
        return;
      }
      const ms = parseDuration(use.args[0]);
      if (typeof ms !== 'number') {
        issue('malformed-duration', `@${use.name}: ${ms.error}`, "units: ms, s, m, h — e.g. '150ms', '2s', '1m'");
        return;
      }
      contract.policies.deadline = { text: use.args[0].trim(), ms };
      return;
    }

    if (use.args.length !== 1 || use.args[0] === null || typeof use.args[0] !== 'object' || Array.isArray(use.args[0])) {
      const req = Object.entries(def.options).filter(([, o]) => o.required).map(([k]) => k);
      issue('bad-argument', `@${use.name} takes one options object${req.length ? ` with ${req.join(' and ')}` : ''}`, `e.g. @${use.name}({ ${req.map((k) => `${k}: …`).join(', ')} })`);
      return;
    }
    const opts = use.args[0] as Record<string, unknown>;
    let ok = true;
    for (const key of Object.keys(opts)) {
      if (!def.options[key]) {
        ok = false;
        issue('unknown-option', `@${use.name} has no option '${key}'${didYouMeanSuffix(key, Object.keys(def.options))}`, `options of @${use.name}: ${Object.keys(def.options).join(', ')}`, key);
      }
    }
    for (const [key, od] of Object.entries(def.options)) {
      const v = opts[key];
      if (v === undefined) {
        if (od.required) {
          ok = false;
          const code = use.name.startsWith('gate.') && key === 'predicate' ? 'gate-without-predicate' : use.name === 'produces.model' && key === 'urn' ? 'produces-without-urn' : 'missing-option';
          issue(code, `@${use.name} needs '${key}': ${od.doc}`, undefined, key);
        }
        continue;
      }
      const err = checkValue(od.kind, v);
      if (err) {
        ok = false;
        issue(err.code, `@${use.name} option '${key}': ${err.message}`, err.hint, key);
      }
    }
    if (use.name === 'consumes.data' && typeof opts.holdout === 'number' && !(opts.holdout > 0 && opts.holdout < 1)) {
      ok = false;
      issue('holdout-range', `@consumes.data option 'holdout' is ${opts.holdout}; it must lie strictly between 0 and 1`, 'e.g. holdout: 0.2 keeps 20% back for evaluation', 'holdout');
    }
    if (use.name === 'policy.fn' && opts.node === undefined && opts.capability === undefined) {
      ok = false;
      issue('missing-option', '@policy.fn needs node, capability or both', "e.g. @policy.fn({ node: 'edge', capability: 'tpu' })");
    }
    if (use.name === 'gate.bias' && typeof opts.metric === 'string' && !(BIAS_METRICS as readonly string[]).includes(opts.metric)) {
      ok = false;
      issue('unknown-metric', `@gate.bias metric '${opts.metric}' is not a bias metric${didYouMeanSuffix(opts.metric, BIAS_METRICS)}`, `bias metrics: ${BIAS_METRICS.join(', ')}`, 'metric');
    }
    if (!ok) return;

    switch (use.name) {
      case 'consumes.data':
        contract.consumes.push({
          kind: 'data',
          selector: opts.selector as Selector,
          ...(opts.holdout !== undefined ? { holdout: opts.holdout as number } : {}),
          ...(opts.batch !== undefined ? { batch: opts.batch as number } : {}),
        });
        break;
      case 'consumes.model':
        contract.consumes.push({ kind: 'model', selector: opts.selector as Selector, ...(opts.best !== undefined ? { best: opts.best as string } : {}) });
        break;
      case 'produces.data':
      case 'produces.model':
        contract.produces.push({
          kind: use.name === 'produces.data' ? 'data' : 'model',
          urn: opts.urn as string,
          ...(opts.type !== undefined ? { type: opts.type as string } : {}),
          ...(opts.tags !== undefined ? { tags: opts.tags as string[] } : {}),
          ...(opts.format !== undefined ? { format: opts.format as string } : {}),
        });
        break;
      case 'policy.fn':
        contract.policies.fn = {
          ...(opts.node !== undefined ? { node: asList(opts.node) as NodeType[] } : {}),
          ...(opts.capability !== undefined ? { capability: asList(opts.capability) as string[] } : {}),
        };
        break;
      case 'policy.data':
        contract.policies.data = { network: asList(opts.network) as string[], strict: opts.strict === true };
        break;
      case 'gate.bias':
        contract.gates.push({ kind: 'bias', attribute: opts.attribute as string, predicate: (opts.predicate as string).trim(), metric: (opts.metric as string | undefined) ?? 'disparate_impact' });
        break;
      case 'gate.drift':
        contract.gates.push({ kind: 'drift', metric: opts.metric as string, predicate: (opts.predicate as string).trim(), ...(opts.window !== undefined ? { window: opts.window as number } : {}) });
        break;
    }
  });
  return { contract, issues };
}

function checkValue(kind: ValueKind, v: unknown): { code: string; message: string; hint?: string } | undefined {
  switch (kind) {
    case 'selector': {
      const problems = checkSelector(v);
      if (!problems.length) return undefined;
      const p = problems[0];
      const code = /predicate/.test(p.message) ? 'malformed-predicate' : /unknown selector clause/.test(p.message) ? 'unknown-option' : 'bad-selector';
      return { code, message: `selector clause '${p.clause}': ${p.message}` };
    }
    case 'string':
      return typeof v === 'string' && v.length > 0 ? undefined : { code: 'bad-argument', message: `must be a non-empty string, got ${describe(v)}` };
    case 'urn':
      if (typeof v !== 'string' || !v) return { code: 'bad-argument', message: `must be a non-empty URN string, got ${describe(v)}` };
      return checkSelector({ urn: v }).length ? { code: 'bad-argument', message: checkSelector({ urn: v })[0].message } : undefined;
    case 'string[]':
      return Array.isArray(v) && v.every((x) => typeof x === 'string' && x) ? undefined : { code: 'bad-argument', message: `must be a list of strings, got ${describe(v)}` };
    case 'number':
      return typeof v === 'number' && Number.isFinite(v) ? undefined : { code: 'bad-argument', message: `must be a number, got ${describe(v)}` };
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v) && v > 0 ? undefined : { code: 'bad-argument', message: `must be a whole number greater than 0, got ${describe(v)}` };
    case 'boolean':
      return typeof v === 'boolean' ? undefined : { code: 'bad-argument', message: `must be true or false, got ${describe(v)}` };
    case 'predicate': {
      if (typeof v !== 'string') return { code: 'malformed-predicate', message: `must be a predicate string such as '>=0.8', got ${describe(v)}` };
      const p = parsePredicate(v);
      return isPredicateError(p) ? { code: 'malformed-predicate', message: p.error } : undefined;
    }
    case 'node': {
      const list = asList(v);
      if (!list.length) return { code: 'bad-argument', message: 'must name at least one node type' };
      for (const x of list) {
        if (typeof x !== 'string' || !(NODE_TYPES as readonly string[]).includes(x)) {
          return { code: 'unknown-node-type', message: `unknown node type ${describe(x)}${typeof x === 'string' ? didYouMeanSuffix(x, NODE_TYPES) : ''}`, hint: `node types: ${NODE_TYPES.join(', ')}` };
        }
      }
      return undefined;
    }
    case 'capability': {
      const list = asList(v);
      if (!list.length) return { code: 'bad-argument', message: 'must name at least one capability' };
      for (const x of list) {
        if (typeof x !== 'string' || !(CAPABILITIES as readonly string[]).includes(x)) {
          return { code: 'unknown-capability', message: `unknown capability ${describe(x)}${typeof x === 'string' ? didYouMeanSuffix(x, CAPABILITIES) : ''}`, hint: `capabilities: ${CAPABILITIES.join(', ')}` };
        }
      }
      return undefined;
    }
    case 'network': {
      const list = asList(v);
      if (!list.length || list.some((x) => typeof x !== 'string' || !x)) return { code: 'bad-argument', message: `must be a network name or a list of them, got ${describe(v)}` };
      return undefined;
    }
  }
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return `'${v}'`;
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}
