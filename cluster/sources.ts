/**
 * Where the platform's own files are (the repository root: cluster/, samples/, dist/,
 * node_modules/), found from any module's URL — a source file under cluster/, or a bundle under
 * dist/ — by walking up to the folder that holds cluster/sdk/index.ts. Code that reads sources at
 * run time (the agent build, function bundles' SDK entry) asks here rather than assuming how deep
 * its own file sits, so it works the same from the sources and from a bundle.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const found = new Map<string, string>();

export function platformRoot(fromUrl: string = import.meta.url): string {
  const start = dirname(fileURLToPath(fromUrl));
  const cached = found.get(start);
  if (cached) return cached;
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'cluster', 'sdk', 'index.ts'))) {
      found.set(start, dir);
      return dir;
    }
    if (dirname(dir) === dir) throw new Error(`the platform's sources (cluster/sdk/index.ts) are not in any folder above ${start}`);
  }
}
