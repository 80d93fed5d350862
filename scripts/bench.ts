/**
 * `npm run bench -- <name> [args]` runs bench/<name>.ts; without a name, runs them all.
 * Benchmarks print ratios against a baseline measured in the same process.
 * An unknown name is refused (exit 2) with the names there are. scripts/bench.test.ts tests it.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join, resolve } from 'node:path';

export const BENCH_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'bench');

/** The benchmarks in dir: every <name>.ts but tests and helpers (_*.ts), sorted. */
export function listBenchmarks(dir = BENCH_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.startsWith('_'))
    .map((f) => f.slice(0, -3))
    .sort();
}

/** What `npm run bench -- [name] [args]` runs: every benchmark without a name, else that one with the rest as its arguments. */
export function selectBenchmarks(all: string[], argv: string[]): { names: string[]; args: string[] } | { error: string } {
  const [name, ...args] = argv;
  if (!name) return { names: all, args: [] };
  if (!all.includes(name)) return { error: `unknown benchmark '${name}'; available: ${all.join(', ')}` };
  return { names: [name], args };
}

/** Runs the selected benchmarks of dir in order, each through its exported main(args); returns the exit code. */
export async function runBenchmarks(argv: string[], dir = BENCH_DIR, log: (s: string) => void = console.log, error: (s: string) => void = console.error): Promise<number> {
  const chosen = selectBenchmarks(listBenchmarks(dir), argv);
  if ('error' in chosen) {
    error(chosen.error);
    return 2;
  }
  for (const n of chosen.names) {
    log(`== bench ${n}`);
    const mod = (await import(pathToFileURL(join(dir, `${n}.ts`)).href)) as { main: (args: string[]) => Promise<void> };
    await mod.main(chosen.args);
  }
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const code = await runBenchmarks(process.argv.slice(2));
  if (code !== 0) process.exit(code);
}
