/**
 * The decorators function code is written with: TC39 standard decorators on class methods.
 * At run time they record their literal arguments; `contractOf` turns those into the same
 * FunctionContract the preprocessor reads statically (both go through contractFromDecorators).
 */
import {
  contractFromDecorators,
  type ContractIssue,
  type DecoratorUse,
  type FunctionContract,
  type NodeType,
  type Capability,
  type Selector,
} from '../spec/index';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type AnyMethod = (this: any, ...args: any[]) => any;
type MethodDecorator = <T extends AnyMethod>(value: T, context: ClassMethodDecoratorContext) => void;

/**
 * The uses are stored on the method itself under a registered symbol, so any copy of the SDK
 * (a function bundle inlines its own) can read what another copy recorded.
 */
const USES = Symbol.for('edge-ai-studio.sdk.decorators');
type Recorded = AnyMethod & { [USES]?: DecoratorUse[] };

function record(name: string, args: unknown[]): MethodDecorator {
  return (value, context) => {
    if (context.kind !== 'method') throw new TypeError(`@${name} decorates class methods only`);
    const fn = value as Recorded;
    if (!Object.prototype.hasOwnProperty.call(fn, USES)) Object.defineProperty(fn, USES, { value: [], enumerable: false });
    // decorators apply bottom-up; unshift keeps the order they are written in
    fn[USES]!.unshift({ name, args });
  };
}

export interface DataSelectorOptions {
  selector: Selector;
  holdout?: number;
  batch?: number;
}
export interface ModelSelectorOptions {
  selector: Selector;
  best?: string;
}
export interface ProducesDataOptions {
  urn: string;
  type?: string;
  tags?: string[];
  format?: string;
}
export interface ProducesModelOptions {
  type: string;
  urn: string;
  tags?: string[];
}
export interface FnPolicyOptions {
  node?: NodeType | NodeType[];
  capability?: Capability | Capability[];
}
export interface DataPolicyOptions {
  network: string | string[];
  strict?: boolean;
}
export interface BiasGateOptions {
  attribute: string;
  predicate: string;
  metric?: 'disparate_impact' | 'statistical_parity_difference' | 'equal_opportunity_difference';
}
export interface DriftGateOptions {
  metric: string;
  predicate: string;
  window?: number;
}
/** e.g. '150ms', '2s', '1m' */
export type Duration = `${number}${'ms' | 's' | 'm' | 'h'}`;

export const consumes = {
  /** The function consumes a data artifact chosen by selector. */
  data: (options: DataSelectorOptions): MethodDecorator => record('consumes.data', [options]),
  /** The function consumes a model chosen by selector. */
  model: (options: ModelSelectorOptions): MethodDecorator => record('consumes.model', [options]),
};

export const produces = {
  /** The function publishes a data artifact under this URN (templates such as `data:{usr}` allowed). */
  data: (options: ProducesDataOptions): MethodDecorator => record('produces.data', [options]),
  /** The function publishes a model under this URN (templates such as `model:user:{usr}` allowed). */
  model: (options: ProducesModelOptions): MethodDecorator => record('produces.model', [options]),
};

export const policy = {
  /** Abort and record a miss when an invocation takes longer than this. */
  deadline: (duration: Duration): MethodDecorator => record('policy.deadline', [duration]),
  /** Where the function may run: node type and required capabilities. */
  fn: (options: FnPolicyOptions): MethodDecorator => record('policy.fn', [options]),
  /** Which networks the function's data may cross. */
  data: (options: DataPolicyOptions): MethodDecorator => record('policy.data', [options]),
};

export const gate = {
  /** Block the output when a bias metric over an attribute fails its predicate. */
  bias: (options: BiasGateOptions): MethodDecorator => record('gate.bias', [options]),
  /** Flag the output when a drift metric fails its predicate. */
  drift: (options: DriftGateOptions): MethodDecorator => record('gate.drift', [options]),
};

/** The decorator uses recorded on a method, in source order. */
export function decoratorsOf(method: unknown): DecoratorUse[] {
  return typeof method === 'function' ? ((method as Recorded)[USES] ?? []) : [];
}

export interface RuntimeFunction {
  id: string;
  className: string;
  method: string;
  contract: FunctionContract;
  issues: ContractIssue[];
}

/** Every decorated method of the classes a module exports, with its contract. */
export function functionsOfModule(mod: Record<string, unknown>): RuntimeFunction[] {
  const out: RuntimeFunction[] = [];
  for (const [exportName, value] of Object.entries(mod)) {
    if (typeof value !== 'function' || !value.prototype) continue;
    const proto = value.prototype as Record<string, unknown>;
    for (const key of Object.getOwnPropertyNames(proto)) {
      if (key === 'constructor') continue;
      const desc = Object.getOwnPropertyDescriptor(proto, key);
      if (!desc || typeof desc.value !== 'function') continue;
      const uses = decoratorsOf(desc.value);
      if (!uses.length) continue;
      const { contract, issues } = contractFromDecorators(uses);
      out.push({ id: key, className: (value as { name?: string }).name || exportName, method: key, contract, issues });
    }
  }
  return out;
}
