import { parseArgs, type ParseArgsConfig } from 'node:util';
import { StudioError } from '../common/errors';

export interface CliIO {
  out: (s: string) => void;
  err: (s: string) => void;
}

export interface Command {
  /** e.g. `inspect <project> [--json]` */
  usage: string;
  summary: string;
  help?: string;
  run(argv: string[], io: CliIO): Promise<number>;
}

/** A command line the user got wrong (an unknown option, a missing argument): printed without a stack trace, exit 2. */
export class UserError extends StudioError {
  constructor(message: string, hint?: string) {
    super('usage', message, hint);
    this.name = 'UserError';
  }
}

/** node:util parseArgs with errors turned into UserErrors that name the bad option. */
export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T, usage: string) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UserError(`${(e as Error).message}\nusage: edgeai ${usage}`);
  }
}
