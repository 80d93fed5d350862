/**
 * The cluster's agent secret: node agents serve only the controller that started them
 * (issue 11, item 6). `cluster up` makes a random secret and keeps it in the cluster's directory
 * (`$EDGEAI_HOME/clusters/<name>/agent-secret`, file mode 0600); a controller that adopts a
 * running cluster reads it there. Every request to an agent carries it
 * (`Authorization: Bearer <secret>`, sent by AgentClient); the agent compares it in constant time.
 *
 * How it reaches an agent without reaching function code:
 * - process backend: on the agent's stdin at spawn (`--secret-stdin`), then stdin is closed. Not
 *   on the command line (ps shows it), not in the agent's environment (/proc/<pid>/environ, and
 *   whatever the agent starts), not in a file in the node's store. Workers are forked with a
 *   whitelisted environment and may read only their runtime, bundle, the node's blobs and their
 *   scratch folder: neither the cluster's directory nor /proc.
 * - docker backend: the container's environment (EDGEAI_AGENT_SECRET); the agent deletes it from
 *   its process.env once read, its workers get the same whitelisted environment and cannot read
 *   /proc/1/environ (the permission model); who can `docker inspect` the container holds the
 *   Docker socket, which is root on the host anyway.
 *
 * Only node:crypto and node:fs here: the agent bundle imports it.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The file in a cluster's directory that holds its agent secret. */
export const SECRET_FILE = 'agent-secret';
/** The environment variable a container's agent reads its secret from. */
export const SECRET_ENV = 'EDGEAI_AGENT_SECRET';
/** A secret shorter than this is refused (the ones made here are 43 characters: 32 random bytes). */
export const MIN_SECRET_LENGTH = 32;

export function secretPathOf(clusterDir: string): string {
  return join(clusterDir, SECRET_FILE);
}

/** A fresh random secret (32 bytes, base64url: safe in a header, an env var, a file). */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** Makes and keeps a new secret for the cluster (mode 0600, written whole: a temp file renamed). */
export function writeClusterSecret(clusterDir: string): string {
  const secret = newSecret();
  const file = secretPathOf(clusterDir);
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(tmp, secret + '\n', { mode: 0o600, flag: 'wx' });
  // the mode of a created file is masked by the umask: say it again
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
  return secret;
}

/** The cluster's secret, or undefined when it has none (a cluster that is down, or from before secrets). */
export function readClusterSecret(clusterDir: string): string | undefined {
  try {
    const s = readFileSync(secretPathOf(clusterDir), 'utf8').trim();
    return s.length >= MIN_SECRET_LENGTH ? s : undefined;
  } catch {
    return undefined;
  }
}

export function removeClusterSecret(clusterDir: string): void {
  rmSync(secretPathOf(clusterDir), { force: true });
}

/** The Authorization header value that carries a secret. */
export function bearer(secret: string): string {
  return `Bearer ${secret}`;
}

/**
 * Whether an Authorization header carries `secret`, in constant time: both sides are hashed
 * first, so neither the length nor the first differing byte shows in the time taken.
 */
export function authorized(header: string | string[] | undefined, secret: string): boolean {
  if (typeof header !== 'string') return false;
  const m = /^Bearer ([^\s]+)$/.exec(header.trim());
  const given = createHash('sha256').update(m ? m[1] : '').digest();
  const want = createHash('sha256').update(secret).digest();
  return timingSafeEqual(given, want) && !!m;
}

/**
 * Whether a Host header names this agent as the controller reaches it: 127.0.0.1, localhost or
 * [::1] (a process agent, which listens on loopback), or one of the agent's own IPv4 addresses
 * (`own`: a container's agent, which the host reaches at its address on the cluster's Docker
 * network), with the agent's port when it is known. A page that rebinds its own DNS name to one
 * of these addresses sends its own name: refused either way.
 */
export function hostAllowed(host: string | undefined, port: number | undefined, own: readonly string[] = []): boolean {
  if (!host) return false;
  const m = /^(127\.0\.0\.1|localhost|\[::1\]|\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/i.exec(host);
  if (!m) return false;
  const name = m[1].toLowerCase();
  if (/^\d/.test(name) && name !== '127.0.0.1' && !own.includes(name)) return false;
  return port === undefined || Number(m[2]) === port;
}
