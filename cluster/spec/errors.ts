/**
 * An error a user can cause and fix (a missing project, a bad file, a refused request). It
 * carries a stable code and says what, where and what to do; transports and the CLI print it
 * without a stack trace, and it never takes the main process down.
 */
export class StudioError extends Error {
  readonly code: string;
  readonly hint?: string;
  constructor(code: string, message: string, hint?: string) {
    super(hint ? `${message}\n  ${hint}` : message);
    this.name = 'StudioError';
    this.code = code;
    this.hint = hint;
  }
}
