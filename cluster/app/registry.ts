/**
 * Which registry a command reads and writes, one rule for `edgeai artifacts`, `data` and
 * `resolve`:
 * - the cluster's (`$EDGEAI_HOME/clusters/<cluster>/registry`): the one registry the controller,
 *   the studio and the CLI share — what ran, its outputs, metrics and lineage;
 * - a project's own store (`<project>/.edgeai/registry`): a scratch registry for trying data
 *   and selectors without a cluster; nothing a cluster runs reads it.
 * `--store cluster|project` chooses; by default the cluster's when that cluster is running, else
 * the project's when one is named (or the current folder is one), else the cluster's.
 */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { StudioError } from '../common/errors';
import { openRegistry, registryDirOf, type Registry } from '../registry/registry';
import { clusterIsUp, clusterRegistryDir, DEFAULT_CLUSTER } from '../runtime/home';

export type RegistryTarget = { kind: 'cluster'; cluster: string; home?: string; up: boolean; dir: string } | { kind: 'project'; project: string; dir: string };

export interface TargetOptions {
  store?: string;
  cluster?: string;
  home?: string;
}

function isProject(dir: string | undefined): dir is string {
  return !!dir && existsSync(dir) && statSync(dir).isDirectory() && existsSync(join(dir, 'workflow.json'));
}

/** `named`: the command was given the project folder (not just the current folder). */
export function registryTarget(values: TargetOptions, projectDir: string | undefined, named = true): RegistryTarget {
  if (values.store !== undefined && values.store !== 'cluster' && values.store !== 'project') throw new StudioError('usage', `--store ${values.store}: use cluster or project`);
  const cluster = values.cluster ?? process.env.EDGEAI_CLUSTER ?? DEFAULT_CLUSTER;
  const where = { cluster, ...(values.home ? { home: values.home } : {}) };
  const up = clusterIsUp(where);
  const project = projectDir ? resolve(projectDir) : undefined;
  const store = values.store ?? (up || !project || (!named && !isProject(project)) ? 'cluster' : 'project');
  if (store === 'project') {
    if (!project || !existsSync(project) || !statSync(project).isDirectory()) throw new StudioError('project-not-found', `project folder ${project ?? '(none)'} does not exist`, 'pass the project folder (--project <dir>), or --store cluster');
    return { kind: 'project', project, dir: registryDirOf(project) };
  }
  return { kind: 'cluster', ...where, up, dir: clusterRegistryDir(where) };
}

/** Opens the target's registry; for reading, one that holds nothing yet gives undefined (nothing is created). */
export function openTarget(t: RegistryTarget, mode: 'read' | 'write'): Registry | undefined {
  if (mode === 'read' && !existsSync(join(t.dir, 'registry.db'))) return undefined;
  return openRegistry(t.dir);
}

/** One line saying which registry a command used (printed on stderr, so --json output stays clean). */
export function describeTarget(t: RegistryTarget): string {
  if (t.kind === 'project') return `registry: the project's own store ${t.dir} (no cluster is running; --store cluster uses the cluster's)`;
  return `registry: cluster '${t.cluster}'${t.up ? ' (running)' : ' (not running)'}`;
}
