/**
 * Reading function sources without running them: the TypeScript 5.9 parser (the JavaScript
 * compiler API; TypeScript 7 has none) finds decorated class methods and turns decorator
 * arguments into plain values when, and only when, they are literals.
 */
import ts from 'typescript';
import { DECORATOR_NAMES } from '../spec/function';

export const DECORATOR_ROOTS = ['consumes', 'produces', 'policy', 'gate'] as const;

export interface Span {
  start: number;
  end: number;
}

export interface FoundDecorator {
  /** 'consumes.data', or the written name when unknown */
  name: string;
  /** the decorator node (from '@' to the end of the expression) */
  span: Span;
  /** the call's argument nodes; undefined when the decorator is not called */
  args: ts.NodeArray<ts.Expression> | undefined;
  node: ts.Decorator;
  /** it names one of our roots (consumes/produces/policy/gate), known member or not */
  ours: boolean;
}

export interface FoundMethod {
  className: string;
  classExported: boolean;
  method: string;
  node: ts.MethodDeclaration;
  /** where the method's name stands */
  nameSpan: Span;
  decorators: FoundDecorator[];
}

export function parseSource(file: string, source: string): ts.SourceFile {
  return ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
}

/** Syntax errors the parser found, as (start, length, message). */
export function syntaxErrors(sf: ts.SourceFile): Array<{ start: number; length: number; message: string }> {
  const diags = (sf as unknown as { parseDiagnostics?: readonly ts.DiagnosticWithLocation[] }).parseDiagnostics ?? [];
  return diags.map((d) => ({ start: d.start ?? 0, length: d.length ?? 0, message: ts.flattenDiagnosticMessageText(d.messageText, '\n') }));
}

/** The dotted name of a decorator expression: `consumes.data`, `sdk.consumes.data` → `consumes.data`. */
function decoratorName(expr: ts.Expression): { name: string; ours: boolean } | undefined {
  const callee = ts.isCallExpression(expr) ? expr.expression : expr;
  const parts: string[] = [];
  let e: ts.Expression = callee;
  while (ts.isPropertyAccessExpression(e)) {
    parts.unshift(e.name.text);
    e = e.expression;
  }
  if (ts.isIdentifier(e)) parts.unshift(e.text);
  else return undefined;
  // allow a namespace import prefix: sdk.consumes.data
  const rootIdx = parts.findIndex((p) => (DECORATOR_ROOTS as readonly string[]).includes(p));
  if (rootIdx >= 0) return { name: parts.slice(rootIdx).join('.'), ours: true };
  const name = parts.join('.');
  // a misspelt root (`@consume.data`) is still meant for us
  const ours = parts.length === 2 && DECORATOR_NAMES.some((n) => closeEnough(n, name));
  return { name, ours };
}

function closeEnough(a: string, b: string): boolean {
  if (Math.abs(a.length - b.length) > 2) return false;
  let diff = 0;
  const [ra, rb] = [a.split('.'), b.split('.')];
  if (ra.length !== rb.length) return false;
  for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) diff += Math.abs(ra[i].length - rb[i].length) + (ra[i].slice(0, 3) === rb[i].slice(0, 3) ? 0 : 2);
  return diff <= 2;
}

