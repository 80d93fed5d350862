/** JSON files that diff well: pretty, stable key order, newline at the end, written atomically. */
import { writeFileSync, renameSync, openSync, fsyncSync, closeSync } from 'node:fs';

/** Sorts the keys of plain records (not of schema objects, whose order the schema fixes). */
export function sortRecordKeys<T extends Record<string, unknown>>(rec: T): T {
  return Object.fromEntries(Object.entries(rec).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) as T;
}

export function stableJson(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}

/** Writes a file so that a crash leaves either the old or the new content, never half. */
export function writeFileAtomic(path: string, content: string): void {
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(tmp, content);
  const fd = openSync(tmp, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** Line and column (1-based) of a JSON path in the text, best effort, for error messages. */
export function locateJsonPath(text: string, path: ReadonlyArray<string | number>): { line: number; column: number } {
  let pos = 0;
  for (const seg of path) {
    if (typeof seg === 'string') {
      const i = text.indexOf(JSON.stringify(seg), pos);
      if (i < 0) break;
      pos = i;
    } else {
      // the n-th element of the array that starts after pos
      const open = text.indexOf('[', pos);
      if (open < 0) break;
      let depth = 0;
      let count = 0;
      let found = -1;
      for (let j = open + 1; j < text.length; j++) {
        const c = text[j];
        if (c === '"') {
          j = skipString(text, j);
          continue;
        }
        if (depth === 0 && found < 0 && !/\s/.test(c) && c !== ',' && c !== ']') {
          if (count === seg) found = j;
        }
        if (c === '[' || c === '{') depth++;
        else if (c === ']' || c === '}') {
          if (depth === 0) break;
          depth--;
          if (depth === 0 && count === seg && found >= 0) break;
        } else if (c === ',' && depth === 0) count++;
      }
      if (found < 0) break;
      pos = found;
    }
  }
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const column = pos - before.lastIndexOf('\n');
  return { line, column };
}

function skipString(text: string, start: number): number {
  for (let j = start + 1; j < text.length; j++) {
    if (text[j] === '\\') j++;
    else if (text[j] === '"') return j;
  }
  return text.length;
}
