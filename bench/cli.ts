/**
 * `npm run bench -- cli [runs]`: wall time of whole `edgeai` processes — `edgeai --help`,
 * `edgeai inspect samples/mnist`, `edgeai schedule samples/mnist --topology local` — from the
 * CLI's bundle (what `npm install` builds) and from its sources through tsx, against a bare
 * `node -e 0` in the same run, interleaved so machine drift hits all alike. Goal (issue 10):
 * commands that don't touch a cluster answer in < 0.5 s.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleCli, cliBundleStale } from '../cluster/cli/bundle';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'edgeai.mjs');
const MNIST = join(ROOT, 'samples', 'mnist');

function wallMs(args: string[], env: NodeJS.ProcessEnv = {}): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0 && r.status !== 1) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr.toString().slice(0, 300)}`);
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function main(args: string[]): Promise<void> {
  const runs = Number(args[0] ?? 5);
  if (cliBundleStale()) {
    console.log('building the CLI bundle first (sources are newer than dist/cli)');
    await bundleCli();
  }
  const cases: Array<{ name: string; args: string[]; env?: NodeJS.ProcessEnv }> = [
    { name: 'node -e 0 (baseline)', args: ['-e', '0'] },
    { name: 'edgeai --help', args: [BIN, '--help'] },
    { name: 'edgeai inspect samples/mnist', args: [BIN, 'inspect', MNIST] },
    { name: 'edgeai schedule samples/mnist --topology local', args: [BIN, 'schedule', MNIST, '--topology', 'local'] },
    { name: 'edgeai inspect samples/mnist (sources, tsx)', args: [BIN, 'inspect', MNIST], env: { EDGEAI_CLI_BUNDLE: '0' } },
  ];
  const times = new Map(cases.map((c) => [c.name, [] as number[]]));
  for (const c of cases) wallMs(c.args, c.env); // warm-up: file cache, V8 code cache
  for (let i = 0; i < runs; i++) for (const c of cases) times.get(c.name)!.push(wallMs(c.args, c.env));
  const base = median(times.get(cases[0].name)!);
  console.log(`${runs} runs each, interleaved; median wall time`);
  for (const c of cases) {
    const m = median(times.get(c.name)!);
    const goal = c.name.includes('(sources') || c === cases[0] ? '' : `  ${m < 500 ? 'meets' : 'misses'} the 0.5 s goal (${(m / 500).toFixed(2)}× of it)`;
    console.log(`  ${c.name.padEnd(52)} ${m.toFixed(0).padStart(6)} ms  ${(m / base).toFixed(1).padStart(5)}× node -e 0${goal}`);
  }
}
