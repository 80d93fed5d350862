/**
 * `npm run bench` (scripts/bench.ts): every benchmark without a name, one with its arguments by
 * name, an unknown name refused with the names there are. The running is checked on stand-in
 * benchmarks in a folder of their own (the real ones take minutes); the names on the real ones.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { listBenchmarks, runBenchmarks, selectBenchmarks } from './bench';

const ROOT = resolve(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'bench-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

declare global {
  // eslint-disable-next-line no-var
  var benchCalls: Array<[string, string[]]> | undefined;
}
for (const name of ['beta', 'alpha', '_helper', 'alpha.test'])
  writeFileSync(join(dir, `${name}.ts`), `export async function main(args: string[]): Promise<void> {\n  (globalThis.benchCalls ??= []).push([${JSON.stringify(name)}, args]);\n}\n`);

async function run(argv: string[]) {
  globalThis.benchCalls = [];
  const logs: string[] = [];
  const errors: string[] = [];
  const code = await runBenchmarks(argv, dir, (s) => logs.push(s), (s) => errors.push(s));
  return { code, logs, errors, calls: globalThis.benchCalls };
}

describe('npm run bench (scripts/bench.ts)', () => {
  it('without a name runs every benchmark in order, helpers (_*.ts) and tests left out', async () => {
    const r = await run([]);
    expect(r.code).toBe(0);
    expect(r.calls).toEqual([
      ['alpha', []],
      ['beta', []],
    ]);
    expect(r.logs).toEqual(['== bench alpha', '== bench beta']);
  });

  it('with a name runs that one only, with the arguments after it', async () => {
    const r = await run(['beta', 'docker', '--fast']);
    expect(r.code).toBe(0);
    expect(r.calls).toEqual([['beta', ['docker', '--fast']]]);
  });

  it('refuses an unknown name (exit 2), saying which there are, and runs none', async () => {
    const r = await run(['gamma']);
    expect(r.code).toBe(2);
    expect(r.errors).toEqual(["unknown benchmark 'gamma'; available: alpha, beta"]);
    expect(r.calls).toEqual([]);
    // a helper is no benchmark either
    expect(selectBenchmarks(listBenchmarks(dir), ['_helper'])).toEqual({ error: "unknown benchmark '_helper'; available: alpha, beta" });
  });

  it('the benchmarks are the ones the README lists, and `npm run bench -- <unknown>` names them and exits 2', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### Benchmarks'), readme.indexOf('\n## ', readme.indexOf('### Benchmarks')));
    const listed = [...section.matchAll(/^- `(\w+)/gm)].map((m) => m[1]).sort();
    expect(listed.length).toBeGreaterThan(3);
    expect(listBenchmarks()).toEqual(listed);
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'bench.ts'), 'no-such-benchmark'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(`unknown benchmark 'no-such-benchmark'; available: ${listed.join(', ')}`);
    expect(r.stdout).not.toMatch(/== bench/);
  });
});
