/**
 * Level of detail of the canvas' nodes and edges, from the zoom. Zoomed out, a node's 11–13 px
 * text is 3 px on screen: unreadable, and in software rendering (no GPU) drawing it, the badges,
 * the handles and the arrowheads of ~100 nodes and their edges each frame is most of a pan's
 * paint and raster. So below LOW_DETAIL_ZOOM a node is drawn as its box (its kind's colour, its
 * status) with only its name in large type, and below NAME_MIN_ZOOM (where even that is too
 * small to read) as the box alone; edges lose their arrowheads, the background its finer dots.
 * Selection, clicking, dragging and the context menu work the same at every level (the node's
 * box is the same element React Flow handles).
 */
import { createContext, useContext } from 'react';

/** Below this zoom nodes are drawn in low detail (13 px text would be under 6.5 px on screen). */
export const LOW_DETAIL_ZOOM = 0.5;
/** Below this zoom a low-detail node shows no text at all (its name, in LOD_NAME_PX type, would be under 8 px). */
export const NAME_MIN_ZOOM = 0.2;
/** The font size (px at zoom 1) of a low-detail node's name: 10 px on screen at zoom 0.25. */
export const LOD_NAME_PX = 40;

/** full: every line, badge and handle; name: the box and the name in large type; box: the box alone */
export type Detail = 'full' | 'name' | 'box';

export function detailAt(zoom: number): Detail {
  if (zoom >= LOW_DETAIL_ZOOM) return 'full';
  return zoom >= NAME_MIN_ZOOM ? 'name' : 'box';
}

/** The canvas' current level of detail, for its node components (Canvas.tsx provides it). */
export const DetailContext = createContext<Detail>('full');

export function useDetail(): Detail {
  return useContext(DetailContext);
}
