/**
 * The studio's parse cache (preprocessor ParseCache): what each function file parsed to, by a hash
 * of its name and text. In memory for the edits of one session (a snapshot reloads the project,
 * and only the file that changed is parsed again), and, when given a folder, on disk for the next
 * start: a project whose files have not changed since opens without loading TypeScript at all.
 *
 * Entries are JSON (what preprocessSource returns is plain data), so every hit is a fresh copy
 * that no caller can change for the next one. A folder belongs to one build of the parser (the
 * caller names it by its build); an entry that cannot be read or does not have the result's
 * shape is a miss, and writing is best-effort: a cache never makes a parse fail.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ParseCache, PreprocessResult } from '../preprocessor/preprocess';

/** how many files the memory keeps (a workflow of thousands of functions still fits) */
const MEMORY_ENTRIES = 5000;

export function parseCache(dir?: string): ParseCache {
  const memory = new Map<string, string>();
  let made = false;
  const keyOf = (file: string, source: string) => createHash('sha256').update(file).update('\0').update(source).digest('hex');
  const parsed = (text: string): PreprocessResult | undefined => {
    try {
      const r = JSON.parse(text) as PreprocessResult;
      return Array.isArray(r?.functions) && Array.isArray(r.diagnostics) && Array.isArray(r.declared) ? r : undefined;
    } catch {
      return undefined;
    }
  };
  return {
    get(file, source) {
      const key = keyOf(file, source);
      const m = memory.get(key);
      if (m !== undefined) return parsed(m);
      if (!dir) return undefined;
      let text: string;
      try {
        text = readFileSync(join(dir, `${key}.json`), 'utf8');
      } catch {
        return undefined;
      }
      const r = parsed(text);
      if (r) remember(key, text);
      return r;
    },
    set(file, source, result) {
      const key = keyOf(file, source);
      const text = JSON.stringify(result);
      remember(key, text);
      if (!dir) return;
      try {
        if (!made) mkdirSync(dir, { recursive: true });
        made = true;
        const tmp = join(dir, `${key}.${process.pid}.tmp`);
        writeFileSync(tmp, text);
        renameSync(tmp, join(dir, `${key}.json`));
      } catch {
        // a cache that cannot be written only makes the next start parse again
      }
    },
  };

  function remember(key: string, text: string): void {
    if (memory.size >= MEMORY_ENTRIES) memory.delete(memory.keys().next().value as string);
    memory.set(key, text);
  }
}
