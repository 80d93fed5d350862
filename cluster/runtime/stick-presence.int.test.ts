/**
 * Issue 14 through the CLI alone (no studio, no watcher of its own): `cluster up` on the process
 * backend attaches a Coral of a fake sysfs tree (EDGEAI_SYSFS_ROOT, which the agents inherit) to
 * the laptop; its agent watches the tree from the first heartbeat that asks. Unplugged, `cluster
 * status` shows the laptop without tpu and why; plugged in again, tpu is back. `edgeai accelerators`
 * names the stick's node. No libedgetpu.so.1 in the fake library folder: the node says so. A stick
 * unplugged before any heartbeat asked (`cluster up` exits first) is lost all the same: the node's
 * starting point is what `up` attached, not the agent's first look.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../cli/main';
import { coralBootloader, coralReady, FakeSysfs } from '../accelerators/testing/fake-sysfs';
import { until } from './testing/until';

async function cli(argv: string[]) {
  const out: string[] = [];
  const code = await run(argv, { out: (s) => out.push(s), err: () => undefined });
  return { code, out: out.join('\n') };
}

describe('a stick followed without the studio', () => {
  const fs = new FakeSysfs();
  const home = mkdtempSync(join(tmpdir(), 'edgeai-presence-'));
  const ref = ['--home', home, '--cluster', `presence-${process.pid}`];
  const saved = { sysfs: process.env.EDGEAI_SYSFS_ROOT, libs: process.env.EDGEAI_LIBRARY_DIRS };
  afterAll(async () => {
    await cli(['cluster', 'down', ...ref]);
    fs.dispose();
    rmSync(home, { recursive: true, force: true });
    for (const [k, v] of [['EDGEAI_SYSFS_ROOT', saved.sysfs], ['EDGEAI_LIBRARY_DIRS', saved.libs]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }, 120_000);

  it('cluster up → unplug → status without tpu, saying why → re-plug → tpu again', async () => {
    fs.plug(coralReady('1-1.2', 6));
    const libs = join(fs.root, 'lib');
    mkdirSync(libs);
    process.env.EDGEAI_SYSFS_ROOT = fs.sysfsRoot;
    process.env.EDGEAI_LIBRARY_DIRS = libs;
    expect((await cli(['cluster', 'up', ...ref])).code).toBe(0);
    const laptop = async () => (JSON.parse((await cli(['cluster', 'status', '--json', ...ref])).out) as { nodes: Array<{ name: string; capabilities: string[]; accelerators?: { lines: string[]; lost: unknown[] } }> }).nodes.find((n) => n.name === 'laptop')!;
    const first = await laptop();
    expect(first.capabilities).toContain('tpu');
    expect(first.accelerators!.lines[0]).toMatch(/^tpu: stick present, (runtime libedgetpu\.so\.1 missing → models run on cpu \(fallback: |a TensorFlow Lite package is missing)/);
    const listed = JSON.parse((await cli(['accelerators', '--json', ...ref])).out);
    expect(listed.accelerators[0].cluster).toMatchObject({ node: 'laptop', has: true });

    fs.unplug('1-1.2');
    const lost = await until('the laptop to lose tpu', async () => { const l = await laptop(); return !l.capabilities.includes('tpu') && l; }, 30_000);
    expect(lost.accelerators!.lines[0]).toMatch(/^tpu: lost since \d{4}-.* \(its Coral USB Accelerator is unplugged \(its node agent saw it leave\)\)/);
    expect((await cli(['cluster', 'status', ...ref])).out).toMatch(/laptop: tpu: lost since .*unplugged/);
    expect((await cli(['accelerators', ...ref])).out).toMatch(/node laptop lost its coral since .*plug it in again/);

    fs.plug(coralBootloader('1-1.2', 9));
    await until('the laptop to get tpu back', async () => (await laptop()).capabilities.includes('tpu'), 30_000);
    expect((await cli(['accelerators', ...ref])).out).toMatch(/coral on 1-1\.2: attached to node laptop, which has it/);
  }, 240_000);

  it('unplugged between cluster up and the first heartbeat that asks: status says lost (the starting point is what up attached)', async () => {
    expect((await cli(['cluster', 'down', ...ref])).code).toBe(0);
    process.env.EDGEAI_SYSFS_ROOT = fs.sysfsRoot;
    fs.plug(coralReady('1-1.2', 11));
    expect((await cli(['cluster', 'up', ...ref])).code).toBe(0);
    // `cluster up` has exited: no heartbeat has asked the laptop's agent about its sticks yet
    fs.unplug('1-1.2');
    const laptop = async () => (JSON.parse((await cli(['cluster', 'status', '--json', ...ref])).out) as { nodes: Array<{ name: string; capabilities: string[]; accelerators?: { lines: string[] } }> }).nodes.find((n) => n.name === 'laptop')!;
    const lost = await until('the laptop to lose tpu', async () => { const l = await laptop(); return !l.capabilities.includes('tpu') && l; }, 20_000);
    expect(lost.accelerators!.lines[0]).toMatch(/^tpu: lost since \d{4}-.* \(its Coral USB Accelerator is unplugged/);
    expect((await cli(['cluster', 'status', ...ref])).out).toMatch(/laptop: tpu: lost since .*unplugged/);
    // plugged in again: its agent sees it come back, and tpu is back
    fs.plug(coralBootloader('1-1.2', 12));
    await until('the laptop to get tpu back', async () => (await laptop()).capabilities.includes('tpu'), 30_000);
  }, 240_000);
});
