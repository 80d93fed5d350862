/**
 * A side panel (the palette, the inspector) that can be resized by dragging its inner edge
 * (or with the arrow keys on it) and collapsed to a thin strip; its size is remembered
 * (panel-sizes.ts).
 */
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { clampWidth, initialSize, PANEL_BOUNDS, readPanelSizes, rememberPanelSize, type PanelSize, type SidePanelId } from './panel-sizes';

export function SidePanel({ id, side, label, children, expandRequest }: { id: SidePanelId; side: 'left' | 'right'; label: string; children: ReactNode; expandRequest?: number }) {
  const [size, setSize] = useState<PanelSize>(() => readPanelSizes()[id] ?? initialSize(id, window.innerWidth));
  const change = (next: PanelSize) => {
    setSize(next);
    rememberPanelSize(id, next);
  };
  // asked to show itself (Ctrl+K for the palette): expanded if collapsed
  const handled = useRef(expandRequest);
  useEffect(() => {
    if (handled.current === expandRequest) return;
    handled.current = expandRequest;
    if (size.collapsed) change({ ...size, collapsed: false });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [expandRequest]);
  const toggle = (
    <button className="icon-button panel-toggle" onClick={() => change({ ...size, collapsed: !size.collapsed })} aria-label={`${size.collapsed ? 'Show' : 'Hide'} the ${label}`} title={`${size.collapsed ? 'Show' : 'Hide'} the ${label}`} data-testid={`${id}-toggle`} aria-expanded={!size.collapsed}>
      {(side === 'left') === size.collapsed ? '›' : '‹'}
    </button>
  );
  if (size.collapsed) {
    return (
      <div className={`side-panel collapsed ${side}`} data-testid={`${id}-panel`}>
        {toggle}
      </div>
    );
  }
  const drag = (e: React.PointerEvent<HTMLDivElement>) => {
    e.preventDefault();
    const startX = e.clientX;
    const start = size.width;
    const el = e.currentTarget;
    el.setPointerCapture(e.pointerId);
    let width = start;
    const move = (ev: PointerEvent) => {
      width = clampWidth(id, start + (side === 'left' ? ev.clientX - startX : startX - ev.clientX));
      setSize((s) => ({ ...s, width }));
    };
    const up = () => {
      el.removeEventListener('pointermove', move);
      el.removeEventListener('pointerup', up);
      rememberPanelSize(id, { width, collapsed: false });
    };
    el.addEventListener('pointermove', move);
    el.addEventListener('pointerup', up);
  };
  return (
    <div className={`side-panel ${side}`} style={{ width: size.width }} data-testid={`${id}-panel`}>
      {children}
      {toggle}
      <div
        className="resize-handle"
        role="separator"
        aria-orientation="vertical"
        aria-label={`Resize the ${label}`}
        aria-valuenow={size.width}
        aria-valuemin={PANEL_BOUNDS[id].min}
        aria-valuemax={PANEL_BOUNDS[id].max}
        tabIndex={0}
        data-testid={`${id}-resize`}
        onPointerDown={drag}
        onKeyDown={(e) => {
          const step = e.key === 'ArrowLeft' ? -16 : e.key === 'ArrowRight' ? 16 : 0;
          if (!step) return;
          e.preventDefault();
          change({ ...size, width: clampWidth(id, size.width + (side === 'left' ? step : -step)) });
        }}
      />
    </div>
  );
}
