/** An error from the platform as the panels show it: what happened, then → what to do. */
import type { ApiError } from '../../cluster/api/contract';

export function ErrorBox({ error, testId = 'error-box' }: { error: ApiError; testId?: string }) {
  return (
    <div className="error-box" data-testid={testId}>
      <div className="error-message">{error.message}</div>
      {error.hint && <div className="muted">→ {error.hint}</div>}
    </div>
  );
}
