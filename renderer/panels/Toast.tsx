import type { ApiError } from '../../cluster/api/contract';

export interface ToastItem {
  id: number;
  kind: 'error' | 'info' | 'success';
  title: string;
  error?: ApiError;
}

export function Toasts({ items, onDismiss }: { items: ToastItem[]; onDismiss(id: number): void }) {
  return (
    <div className="toasts" role="status" aria-live="polite">
      {items.map((t) => (
        <div key={t.id} className={`toast toast-${t.kind}`} data-testid={`toast-${t.kind}`}>
          <div className="toast-body">
            <div className="toast-title">{t.title}</div>
            {t.error && <div className="toast-message">{t.error.message}</div>}
            {t.error?.hint && <div className="toast-hint">→ {t.error.hint}</div>}
          </div>
          <button className="icon-button" aria-label="dismiss" onClick={() => onDismiss(t.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
