/**
 * Golden outputs of the README's CLI examples. They freeze what a user (or a script) reads, so
 * that restructuring the code never changes an answer by accident: a change to a golden file
 * is a change on purpose, reviewed in its diff (`npx vitest run cluster/cli/golden.test.ts -u`
 * rewrites them). Machine-specific parts (the checkout's path, wall times) are normalised.
 */
import { describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from './main';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MNIST = join(ROOT, 'samples/mnist');

async function cli(...argv: string[]): Promise<string> {
  const lines: string[] = [];
  const code = await run(argv, { out: (s) => lines.push(s), err: (s) => lines.push(`[stderr] ${s}`) });
  lines.push(`[exit ${code}]`);
  return normalise(lines.join('\n')) + '\n';
}

function normalise(text: string): string {
  return text.split(ROOT).join('<root>/').replace(/\b\d+(\.\d+)? s\b(?=;|$)/gm, '<t> s');
}

const golden = (name: string) => `./golden/${name}.txt`;

describe('CLI golden outputs (README examples)', () => {
  it('edgeai --help', async () => {
    await expect(await cli('--help')).toMatchFileSnapshot(golden('help'));
  });
  it('edgeai inspect samples/mnist', async () => {
    await expect(await cli('inspect', MNIST)).toMatchFileSnapshot(golden('inspect-mnist'));
  });
  it('edgeai inspect of a non-literal decorator argument', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgeai-golden-'));
    try {
      cpSync(MNIST, dir, { recursive: true });
      const file = join(dir, 'functions/train.ts');
      writeFileSync(file, readFileSync(file, 'utf8').replace("selector: { urn: 'mnist:data' }", 'selector: TRAINING_DATA'));
      await expect((await cli('inspect', dir)).split(dir).join('<project>')).toMatchFileSnapshot(golden('inspect-error'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('edgeai schedule samples/mnist --topology local --explain', async () => {
    await expect(await cli('schedule', MNIST, '--topology', 'local', '--explain')).toMatchFileSnapshot(golden('schedule-local-explain'));
  });
  it('edgeai schedule samples/mnist --topology urban-sensing:cells=8 --profile skippy', async () => {
    await expect(await cli('schedule', MNIST, '--topology', 'urban-sensing:cells=8', '--profile', 'skippy')).toMatchFileSnapshot(golden('schedule-urban8-skippy'));
  });
  it('edgeai simulate samples/mnist --topology urban-sensing:cells=8 --profile edge-ai,kube-default --rate inference=5', async () => {
    await expect(await cli('simulate', MNIST, '--topology', 'urban-sensing:cells=8', '--profile', 'edge-ai,kube-default', '--rate', 'inference=5')).toMatchFileSnapshot(golden('simulate-urban8'));
  });
  it('edgeai simulate samples/mnist --topology local --duration 10m', async () => {
    await expect(await cli('simulate', MNIST, '--topology', 'local', '--duration', '10m')).toMatchFileSnapshot(golden('simulate-local'));
  });
});

describe('the README shows what the CLI prints', () => {
  /** The README's fenced blocks (their text, without the fences). */
  const blocks = () => [...readFileSync(join(ROOT, 'README.md'), 'utf8').matchAll(/```[a-z]*\n([\s\S]*?)```/g)].map((m) => m[1]);
  it("the simulate example's comparison table is the golden output's", () => {
    const shown = blocks().find((b) => b.startsWith('mnist on urban-sensing-8 (182 nodes), seed 1, 60.0m simulated: the same arrivals for every profile'));
    expect(shown, 'the README has the simulate comparison block').toBeDefined();
    expect(readFileSync(join(ROOT, 'cluster/cli/golden/simulate-urban8.txt'), 'utf8')).toContain(shown!);
  });
});
