/**
 * A docker node's agent follows its stick (issue 14): the laptop of a docker cluster has the
 * Coral of a fake sysfs tree (this machine has no USB bus; the tree's dev/bus/usb stands for the
 * host's bus the backend binds). The agent in the container watches the same tree `up` attached
 * the stick from — NodeLaunch.sysfsRoot bound read-only at its own path, EDGEAI_SYSFS_ROOT in the
 * container's environment (with the host's /sys the container's own /sys is the host's) — so it
 * reports the stick present; unplugged, the laptop loses tpu and `cluster status` says so.
 *
 * Needs a Docker engine (scripts/docker-setup.sh): elsewhere it skips and says why; under CI=true
 * a missing engine is a failure. Everything it creates carries its cluster's label
 * (edgeai.cluster=<its own name>) and goes with `down`; the node image is the shared one of this
 * agent build and stays.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Controller } from './controller';
import { dockerSkipReason } from './testing/docker-skip';
import { until } from './testing/until';
import { coralReady, FakeSysfs } from '../accelerators/testing/fake-sysfs';
import { discoverAccelerators } from '../accelerators/discover';
import { withAccelerators } from '../accelerators/attach';
import { localCluster } from '../topology/scenarios';

const skip = await dockerSkipReason('docker sticks');

describe.skipIf(skip)('a docker node\'s agent follows its stick', () => {
  const fs = new FakeSysfs();
  const home = mkdtempSync(join(tmpdir(), 'edgeai-dsticks-'));
  const cluster = `dsticks-${process.pid}-${Date.now().toString(36)}`;
  let c: Controller;
  const laptop = () => c.status().nodes.find((n) => n.name === 'laptop')!;

  beforeAll(async () => {
    fs.plug(coralReady('1-1.2', 6));
    // the agent runs as nobody: the tree (made 0700 by mkdtemp) must be readable to it
    execFileSync('chmod', ['-R', 'a+rX', fs.root]);
    const { DockerBackend } = await import('./backends/docker');
    c = await Controller.open({ home, cluster, heartbeatMs: 300, notReadyAfterMs: 5000, dockerBackend: async () => new DockerBackend({ usbPath: join(fs.devRoot, 'bus', 'usb'), pullTimeoutMs: 3000 }) });
    // as the studio's service does with its own tree (a fake one here)
    c.sticksUnder(fs.sysfsRoot);
    await c.up({ backend: 'docker', topology: withAccelerators(localCluster(), discoverAccelerators({ sysfsRoot: fs.sysfsRoot, devRoot: fs.devRoot }), 'laptop') });
  }, 400_000);

  afterAll(async () => {
    await c?.down().catch((e: Error) => console.warn('[docker-sticks] down:', e.message));
    c?.close();
    fs.dispose();
    rmSync(home, { recursive: true, force: true });
  }, 120_000);

  it('the container\'s agent sees the stick in the tree it was attached from; unplugged, the laptop loses tpu', async () => {
    await c.heartbeat();
    expect(laptop().capabilities).toContain('tpu');
    const seen = await until('the laptop agent to report its sticks', async () => (await c.heartbeat()).nodes.find((n) => n.name === 'laptop')!.accelerators?.seen, 20_000);
    expect(seen).toEqual([expect.objectContaining({ kind: 'coral', port: '1-1.2', state: 'ready' })]);
    expect(laptop().accelerators!.lines[0]).toMatch(/^tpu: stick present, /);
    expect((laptop().health as { accelerators?: { sysfsRoot: string } }).accelerators!.sysfsRoot).toBe(fs.sysfsRoot);
    // a node without sticks is not asked
    expect(c.status().nodes.find((n) => n.name === 'cloud-1')!.accelerators).toBeUndefined();

    fs.unplug('1-1.2');
    const lost = await until('the laptop to lose tpu', async () => { const l = (await c.heartbeat()).nodes.find((n) => n.name === 'laptop')!; return !l.capabilities.includes('tpu') && l; }, 30_000);
    expect(lost.accelerators!.lines[0]).toMatch(/^tpu: lost since \d{4}-.* \(its Coral USB Accelerator is unplugged \(its node agent saw it leave\)\)/);
  }, 120_000);
});
