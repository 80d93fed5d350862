import { z } from 'zod';

export const DiagnosticSchema = z.object({
  severity: z.enum(['error', 'warning', 'info']),
  /** stable machine-readable code, e.g. 'non-literal-argument' */
  code: z.string(),
  message: z.string(),
  /** path relative to the project (or as given) */
  file: z.string(),
  /** 1-based */
  line: z.number().int(),
  /** 1-based */
  column: z.number().int(),
  endLine: z.number().int().optional(),
  endColumn: z.number().int().optional(),
  /** what to do about it */
  hint: z.string().optional(),
  /** the workflow graph's node it is about (project/graph.ts ids, e.g. fn:train, source:<urn>): the canvas marks it */
  node: z.string().optional(),
});
export type Diagnostic = z.infer<typeof DiagnosticSchema>;

/** `file:line:col: severity code: message (hint)` — the format the CLI prints. */
export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.column}: ${d.severity} ${d.code}: ${d.message}${d.hint ? `\n    hint: ${d.hint}` : ''}`;
}

export function hasErrors(ds: readonly Diagnostic[]): boolean {
  return ds.some((d) => d.severity === 'error');
}
