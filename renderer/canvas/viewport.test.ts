import { describe, expect, it } from 'vitest';
import { boundsOf, READABLE_ZOOM, readableViewport, sameViewport } from './viewport';

describe('readableViewport: the view a project opens at', () => {
  const canvas = { width: 874, height: 470 };

  it('fits a small graph whole, centred, never zoomed in past 1', () => {
    const v = readableViewport({ x: 0, y: 0, width: 300, height: 100 }, canvas);
    expect(v.zoom).toBe(1);
    expect(v.x).toBe(Math.round((874 - 300) / 2));
    expect(v.y).toBe(Math.round((470 - 100) / 2));
  });

  it('fits a graph that is readable at its fit zoom, whole', () => {
    const v = readableViewport({ x: 100, y: 50, width: 900, height: 300 }, canvas, { padding: 0 });
    expect(v.zoom).toBeCloseTo(874 / 900, 5);
    // its left edge on the canvas' left edge
    expect(v.x + 100 * v.zoom).toBeCloseTo(0, 0);
  });

  it('never fits below the readable zoom: a wide graph is shown from its left edge, centred vertically', () => {
    // samples/mnist: about 1470 × 500, which fits a 874 × 470 canvas at 0.44
    const b = { x: 0, y: 36, width: 1472, height: 500 };
    const v = readableViewport(b, canvas);
    expect(v.zoom).toBe(READABLE_ZOOM);
    expect(v.x).toBe(Math.round(874 * 0.08));
    // 500 × 0.75 = 375 fits in 470 × 0.84: centred
    expect(Math.abs(v.y + (36 + 250) * v.zoom - 235)).toBeLessThanOrEqual(1);
  });

  it('a tall graph is shown from its top', () => {
    const v = readableViewport({ x: 0, y: -200, width: 400, height: 3000 }, canvas);
    expect(v.zoom).toBe(READABLE_ZOOM);
    expect(v.y).toBe(Math.round(470 * 0.08 + 200 * READABLE_ZOOM));
  });

  it('nothing to show, or no canvas yet: the identity viewport', () => {
    expect(readableViewport(undefined, canvas)).toEqual({ x: 0, y: 0, zoom: 1 });
    expect(readableViewport({ x: 0, y: 0, width: 10, height: 10 }, { width: 0, height: 0 })).toEqual({ x: 0, y: 0, zoom: 1 });
  });

  it('boundsOf: the box around boxes', () => {
    expect(boundsOf([{ x: 0, y: 10, width: 100, height: 20 }, { x: 50, y: -5, width: 100, height: 10 }])).toEqual({ x: 0, y: -5, width: 150, height: 35 });
    expect(boundsOf([])).toBeUndefined();
  });
});

describe('sameViewport: the view the studio set, as the canvas reports it back', () => {
  it('is the same up to sub-pixel rounding, and a pan or zoom by hand is not', () => {
    const v = { x: 61, y: 53, zoom: 0.75 };
    expect(sameViewport(v, { x: 61.2, y: 52.7, zoom: 0.75 })).toBe(true);
    expect(sameViewport(v, { x: 1, y: 53, zoom: 0.75 })).toBe(false);
    expect(sameViewport(v, { x: 61, y: 53, zoom: 0.8 })).toBe(false);
  });
});
