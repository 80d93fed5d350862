import { describe, expect, it, onTestFinished } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from './main';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MNIST = join(ROOT, 'samples/mnist');

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(argv, { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('edgeai inspect', () => {
  it('prints the four functions with policies and gates and the graph', async () => {
    const r = await cli('inspect', MNIST);
    expect(r.code).toBe(0);
    for (const id of ['train', 'inference', 'refine', 'trainFair']) expect(r.out).toMatch(new RegExp(`λ ${id} `));
    expect(r.out).toContain('policy   deadline 2s');
    expect(r.out).toContain('gate     drift confidence <0.2');
    expect(r.out).toContain('gate     bias disparate_impact(y) >=0.8');
    expect(r.out).toContain('[data] mnist:data —consumes→ λ train');
    expect(r.out).toContain('λ train —produces→ [model] mnist:model');
    expect(r.out).toContain('[model] mnist:model —consumes→ λ inference');
    expect(r.out).toContain('diagnostics: none');
  });

  it('prints JSON in the documented shape', async () => {
    const r = await cli('inspect', MNIST, '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(Object.keys(j)).toEqual(expect.arrayContaining(['functions', 'graph', 'diagnostics']));
    expect(Object.keys(j.functions[0])).toEqual(expect.arrayContaining(['id', 'file', 'consumes', 'produces', 'policies', 'gates']));
    expect(j.graph.edges.some((e: { source: string; target: string }) => e.source === 'model:mnist:model' && e.target === 'fn:inference')).toBe(true);
    expect(j.diagnostics).toEqual([]);
  });

  it('exits 1 with file:line:col for a non-literal selector', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgeai-cli-'));
    cpSync(MNIST, dir, { recursive: true });
    const file = join(dir, 'functions/train.ts');
    writeFileSync(file, readFileSync(file, 'utf8').replace("selector: { urn: 'mnist:data' }", 'selector: TRAINING_DATA'));
    const r = await cli('inspect', dir);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/functions\/train\.ts:6:30: error non-literal-argument: @consumes\.data: decorator arguments must be literals, but 'TRAINING_DATA' is a variable/);
    rmSync(dir, { recursive: true });
  });

  it('says what to do when the folder is not a project', async () => {
    const r = await cli('inspect', join(tmpdir(), 'no-such-project-here'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no project folder at .*edgeai new/s);
  });
});

describe('edgeai new, schema, usage', () => {
  it('creates a project that inspects clean', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'edgeai-cli-'));
    onTestFinished(() => rmSync(parent, { recursive: true, force: true }));
    const dir = join(parent, 'fresh');
    expect((await cli('new', dir)).code).toBe(0);
    const r = await cli('inspect', dir);
    expect(r.code).toBe(0);
    expect(r.out).toContain('diagnostics: none');
    rmSync(dir, { recursive: true });
  });
  it('prints the workflow JSON Schema', async () => {
    const r = await cli('schema', 'workflow');
    expect(JSON.parse(r.out).title).toBe('Edge AI Studio workflow.json');
  });
  it('lists commands and refuses unknown ones and options', async () => {
    expect((await cli('--help')).out).toMatch(/inspect <project> \[--json\]/);
    const u = await cli('inspct');
    expect(u.code).toBe(2);
    expect(u.err).toMatch(/unknown command 'inspct'/);
    const o = await cli('inspect', MNIST, '--jsn');
    expect(o.code).toBe(2);
    expect(o.err).toMatch(/Unknown option '--jsn'/);
  });
  it('runs as the edgeai binary', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/edgeai.mjs'), 'inspect', MNIST, '--json'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).functions).toHaveLength(4);
  });
});

describe('edgeai as a process', () => {
  const bin = join(ROOT, 'bin/edgeai.mjs');
  it('is quiet when its reader goes away (piped into head): no EPIPE stack trace', () => {
    // 0.7 MB of JSON: far more than a pipe holds, so the writes after head exits fail with EPIPE
    const r = spawnSync('sh', ['-c', `node ${JSON.stringify(bin)} schedule ${JSON.stringify(MNIST)} --topology urban-sensing:cells=8 --json | head -1`], { encoding: 'utf8' });
    expect(r.stdout).toBe('{\n');
    expect(r.stderr).not.toMatch(/EPIPE|Error/);
  });
  it('answers --json with a JSON error when the command fails', async () => {
    const out: string[] = [];
    const home = mkdtempSync(join(tmpdir(), 'edgeai-cli-'));
    onTestFinished(() => rmSync(home, { recursive: true, force: true }));
    const code = await run(['invoke', 'nope/nothing', '--json', '--home', home, '--cluster', 'none'], { out: (s) => out.push(s), err: () => undefined });
    expect(code).toBe(2);
    expect(JSON.parse(out.join('\n'))).toMatchObject({ error: { code: 'cluster-down', message: expect.stringMatching(/is not running/) } });
  });
  it('says so when there are no runs (runs list), instead of printing nothing', async () => {
    const out: string[] = [];
    const home = mkdtempSync(join(tmpdir(), 'edgeai-cli-'));
    onTestFinished(() => rmSync(home, { recursive: true, force: true }));
    expect(await run(['runs', 'list', '--home', home, '--cluster', 'none'], { out: (s) => out.push(s), err: () => undefined })).toBe(0);
    expect(out.join('\n')).toMatch(/^no runs on this cluster yet: deploy a workflow and invoke a function/);
    out.length = 0;
    expect(await run(['runs', 'list', '--workflow', 'mnist', '--home', home, '--cluster', 'none'], { out: (s) => out.push(s), err: () => undefined })).toBe(0);
    expect(out.join('\n')).toMatch(/^no runs of workflow mnist on this cluster yet/);
    out.length = 0;
    expect(await run(['runs', 'list', '--json', '--home', home, '--cluster', 'none'], { out: (s) => out.push(s), err: () => undefined })).toBe(0);
    expect(JSON.parse(out.join('\n'))).toEqual([]);
  });
  it('refuses a profile with trailing junk', async () => {
    const err: string[] = [];
    expect(await run(['schedule', MNIST, '--profile', 'kube-default:50:junk'], { out: () => undefined, err: (s) => err.push(s) })).toBe(2);
    expect(err.join('\n')).toMatch(/one option at most after the name/);
  });
  it('prints a run for people (runs show), the JSON with --json', async () => {
    const { runText } = await import('./commands/runs');
    const lines = runText({ id: 'r1', workflow: 'w', function: 'f', node: 'edge-1', status: 'failed', started: 's', ended: 'e', attempts: 1, request: {}, inputs: [{ urn: 'a', version: 1 }], outputs: [], output: null, timings: { queueMs: 1, transferMs: 2, coldStartMs: 0, execMs: 3, overheadMs: 4, totalMs: 10 }, logs: ['hello'], error: { code: 'no-input', message: 'nothing matches', hint: 'train first' } } as never);
    expect(lines.join('\n')).toMatch(/time +10 ms = queue 1 \+ transfer 2 \+ cold start 0 \+ execution 3 \+ overhead 4/);
    expect(lines.join('\n')).toMatch(/error +no-input: nothing matches\n  hint +train first/);
    expect(lines).toContain('    hello');
  });
});
