/**
 * `npm run bench -- <name> [args]` runs bench/<name>.ts; without a name, runs them all.
 * Benchmarks print ratios against a baseline measured in the same process.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'bench');
const all = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.startsWith('_'))
  .map((f) => f.slice(0, -3))
  .sort();
const [name, ...args] = process.argv.slice(2);
const names = name ? [name] : all;
for (const n of names) {
  if (!all.includes(n)) {
    console.error(`unknown benchmark '${n}'; available: ${all.join(', ')}`);
    process.exit(2);
  }
  console.log(`== bench ${n}`);
  const mod = (await import(join(dir, `${n}.ts`))) as { main: (args: string[]) => Promise<void> };
  await mod.main(args);
}
