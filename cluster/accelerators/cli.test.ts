import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run } from '../cli/main';
import { loadTopology } from '../topology/model';
import { coralBootloader, coralReady, FakeSysfs, hub, keyboard, ncs2Ready } from './testing/fake-sysfs';

let fs: FakeSysfs;
beforeEach(() => {
  fs = new FakeSysfs();
});
afterEach(() => fs.dispose());

async function cli(argv: string[], onOut?: (line: string) => void) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(argv, {
    out: (s) => {
      out.push(s);
      onOut?.(s);
    },
    err: (s) => err.push(s),
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('edgeai accelerators', { timeout: 20_000 }, () => {
  it('with none plugged in, says so and how to attach one (udev rules, no USB passthrough on Docker Desktop)', async () => {
    fs.plug(hub()).plug(keyboard());
    const r = await cli(['accelerators', '--sysfs', fs.sysfsRoot, '--dev', fs.devRoot]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('no USB accelerator found');
    expect(r.out).toContain('/etc/udev/rules.d/99-edge-accelerators.rules');
    expect(r.out).toContain('SUBSYSTEM=="usb", ATTRS{idVendor}=="18d1", ATTRS{idProduct}=="9302", GROUP="plugdev"');
    expect(r.out).toContain('SUBSYSTEM=="usb", ATTRS{idVendor}=="03e7", ATTRS{idProduct}=="2485", MODE="0666"');
    expect(r.out).toContain('udevadm control --reload-rules');
    expect(r.out).toContain('Docker Desktop on macOS and Windows has no USB passthrough');
  });

  it('lists sticks with kind, state, bus/device, capability and device node access, with the udev hint when missing', async () => {
    fs.plug(coralBootloader('1-1.2', 5)).plug({ ...ncs2Ready('2-3', 4), devNode: false }).plug(keyboard());
    const r = await cli(['accelerators', '--sysfs', fs.sysfsRoot, '--dev', fs.devRoot]);
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toBe('2 USB accelerators on this machine:');
    expect(lines[1].split(/\s{2,}/).map((s) => s.trim()).filter(Boolean)).toEqual(['KIND', 'STATE', 'ID', 'BUS/DEV', 'PORT', 'CAPABILITY', 'DEVICE NODE', 'ACCESS']);
    expect(lines[2].trim().split(/\s+/)).toEqual(['coral', 'bootloader', '1a6e:089a', '001/005', '1-1.2', 'tpu', '/dev/bus/usb/001/005', 'ok']);
    expect(lines[3].trim().split(/\s+/)).toEqual(['ncs2', 'ready', '03e7:f63b', '002/004', '2-3', 'vpu', '/dev/bus/usb/002/004', 'missing']);
    expect(r.out).toContain('coral on 1-1.2: firmware not loaded yet');
    expect(r.out).toMatch(/ncs2 on 2-3: .*002\/004: the device node does not exist here/);
    expect(r.out).toContain('edgeai accelerators --save topology.json');
  });

  it('says whether each stick\'s runtime is there: here, no libedgetpu.so.1 and no OpenVINO 2022.3, with what to install', async () => {
    fs.plug(coralReady('1-1.2', 6)).plug(ncs2Ready());
    const r = await cli(['accelerators', '--sysfs', fs.sysfsRoot, '--dev', fs.devRoot]);
    expect(r.code).toBe(0);
    const { edgeTpuReadiness, ncs2Readiness } = await import('./runtimes');
    // this machine has neither runtime (no USB bus, nothing installed); a machine that has one says ready
    const tpu = edgeTpuReadiness({ sysfsRoot: fs.sysfsRoot, devRoot: fs.devRoot });
    expect(r.out).toContain(tpu.ready ? `Edge TPU runtime: ready (${tpu.detail})` : `Edge TPU runtime: not ready — ${tpu.reason}\n  ${tpu.hint}`);
    const vpu = ncs2Readiness({ sysfsRoot: fs.sysfsRoot });
    expect(r.out).toContain(vpu.ready ? 'OpenVINO runtime (NCS): ready' : `OpenVINO runtime (NCS): not ready — ${vpu.reason}`);
    const j = JSON.parse((await cli(['accelerators', '--json', '--sysfs', fs.sysfsRoot, '--dev', fs.devRoot])).out);
    expect(j.runtimes.map((x: { runtime: string }) => x.runtime)).toEqual(['edgetpu', 'openvino']);
  });

  it('--json gives the accelerators with their access', async () => {
    fs.plug(coralReady('1-1.2', 6));
    const r = await cli(['accelerators', '--json', '--sysfs', fs.sysfsRoot, '--dev', fs.devRoot]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { accelerators: Array<Record<string, unknown>> };
    expect(j.accelerators).toHaveLength(1);
    expect(j.accelerators[0]).toMatchObject({ kind: 'coral', state: 'ready', vendorId: '18d1', productId: '9302', busnum: 1, devnum: 6, devPath: '/dev/bus/usb/001/006', capability: 'tpu', access: { ok: true } });
  });

  it('--save writes a topology with the stick on the laptop that schedule places a tpu function with', async () => {
    fs.plug(coralBootloader('1-1.2', 5));
    const file = join(fs.root, 'topology.json');
    const r = await cli(['accelerators', '--sysfs', fs.sysfsRoot, '--dev', fs.devRoot, '--save', file]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("coral attached to node 'laptop'");
    expect(r.out).toContain(`edgeai cluster up --backend docker --topology ${file}`);
    const t = await loadTopology(file);
    expect(t.name).toBe('local');
    expect(t.nodes.find((n) => n.name === 'laptop')).toMatchObject({ capabilities: ['tpu'], labels: { 'accelerator/coral': '1' } });
    expect(t.nodes.filter((n) => n.capabilities.includes('tpu')).map((n) => n.name)).toEqual(['laptop']);
    expect(JSON.parse(readFileSync(file, 'utf8')).version).toBe(1);
  });

  it('--save --host edge-1, then cluster up --topology: edge-1 runs with the stick\'s capability and a tpu function deploys there', async () => {
    fs.plug(coralReady('1-1.3', 6));
    const file = join(fs.root, 'with-stick.json');
    const saved = await cli(['accelerators', '--sysfs', fs.sysfsRoot, '--dev', fs.devRoot, '--save', file, '--host', 'edge-1']);
    expect(saved.code, saved.err).toBe(0);
    expect(saved.out).toContain("coral attached to node 'edge-1'");
    const home = join(fs.root, 'home');
    const at = ['--home', home, '--cluster', 'sticks'];
    // edge-1's agent watches the tree the stick is in (a node's starting point is the stick its
    // topology gives it: an agent that does not see it says it is lost); none joins the laptop
    const savedRoot = process.env.EDGEAI_SYSFS_ROOT;
    process.env.EDGEAI_SYSFS_ROOT = fs.sysfsRoot;
    const up = await cli(['cluster', 'up', '--topology', file, '--accelerators-on', 'none', ...at]);
    if (savedRoot === undefined) delete process.env.EDGEAI_SYSFS_ROOT;
    else process.env.EDGEAI_SYSFS_ROOT = savedRoot;
    expect(up.code, up.err).toBe(0);
    try {
      const status = JSON.parse((await cli(['cluster', 'status', '--json', ...at])).out) as { nodes: Array<{ name: string; status: string; capabilities: string[] }> };
      expect(status.nodes.filter((n) => n.capabilities.includes('tpu')).map((n) => [n.name, n.status])).toEqual([['edge-1', 'Ready']]);
      const project = join(fs.root, 'tpu');
      mkdirSync(join(project, 'functions'), { recursive: true });
      writeFileSync(join(project, 'workflow.json'), JSON.stringify({ name: 'tpu', version: 1, dataSources: [], triggers: [] }));
      writeFileSync(join(project, 'functions', 'detect.ts'), "import { policy, type Request } from 'edge-ai-studio/sdk';\nexport class Detect {\n  @policy.fn({ capability: 'tpu' })\n  async detect(request: Request) { return 'on a tpu node'; }\n}\n");
      const d = await cli(['deploy', project, ...at]);
      expect(d.code, d.err).toBe(0);
      expect(d.out).toMatch(/^ {2}detect +deployed +edge-1/m);
    } finally {
      expect((await cli(['cluster', 'down', ...at])).code).toBe(0);
    }
  }, 120_000);

  it('refuses bad option combinations and unknown hosts with a usage error', async () => {
    expect((await cli(['accelerators', '--sysfs', fs.sysfsRoot, '--host', 'laptop'])).code).toBe(2);
    expect((await cli(['accelerators', '--sysfs', fs.sysfsRoot, '--events', '2'])).code).toBe(2);
    expect((await cli(['accelerators', '--sysfs', fs.sysfsRoot, '--watch', '--interval', 'soon'])).err).toContain('--interval wants a whole number');
    fs.plug(coralReady());
    const r = await cli(['accelerators', '--sysfs', fs.sysfsRoot, '--save', join(fs.root, 't.json'), '--host', 'desktop']);
    expect(r.code).toBe(2);
    expect(r.err).toContain("node 'desktop'");
  });

  it('--watch prints hot-plug events: a re-enumerating Coral as one change', async () => {
    fs.plug(coralBootloader('1-1.2', 5));
    const r = await cli(['accelerators', '--watch', '--interval', '10', '--events', '2', '--sysfs', fs.sysfsRoot, '--dev', fs.devRoot], (line) => {
      if (line.startsWith('watching for USB accelerators')) fs.plug(coralReady('1-1.2', 6));
      if (line.startsWith('changed')) fs.unplug('1-1.2');
    });
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toBe('1 USB accelerator on this machine:');
    const events = lines.filter((l) => /^(attached|detached|changed)\b/.test(l));
    expect(events).toEqual([
      'changed   coral 18d1:9302 (ready) on bus 001 device 006, port 1-1.2 (was 1a6e:089a bootloader, device 005)',
      'detached  coral 18d1:9302 (ready) on bus 001 device 006, port 1-1.2',
    ]);
  });

  it('--watch --json prints one JSON event per line, starting with the sticks already present', async () => {
    fs.plug(ncs2Ready('2-3', 4));
    const r = await cli(['accelerators', '--watch', '--json', '--interval', '10', '--events', '2', '--sysfs', fs.sysfsRoot], (line) => {
      if (JSON.parse(line).type === 'attached') fs.unplug('2-3');
    });
    expect(r.code).toBe(0);
    const events = r.out.split('\n').map((l) => JSON.parse(l) as { type: string; accelerator: { kind: string; port: string } });
    expect(events.map((e) => [e.type, e.accelerator.kind, e.accelerator.port])).toEqual([
      ['attached', 'ncs2', '2-3'],
      ['detached', 'ncs2', '2-3'],
    ]);
  });
});
