import { describe, expect, it } from 'vitest';
import { backEdgePath } from './edges';

describe('a right-to-left edge goes around its nodes (issue 13, item 11)', () => {
  it('leaves the source to the right, runs below both nodes, and enters the target from the left', () => {
    const source = { x: 600, y: 100, width: 250, height: 80 };
    const target = { x: 100, y: 40, width: 250, height: 120 };
    const path = backEdgePath(850, 140, 100, 100, source, target);
    expect(path).toBe('M 850,140 H 874 V 204 H 76 V 100 H 100');
    // every segment is outside both boxes except where it enters and leaves them at their handles
    const ys = [...path.matchAll(/V (\d+)/g)].map((m) => Number(m[1]));
    expect(ys[0]).toBeGreaterThan(Math.max(source.y + source.height, target.y + target.height));
  });
});
