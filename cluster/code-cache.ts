/**
 * Loading a bundled CommonJS file through V8's code cache, for the plain-`node` bundles' start-up
 * (cluster/bundling.ts): TypeScript's minified copy (typescript.min.cjs) and the browser-mode
 * server's service (dist/web/service.cjs, cluster/server/web.ts). Node 20 keeps no compile cache
 * of its own (module.enableCompileCache is Node 22), and an ES module cannot be given one; a
 * vm.Script can. With the cache V8 deserializes the functions a previous start compiled instead of
 * parsing and compiling them again: for the service, ~40 ms of compiling becomes ~20 ms of reading
 * the cache on a quiet machine, and much more is saved while the browser competes for the cores.
 *
 * The cache belongs to one build of the file: V8 checks only the source's length and its own
 * flags. A rebuild removes the bundle's folder, cache included; a process still running the old
 * build writes its cache only while the file it loaded is unchanged (same size and mtime), and
 * atomically (a temporary file renamed), so no start ever reads a cache made for other code.
 */
import Module, { createRequire } from 'node:module';
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Script } from 'node:vm';

/**
 * The name a code-cached file calls instead of `import()`: V8 drops the dynamic-import callback of a
 * script compiled from a code cache (node 20: 'A dynamic import callback was not specified'), so a
 * bundle loaded here has its import()s rewritten to this parameter of its wrapper (web.ts does it
 * for the service bundle; TypeScript has none).
 */
export const DYNAMIC_IMPORT = '__edgeaiImport';

/**
 * CommonJS's module wrapper, with DYNAMIC_IMPORT as one more parameter. The build that writes a
 * cache (bundling.ts's minifyTypeScript) and the load that reads it must wrap alike: V8 takes a
 * cache only for the same source length.
 */
export function wrapCommonJs(source: string): string {
  return `(function (exports, require, module, __filename, __dirname, ${DYNAMIC_IMPORT}) { ${source}\n});`;
}


export interface CodeCacheOptions {
  /** where the file's own require()s resolve from (default: the file itself) */
  resolveFrom?: string;
  /** write a missing or rejected cache this long after the load, so the functions first used are in it (default 1500 ms; 0: before returning) */
  writeAfterMs?: number;
  /**
   * what the file's DYNAMIC_IMPORT calls do: the caller's own `(s) => import(s)`, from an ES
   * module (this file has none: it is bundled into the code-cached service too). Without it they
   * fail, saying so.
   */
  dynamicImport?: (specifier: string) => Promise<unknown>;
}

/** What a load did with the cache (for tests and benchmarks). */
export interface CodeCacheLoad<T> {
  exports: T;
  /** 'used': V8 took the cache; 'rejected': it refused it (another node, other flags); 'none': there was none */
  cache: 'used' | 'rejected' | 'none';
  /** resolves once a new cache has been written (or skipped); undefined when the cache was used */
  written?: Promise<boolean>;
}

/**
 * Runs `file` (CommonJS, ASCII only: it is read as latin1, without UTF-8 decoding) as a module and
 * returns its exports, compiled from `cacheFile` when V8 accepts it. Its dynamic imports must call
 * DYNAMIC_IMPORT (see there), which runs `opts.dynamicImport`. A missing or rejected
 * cache is written `writeAfterMs` later, off the load's path; any failure to write is ignored (a
 * read-only install starts without one). Throws what the file's evaluation throws.
 */
export function requireWithCodeCache<T = unknown>(file: string, cacheFile: string, opts: CodeCacheOptions = {}): CodeCacheLoad<T> {
  const before = statSync(file);
  const cachedData = existsSync(cacheFile) ? readFileSync(cacheFile) : undefined;
  const script = new Script(wrapCommonJs(readFileSync(file, 'latin1')), { filename: file, ...(cachedData ? { cachedData } : {}) });
  const from = opts.resolveFrom ?? file;
  const mod = new Module(file);
  mod.filename = file;
  mod.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(dirname(from));
  const dynamicImport = opts.dynamicImport ?? ((specifier: string) => Promise.reject(new Error(`${file} cannot import ${specifier}: it was loaded without a dynamicImport (code-cache.ts)`)));
  (script.runInThisContext() as (...a: unknown[]) => void).call(mod.exports, mod.exports, createRequire(from), mod, file, dirname(file), dynamicImport);
  mod.loaded = true;
  const cache = !cachedData ? 'none' : script.cachedDataRejected ? 'rejected' : 'used';
  if (cache === 'used') return { exports: mod.exports as T, cache };
  const write = (): boolean => {
    try {
      const now = statSync(file);
      if (now.size !== before.size || now.mtimeMs !== before.mtimeMs) return false;
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      writeFileSync(tmp, script.createCachedData());
      renameSync(tmp, cacheFile);
      return true;
    } catch {
      return false;
    }
  };
  // 0: at once (a build making the cache of what it just bundled)
  const written = opts.writeAfterMs === 0 ? Promise.resolve(write()) : new Promise<boolean>((done) => setTimeout(() => done(write()), opts.writeAfterMs ?? 1500).unref());
  return { exports: mod.exports as T, cache, written };
}
