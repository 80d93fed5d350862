/**
 * Function sources → FunctionSpec[] + diagnostics, without running user code. Never throws:
 * whatever the input, the result is specs for what could be read and a diagnostic (file,
 * line, column, code, message, hint) for everything else.
 */
import ts from 'typescript';
import { contractFromDecorators, DECORATOR_NAMES, DECORATORS, type DecoratorUse, type FunctionSpec } from '../spec/function';
import { didYouMeanSuffix } from '../spec/names';
import { findMethods, lineCol, literalValue, parseSource, firstSyntaxError, type FoundMethod } from './ast';
import type { Diagnostic } from './diagnostic';

export interface SourceFile {
  /** path as it should appear in diagnostics (relative to the project) */
  file: string;
  source: string;
}

export interface PreprocessResult {
  functions: FunctionSpec[];
  diagnostics: Diagnostic[];
  /** ids of every decorated method found, including those whose decorators have errors */
  declared: string[];
}

/** Preprocesses one file. */
export function preprocessSource(file: string, source: string): PreprocessResult {
  try {
    return preprocessUnsafe(file, source);
  } catch (e) {
    // A parser or walker bug must not take the studio down: report it against the file.
    return {
      functions: [],
      declared: [],
      diagnostics: [
        {
          severity: 'error',
          code: 'internal-error',
          message: `the preprocessor failed on this file: ${(e as Error).message}`,
          file,
          line: 1,
          column: 1,
          hint: 'please report this with the file attached',
        },
      ],
    };
  }
}

/** Preprocesses several files and reports function ids used more than once across them. */
/**
 * What preprocessSource made of a file, kept: a file whose text it has seen before is not parsed
 * again (project/parse-cache.ts). A result is the same for the same file name and text.
 */
export interface ParseCache {
  get(file: string, source: string): PreprocessResult | undefined;
  set(file: string, source: string, result: PreprocessResult): void;
}

export function preprocessFiles(files: readonly SourceFile[], cache?: ParseCache): PreprocessResult {
  const functions: FunctionSpec[] = [];
  const diagnostics: Diagnostic[] = [];
  const declared: string[] = [];
  const firstById = new Map<string, FunctionSpec>();
  for (const f of files) {
    let r = cache?.get(f.file, f.source);
    if (!r) {
      r = preprocessSource(f.file, f.source);
      cache?.set(f.file, f.source, r);
    }
    diagnostics.push(...r.diagnostics);
    declared.push(...r.declared);
    for (const fn of r.functions) {
      const first = firstById.get(fn.id);
      if (first) {
        diagnostics.push({
          severity: 'error',
          code: 'duplicate-function-id',
          message: `function id '${fn.id}' is already used by ${first.className}.${first.method} at ${first.file}:${first.line}:${first.column}`,
          file: fn.file,
          line: fn.line,
          column: fn.column,
          hint: 'a function id is its method name and must be unique in the workflow: rename one of the methods',
        });
        continue;
      }
      firstById.set(fn.id, fn);
      functions.push(fn);
    }
  }
  return { functions, diagnostics, declared: [...new Set(declared)] };
}

