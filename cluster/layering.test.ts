/**
 * The layering of the code, checked (in the spirit of VS Code's code-layering rule): which
 * folder may import which, read from the import statements themselves. The rules:
 * - the renderer imports, of cluster/, only the StudioApi contract and browser-safe common code,
 *   and nothing it reaches loads a Node-only module;
 * - the scheduler, the planner and the simulator are pure: nothing they reach loads node:* or a
 *   Node-only package, and they import nothing of the runtime;
 * - the spec depends on nothing but common/ (and zod); common/ on nothing of the platform;
 * - app/ never imports the CLI; nothing below the front ends imports server/, cli/ or app/;
 * - nothing in cluster/ imports the renderer or electron.
 * Type-only imports are erased at build time and do not count for what a module loads.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const ROOT = resolve(import.meta.dirname, '..');

interface Import {
  spec: string;
  /** the file it resolves to (relative to ROOT), for a relative import */
  file?: string;
  /** `import type …` / `export type … from`: erased */
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (name === 'node_modules' || name === 'fixtures') continue;
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (/\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name) && !name.endsWith('.d.ts')) out.push(relative(ROOT, p));
  }
  return out;
}

function resolveRelative(from: string, spec: string): string | undefined {
  const base = resolve(ROOT, dirname(from), spec);
  for (const c of [base, `${base}.ts`, `${base}.tsx`, join(base, 'index.ts')]) if (existsSync(c) && statSync(c).isFile()) return relative(ROOT, c);
  return undefined;
}

const cache = new Map<string, Import[]>();
function importsOf(file: string): Import[] {
  const hit = cache.get(file);
  if (hit) return hit;
  const text = readFileSync(join(ROOT, file), 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, file.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const out: Import[] = [];
  const add = (spec: string, typeOnly: boolean) => out.push({ spec, typeOnly, ...(spec.startsWith('.') ? { file: resolveRelative(file, spec) } : {}) });
  const visit = (n: ts.Node) => {
    if (ts.isImportDeclaration(n) && ts.isStringLiteral(n.moduleSpecifier)) {
      const clause = n.importClause;
      const typeOnly = !!clause && (clause.isTypeOnly || (!clause.name && !!clause.namedBindings && ts.isNamedImports(clause.namedBindings) && clause.namedBindings.elements.length > 0 && clause.namedBindings.elements.every((e) => e.isTypeOnly)));
      add(n.moduleSpecifier.text, typeOnly);
    } else if (ts.isExportDeclaration(n) && n.moduleSpecifier && ts.isStringLiteral(n.moduleSpecifier)) {
      add(n.moduleSpecifier.text, n.isTypeOnly);
    } else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword && n.arguments[0] && ts.isStringLiteral(n.arguments[0])) {
      add(n.arguments[0].text, false);
    } else if (ts.isImportTypeNode(n)) {
      return; // import('x').T in a type position
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  cache.set(file, out);
  return out;
}

/** Packages that exist only in Node (or load native code). */
const NODE_ONLY = /^(node:|better-sqlite3|dockerode|esbuild|tsx|ws$|typescript$|vite|electron|@tensorflow\/tfjs-node)/;

/** Every Node-only module a file loads, with the chain of value imports that leads there. */
function nodeOnlyReach(file: string): Array<{ chain: string[]; spec: string }> {
  const found: Array<{ chain: string[]; spec: string }> = [];
  const seen = new Set<string>();
  const walk = (f: string, chain: string[]) => {
    if (seen.has(f)) return;
    seen.add(f);
    for (const i of importsOf(f)) {
      if (i.typeOnly) continue;
      if (NODE_ONLY.test(i.spec)) found.push({ chain: [...chain, f], spec: i.spec });
      else if (i.file) walk(i.file, [...chain, f]);
    }
  };
  walk(file, []);
  return found;
}

const clusterFiles = sourceFiles(join(ROOT, 'cluster'));
const rendererFiles = sourceFiles(join(ROOT, 'renderer')).filter((f) => !f.endsWith('vite.config.ts'));
const under = (folder: string) => clusterFiles.filter((f) => f.startsWith(`cluster/${folder}/`));
const show = (xs: Array<{ chain: string[]; spec: string }>) => xs.map((x) => `${x.chain.join(' → ')} → ${x.spec}`);

describe('the layering of the code', () => {
  it('reads the imports it checks (a sanity check of this test)', () => {
    expect(clusterFiles.length).toBeGreaterThan(100);
    expect(importsOf('cluster/planning/plan.ts').map((i) => i.file)).toContain('cluster/scheduler/schedule.ts');
    expect(nodeOnlyReach('cluster/runtime/controller.ts').length).toBeGreaterThan(0);
  });

  it('the renderer imports, of cluster/, only the contract and browser-safe common code', () => {
    const wrong: string[] = [];
    for (const f of rendererFiles) {
      for (const i of importsOf(f)) {
        if (!i.file?.startsWith('cluster/')) continue;
        if (i.typeOnly) continue;
        if (i.file !== 'cluster/api/contract.ts' && !i.file.startsWith('cluster/common/')) wrong.push(`${f} → ${i.file}`);
      }
    }
    expect(wrong).toEqual([]);
    const reach = rendererFiles.flatMap((f) => nodeOnlyReach(f).filter((x) => x.chain.some((c) => c.startsWith('cluster/'))));
    expect(show(reach)).toEqual([]);
  });

  it('scheduler, planning and simulator are pure: no node:* reached, no runtime imported', () => {
    const pure = [...under('scheduler'), ...under('planning'), ...under('simulator')];
    expect(show(pure.flatMap(nodeOnlyReach))).toEqual([]);
    const runtime = pure.flatMap((f) => importsOf(f).filter((i) => i.file?.startsWith('cluster/runtime/')).map((i) => `${f} → ${i.file}`));
    expect(runtime).toEqual([]);
  });

  it('spec depends on common/ alone; common/ on nothing of the platform but its own files', () => {
    const wrong = [...under('spec'), ...under('common')].flatMap((f) =>
      importsOf(f)
        .filter((i) => i.file && !i.file.startsWith('cluster/common/') && !(f.startsWith('cluster/spec/') && i.file.startsWith('cluster/spec/')))
        // the simulation choices name the device table's workloads (a type-only import chain)
        .filter((i) => !(f === 'cluster/common/sim-choices.ts' && i.file === 'cluster/topology/catalog.ts'))
        .map((i) => `${f} → ${i.file}`),
    );
    expect(wrong).toEqual([]);
    expect(show(under('common').flatMap(nodeOnlyReach))).toEqual([]);
  });

  it('front ends sit on top: app never imports cli; nothing below them imports app, cli or server', () => {
    const wrong: string[] = [];
    const fronts = ['app', 'cli', 'server'];
    for (const f of clusterFiles) {
      const folder = f.split('/')[1];
      for (const i of importsOf(f)) {
        const target = i.file?.split('/')[1];
        if (!i.file || !target || target === folder) continue;
        if (folder === 'app' && target === 'cli') wrong.push(`${f} → ${i.file}`);
        if (!fronts.includes(folder) && fronts.includes(target)) wrong.push(`${f} → ${i.file}`);
        if (i.file.startsWith('renderer/') || i.file.startsWith('electron/')) wrong.push(`${f} → ${i.file}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
