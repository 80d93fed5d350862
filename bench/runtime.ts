/**
 * `npm run bench -- runtime [process|docker] [invocations]`, per backend:
 * - cold deploy of samples/mnist onto a fresh local cluster (bundle, schedule, ship, warm);
 * - warm invocation overhead: p50/p99 of `controller.invoke` of a function that returns its
 *   input, against calling the same bundled function directly in this process (the baseline,
 *   same run); the overhead is the difference, the ratio the quotient;
 * - docker backend: node start time against a bare `docker run` of the same image.
 * - function bundles: the samples' bundle sizes and the time a fresh node process takes to import
 *   one, against the same bundles with the platform's spec and zod inlined as they used to be
 *   (the baseline, built in the same run).
 * Goals (issue 5): warm overhead p50 under 5 ms on the process backend; node start within
 * 1.5× a bare docker run.
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Controller, type BackendKind } from '../cluster/runtime/controller';
import { bundleFunction } from '../cluster/sdk/bundle';
import { dockerAvailable } from '../cluster/runtime/backends/docker';
import { measureNodeStart } from './_docker-start';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MNIST = join(ROOT, 'samples/mnist');
const OPS = join(ROOT, 'cluster/runtime/fixtures/ops');

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

/** Median ms for a fresh `node` to import `file` (5 runs), measured inside the child. */
async function importMs(file: string): Promise<number> {
  const { execFileSync } = await import('node:child_process');
  const runs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', `const t0 = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); console.log(performance.now() - t0);`], { encoding: 'utf8' });
    runs.push(Number(out.trim()));
  }
  return pct(runs, 50);
}

async function benchBundles(): Promise<void> {
  const dir = join(ROOT, 'node_modules', '.cache', 'edge-ai-studio', 'bench-bundles');
  mkdirSync(dir, { recursive: true });
  let bytesNow = 0;
  let bytesBefore = 0;
  const ratios: number[] = [];
  for (const f of ['inference', 'train', 'train_fair', 'refine']) {
    const entry = join(MNIST, 'functions', `${f}.ts`);
    const [now, before] = [await bundleFunction(entry), await bundleFunction(entry, { keepSpec: true })];
    const files = [now, before].map((b, i) => {
      const file = join(dir, `${f}-${i ? 'with-spec' : 'now'}.mjs`);
      writeFileSync(file, b.code);
      return file;
    });
    const [tNow, tBefore] = [await importMs(files[0]), await importMs(files[1])];
    bytesNow += now.bytes;
    bytesBefore += before.bytes;
    ratios.push(tNow / tBefore);
    console.log(`[bundles] ${f}: ${(now.bytes / 1024).toFixed(1)} KiB (with spec and zod inlined: ${(before.bytes / 1024).toFixed(0)} KiB); import in a fresh node ${tNow.toFixed(1)} ms vs ${tBefore.toFixed(1)} ms = ${(tNow / tBefore).toFixed(2)}×`);
  }
  console.log(`[bundles] samples/mnist: ${(bytesNow / 1024).toFixed(0)} KiB shipped per deploy instead of ${(bytesBefore / 1024).toFixed(0)} KiB (${(bytesNow / bytesBefore).toFixed(3)}×); import time ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}× the baseline`);
}

async function directBaseline(n: number): Promise<number[]> {
  const b = await bundleFunction(join(OPS, 'functions/ping.ts'));
  const dir = join(ROOT, 'node_modules', '.cache', 'edge-ai-studio', 'bench');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${b.sha256}.mjs`);
  writeFileSync(file, b.code);
  const mod = (await import(pathToFileURL(file).href)) as { Ping: new () => { ping(r: unknown): Promise<unknown> } };
  const fn = new mod.Ping();
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn.ping({ id: String(i), params: {}, input: { i }, log: () => undefined });
    out.push(performance.now() - t0);
  }
  return out;
}

async function benchBackend(kind: BackendKind, n: number): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), `edgeai-bench-${kind}-`));
  const c = await Controller.open({ home, cluster: `bench-${kind}` });
  try {
    let t0 = performance.now();
    await c.up({ backend: kind, topology: 'local' });
    const upMs = performance.now() - t0;
    t0 = performance.now();
    const d = await c.deploy(MNIST);
    const deployMs = performance.now() - t0;
    if (d.functions.some((f) => f.status !== 'ready')) throw new Error(`deploy failed: ${JSON.stringify(d.functions)}`);
    console.log(`[${kind}] cluster up (4 nodes): ${(upMs / 1000).toFixed(2)} s`);
    console.log(`[${kind}] cold deploy of samples/mnist (4 functions: bundle, schedule, ship, cold start): ${(deployMs / 1000).toFixed(2)} s`);

    await c.deploy(OPS);
    for (let i = 0; i < 20; i++) await c.invoke('ops', 'ping', { input: { i } }); // warm up
    const invoke: number[] = [];
    for (let i = 0; i < n; i++) {
      const s = performance.now();
      await c.invoke('ops', 'ping', { input: { i } });
      invoke.push(performance.now() - s);
    }
    const direct = await directBaseline(n);
    const [i50, i99, d50, d99] = [pct(invoke, 50), pct(invoke, 99), pct(direct, 50), pct(direct, 99)];
    console.log(`[${kind}] warm invocation, ${n} calls: p50 ${i50.toFixed(2)} ms, p99 ${i99.toFixed(2)} ms`);
    console.log(`[${kind}] direct in-process call (baseline): p50 ${(d50 * 1000).toFixed(1)} µs, p99 ${(d99 * 1000).toFixed(1)} µs`);
    console.log(`[${kind}] overhead p50 ${(i50 - d50).toFixed(2)} ms (goal < 5 ms on process: ${i50 - d50 < 5 ? 'met' : 'NOT met'}), p99 ${(i99 - d99).toFixed(2)} ms; ratio to direct p50 ${(i50 / d50).toFixed(0)}×, p99 ${(i99 / d99).toFixed(0)}×`);
  } finally {
    await c.down().catch(() => undefined);
    c.close();
    rmSync(home, { recursive: true, force: true });
  }
}

export async function main(args: string[]): Promise<void> {
  const only = args.find((a) => a === 'process' || a === 'docker') as BackendKind | undefined;
  const n = Number(args.find((a) => /^\d+$/.test(a)) ?? 300);
  const kinds: BackendKind[] = only ? [only] : ['process', 'docker'];
  await benchBundles();
  for (const kind of kinds) {
    if (kind === 'docker') {
      const a = await dockerAvailable();
      if (!a.ok) {
        console.log(`[docker] skipped: ${a.reason} (scripts/docker-setup.sh starts one)`);
        continue;
      }
    }
    await benchBackend(kind, n);
    if (kind === 'docker') {
      const { bareMs, nodeMs } = await measureNodeStart(10);
      const [b, s] = [pct(bareMs, 50), pct(nodeMs, 50)];
      console.log(`[docker] node start p50 ${s.toFixed(0)} ms vs bare docker run of the same image p50 ${b.toFixed(0)} ms: ratio ${(s / b).toFixed(2)}× (goal ≤ 1.5×: ${s / b <= 1.5 ? 'met' : 'NOT met'})`);
    }
  }
}
