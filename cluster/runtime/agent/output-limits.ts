/**
 * The caps on what one invocation sends back (docs/reference.md §10): its return value and its
 * log. The worker applies them before anything leaves it (so a 200 MiB return value is refused
 * where it is made, not parsed three times on the way), and the agent applies them again to what
 * the worker sends (worker code runs beside user code: the agent does not take its word).
 */
import { MAX_LOG_BYTES, MAX_LOG_LINE_BYTES, MAX_OUTPUT_BYTES, mib } from '../../common/limits';

export { MAX_LOG_BYTES, MAX_LOG_LINE_BYTES, MAX_OUTPUT_BYTES };

/** Why a return value of `bytes` is refused, or undefined when it is within the cap. */
export function outputRefusal(fnId: string, bytes: number): { code: string; message: string; hint: string } | undefined {
  if (bytes <= MAX_OUTPUT_BYTES) return undefined;
  return {
    code: 'output-too-large',
    message: `${fnId} returned ${mib(bytes)} of JSON; an answer may be at most ${mib(MAX_OUTPUT_BYTES)}`,
    hint: 'return a summary, and put the bulk in an artifact: @produces.data stores what the function returns as a blob',
  };
}

/** One invocation's log: lines are taken until MAX_LOG_BYTES, cut at MAX_LOG_LINE_BYTES each. */
export class LogBudget {
  private bytes = 0;
  private dropped = 0;

  /** `limit`: MAX_LOG_BYTES; the agent allows a worker's own closing line on top */
  constructor(private readonly limit = MAX_LOG_BYTES) {}

  /** The line to keep (cut when too long), or undefined when the log is full. */
  take(line: string): string | undefined {
    const kept = Buffer.byteLength(line) > MAX_LOG_LINE_BYTES ? `${Buffer.from(line).subarray(0, MAX_LOG_LINE_BYTES).toString('utf8')}… (line cut at ${MAX_LOG_LINE_BYTES / 1024} KiB)` : line;
    const n = Buffer.byteLength(kept);
    if (this.dropped || this.bytes + n > this.limit) {
      this.dropped++;
      return undefined;
    }
    this.bytes += n;
    return kept;
  }

  /** The closing line when lines were dropped. */
  summary(): string | undefined {
    return this.dropped ? `… ${this.dropped} more log line${this.dropped === 1 ? '' : 's'} dropped: an invocation logs at most ${mib(MAX_LOG_BYTES)}` : undefined;
  }
}
