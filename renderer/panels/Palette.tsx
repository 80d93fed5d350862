/** The palette: search, then add a function (from a template), a data source or a trigger. */
import { useEffect, useMemo, useRef, useState, forwardRef, useImperativeHandle } from 'react';
import { PALETTE_MIME } from '../canvas/Canvas';

import { PALETTE, type PaletteItem } from './palette-items';

export { PALETTE, type PaletteItem } from './palette-items';

export interface PaletteHandle {
  focus(): void;
}

export const Palette = forwardRef<PaletteHandle, { onAdd(item: PaletteItem, name: string): void; suggestName(item: PaletteItem): string; focusOnMount?: { current: boolean } }>(function Palette({ onAdd, suggestName, focusOnMount }, ref) {
  const [q, setQ] = useState('');
  const [pending, setPending] = useState<{ item: PaletteItem; name: string } | undefined>();
  const input = useRef<HTMLInputElement>(null);
  useImperativeHandle(ref, () => ({ focus: () => input.current?.focus() }));
  // shown by Ctrl+K while collapsed: the search takes the focus once it is there
  useEffect(() => {
    if (!focusOnMount?.current) return;
    focusOnMount.current = false;
    input.current?.focus();
  }, [focusOnMount]);
  const items = useMemo(() => {
    const words = q.toLowerCase().split(/\s+/).filter(Boolean);
    return PALETTE.filter((i) => words.every((w) => (i.title + ' ' + i.description).toLowerCase().includes(w)));
  }, [q]);
  const icon = (i: PaletteItem) => (i.kind === 'function' ? 'λ' : i.kind === 'data-source' ? '⛁' : '⚡');
  return (
    <aside className="palette" data-testid="palette">
      <div className="panel-title">Add</div>
      <input ref={input} className="search" placeholder="Search  (Ctrl+K)" value={q} onChange={(e) => setQ(e.target.value)} data-testid="palette-search"
        onKeyDown={(e) => {
          if (e.key === 'Enter' && items[0]) setPending({ item: items[0], name: suggestName(items[0]) });
          if (e.key === 'Escape') setQ('');
        }}
      />
      <ul className="palette-list">
        {items.map((i) => (
          <li key={i.title}>
            <button
              className="palette-item"
              onClick={() => setPending({ item: i, name: suggestName(i) })}
              title={`${i.description} — click to name it, or drag it onto the canvas`}
              draggable
              onDragStart={(e) => {
                e.dataTransfer.setData(PALETTE_MIME, String(PALETTE.indexOf(i)));
                e.dataTransfer.effectAllowed = 'copy';
              }}
              data-testid={`palette-item-${PALETTE.indexOf(i)}`}
            >
              <span className={`node-icon icon-${i.kind === 'function' ? 'fn' : i.kind}`}>{icon(i)}</span>
              <span>
                <span className="palette-title">{i.title}</span>
                <span className="palette-desc">{i.description}</span>
              </span>
            </button>
            {pending?.item === i && (
              <form
                className="palette-name"
                onSubmit={(e) => {
                  e.preventDefault();
                  onAdd(i, pending.name.trim());
                  setPending(undefined);
                }}
              >
                <input autoFocus value={pending.name} onChange={(e) => setPending({ item: i, name: e.target.value })} aria-label="name" data-testid="palette-name"
                  onKeyDown={(e) => e.key === 'Escape' && setPending(undefined)} />
                <button className="button small primary" type="submit">
                  Add
                </button>
              </form>
            )}
          </li>
        ))}
        {!items.length && <li className="muted small">Nothing matches “{q}”.</li>}
      </ul>
      <div className="panel-title">Shortcuts</div>
      <ul className="shortcuts small muted">
        <li><kbd>Ctrl</kbd>+<kbd>Z</kbd> / <kbd>Ctrl</kbd>+<kbd>Shift</kbd>+<kbd>Z</kbd> undo / redo</li>
        <li><kbd>Ctrl</kbd>+<kbd>C</kbd> / <kbd>V</kbd> copy / paste, <kbd>Ctrl</kbd>+<kbd>D</kbd> duplicate</li>
        <li><kbd>Del</kbd> delete selection</li>
        <li><kbd>Shift</kbd>+drag box select</li>
        <li><kbd>L</kbd> auto-layout, <kbd>F</kbd> fit view</li>
        <li>right-click a node, an edge or the canvas for more; drag an item above onto the canvas to place it</li>
        <li><kbd>Ctrl</kbd>+<kbd>S</kbd> save file</li>
      </ul>
    </aside>
  );
});
