/**
 * The bottom panel's tabs as WAI-ARIA tabs (a tablist of tabs, each selecting the one panel), so
 * a screen reader announces them as tabs and which one is selected; the keyboard moves between
 * them as the ARIA Authoring Practices' tabs pattern says: Left / Right (wrapping), Home, End —
 * the tab that gets focus is selected ("automatic activation"); only the selected tab is in the
 * Tab order.
 */
import { useRef, type KeyboardEvent, type ReactNode } from 'react';

export interface BottomTab<T extends string> {
  id: T;
  label: ReactNode;
  title?: string;
  testId?: string;
}

export function BottomTabs<T extends string>(props: { tabs: Array<BottomTab<T>>; current: T; onSelect: (id: T) => void }) {
  const { tabs, current, onSelect } = props;
  const refs = useRef(new Map<T, HTMLButtonElement>());
  const move = (e: KeyboardEvent<HTMLButtonElement>) => {
    const i = tabs.findIndex((t) => t.id === current);
    const to = e.key === 'ArrowRight' ? (i + 1) % tabs.length : e.key === 'ArrowLeft' ? (i - 1 + tabs.length) % tabs.length : e.key === 'Home' ? 0 : e.key === 'End' ? tabs.length - 1 : -1;
    if (to < 0) return;
    e.preventDefault();
    onSelect(tabs[to].id);
    refs.current.get(tabs[to].id)?.focus();
  };
  return (
    <div className="bottom-tabs" role="tablist" aria-label="Panels">
      {tabs.map((t) => (
        <button
          key={t.id}
          ref={(el) => {
            if (el) refs.current.set(t.id, el);
            else refs.current.delete(t.id);
          }}
          type="button"
          role="tab"
          id={`bottom-tab-${t.id}`}
          aria-selected={t.id === current}
          tabIndex={t.id === current ? 0 : -1}
          className={`bottom-tab${t.id === current ? ' active' : ''}`}
          onClick={() => onSelect(t.id)}
          onKeyDown={move}
          {...(t.title ? { title: t.title } : {})}
          {...(t.testId ? { 'data-testid': t.testId } : {})}
        >
          {t.label}
        </button>
      ))}
    </div>
  );
}
