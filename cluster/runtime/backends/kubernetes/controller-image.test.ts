/**
 * What goes into the controller image (no Docker needed): the packages the CLI loads with every
 * dependency, nested ones included; the shell tools the Deployment's script runs; the CLI
 * bundle, the sources without tests, no source maps; folders the emptyDirs go over writable; and
 * an inputs hash that changes with what goes in.
 */
import { describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONTROLLER_PACKAGES, controllerImageOf, controllerRootfs, inputsHash, packageClosure } from './controller-image';
import { tempDirs } from '../../testing/temp';

const tmp = tempDirs();

/** A package folder under a fake node_modules. */
function pkg(root: string, name: string, deps: Record<string, string> = {}, at = join(root, 'node_modules', name)): void {
  mkdirSync(at, { recursive: true });
  writeFileSync(join(at, 'package.json'), JSON.stringify({ name, dependencies: deps }));
  writeFileSync(join(at, 'index.js'), '');
}

describe('the controller image', () => {
  it('names itself after the node image', () => {
    expect(controllerImageOf('edgeai-node:abc123')).toBe('edgeai-controller:abc123');
    expect(controllerImageOf('registry.local:5000/edgeai-node')).toBe('edgeai-controller:latest');
  });

  it('takes each package with its dependencies, and what packages nested in it depend on from the top level', () => {
    const root = tmp('edgeai-closure-');
    pkg(root, 'a', { b: '1', nested: '1' });
    pkg(root, 'b');
    pkg(root, 'nested', {}, join(root, 'node_modules', 'a', 'node_modules', 'nested'));
    // the nested package needs c, which only the top level has
    writeFileSync(join(root, 'node_modules', 'a', 'node_modules', 'nested', 'package.json'), JSON.stringify({ name: 'nested', dependencies: { c: '1' } }));
    pkg(root, 'c');
    pkg(root, 'unrelated');
    expect(packageClosure(root, ['a'])).toEqual(['a', 'b', 'c']);
    expect(() => packageClosure(root, ['missing'])).toThrow(/needs the package missing, which is not installed/);
  });

  it('holds node, the shell tools, the CLI, the sources without tests, the packages without source maps; the emptyDir folders are writable', () => {
    const cli = tmp('edgeai-cli-');
    writeFileSync(join(cli, 'edgeai.mjs'), 'export {};\n');
    const entries = controllerRootfs({ cliDir: cli });
    const paths = new Set(entries.map((e) => e.path));
    for (const p of ['/usr/local/bin/node', '/bin/sh', '/usr/bin/find', '/bin/cp', '/usr/local/bin/edgeai', '/app/dist/cli/edgeai.mjs', '/app/cluster/sdk/index.ts', '/app/package.json', '/etc/passwd']) expect(paths.has(p), p).toBe(true);
    for (const name of CONTROLLER_PACKAGES) expect(paths.has(`/app/node_modules/${name}/package.json`), name).toBe(true);
    expect(paths.has('/app/node_modules/@esbuild/linux-x64/bin/esbuild') || process.arch !== 'x64').toBe(true);
    expect([...paths].filter((p) => /\.test\.tsx?$/.test(p) && p.startsWith('/app/cluster/'))).toEqual([]);
    expect([...paths].filter((p) => p.endsWith('.map'))).toEqual([]);
    // no package the CLI does not load (the studio's UI, Electron)
    expect([...paths].some((p) => p.startsWith('/app/node_modules/monaco-editor/') || p.startsWith('/app/node_modules/electron/'))).toBe(false);
    const dir = (p: string) => entries.find((e) => e.path === p && e.type === 'dir');
    for (const p of ['/tmp', '/state', '/project']) expect(dir(p)?.mode, p).toBe(0o1777);
    expect(entries.find((e) => e.path === '/usr/local/bin/edgeai')?.source?.toString()).toBe('#!/bin/sh\nexec /usr/local/bin/node /app/dist/cli/edgeai.mjs "$@"\n');
  });

  it('its inputs hash changes with the bytes of a fresh CLI bundle, not with where it was made', () => {
    const a = tmp('edgeai-cli-a-');
    const b = tmp('edgeai-cli-b-');
    writeFileSync(join(a, 'edgeai.mjs'), 'export const x = 1;\n');
    writeFileSync(join(b, 'edgeai.mjs'), 'export const x = 1;\n');
    const of = (dir: string) => inputsHash([{ path: '/app/dist/cli/edgeai.mjs', type: 'file', mode: 0o644, source: join(dir, 'edgeai.mjs') }], [dir]);
    expect(of(a)).toBe(of(b));
    writeFileSync(join(b, 'edgeai.mjs'), 'export const x = 2;\n');
    expect(of(a)).not.toBe(of(b));
  });
});
