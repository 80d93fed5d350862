/**
 * A recorded run's error as the person reading the Runs panel should see it. The run record
 * keeps the error as the JSON the controller stored ({code, message, hint}); shown raw it read as
 * escaped JSON (`{\"code\":…,\"message\":\"…\\n…\"}`). Anything that is not that JSON is shown as it is.
 */
import type { ApiError } from '../../cluster/api/contract';

export function runErrorOf(text: string): ApiError {
  try {
    const e = JSON.parse(text) as { code?: unknown; message?: unknown; hint?: unknown };
    if (e && typeof e === 'object' && typeof e.message === 'string') {
      return { code: typeof e.code === 'string' ? e.code : 'run-failed', message: e.message, ...(typeof e.hint === 'string' && e.hint ? { hint: e.hint } : {}) };
    }
  } catch {
    /* not the stored JSON: the text itself */
  }
  return { code: 'run-failed', message: text };
}
