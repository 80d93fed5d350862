import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Accelerator } from './discover';
import { AcceleratorTracker, watchAccelerators, type AcceleratorEvent, type WatchOptions } from './watch';
import { coralBootloader, coralReady, FakeSysfs, hub, keyboard, ncs2Bootloader, ncs2Ready } from './testing/fake-sysfs';

let fs: FakeSysfs;
const stops: Array<() => void> = [];
beforeEach(() => {
  fs = new FakeSysfs();
});
afterEach(() => {
  for (const s of stops.splice(0)) s();
  fs.dispose();
});

/** Starts a watcher on the fake tree; waits are driven by its scans and events, never by the clock. */
function watch(opts: Partial<WatchOptions> = {}) {
  const events: AcceleratorEvent[] = [];
  let scans = 0;
  const waiters: Array<{ until: () => boolean; resolve: () => void }> = [];
  const check = () => {
    for (const w of [...waiters]) {
      if (w.until()) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  const stop = watchAccelerators({ sysfsRoot: fs.sysfsRoot, intervalMs: 10, ...opts, onScan: () => (scans++, check()) }, (e) => {
    events.push(e);
    check();
  });
  stops.push(stop);
  const waitFor = (until: () => boolean) => new Promise<void>((resolve) => (until() ? resolve() : waiters.push({ until, resolve })));
  return {
    events,
    stop,
    scans: () => scans,
    waitFor,
    /** resolves after n more complete scans */
    afterScans: (n: number) => {
      const target = scans + n;
      return waitFor(() => scans >= target);
    },
    eventCount: (n: number) => waitFor(() => events.length >= n),
  };
}

const brief = (e: AcceleratorEvent) => [e.type, e.accelerator.port, `${e.accelerator.vendorId}:${e.accelerator.productId}`, e.accelerator.state, e.accelerator.devnum];

describe('watchAccelerators', { timeout: 15_000 }, () => {
  it('reports a stick plugged in as attached, and nothing for a hub or a keyboard', async () => {
    const w = watch();
    expect(w.scans()).toBe(1); // the baseline is taken synchronously
    fs.plug(hub('1-1', 2)).plug(keyboard('1-1.4', 7));
    await w.afterScans(2);
    expect(w.events).toEqual([]);
    fs.plug(ncs2Bootloader('2-3', 3));
    await w.eventCount(1);
    await w.afterScans(2);
    expect(w.events.map(brief)).toEqual([['attached', '2-3', '03e7:2485', 'bootloader', 3]]);
  });

  it('a Coral re-enumerating from 1a6e:089a to 18d1:9302 with a new device number is one "changed" event', async () => {
    fs.plug(coralBootloader('1-1.2', 5));
    const w = watch(); // default detachAfterScans: 3
    expect(w.events).toEqual([]); // present at start: the baseline, not an event
    // the kernel drops the old device, and for a moment the port is empty…
    fs.unplug('1-1.2');
    await w.afterScans(1);
    // …then the stick comes back in the same port as a Google device with a new number
    fs.plug(coralReady('1-1.2', 6));
    await w.eventCount(1);
    await w.afterScans(3); // enough scans for a (wrong) late detach or attach to show
    expect(w.events.map(brief)).toEqual([['changed', '1-1.2', '18d1:9302', 'ready', 6]]);
    expect(w.events[0].previous).toMatchObject({ vendorId: '1a6e', productId: '089a', state: 'bootloader', devnum: 5, devPath: '/dev/bus/usb/001/005' });
    expect(w.events[0].accelerator.devPath).toBe('/dev/bus/usb/001/006');
  });

  it('an unplugged stick is reported detached once it stays gone', async () => {
    fs.plug(coralReady('1-1.2', 6)).plug(ncs2Ready('2-3', 4));
    const w = watch();
    fs.unplug('2-3');
    await w.eventCount(1);
    await w.afterScans(2);
    expect(w.events.map(brief)).toEqual([['detached', '2-3', '03e7:f63b', 'ready', 4]]);
  });

  it('with emitInitial, the sticks present at start are reported attached', async () => {
    fs.plug(coralBootloader('1-1.2', 5)).plug(keyboard());
    const w = watch({ emitInitial: true });
    expect(w.events.map(brief)).toEqual([['attached', '1-1.2', '1a6e:089a', 'bootloader', 5]]);
  });

  it('reports no event after stop()', async () => {
    const w = watch();
    const other = watch(); // a second watcher shows that scans did happen after the first stopped
    w.stop();
    const scansAtStop = w.scans();
    fs.plug(coralReady('1-1.2', 6));
    await other.eventCount(1);
    await other.afterScans(2);
    expect(other.events.map(brief)).toEqual([['attached', '1-1.2', '18d1:9302', 'ready', 6]]);
    expect(w.events).toEqual([]);
    expect(w.scans()).toBe(scansAtStop);
  });

  it('a listener that throws does not end the watch', async () => {
    const seen: string[] = [];
    const stop = watchAccelerators({ sysfsRoot: fs.sysfsRoot, intervalMs: 10 }, (e) => {
      seen.push(e.type);
      throw new Error('listener bug');
    });
    stops.push(stop);
    fs.plug(coralReady('1-1.2', 6));
    await new Promise<void>((resolve) => {
      const t = setInterval(() => seen.length >= 1 && (clearInterval(t), resolve()), 5);
    });
    fs.unplug('1-1.2');
    await new Promise<void>((resolve) => {
      const t = setInterval(() => seen.length >= 2 && (clearInterval(t), resolve()), 5);
    });
    expect(seen).toEqual(['attached', 'detached']);
  });
});

describe('AcceleratorTracker', () => {
  const acc = (over: Partial<Accelerator>): Accelerator => ({
    kind: 'coral',
    capability: 'tpu',
    vendorId: '1a6e',
    productId: '089a',
    state: 'bootloader',
    busnum: 1,
    devnum: 5,
    devPath: '/dev/bus/usb/001/005',
    port: '1-1.2',
    sysfsPath: '/sys/devices/x/1-1.2',
    ...over,
  });

  it('needs detachAfterScans missing scans before a detach; a stick back in time is a change or nothing', () => {
    const t = new AcceleratorTracker(2);
    expect(t.update([acc({})]).map((e) => e.type)).toEqual(['attached']);
    expect(t.update([])).toEqual([]);
    expect(t.current()).toEqual([]);
    expect(t.update([acc({})])).toEqual([]); // same stick, same number: no event
    expect(t.update([])).toEqual([]);
    expect(t.update([]).map((e) => e.type)).toEqual(['detached']);
    expect(t.update([]).map((e) => e.type)).toEqual([]);
  });

  it('the same stick moved to another port is a detach and an attach', () => {
    const t = new AcceleratorTracker(1);
    t.update([acc({})]);
    expect(t.update([acc({ port: '1-1.3', devnum: 9 })]).map((e) => [e.type, e.accelerator.port])).toEqual([
      ['attached', '1-1.3'],
      ['detached', '1-1.2'],
    ]);
  });

  it('a booted Myriad (03e7:f63b) keeps the kind of the NCS1 it booted from in the same port', () => {
    const t = new AcceleratorTracker();
    t.update([acc({ kind: 'ncs1', capability: 'vpu', vendorId: '03e7', productId: '2150', port: '3-1' })]);
    const [e] = t.update([acc({ kind: 'ncs2', capability: 'vpu', vendorId: '03e7', productId: 'f63b', state: 'ready', port: '3-1', devnum: 6 })]);
    expect([e.type, e.accelerator.kind, e.accelerator.state]).toEqual(['changed', 'ncs1', 'ready']);
  });

  it('an access change (udev rules applied) is a change', () => {
    const t = new AcceleratorTracker();
    t.update([acc({ access: { path: '/dev/bus/usb/001/005', ok: false, problem: 'denied', hint: 'x' } })]);
    expect(t.update([acc({ access: { path: '/dev/bus/usb/001/005', ok: true } })]).map((e) => e.type)).toEqual(['changed']);
  });
});
