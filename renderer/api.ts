/** The renderer's one way to the platform: window.studio (the StudioApi contract). */
import type { ApiError, MethodName, MethodRequest, MethodResponse, StudioClient } from '../cluster/api/contract';

export class ApiFailure extends Error {
  constructor(readonly error: ApiError) {
    super(error.message);
  }
}

let client: StudioClient | undefined;

export function setClient(c: StudioClient): void {
  client = c;
}

export function studio(): StudioClient {
  if (!client) throw new Error('the studio service is not connected yet');
  return client;
}

/** Calls a StudioApi method; a user error becomes an ApiFailure with message and hint. */
export async function call<M extends MethodName>(method: M, params: MethodRequest<M>): Promise<MethodResponse<M>> {
  const r = await studio().call(method, params);
  if (!r.ok) throw new ApiFailure(r.error);
  return r.value;
}

export function errorOf(e: unknown): ApiError {
  if (e instanceof ApiFailure) return e.error;
  return { code: 'ui-error', message: (e as Error)?.message ?? String(e), hint: 'reload the window; if it happens again, please report it' };
}
