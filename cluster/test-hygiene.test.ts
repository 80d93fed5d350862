/**
 * The tests' own rules (issue 12), read from the test code itself so a new test cannot quietly
 * break them:
 * - every property test (fast-check's fc.assert / fc.check) runs from a fixed seed, so a failure
 *   is the same on the next run (fast-check prints the seed and path with it);
 * - no test cleans up on process 'exit': vitest's workers never see it (use afterAll / onTestFinished);
 * - no e2e test sleeps a fixed time (Playwright's waitForTimeout): it waits for the state it needs;
 * - no comparison passes when the call under test failed: `expect(r.ok && …).toBe(false)` and
 *   `expect(a.ok && …).toEqual(b.ok && …)` hold for a failed call.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';

const ROOT = resolve(import.meta.dirname, '..');

/** Test code: *.test.ts(x) and the helpers tests share (testing/ folders, e2e/, the runtime suite). */
function testFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (name === 'node_modules' || name === 'fixtures') continue;
    if (statSync(p).isDirectory()) out.push(...testFiles(p));
    else if (/\.tsx?$/.test(name) && (/\.test\.tsx?$/.test(name) || /[/\\](testing|e2e)[/\\]/.test(p) || name === 'runtime-suite.ts')) out.push(relative(ROOT, p));
  }
  return out;
}

const FILES = ['cluster', 'renderer', 'electron', 'e2e', 'samples', 'bench'].flatMap((d) => testFiles(join(ROOT, d)));

const parsed = new Map<string, ts.SourceFile>();
function walk(file: string, visit: (n: ts.Node, sf: ts.SourceFile) => void): void {
  let sf = parsed.get(file);
  if (!sf) parsed.set(file, (sf = ts.createSourceFile(file, readFileSync(join(ROOT, file), 'utf8'), ts.ScriptTarget.Latest, true, file.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS)));
  const go = (n: ts.Node) => {
    visit(n, sf);
    ts.forEachChild(n, go);
  };
  go(sf!);
}

const where = (file: string, sf: ts.SourceFile, n: ts.Node) => `${file}:${sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1}`;

/** `a.b(…)` with a and b as given. */
function isCall(n: ts.Node, object: string, method: string): n is ts.CallExpression {
  return ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && ts.isIdentifier(n.expression.expression) && n.expression.expression.text === object && n.expression.name.text === method;
}

/** `x.ok && …` (x any expression) */
function isOkAnd(n: ts.Node): boolean {
  return ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken && ts.isPropertyAccessExpression(n.left) && n.left.name.text === 'ok';
}

describe('test hygiene', () => {
  it('finds the test code', () => {
    expect(FILES).toEqual(expect.arrayContaining(['cluster/scheduler/properties.test.ts', 'e2e/harness.ts', 'cluster/runtime/runtime-suite.ts']));
  });

  it('every property test runs from a fixed seed', () => {
    const unseeded: string[] = [];
    for (const file of FILES) {
      walk(file, (n, sf) => {
        if (!isCall(n, 'fc', 'assert') && !isCall(n, 'fc', 'check')) return;
        const opts = n.arguments[1];
        const seeded = !!opts && ts.isObjectLiteralExpression(opts) && opts.properties.some((p) => p.name && ts.isIdentifier(p.name) && p.name.text === 'seed');
        if (!seeded) unseeded.push(where(file, sf, n));
      });
    }
    expect(unseeded).toEqual([]);
  });

  it("no test cleans up on process 'exit' (vitest's workers never see it)", () => {
    const found: string[] = [];
    for (const file of FILES) {
      walk(file, (n, sf) => {
        if ((isCall(n, 'process', 'on') || isCall(n, 'process', 'once')) && ts.isStringLiteral(n.arguments[0]) && n.arguments[0].text === 'exit') found.push(where(file, sf, n));
      });
    }
    expect(found).toEqual([]);
  });

  it('no e2e test sleeps a fixed time', () => {
    const found: string[] = [];
    for (const file of FILES) {
      walk(file, (n, sf) => {
        if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && n.expression.name.text === 'waitForTimeout') found.push(where(file, sf, n));
      });
    }
    expect(found).toEqual([]);
  });

  it('no comparison passes when the call under test failed', () => {
    const found: string[] = [];
    for (const file of FILES) {
      walk(file, (n, sf) => {
        // expect(<x>.ok && …).<matcher>(<arg>)
        if (!ts.isCallExpression(n) || !ts.isPropertyAccessExpression(n.expression)) return;
        const inner = n.expression.expression;
        if (!ts.isCallExpression(inner) || !ts.isIdentifier(inner.expression) || inner.expression.text !== 'expect' || !inner.arguments[0] || !isOkAnd(inner.arguments[0])) return;
        const matcher = n.expression.name.text;
        const arg = n.arguments[0];
        const falsy = (matcher === 'toBe' || matcher === 'toEqual' || matcher === 'toStrictEqual') && arg && (arg.kind === ts.SyntaxKind.FalseKeyword || isOkAnd(arg));
        if (falsy || matcher === 'toBeFalsy') found.push(where(file, sf, n));
      });
    }
    expect(found).toEqual([]);
  });
});