function preprocessUnsafe(file: string, source: string): PreprocessResult {
  const sf = parseSource(file, source);
  const diagnostics: Diagnostic[] = [];
  const at = (pos: number, end?: number) => {
    const s = lineCol(sf, pos);
    const e = end !== undefined ? lineCol(sf, end) : undefined;
    return { file, line: s.line, column: s.column, ...(e ? { endLine: e.line, endColumn: e.column } : {}) };
  };

  // one report per broken file: the first error (where a missing bracket was opened, when that is
  // the cause), not the cascade the parser reports after it
  const err = firstSyntaxError(sf);
  if (err) {
    const more = err.more ? ` (${err.more} more parse error${err.more > 1 ? 's' : ''} after it, most likely caused by this one)` : '';
    diagnostics.push({ severity: 'error', code: 'syntax-error', message: err.message + more, ...at(err.start, err.start + err.length), hint: 'fix this one first; the functions in this file cannot be read until it parses' });
  }

  const functions: FunctionSpec[] = [];
  const declared: string[] = [];
  for (const m of findMethods(sf)) {
    declared.push(m.method);
    const spec = readMethod(sf, m, file, diagnostics, at);
    if (!spec) continue;
    const dup = functions.find((f) => f.id === spec.id);
    if (dup) {
      diagnostics.push({
        severity: 'error',
        code: 'duplicate-function-id',
        message: `function id '${spec.id}' is already used by ${dup.className}.${dup.method} at ${file}:${dup.line}:${dup.column}`,
        ...at(m.nameSpan.start, m.nameSpan.end),
        hint: 'a function id is its method name and must be unique in the workflow: rename one of the methods',
      });
      continue;
    }
    functions.push(spec);
  }
  return { functions, diagnostics, declared };
}

type At = (pos: number, end?: number) => Pick<Diagnostic, 'file' | 'line' | 'column' | 'endLine' | 'endColumn'>;

function readMethod(sf: ts.SourceFile, m: FoundMethod, file: string, diagnostics: Diagnostic[], at: At): FunctionSpec | undefined {
  const uses: DecoratorUse[] = [];
  const useNodes: Array<{ deco: FoundMethod['decorators'][number]; optionNodes: Map<string, ts.Node> }> = [];
  let readable = true;

  for (const d of m.decorators) {
    if (!d.ours) {
      diagnostics.push({
        severity: 'warning',
        code: 'foreign-decorator',
        message: `@${d.name} is not a platform decorator; the platform ignores it`,
        ...at(d.span.start, d.span.end),
        hint: `platform decorators: ${DECORATOR_NAMES.map((n) => '@' + n).join(', ')}`,
      });
      continue;
    }
    if (!DECORATORS[d.name]) {
      diagnostics.push({
        severity: 'error',
        code: 'unknown-decorator',
        message: `unknown decorator @${d.name}${didYouMeanSuffix(d.name, DECORATOR_NAMES)}`,
        ...at(d.span.start, d.span.end),
        hint: `platform decorators: ${DECORATOR_NAMES.map((n) => '@' + n).join(', ')}`,
      });
      readable = false;
      continue;
    }
    if (!d.args) {
      diagnostics.push({
        severity: 'error',
        code: 'bad-argument',
        message: `@${d.name} must be called with its options, e.g. @${d.name}(${DECORATORS[d.name].arg === 'duration' ? "'2s'" : '{ … }'})`,
        ...at(d.span.start, d.span.end),
      });
      readable = false;
      continue;
    }
    const args: unknown[] = [];
    const optionNodes = new Map<string, ts.Node>();
    let literal = true;
    for (const a of d.args) {
      const r = literalValue(a, sf);
      if (!r.ok) {
        diagnostics.push({
          severity: 'error',
          code: 'non-literal-argument',
          message: `@${d.name}: decorator arguments must be literals, but ${r.why}`,
          ...at(r.node.getStart(sf), r.node.getEnd()),
          hint: 'write the value in place (strings, numbers, booleans, arrays and object literals); the platform reads decorators without running your code',
        });
        literal = false;
        break;
      }
      args.push(r.value);
      if (ts.isObjectLiteralExpression(a)) {
        for (const p of a.properties) if (ts.isPropertyAssignment(p) && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name))) optionNodes.set(p.name.text, p);
      }
    }
    if (!literal) {
      readable = false;
      continue;
    }
    uses.push({ name: d.name, args });
    useNodes.push({ deco: d, optionNodes });
  }

  const { contract, issues } = contractFromDecorators(uses);
  for (const issue of issues) {
    const { deco, optionNodes } = useNodes[issue.decorator];
    const node = issue.option ? optionNodes.get(issue.option) : undefined;
    const span = node ? { start: node.getStart(sf), end: node.getEnd() } : deco.span;
    diagnostics.push({ severity: 'error', code: issue.code, message: issue.message, ...at(span.start, span.end), ...(issue.hint ? { hint: issue.hint } : {}) });
    readable = false;
  }

  if (!m.classExported) {
    diagnostics.push({
      severity: 'warning',
      code: 'class-not-exported',
      message: `class ${m.className} is not exported, so the runtime cannot load ${m.method}`,
      ...at(m.nameSpan.start, m.nameSpan.end),
      hint: `write 'export class ${m.className}'`,
    });
  }

  const params = m.node.parameters.map((p) => ({
    name: p.name.getText(sf),
    ...(p.type ? { type: p.type.getText(sf) } : {}),
  }));
  // only when every input could be read: otherwise the count would be wrong and the error noise
  const consumesWritten = m.decorators.filter((d) => d.name.startsWith('consumes.')).length;
  if (consumesWritten === contract.consumes.length) checkParameters(m, contract.consumes.map((c) => c.kind), params, sf, diagnostics, at);

  if (!readable) return undefined;
  const pos = lineCol(sf, m.nameSpan.start);
  return {
    id: m.method,
    className: m.className,
    method: m.method,
    file,
    line: pos.line,
    column: pos.column,
    ...contract,
    params,
  };
}

