// Types of scripts/test-report.mjs (plain JS: `npm test` runs it before any TypeScript loader).
export interface Untested {
  file: string;
  titles: string[];
}
export interface Totals {
  passed: number;
  failed: number;
  skipped: number;
  untested: Untested[];
  notes: string[];
}
export function summarize(report: unknown, opts: { typecheckOk: boolean; cwd?: string }): Totals;
export function untestedLines(untested: Untested[]): string[];
export function totalsLine(t: { passed: number; failed: number; skipped: number }): string;
