import { describe, expect, it } from 'vitest';
import type { Node } from '@xyflow/react';
import { keepMeasured } from './rebuild';

const n = (id: string, type = 'function', extra: Partial<Node> = {}): Node => ({ id, type, position: { x: 0, y: 0 }, data: {}, ...extra });

describe('keepMeasured', () => {
  it('carries the measured size of a node over to its rebuilt object', () => {
    const prev = [n('a', 'function', { measured: { width: 200, height: 90 } }), n('b', 'trigger', { measured: { width: 120, height: 40 } })];
    const built = [n('a', 'function', { selected: true }), n('b', 'trigger')];
    const out = keepMeasured(prev, built);
    expect(out.map((x) => x.measured)).toEqual([
      { width: 200, height: 90 },
      { width: 120, height: 40 },
    ]);
    // the rebuilt fields win
    expect(out[0].selected).toBe(true);
  });

  it('leaves new nodes, nodes whose type changed and nodes never measured to React Flow', () => {
    const prev = [n('a', 'function', { measured: { width: 200, height: 90 } }), n('b'), n('c', 'function', { measured: { width: 0, height: 0 } })];
    const out = keepMeasured(prev, [n('a', 'model'), n('b'), n('c'), n('d')]);
    expect(out.map((x) => x.measured)).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('keeps the order and the set of the rebuilt nodes (removed nodes are gone)', () => {
    const prev = [n('a', 'function', { measured: { width: 1, height: 1 } }), n('gone', 'function', { measured: { width: 1, height: 1 } })];
    expect(keepMeasured(prev, [n('z'), n('a')]).map((x) => x.id)).toEqual(['z', 'a']);
  });
});
