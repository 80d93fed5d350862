/**
 * Where a cluster keeps its state: `$EDGEAI_HOME/clusters/<name>` (default home ~/.edgeai):
 * state.db (nodes, deployments, runs), registry/ (the cluster's one artifact registry) and
 * nodes/<node>/ (the process backend's node stores). One rule for the controller and for the
 * CLI commands that read a cluster's registry without starting a controller.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';

export const DEFAULT_CLUSTER = 'local';

export function edgeaiHome(home?: string): string {
  return resolve(home ?? process.env.EDGEAI_HOME ?? join(homedir(), '.edgeai'));
}

export function clusterDirOf(opts: { home?: string; cluster?: string } = {}): string {
  return join(edgeaiHome(opts.home), 'clusters', opts.cluster ?? process.env.EDGEAI_CLUSTER ?? DEFAULT_CLUSTER);
}

export function clusterRegistryDir(opts: { home?: string; cluster?: string } = {}): string {
  return join(clusterDirOf(opts), 'registry');
}

/** Whether the cluster's state says it is up (read-only: nothing is created when it has none). */
export function clusterIsUp(opts: { home?: string; cluster?: string } = {}): boolean {
  const file = join(clusterDirOf(opts), 'state.db');
  if (!existsSync(file)) return false;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const row = db.prepare("SELECT value FROM meta WHERE key = 'up'").get() as { value: string } | undefined;
    return row?.value === 'true';
  } catch {
    return false;
  } finally {
    db.close();
  }
}
