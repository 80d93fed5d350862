/**
 * The side panels' sizes (width in px, collapsed or not), remembered in the window's
 * localStorage across reloads; a width is kept within its panel's bounds.
 */
import { readStored, writeStored, type Store } from '../stored';

export const PANEL_SIZES_KEY = 'edgeai.panelSizes';

export type SidePanelId = 'palette' | 'inspector';
export interface PanelSize {
  width: number;
  collapsed: boolean;
}
export const PANEL_BOUNDS: Record<SidePanelId, { min: number; max: number; initial: number; narrow: number }> = {
  palette: { min: 160, max: 420, initial: 236, narrow: 196 },
  inspector: { min: 220, max: 560, initial: 330, narrow: 272 },
};

/** A panel's width before the user chose one: narrower in a window under 1280 px, so the canvas keeps room. */
export function initialSize(id: SidePanelId, windowWidth: number): PanelSize {
  return { width: windowWidth < 1280 ? PANEL_BOUNDS[id].narrow : PANEL_BOUNDS[id].initial, collapsed: false };
}

export function clampWidth(id: SidePanelId, width: number): number {
  const b = PANEL_BOUNDS[id];
  return Math.round(Math.min(b.max, Math.max(b.min, width)));
}

/** The remembered sizes (only valid entries; none when unreadable). */
export function readPanelSizes(store: Store | undefined = globalThis.localStorage): Partial<Record<SidePanelId, PanelSize>> {
  const v = readStored(PANEL_SIZES_KEY, store);
  const out: Partial<Record<SidePanelId, PanelSize>> = {};
  if (!v || typeof v !== 'object') return out;
  for (const id of Object.keys(PANEL_BOUNDS) as SidePanelId[]) {
    const e = (v as Record<string, unknown>)[id] as { width?: unknown; collapsed?: unknown } | null | undefined;
    if (e && typeof e.width === 'number' && Number.isFinite(e.width)) out[id] = { width: clampWidth(id, e.width), collapsed: e.collapsed === true };
  }
  return out;
}

export function rememberPanelSize(id: SidePanelId, size: PanelSize, store: Store | undefined = globalThis.localStorage): void {
  writeStored(PANEL_SIZES_KEY, { ...readPanelSizes(store), [id]: { width: clampWidth(id, size.width), collapsed: size.collapsed } }, store);
}
