import { describe, expect, it } from 'vitest';
import { detailAt, LOD_NAME_PX, LOW_DETAIL_ZOOM, NAME_MIN_ZOOM } from './detail';

describe('detailAt: the canvas level of detail from the zoom', () => {
  it('is full at working zoom and down to LOW_DETAIL_ZOOM', () => {
    expect(detailAt(1)).toBe('full');
    expect(detailAt(0.75)).toBe('full');
    expect(detailAt(LOW_DETAIL_ZOOM)).toBe('full');
    expect(detailAt(2.5)).toBe('full');
  });

  it('zoomed out, the box and its name while the name is readable, then the box alone', () => {
    expect(detailAt(0.49)).toBe('name');
    expect(detailAt(0.25)).toBe('name');
    expect(detailAt(NAME_MIN_ZOOM)).toBe('name');
    expect(detailAt(0.19)).toBe('box');
    expect(detailAt(0.05)).toBe('box');
  });

  it('the name is at least 8 px on screen wherever it is shown, and 13 px text below the level would be under 6.5 px', () => {
    expect(LOD_NAME_PX * NAME_MIN_ZOOM).toBeGreaterThanOrEqual(8);
    expect(13 * LOW_DETAIL_ZOOM).toBeLessThanOrEqual(6.5);
  });
});
