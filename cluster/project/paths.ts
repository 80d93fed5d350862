/**
 * Paths inside a project folder, and only inside: one rule for every file the platform reads or
 * writes on a project's behalf (the studio's file methods, loading a project, importing its data
 * files). A path is inside when the real path of what it names — or, for a file not written yet,
 * of its nearest existing folder — is under the project's real path, so neither `..` nor a
 * symbolic link that points out of the project (to /etc/passwd, to another project) escapes.
 */
import { existsSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { StudioError } from '../common/errors';

function inside(root: string, p: string): boolean {
  const rel = relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** The real path of `p`, or of its nearest existing ancestor joined with the rest. */
function realish(p: string): string {
  let existing = p;
  const rest: string[] = [];
  while (!existsSync(existing)) {
    const up = dirname(existing);
    if (up === existing) break;
    rest.unshift(existing.slice(up.length + (up.endsWith(sep) ? 0 : 1)));
    existing = up;
  }
  return resolve(realpathSync(existing), ...rest);
}

/** Whether `rel` (relative to `dir`) stays inside the project, symbolic links followed. */
export function staysInside(dir: string, rel: string): boolean {
  const root = resolve(dir);
  const p = resolve(root, rel);
  if (!inside(root, p)) return false;
  return inside(realpathSync(root), realish(p));
}

/** Resolves a project-relative path, refusing one that leaves the project (`..`, an absolute path, or a link out). */
export function containedPath(dir: string, rel: string, what = 'path'): string {
  const root = resolve(dir);
  if (!staysInside(root, rel)) {
    throw new StudioError('path-outside-project', `${what} '${rel}' is outside the project folder ${root}${inside(root, resolve(root, rel)) ? ' (a symbolic link leads out of it)' : ''}`, 'use a path relative to the project, such as functions/train.ts, that names a file in it');
  }
  return resolve(root, rel);
}
