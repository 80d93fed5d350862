/**
 * Which input the invoke console offers first for a function: the digit pad for one that serves
 * a model to requests (it consumes a model and no data: inference), JSON for the rest (a trainer
 * reads its data from the registry and takes no image). The user can switch either way.
 */
import type { FunctionSpecDto } from '../../cluster/api/contract';

export function inputModeFor(f: Pick<FunctionSpecDto, 'consumes'> | undefined): 'json' | 'digit' {
  if (!f) return 'json';
  const models = f.consumes.filter((c) => c.kind === 'model').length;
  const data = f.consumes.filter((c) => c.kind === 'data').length;
  return models > 0 && data === 0 ? 'digit' : 'json';
}
