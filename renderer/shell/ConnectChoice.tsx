/** Asks what an edge drawn onto a connected input means: another input, or a replacement (commands/edit.ts connectNodes). */
import { useEffect } from 'react';
import { connectNodes } from '../commands/edit';
import { useStudio, useStudioContext } from '../state/studio';

export function ConnectChoice() {
  const ctx = useStudioContext();
  const choice = useStudio((s) => s.connectChoice);
  useEffect(() => {
    if (!choice) return;
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && ctx.store.setState({ connectChoice: undefined });
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [choice, ctx]);
  if (!choice) return null;
  return (
    <div className="connect-choice confirm-line" role="alertdialog" aria-label="add or replace the input?" data-testid="connect-choice">
      <span>{choice.message}</span>
      <button className="button primary small" autoFocus data-testid="connect-add" onClick={() => void connectNodes(ctx, choice.producer, choice.consumer, 'add')}>
        Add as another input
      </button>
      {choice.canReplace && (
        <button className="button small" data-testid="connect-replace" onClick={() => void connectNodes(ctx, choice.producer, choice.consumer, 'replace')}>
          Replace it
        </button>
      )}
      <button className="button ghost small" data-testid="connect-cancel" onClick={() => ctx.store.setState({ connectChoice: undefined })}>
        Cancel
      </button>
    </div>
  );
}
