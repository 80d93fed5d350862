/**
 * The view a project opens at: readable first. The whole graph when it fits at a readable zoom
 * (≥ READABLE_ZOOM, ≈ 10 px text); otherwise the readable zoom, panned to where the workflow
 * starts (its left edge: data sources and the first functions), centred vertically when the
 * graph is lower than the canvas — the rest is a pan away (the minimap shows where).
 * Computed from positions and estimated node sizes, so it needs no measured DOM.
 */
export const READABLE_ZOOM = 0.75;
/** never zoom in beyond this to fit a small graph */
export const FIT_MAX_ZOOM = 1;

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export function boundsOf(boxes: Box[]): Box | undefined {
  if (!boxes.length) return undefined;
  const x0 = Math.min(...boxes.map((b) => b.x));
  const y0 = Math.min(...boxes.map((b) => b.y));
  const x1 = Math.max(...boxes.map((b) => b.x + b.width));
  const y1 = Math.max(...boxes.map((b) => b.y + b.height));
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

/**
 * The viewport (React Flow's x, y, zoom) showing `bounds` in a canvas of `size` pixels with
 * `padding` (a fraction of the canvas, each side): the fit zoom clamped to [minZoom, maxZoom];
 * below minZoom the graph is shown from its left edge instead.
 */
export function readableViewport(bounds: Box | undefined, size: { width: number; height: number }, opts: { minZoom?: number; maxZoom?: number; padding?: number } = {}): { x: number; y: number; zoom: number } {
  const minZoom = opts.minZoom ?? READABLE_ZOOM;
  const maxZoom = opts.maxZoom ?? FIT_MAX_ZOOM;
  const padding = opts.padding ?? 0.08;
  if (!bounds || size.width <= 0 || size.height <= 0) return { x: 0, y: 0, zoom: 1 };
  const innerW = size.width * (1 - 2 * padding);
  const innerH = size.height * (1 - 2 * padding);
  const fit = Math.min(innerW / Math.max(1, bounds.width), innerH / Math.max(1, bounds.height));
  const zoom = Math.max(minZoom, Math.min(maxZoom, fit));
  const w = bounds.width * zoom;
  const h = bounds.height * zoom;
  // horizontally: centred when it fits, else from its left edge; vertically likewise from its top
  const x = w <= innerW ? (size.width - w) / 2 - bounds.x * zoom : size.width * padding - bounds.x * zoom;
  const y = h <= innerH ? (size.height - h) / 2 - bounds.y * zoom : size.height * padding - bounds.y * zoom;
  return { x: Math.round(x), y: Math.round(y), zoom };
}

/** The same view, up to the sub-pixel rounding a canvas may apply to a viewport it is given. */
export function sameViewport(a: { x: number; y: number; zoom: number }, b: { x: number; y: number; zoom: number }): boolean {
  return Math.abs(a.x - b.x) < 0.5 && Math.abs(a.y - b.y) < 0.5 && Math.abs(a.zoom - b.zoom) < 1e-6;
}
