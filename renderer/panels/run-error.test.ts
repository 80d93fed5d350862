import { describe, expect, it } from 'vitest';
import { runErrorOf } from './run-error';

describe('a run\'s error in the Runs panel (issue 13, item 10)', () => {
  it('reads the stored JSON into code, message and hint: no escaped quotes or \\n', () => {
    const stored = JSON.stringify({ code: 'function-threw', message: 'inference failed on edge-1: input must be { "pixels": [784 numbers] }\nat line 12', hint: 'look at the logs' });
    expect(runErrorOf(stored)).toEqual({ code: 'function-threw', message: 'inference failed on edge-1: input must be { "pixels": [784 numbers] }\nat line 12', hint: 'look at the logs' });
  });
  it('shows anything else as it is', () => {
    expect(runErrorOf('boom')).toEqual({ code: 'run-failed', message: 'boom' });
    expect(runErrorOf('{"no":"message"}')).toEqual({ code: 'run-failed', message: '{"no":"message"}' });
    expect(runErrorOf('null')).toEqual({ code: 'run-failed', message: 'null' });
  });
});
