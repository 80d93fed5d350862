/** `edgeai deploy`'s flags, and the contract's deploy request: no cluster needed. */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../main';
import { deployOptionsOf } from './deploy';
import { UserError } from '../command';
import { METHODS } from '../../api/contract';

const MNIST = fileURLToPath(new URL('../../samples/mnist', import.meta.url));

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(argv, { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('edgeai deploy flags', () => {
  it('turns --mode and --expect-revision into deploy options', () => {
    expect(deployOptionsOf({})).toEqual({});
    expect(deployOptionsOf({ mode: 'changed' })).toEqual({ mode: 'changed' });
    expect(deployOptionsOf({ mode: 'restart', 'expect-revision': '7' })).toEqual({ mode: 'restart', expectedRevision: 7 });
    expect(deployOptionsOf({ mode: 'full', 'expect-revision': '0' })).toEqual({ mode: 'full', expectedRevision: 0 });
  });

  it('--strict-accelerators reaches the controller’s deploy (issue 14: a tpu function whose model would run on the CPU is refused)', async () => {
    expect(deployOptionsOf({ 'strict-accelerators': true })).toEqual({ strictAccelerators: true });
    const { deployProject } = await import('../../app/deploy');
    const seen: unknown[] = [];
    const c = { deploy: async (_dir: string, o: unknown) => (seen.push(o), {}) } as unknown as Parameters<typeof deployProject>[0];
    await deployProject(c, '/nowhere', { strictAccelerators: true }, { workflow: 'w', errors: [], warnings: [], functions: [] });
    await deployProject(c, '/nowhere', {}, { workflow: 'w', errors: [], warnings: [], functions: [] });
    expect(seen).toEqual([{ mode: 'full', strictAccelerators: true }, { mode: 'full' }]);
  });

  it('says which modes exist and what a revision must be', () => {
    expect(() => deployOptionsOf({ mode: 'fast' })).toThrow(UserError);
    expect(() => deployOptionsOf({ mode: 'fast' })).toThrow(/--mode 'fast' is not a deploy mode: use one of full, changed, restart/);
    expect(() => deployOptionsOf({ mode: 'Changed' })).toThrow(/use one of full, changed, restart/);
    for (const bad of ['-1', '1.5', 'two', '', '1e3']) {
      expect(() => deployOptionsOf({ 'expect-revision': bad })).toThrow(new RegExp(`--expect-revision '${bad.replace('.', '\\.')}' must be a whole number ≥ 0`));
    }
  });

  it('refuses bad flags with exit code 2 before it opens any cluster', async () => {
    const home = join(mkdtempSync(join(tmpdir(), 'edgeai-deploy-flags-')), 'home');
    const mode = await cli('deploy', MNIST, '--mode', 'sideways', '--home', home);
    expect(mode.code).toBe(2);
    expect(mode.err).toMatch(/edgeai deploy: --mode 'sideways' is not a deploy mode: use one of full, changed, restart\nusage: edgeai deploy <project> \[--mode full\|changed\|restart\] \[--expect-revision N\]/);
    const rev = await cli('deploy', MNIST, '--expect-revision=-3', '--home', home);
    expect(rev.code).toBe(2);
    expect(rev.err).toMatch(/--expect-revision '-3' must be a whole number ≥ 0: the workflow's revision `edgeai cluster status` shows/);
    const missing = await cli('deploy', MNIST, '--mode');
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/--mode/);
    // nothing was opened or created
    expect(existsSync(home)).toBe(false);
    rmSync(join(home, '..'), { recursive: true, force: true });
  });

  it('says the cluster is not running for a good mode on a stopped cluster', async () => {
    const home = mkdtempSync(join(tmpdir(), 'edgeai-deploy-flags-'));
    const r = await cli('deploy', MNIST, '--mode', 'restart', '--expect-revision', '2', '--home', home, '--cluster', 'flags');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/cluster 'flags' is not running[\s\S]*edgeai cluster up/);
    rmSync(home, { recursive: true, force: true });
  });

  it('documents the modes in --help', async () => {
    const r = await cli('deploy', '--help');
    expect(r.out).toMatch(/--mode full\|changed\|restart/);
    expect(r.out).toMatch(/changed +only functions whose code or decorators changed/);
    expect(r.out).toMatch(/--expect-revision N/);
  });
});

describe('the contract\'s deploy request', () => {
  const req = METHODS.deploy.request;
  it('defaults to mode full with no revision check', () => {
    expect(req.parse({ project: '/p' })).toEqual({ project: '/p', acceptWarnings: false, mode: 'full', replace: false });
    expect(req.parse({ project: '/p', mode: 'changed', expectedRevision: 0 })).toMatchObject({ mode: 'changed', expectedRevision: 0 });
  });
  it('refuses unknown modes and negative or fractional revisions', () => {
    expect(req.safeParse({ project: '/p', mode: 'partial' }).success).toBe(false);
    expect(req.safeParse({ project: '/p', expectedRevision: -1 }).success).toBe(false);
    expect(req.safeParse({ project: '/p', expectedRevision: 1.5 }).success).toBe(false);
  });
});