/** Every class method that carries at least one of our decorators. */
export function findMethods(sf: ts.SourceFile): FoundMethod[] {
  const out: FoundMethod[] = [];
  const visitClass = (cls: ts.ClassLikeDeclaration) => {
    const className = cls.name?.text ?? '(anonymous class)';
    const mods = ts.canHaveModifiers(cls) ? ts.getModifiers(cls) : undefined;
    const exported = !!mods?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword) || isExportedLater(sf, className);
    for (const member of cls.members) {
      if (!ts.isMethodDeclaration(member)) continue;
      const decos = ts.getDecorators(member) ?? [];
      const found: FoundDecorator[] = [];
      for (const d of decos) {
        const n = decoratorName(d.expression);
        if (!n) continue;
        found.push({
          name: n.name,
          span: { start: d.getStart(sf), end: d.getEnd() },
          args: ts.isCallExpression(d.expression) ? d.expression.arguments : undefined,
          node: d,
          ours: n.ours,
        });
      }
      if (!found.some((f) => f.ours)) continue;
      const nameNode = member.name;
      const method = ts.isIdentifier(nameNode) || ts.isStringLiteral(nameNode) || ts.isPrivateIdentifier(nameNode) ? nameNode.text : nameNode.getText(sf);
      out.push({ className, classExported: exported, method, node: member, nameSpan: { start: nameNode.getStart(sf), end: nameNode.getEnd() }, decorators: found });
    }
  };
  const visit = (node: ts.Node) => {
    if (ts.isClassDeclaration(node) || ts.isClassExpression(node)) visitClass(node);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

function isExportedLater(sf: ts.SourceFile, name: string): boolean {
  for (const st of sf.statements) {
    if (ts.isExportDeclaration(st) && st.exportClause && ts.isNamedExports(st.exportClause)) {
      if (st.exportClause.elements.some((e) => (e.propertyName ?? e.name).text === name)) return true;
    }
    if (ts.isExportAssignment(st) && ts.isIdentifier(st.expression) && st.expression.text === name) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Literal evaluation

export type LiteralResult = { ok: true; value: unknown } | { ok: false; node: ts.Node; why: string };

/** Evaluates an expression that must be a literal; names the first part that is not. */
export function literalValue(expr: ts.Expression, sf: ts.SourceFile): LiteralResult {
  if (ts.isParenthesizedExpression(expr) || ts.isAsExpression(expr) || ts.isSatisfiesExpression(expr) || ts.isTypeAssertionExpression(expr)) {
    return literalValue(expr.expression, sf);
  }
  if (ts.isStringLiteral(expr) || ts.isNoSubstitutionTemplateLiteral(expr)) return { ok: true, value: expr.text };
  if (ts.isNumericLiteral(expr)) return { ok: true, value: Number(expr.text) };
  if (expr.kind === ts.SyntaxKind.TrueKeyword) return { ok: true, value: true };
  if (expr.kind === ts.SyntaxKind.FalseKeyword) return { ok: true, value: false };
  if (expr.kind === ts.SyntaxKind.NullKeyword) return { ok: true, value: null };
  if (ts.isPrefixUnaryExpression(expr) && (expr.operator === ts.SyntaxKind.MinusToken || expr.operator === ts.SyntaxKind.PlusToken) && ts.isNumericLiteral(expr.operand)) {
    const v = Number(expr.operand.text);
    return { ok: true, value: expr.operator === ts.SyntaxKind.MinusToken ? -v : v };
  }
  if (ts.isArrayLiteralExpression(expr)) {
    const arr: unknown[] = [];
    for (const el of expr.elements) {
      if (ts.isSpreadElement(el)) return { ok: false, node: el, why: 'a spread (...) is not a literal' };
      const r = literalValue(el, sf);
      if (!r.ok) return r;
      arr.push(r.value);
    }
    return { ok: true, value: arr };
  }
  if (ts.isObjectLiteralExpression(expr)) {
    const obj: Record<string, unknown> = {};
    for (const p of expr.properties) {
      if (!ts.isPropertyAssignment(p)) {
        const why = ts.isShorthandPropertyAssignment(p)
          ? `'${p.name.text}' is a variable (shorthand property)`
          : ts.isSpreadAssignment(p)
            ? 'a spread (...) is not a literal'
            : 'methods and accessors are not literals';
        return { ok: false, node: p, why };
      }
      let key: string;
      if (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name) || ts.isNumericLiteral(p.name)) key = p.name.text;
      else return { ok: false, node: p.name, why: 'a computed property name is not a literal' };
      const r = literalValue(p.initializer, sf);
      if (!r.ok) return r;
      obj[key] = r.value;
    }
    return { ok: true, value: obj };
  }
  let why: string;
  if (ts.isIdentifier(expr)) why = expr.text === 'undefined' ? "'undefined' is not allowed; leave the option out" : `'${expr.text}' is a variable`;
  else if (ts.isCallExpression(expr)) why = 'a function call is not a literal';
  else if (ts.isTemplateExpression(expr)) why = 'a template string with ${…} is not a literal';
  else if (ts.isPropertyAccessExpression(expr)) why = `'${expr.getText(sf)}' is a property access`;
  else if (ts.isBinaryExpression(expr)) why = 'an expression is not a literal';
  else why = `'${expr.getText(sf).slice(0, 40)}' is not a literal`;
  return { ok: false, node: expr, why };
}

/** 1-based line and column of a position. */
export function lineCol(sf: ts.SourceFile, pos: number): { line: number; column: number } {
  const lc = sf.getLineAndCharacterOfPosition(Math.max(0, Math.min(pos, sf.text.length)));
  return { line: lc.line + 1, column: lc.character + 1 };
}

/** What a parse failed on, once: the first syntax error, moved to an unclosed bracket when one explains it. */
export interface FirstSyntaxError {
  start: number;
  length: number;
  message: string;
  /** how many more errors the parser reported after it (a cascade: most follow from the first) */
  more: number;
}

// made on first use: reading ts.SyntaxKind at import would load TypeScript with this module
let brackets: { openers: Partial<Record<ts.SyntaxKind, string>>; closers: Partial<Record<ts.SyntaxKind, string>> } | undefined;
const bracketKinds = () =>
  (brackets ??= {
    openers: { [ts.SyntaxKind.OpenParenToken]: '(', [ts.SyntaxKind.OpenBraceToken]: '{', [ts.SyntaxKind.OpenBracketToken]: '[' },
    closers: { [ts.SyntaxKind.CloseParenToken]: '(', [ts.SyntaxKind.CloseBraceToken]: '{', [ts.SyntaxKind.CloseBracketToken]: '[' },
  });
const CLOSING: Record<string, string> = { '(': ')', '{': '}', '[': ']' };

/** The brackets still open at `pos` (innermost last), from a token scan of the text before it. */
function openBracketsAt(sf: ts.SourceFile, pos: number): Array<{ ch: string; start: number }> {
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, true, ts.LanguageVariant.Standard, sf.text.slice(0, pos));
  const stack: Array<{ ch: string; start: number }> = [];
  const { openers, closers } = bracketKinds();
  for (let k = scanner.scan(); k !== ts.SyntaxKind.EndOfFileToken; k = scanner.scan()) {
    const open = openers[k];
    if (open) stack.push({ ch: open, start: scanner.getTokenStart() });
    const close = closers[k];
    if (close) {
      const i = stack.map((s) => s.ch).lastIndexOf(close);
      if (i >= 0) stack.length = i;
    }
  }
  return stack;
}

/**
 * A missing bracket makes the parser report its first error where it notices, often the next
 * line, followed by a cascade of errors that all follow from it (one missing `)` gave 14 of them).
 * The one worth showing is the first; when it is "',' expected" (or a missing `)`/`]`) and the
 * innermost bracket open at it is a `(` or `[` opened on an earlier line, that bracket is the likely
 * cause and the report points there.
 */
export function firstSyntaxError(sf: ts.SourceFile): FirstSyntaxError | undefined {
  const all = syntaxErrors(sf).sort((a, b) => a.start - b.start);
  const first = all[0];
  if (!first) return undefined;
  const line = (p: number) => sf.getLineAndCharacterOfPosition(p).line;
  const open = openBracketsAt(sf, first.start).at(-1);
  // a parenthesis or square bracket left open on an earlier line, met by "',' expected" or the
  // missing closer itself: blocks ({) are open across lines by nature, so they never count
  if (open && open.ch !== '{' && line(open.start) < line(first.start) && /^'[,)\]]' expected\.$/.test(first.message)) {
    const at = sf.getLineAndCharacterOfPosition(first.start);
    return { start: open.start, length: 1, message: `'${open.ch}' is not closed: the parser expected more at ${at.line + 1}:${at.character + 1} (${first.message.replace(/\.$/, '')}); add '${CLOSING[open.ch]}' where it ends`, more: all.length - 1 };
  }
  return { ...first, more: all.length - 1 };
}
