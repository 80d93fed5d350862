/**
 * Decorator edits: the studio's inspector and canvas change a function's contract by editing
 * its source text. Each edit replaces one span of the old source; every byte outside it stays
 * as it was, so the user's formatting, comments and code are untouched.
 */
import ts from 'typescript';
import { DECORATORS } from '../spec/function';
import { findMethods, parseSource, syntaxErrors, type FoundDecorator } from './ast';

export type DecoratorPatch =
  /** replace the arguments of occurrence `index` (default 0), or add the decorator when it is absent */
  | { op: 'set'; decorator: string; args: unknown[]; index?: number }
  /** add another occurrence (consumes, produces and gates may repeat) */
  | { op: 'add'; decorator: string; args: unknown[] }
  | { op: 'remove'; decorator: string; index?: number }
  /** set one option of an options-object decorator; adds the decorator when it is absent */
  | { op: 'setOption'; decorator: string; option: string; value: unknown; index?: number }
  | { op: 'removeOption'; decorator: string; option: string; index?: number };

export interface TextChange {
  /** offsets in the old source */
  start: number;
  end: number;
  text: string;
}

export type EditResult = { ok: true; source: string; change: TextChange } | { ok: false; error: string };

/** Formats a plain value as TypeScript literal text, the way a person would write it. */
export function toLiteralText(value: unknown): string {
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`cannot write ${value} as a literal`);
    return String(value);
  }
  if (typeof value === 'boolean' || value === null) return String(value);
  if (Array.isArray(value)) return `[${value.map(toLiteralText).join(', ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    if (!entries.length) return '{}';
    return `{ ${entries.map(([k, v]) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : toLiteralText(k)}: ${toLiteralText(v)}`).join(', ')} }`;
  }
  throw new TypeError(`cannot write a ${typeof value} as a literal`);
}

function decoratorText(name: string, args: unknown[]): string {
  return `@${name}(${args.map(toLiteralText).join(', ')})`;
}

function lineStart(text: string, pos: number): number {
  const i = text.lastIndexOf('\n', pos - 1);
  return i + 1;
}

function indentAt(text: string, pos: number): string {
  const ls = lineStart(text, pos);
  return /^[ \t]*/.exec(text.slice(ls))![0];
}

function apply(source: string, change: TextChange): EditResult {
  return { ok: true, source: source.slice(0, change.start) + change.text + source.slice(change.end), change };
}

