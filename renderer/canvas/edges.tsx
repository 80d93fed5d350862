/**
 * Edge types of the workflow canvas. An edge drawn right to left (its target left of its source:
 * a feedback edge such as a gate trigger firing train again) would cut through the nodes between
 * them as a bezier; it goes around them instead: out of the source to the right, below both
 * nodes, and into the target from the left (backEdgePath, unit-tested).
 */
import { memo } from 'react';
import { BaseEdge, useInternalNode, type EdgeProps } from '@xyflow/react';

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** How far the path keeps from the nodes it goes around (px at zoom 1). */
const CLEARANCE = 24;

/** The orthogonal path of a right-to-left edge from (sx, sy) to (tx, ty) below the boxes of its two nodes. */
export function backEdgePath(sx: number, sy: number, tx: number, ty: number, source: Box, target: Box): string {
  const below = Math.max(source.y + source.height, target.y + target.height) + CLEARANCE;
  const right = Math.max(sx, source.x + source.width) + CLEARANCE;
  const left = Math.min(tx, target.x) - CLEARANCE;
  return `M ${sx},${sy} H ${right} V ${below} H ${left} V ${ty} H ${tx}`;
}

export const BackEdge = memo(function BackEdge(p: EdgeProps) {
  const s = useInternalNode(p.source);
  const t = useInternalNode(p.target);
  const box = (n: typeof s): Box => ({ x: n?.internals.positionAbsolute.x ?? p.sourceX, y: n?.internals.positionAbsolute.y ?? p.sourceY, width: n?.measured.width ?? 0, height: n?.measured.height ?? 0 });
  const path = backEdgePath(p.sourceX, p.sourceY, p.targetX, p.targetY, box(s), box(t));
  return <BaseEdge id={p.id} path={path} {...(p.markerEnd ? { markerEnd: p.markerEnd } : {})} {...(p.style ? { style: p.style } : {})} {...(p.interactionWidth !== undefined ? { interactionWidth: p.interactionWidth } : {})} />;
});

export const edgeTypes = { back: BackEdge };
