/**
 * How the platform's entry points are bundled for a plain `node` (no tsx): the browser-mode
 * server (cluster/server/web.ts) and the `edgeai` CLI (cluster/cli/bundle.ts) share these pieces.
 * Node-only build tooling; nothing here runs in a served process except TYPESCRIPT_LOADER, which
 * becomes the bundles' `typescript` module.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Plugin } from 'esbuild';
import { platformRoot } from './sources';
import { DYNAMIC_IMPORT, wrapCommonJs } from './code-cache';

export const ROOT = platformRoot(import.meta.url);

/** The newest mtime under `path`, tests left out: a bundle older than it is stale. */
export function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let m = 0;
  for (const name of readdirSync(path)) {
    if (name === 'node_modules' || name.endsWith('.test.ts') || name.endsWith('.test.tsx')) continue;
    m = Math.max(m, newestMtime(join(path, name)));
  }
  return m;
}

/**
 * Writes dist/web/typescript.min.cjs (TypeScript minified, same behaviour: identifiers renamed,
 * names kept) and its V8 code cache, made after parsing the shipped sample's functions so the
 * parser's functions are compiled into it. The cache is only valid for this node binary and its
 * V8 flags; a start that finds it rejected writes a new one.
 */
export async function minifyTypeScript(outDir: string): Promise<void> {
  const esbuild = await import('esbuild');
  const require = createRequire(import.meta.url);
  const file = join(outDir, TS_MIN);
  await esbuild.build({ entryPoints: [require.resolve('typescript')], outfile: file, minify: true, keepNames: true, format: 'cjs', platform: 'node', target: 'node20', charset: 'ascii', logLevel: 'warning' });
  const { Script } = await import('node:vm');
  const script = new Script(wrapCommonJs(readFileSync(file, 'latin1')), { filename: file });
  const mod = { exports: {} as typeof import('typescript') };
  script.runInThisContext().call(mod.exports, mod.exports, createRequire(require.resolve('typescript')), mod, file, outDir);
  const ts = mod.exports;
  const samples = join(ROOT, 'samples', 'mnist', 'functions');
  for (const name of existsSync(samples) ? readdirSync(samples) : []) {
    if (!name.endsWith('.ts')) continue;
    const sf = ts.createSourceFile(name, readFileSync(join(samples, name), 'utf8'), ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
    const walk = (n: import('typescript').Node): void => {
      n.getStart(sf);
      ts.forEachChild(n, walk);
    };
    walk(sf);
  }
  writeFileSync(join(outDir, TS_CACHE), script.createCachedData());
}

const TS_MIN = 'typescript.min.cjs';
const TS_CACHE = 'typescript.v8cache';

/**
 * The package's dependencies as esbuild externals, but `inside`. zod goes inside the web bundle:
 * one module instead of ~70 for node's ES module loader to resolve and link (~40 ms of the
 * service's load). The runtime, loaded from its sources, imports its own copy; nothing zod made
 * crosses between the two.
 */
export function externalPackages(inside: string[]): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
  const names = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies, ...pkg.optionalDependencies }).filter((n) => !inside.includes(n));
  return [...names, ...names.map((n) => `${n}/*`)];
}

/**
 * zod's messages in English only, inside a bundle: zod/v4 re-exports its ~45 locales from
 * locales/index.js (370 KB of the 783 KB zod adds to the web bundle) and configures English
 * itself; nothing in this project picks another locale. The bundle's copy of that index exports
 * English alone, so node parses half as much of zod at every start.
 */
export const zodEnglishOnly: Plugin = {
  name: 'zod-english-only',
  setup(b) {
    b.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, () => ({ contents: 'export { default as en } from "./en.js";\n', loader: 'js' }));
  },
};

/** The bundle's `typescript` module: CommonJS through V8's code cache (see typescriptByRequire). */
const TYPESCRIPT_LOADER = `
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireWithCodeCache } from './code-cache';
const require = createRequire(import.meta.url);
function load() {
  if (process.env.EDGEAI_WEB_CODE_CACHE === '0') return require('typescript');
  try {
    const here = dirname(fileURLToPath(import.meta.url));
    const file = join(here, '${TS_MIN}');
    if (!existsSync(file)) return require('typescript');
    // the cache is rewritten a little later, so the functions the first parses compiled are in it too
    return requireWithCodeCache(file, join(here, '${TS_CACHE}'), { resolveFrom: require.resolve('typescript') }).exports;
  } catch {
    return require('typescript');
  }
}
// loaded on first use, not at import: a project opened from the parse cache (project/parse-cache.ts)
// needs no TypeScript, and the service starts ~0.5 s sooner
let ts;
export default new Proxy({}, {
  get: (_, key) => (ts ??= load())[key],
  has: (_, key) => key in (ts ??= load()),
  ownKeys: () => Reflect.ownKeys(ts ??= load()),
  getOwnPropertyDescriptor: (_, key) => { const d = Object.getOwnPropertyDescriptor(ts ??= load(), key); return d && { ...d, configurable: true }; },
});
`;


/**
 * `import ts from 'typescript'` through node's ESM loader first scans the 9 MB CommonJS file for
 * its named exports (cjs-module-lexer, ~0.4 s); instead a bundle loads a minified copy
 * (typescript.min.cjs beside it, 3.6 MB: reading and compiling it is ~2.5x cheaper) as CommonJS
 * through V8's code cache (typescript.v8cache, written by minifyTypeScript and again after a start
 * whose cache V8 rejected). Any failure falls back to a plain require('typescript').
 */
export const typescriptByRequire: Plugin = {
  name: 'typescript-by-require',
  setup(b) {
    b.onResolve({ filter: /^typescript$/ }, (args) => (args.namespace === 'ts-require' ? { path: 'typescript', external: true } : { path: 'typescript', namespace: 'ts-require' }));
    // resolveDir: the loader's own import of ./code-cache resolves to cluster/code-cache.ts
    b.onLoad({ filter: /.*/, namespace: 'ts-require' }, () => ({ contents: TYPESCRIPT_LOADER, loader: 'js', resolveDir: join(ROOT, 'cluster') }));
  },
};

/**
 * For a CommonJS bundle loaded through requireWithCodeCache (code-cache.ts): its import()s of
 * external modules (the runtime's sources, by absolute file URL) become calls of the wrapper's
 * DYNAMIC_IMPORT, since a script compiled from a code cache cannot run import() itself. Any other
 * import() left in the code fails the build, saying where: it would fail at run time instead,
 * and only on the starts that use the cache.
 */
export const dynamicImportsThroughWrapper: Plugin = {
  name: 'dynamic-imports-through-wrapper',
  setup(b) {
    b.onEnd((result) => {
      if (result.errors.length) return;
      const out = b.initialOptions.outfile;
      if (!out) throw new Error('dynamicImportsThroughWrapper needs an outfile');
      const rewritten = readFileSync(out, 'latin1').replace(/(?<![\w$.])import\(("[^"\n]+")\)/g, `${DYNAMIC_IMPORT}($1)`);
      const left = rewritten.split('\n').flatMap((line, i) => (/(?<![\w$.])import\(/.test(line) && !/^\s*(\/\/|\*|\/\*)/.test(line) ? [`${out}:${i + 1}: ${line.trim().slice(0, 120)}`] : []));
      if (left.length) throw new Error(`a code-cached bundle cannot run import() (code-cache.ts); route these through ${DYNAMIC_IMPORT}:\n${left.join('\n')}`);
      writeFileSync(out, rewritten, 'latin1');
    });
  },
};
