/**
 * A context menu for the canvas (right-click on a node, an edge, a selection or the empty pane).
 * Keyboard: arrows move, Enter runs, Escape closes; it also closes on a click elsewhere, on
 * scroll and on blur. Items that cannot run say why in their tooltip instead of disappearing.
 */
import { useEffect, useRef, useState } from 'react';

export interface MenuItem {
  label: string;
  /** a shortcut hint shown on the right (the shortcut itself is handled elsewhere) */
  keys?: string;
  /** when set, the item is shown disabled with this reason as its tooltip */
  disabled?: string;
  danger?: boolean;
  run(): void;
}

export interface ContextMenuState {
  x: number;
  y: number;
  title: string;
  items: Array<MenuItem | 'separator'>;
}

export function ContextMenu({ menu, onClose }: { menu: ContextMenuState; onClose(): void }) {
  const ref = useRef<HTMLDivElement>(null);
  const enabled = menu.items.filter((i): i is MenuItem => i !== 'separator' && !i.disabled);
  const [active, setActive] = useState(0);
  // keep the menu on screen
  const [pos, setPos] = useState({ x: menu.x, y: menu.y });
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const r = el.getBoundingClientRect();
    setPos({ x: Math.max(4, Math.min(menu.x, window.innerWidth - r.width - 4)), y: Math.max(4, Math.min(menu.y, window.innerHeight - r.height - 4)) });
    el.focus();
  }, [menu.x, menu.y]);
  useEffect(() => {
    const close = (e: Event) => {
      if (e.type === 'mousedown' && ref.current?.contains(e.target as Node)) return;
      onClose();
    };
    window.addEventListener('mousedown', close, true);
    window.addEventListener('wheel', close, true);
    window.addEventListener('resize', close);
    window.addEventListener('blur', close);
    return () => {
      window.removeEventListener('mousedown', close, true);
      window.removeEventListener('wheel', close, true);
      window.removeEventListener('resize', close);
      window.removeEventListener('blur', close);
    };
  }, [onClose]);
  const run = (i: MenuItem) => {
    if (i.disabled) return;
    onClose();
    i.run();
  };
  return (
    <div
      ref={ref}
      className="context-menu"
      role="menu"
      aria-label={menu.title}
      tabIndex={-1}
      style={{ left: pos.x, top: pos.y }}
      data-testid="context-menu"
      onContextMenu={(e) => e.preventDefault()}
      onKeyDown={(e) => {
        // the menu owns the keyboard while open: no canvas shortcut fires underneath
        e.stopPropagation();
        if (e.key === 'Escape') onClose();
        else if (e.key === 'ArrowDown') setActive((a) => (a + 1) % Math.max(1, enabled.length));
        else if (e.key === 'ArrowUp') setActive((a) => (a - 1 + enabled.length) % Math.max(1, enabled.length));
        else if (e.key === 'Enter' && enabled[active]) run(enabled[active]);
        else return;
        e.preventDefault();
      }}
    >
      <div className="context-title">{menu.title}</div>
      {menu.items.map((i, n) =>
        i === 'separator' ? (
          <div key={n} className="context-sep" role="separator" />
        ) : (
          <button
            key={n}
            role="menuitem"
            className={`context-item${i.danger ? ' danger' : ''}${enabled[active] === i ? ' active' : ''}`}
            disabled={!!i.disabled}
            title={i.disabled}
            onMouseEnter={() => !i.disabled && setActive(enabled.indexOf(i))}
            onClick={() => run(i)}
          >
            <span>{i.label}</span>
            {i.keys && <kbd>{i.keys}</kbd>}
          </button>
        ),
      )}
    </div>
  );
}
