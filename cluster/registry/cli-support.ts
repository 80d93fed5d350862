/** What the CLI commands share: opening a project's registry for reading or writing. */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openRegistry, registryDirOf, type Registry } from './registry';
import { RegistryError } from './errors';

/**
 * Opens `<project>/.edgeai/registry`. For reading, a project without a registry yet gives
 * undefined (nothing imported so far) rather than creating one.
 */
export function openRegistryOfProject(projectDir: string, mode: 'read' | 'write'): Registry | undefined {
  const dir = resolve(projectDir);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new RegistryError('registry-open', `project folder ${dir} does not exist; pass --project <folder> or run the command inside a project`);
  const regDir = registryDirOf(dir);
  if (mode === 'read' && !existsSync(join(regDir, 'registry.db'))) return undefined;
  return openRegistry(regDir);
}