const TYPE_FOR: Record<'data' | 'model', string> = { data: 'Data', model: 'Model' };

/**
 * The platform calls a function with one argument per consumes decorator (in the order they
 * are written: Data for consumes.data, Model for consumes.model), then the Request.
 */
function checkParameters(m: FoundMethod, kinds: Array<'data' | 'model'>, params: Array<{ name: string; type?: string }>, sf: ts.SourceFile, diagnostics: Diagnostic[], at: At): void {
  const expected = [...kinds.map((k) => TYPE_FOR[k]), 'Request'];
  const signature = `(${[...kinds.map((k, i) => `${k === 'data' ? 'data' : 'model'}${kinds.length > 1 ? i + 1 : ''}: ${TYPE_FOR[k]}`), 'request: Request'].join(', ')})`;
  const where = at(m.nameSpan.start, m.nameSpan.end);
  if (params.length < kinds.length) {
    diagnostics.push({
      severity: 'error',
      code: 'parameter-mismatch',
      message: `${m.method} consumes ${kinds.length} input${kinds.length === 1 ? '' : 's'} (${kinds.join(', ')}) but declares ${params.length} parameter${params.length === 1 ? '' : 's'}`,
      ...where,
      hint: `declare ${m.method}${signature}`,
    });
    return;
  }
  if (params.length > kinds.length + 1) {
    diagnostics.push({
      severity: 'error',
      code: 'parameter-mismatch',
      message: `${m.method} declares ${params.length} parameters, but the platform passes ${kinds.length} input${kinds.length === 1 ? '' : 's'} and the request`,
      ...where,
      hint: `declare ${m.method}${signature}, or add a @consumes decorator for each extra input`,
    });
    return;
  }
  params.forEach((p, i) => {
    if (!p.type) return;
    const want = expected[i];
    const base = p.type.replace(/\s+/g, '').replace(/^Readonly<(.*)>$/, '$1');
    const known = ['Data', 'Model', 'Request'];
    if (known.includes(base) && base !== want) {
      const node = m.node.parameters[i];
      diagnostics.push({
        severity: 'error',
        code: 'parameter-mismatch',
        message: `parameter ${i + 1} of ${m.method} ('${p.name}') is declared ${base}, but the platform passes ${want === 'Request' ? 'the Request' : `a ${want} for @consumes.${want.toLowerCase()} #${i + 1}`} there`,
        ...at(node.getStart(sf), node.getEnd()),
        hint: `declare ${m.method}${signature}`,
      });
    }
  });
}
