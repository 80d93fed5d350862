/**
 * What a node agent reports of its sticks (agent/sticks.ts), on a fake sysfs tree: the baseline
 * at the first report, an unplug (generation 1, lost with when), a re-plug (generation 2, nothing
 * lost), and the node's Edge TPU line (runtimes.ts edgeTpuNodeLine) with no libedgetpu.so.1 in a
 * fake library folder.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { coralBootloader, coralReady, FakeSysfs } from '../../accelerators/testing/fake-sysfs';
import { edgeTpuNodeLine, edgeTpuReadiness, EDGETPU_INSTALL_HINT } from '../../accelerators/runtimes';
import { until } from '../testing/until';
import { StickWatch } from './sticks';

const fs = new FakeSysfs();
afterAll(() => fs.dispose());

describe('StickWatch', () => {
  it('reports the baseline, then an unplug with when, then the re-plug; the Edge TPU line says the runtime is missing', async () => {
    fs.plug(coralReady('1-1.2', 6));
    const libs = join(fs.root, 'lib');
    mkdirSync(libs);
    const w = new StickWatch({ sysfsRoot: fs.sysfsRoot, intervalMs: 20, detachAfterScans: 2, readiness: () => edgeTpuReadiness({ sysfsRoot: fs.sysfsRoot, libraryDirs: [libs], installed: () => true }) });
    try {
      expect(w.watching).toBe(false);
      const first = w.report();
      expect(first).toMatchObject({ generation: 0, lost: [], sticks: [{ kind: 'coral', port: '1-1.2', state: 'ready' }], edgetpu: { ready: false, missing: 'library' } });
      const line = edgeTpuNodeLine(first.edgetpu);
      expect(line).toBe(`tpu: stick present, runtime libedgetpu.so.1 missing → models run on cpu (fallback: the Edge TPU runtime is missing: libedgetpu.so.1 is not in ${libs}); ${EDGETPU_INSTALL_HINT}`);
      fs.unplug('1-1.2');
      const gone = await until('the unplug to be reported', () => (w.report().generation >= 1 ? w.report() : undefined));
      expect(gone.sticks).toEqual([]);
      expect(gone.lost).toEqual([{ kind: 'coral', port: '1-1.2', at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) }]);
      expect(edgeTpuNodeLine(gone.edgetpu)).toMatch(/^tpu: no stick \(no Coral USB Accelerator is plugged in/);
      fs.plug(coralBootloader('1-1.2', 9));
      const back = await until('the re-plug to be reported', () => (w.report().generation >= 2 ? w.report() : undefined));
      expect(back).toMatchObject({ lost: [], sticks: [{ kind: 'coral', state: 'bootloader', devPath: '/dev/bus/usb/001/009' }] });
    } finally {
      w.close();
    }
  });

  it('says settled only once it has watched for its detach window: a stick re-enumerating at the first look shows up as an attach, not as a baseline without it', async () => {
    fs.unplug('1-1.2'); // the first test's stick
    // the Coral is between its two USB ids at the first look (loading its firmware): not in sysfs
    const w = new StickWatch({ sysfsRoot: fs.sysfsRoot, intervalMs: 20, detachAfterScans: 3, readiness: () => ({ ready: false, reason: 'no stick', hint: 'plug it in', missing: 'stick' }) as never });
    try {
      const first = w.report();
      expect(first).toMatchObject({ generation: 0, settled: false, sticks: [] });
      fs.plug(coralReady('1-1.4', 12));
      const back = await until('the re-enumerated stick to be reported', () => (w.report().generation >= 1 ? w.report() : undefined));
      expect(back.sticks).toMatchObject([{ kind: 'coral', port: '1-1.4' }]);
      expect(back.lost).toEqual([]);
      const settled = await until('the watch to settle (3 scans of 20 ms)', () => (w.report().settled ? w.report() : undefined));
      expect(settled.generation).toBe(1);
    } finally {
      w.close();
      fs.unplug('1-1.4');
    }
  });
});