export function editDecorators(source: string, functionId: string, patch: DecoratorPatch): EditResult {
  let sf: ts.SourceFile;
  try {
    sf = parseSource('edit.ts', source);
  } catch (e) {
    return { ok: false, error: `cannot parse the source: ${(e as Error).message}` };
  }
  if (syntaxErrors(sf).length) return { ok: false, error: 'the file has syntax errors; fix them before editing decorators' };
  const def = DECORATORS[patch.decorator];
  if (!def) return { ok: false, error: `unknown decorator @${patch.decorator}` };
  const method = findMethods(sf).find((m) => m.method === functionId);
  if (!method) return { ok: false, error: `no decorated function '${functionId}' in this file` };
  const mine = method.decorators.filter((d) => d.name === patch.decorator);
  const index = 'index' in patch && patch.index !== undefined ? patch.index : 0;
  const target: FoundDecorator | undefined = mine[index];

  const insertNew = (text: string): EditResult => {
    const last = method.decorators[method.decorators.length - 1];
    const indent = indentAt(source, method.decorators[0].span.start);
    return apply(source, { start: last.span.end, end: last.span.end, text: `\n${indent}${text}` });
  };

  try {
    switch (patch.op) {
      case 'add':
        if (!def.repeatable && mine.length) return { ok: false, error: `@${patch.decorator} may appear only once; use 'set' to change it` };
        return insertNew(decoratorText(patch.decorator, patch.args));
      case 'set': {
        if (!target) {
          if (index > mine.length) return { ok: false, error: `@${patch.decorator} #${index + 1} does not exist on ${functionId}` };
          return insertNew(decoratorText(patch.decorator, patch.args));
        }
        const args = target.args;
        if (!args) return apply(source, { start: target.span.start, end: target.span.end, text: decoratorText(patch.decorator, patch.args) });
        const open = source.indexOf('(', target.span.start + 1 + patch.decorator.length);
        const close = target.span.end - 1;
        return apply(source, { start: open + 1, end: close, text: patch.args.map(toLiteralText).join(', ') });
      }
      case 'remove': {
        if (!target) return { ok: false, error: `${functionId} has no @${patch.decorator}${index ? ` #${index + 1}` : ''} to remove` };
        const { start, end } = target.span;
        const ls = lineStart(source, start);
        const nl = source.indexOf('\n', end);
        const lineEnd = nl < 0 ? source.length : nl;
        const aloneOnLine = /^[ \t]*$/.test(source.slice(ls, start)) && /^[ \t]*$/.test(source.slice(end, lineEnd));
        if (aloneOnLine && nl >= 0) return apply(source, { start: ls, end: nl + 1, text: '' });
        // remove the decorator and the blanks after it
        const after = /^[ \t]*/.exec(source.slice(end))![0].length;
        return apply(source, { start, end: end + after, text: '' });
      }
      case 'setOption':
      case 'removeOption': {
        if (def.arg !== 'options') return { ok: false, error: `@${patch.decorator} takes no options` };
        if (!def.options[patch.option]) return { ok: false, error: `@${patch.decorator} has no option '${patch.option}'` };
        if (!target) {
          if (patch.op === 'removeOption') return { ok: false, error: `${functionId} has no @${patch.decorator}` };
          return insertNew(decoratorText(patch.decorator, [{ [patch.option]: patch.value }]));
        }
        const arg = target.args?.[0];
        if (!arg || !ts.isObjectLiteralExpression(arg)) {
          if (patch.op === 'removeOption') return { ok: false, error: `@${patch.decorator} on ${functionId} has no options object` };
          if (!target.args) return apply(source, { start: target.span.start, end: target.span.end, text: decoratorText(patch.decorator, [{ [patch.option]: patch.value }]) });
          const open = source.indexOf('(', target.span.start + 1 + patch.decorator.length);
          return apply(source, { start: open + 1, end: target.span.end - 1, text: toLiteralText({ [patch.option]: patch.value }) });
        }
        return patch.op === 'setOption' ? setOption(source, sf, arg, patch.option, patch.value) : removeOption(source, sf, arg, patch.option);
      }
    }
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

function propName(p: ts.ObjectLiteralElementLike): string | undefined {
  if (!p.name) return undefined;
  if (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name) || ts.isNumericLiteral(p.name)) return p.name.text;
  return undefined;
}

function setOption(source: string, sf: ts.SourceFile, obj: ts.ObjectLiteralExpression, option: string, value: unknown): EditResult {
  const valueText = toLiteralText(value);
  const existing = obj.properties.find((p) => propName(p) === option);
  if (existing) {
    if (ts.isPropertyAssignment(existing)) {
      return apply(source, { start: existing.initializer.getStart(sf), end: existing.initializer.getEnd(), text: valueText });
    }
    return apply(source, { start: existing.getStart(sf), end: existing.getEnd(), text: `${option}: ${valueText}` });
  }
  const key = /^[A-Za-z_$][\w$]*$/.test(option) ? option : toLiteralText(option);
  const props = obj.properties;
  const openBrace = obj.getStart(sf);
  const closeBrace = obj.getEnd() - 1;
  if (!props.length) {
    return apply(source, { start: openBrace, end: closeBrace + 1, text: `{ ${key}: ${valueText} }` });
  }
  const last = props[props.length - 1];
  const multiline = sf.getLineAndCharacterOfPosition(last.getStart(sf)).line !== sf.getLineAndCharacterOfPosition(openBrace).line;
  const afterLast = source.slice(last.getEnd(), closeBrace);
  const trailingComma = /^\s*,/.test(afterLast);
  if (multiline) {
    const indent = indentAt(source, last.getStart(sf));
    if (trailingComma) {
      const comma = last.getEnd() + afterLast.indexOf(',');
      return apply(source, { start: comma + 1, end: comma + 1, text: `\n${indent}${key}: ${valueText},` });
    }
    return apply(source, { start: last.getEnd(), end: last.getEnd(), text: `,\n${indent}${key}: ${valueText}` });
  }
  if (trailingComma) {
    const comma = last.getEnd() + afterLast.indexOf(',');
    return apply(source, { start: comma + 1, end: comma + 1, text: ` ${key}: ${valueText},` });
  }
  return apply(source, { start: last.getEnd(), end: last.getEnd(), text: `, ${key}: ${valueText}` });
}

function removeOption(source: string, sf: ts.SourceFile, obj: ts.ObjectLiteralExpression, option: string): EditResult {
  const props = obj.properties;
  const i = props.findIndex((p) => propName(p) === option);
  if (i < 0) return { ok: false, error: `option '${option}' is not set` };
  const p = props[i];
  if (i + 1 < props.length) return apply(source, { start: p.getStart(sf), end: props[i + 1].getStart(sf), text: '' });
  if (i > 0) {
    // last of several: with a trailing comma, drop "<blank>option: value," and keep the
    // comma after the previous option; without one, drop ", option: value"
    const rest = source.slice(p.getEnd(), obj.getEnd() - 1);
    const m = /^\s*,/.exec(rest);
    if (m) {
      const prevEnd = props[i - 1].getEnd();
      const comma = prevEnd + source.slice(prevEnd).indexOf(',');
      return apply(source, { start: comma + 1, end: p.getEnd() + m[0].length, text: '' });
    }
    return apply(source, { start: props[i - 1].getEnd(), end: p.getEnd(), text: '' });
  }
  return apply(source, { start: obj.getStart(sf), end: obj.getEnd(), text: '{}' });
}
