/**
 * A function's code identity: what a `changed` deploy compares to decide whether a function
 * changed. One file may hold several functions (methods of one class, or several classes) and
 * ships as one bundle, but editing one of them must not cold-start the others: the identity of
 * a function is the hash of its file with every OTHER function's method (decorators and body)
 * cut out. So a change to the function itself, or to anything it can reach that is not another
 * function (imports, helpers, constants, its class's other members), changes its identity; a
 * change inside a sibling function does not.
 */
import { createHash } from 'node:crypto';
import { findMethods, parseSource } from './ast';

/** function id (method name) → sha256 of what its behaviour depends on in this file. */
export function functionIdentities(file: string, source: string): Map<string, string> {
  const sf = parseSource(file, source);
  const methods = findMethods(sf).map((m) => ({ id: m.method, start: m.node.getFullStart(), end: m.node.getEnd() }));
  const out = new Map<string, string>();
  for (const m of methods) {
    let text = '';
    let at = 0;
    for (const other of methods) {
      if (other === m) continue;
      text += source.slice(at, other.start) + `/*${other.id}*/`;
      at = other.end;
    }
    text += source.slice(at);
    out.set(m.id, createHash('sha256').update(text).digest('hex'));
  }
  return out;
}
