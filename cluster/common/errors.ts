/**
 * The one base of every error a user can cause and fix: a missing project, a bad file, a
 * refused request, an unknown scenario, an infeasible policy, a missing Docker engine. It
 * carries a stable code in kebab-case ('revision-conflict', 'bad-topology', 'artifact-not-found')
 * and says what, where and what to do. Transports turn it into an ApiError, the CLI prints it
 * without a stack trace (exit 2), and it never takes the main process down. Everything that is
 * not a StudioError is a bug and is reported as one ("internal-error", please report).
 *
 * Browser-safe: no imports.
 */
export class StudioError extends Error {
  readonly code: string;
  readonly hint?: string;
  /** what went wrong, without the hint (`message` is what, then the hint on its own line) */
  readonly detail: string;
  /** extra machine-readable facts for clients, e.g. the file and revision of a conflict */
  readonly facts?: { conflict?: { path: string; revision: number } };
  constructor(code: string, message: string, hint?: string, facts?: StudioError['facts']) {
    super(hint ? `${message}\n  ${hint}` : message);
    this.name = 'StudioError';
    this.code = code;
    this.detail = message;
    if (hint) this.hint = hint;
    if (facts) this.facts = facts;
  }
}

/** A code is lower-case words joined by '-': one style for every error the platform reports. */
export const ERROR_CODE = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

/** What an error looks like on the wire and in run records: code, message (no hint), hint. */
export interface ErrorRecord {
  code: string;
  message: string;
  hint?: string;
}

/** The record of any thrown value; a non-StudioError becomes an internal error that says so. */
export function errorRecord(e: unknown): ErrorRecord {
  if (e instanceof StudioError) return { code: e.code, message: e.detail, ...(e.hint ? { hint: e.hint } : {}) };
  return { code: 'internal-error', message: (e as Error)?.message ?? String(e) };
}
