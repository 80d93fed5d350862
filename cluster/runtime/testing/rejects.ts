/** The StudioError a promise rejects with; the test fails when it resolves or rejects with anything else. */
import { expect } from 'vitest';
import { StudioError } from '../../common/errors';

export async function rejects(p: Promise<unknown>): Promise<StudioError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(StudioError);
    return e as StudioError;
  }
  throw new Error('expected a rejection');
}
