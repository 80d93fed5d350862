import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { accessHint, discoverAccelerators, udevRulesText, type AccessCheck } from './discover';
import { coralBootloader, coralReady, FakeSysfs, hub, keyboard, ncs2Bootloader, ncs2Ready } from './testing/fake-sysfs';

let fs: FakeSysfs;
beforeEach(() => {
  fs = new FakeSysfs();
});
afterEach(() => fs.dispose());

describe('discoverAccelerators', () => {
  it('finds nothing in an empty bus, and nothing (without throwing) when there is no sysfs at all', () => {
    expect(discoverAccelerators({ sysfsRoot: fs.sysfsRoot })).toEqual([]);
    expect(discoverAccelerators({ sysfsRoot: join(fs.root, 'no-such-dir') })).toEqual([]);
  });

  it('recognises a Coral in its bootloader state with every field', () => {
    fs.plug({ ...coralBootloader('1-1.2', 5), serial: 'abc123' });
    const [a, ...rest] = discoverAccelerators({ sysfsRoot: fs.sysfsRoot });
    expect(rest).toEqual([]);
    expect(a).toEqual({
      kind: 'coral',
      capability: 'tpu',
      vendorId: '1a6e',
      productId: '089a',
      state: 'bootloader',
      busnum: 1,
      devnum: 5,
      devPath: '/dev/bus/usb/001/005',
      port: '1-1.2',
      sysfsPath: join(fs.sysfsRoot, 'devices', 'pci0000:00', '0000:00:14.0', 'usb1', '1-1.2'),
      product: 'Global Unichip Corp.',
      manufacturer: 'Global Unichip Corp.',
      serial: 'abc123',
    });
  });

  it('recognises a ready Coral, both NCS2 ids and the NCS1, and ignores a hub and a keyboard', () => {
    fs.plug(hub('1-1', 2)).plug(keyboard('1-1.4', 7)).plug(coralReady('1-1.2', 6)).plug(ncs2Ready('2-3', 4)).plug(ncs2Bootloader('2-4', 9));
    fs.plug({ port: '3-1', vendor: '03E7', productId: '2150', busnum: 3, devnum: 12 }); // upper-case hex as some kernels print
    const found = discoverAccelerators({ sysfsRoot: fs.sysfsRoot });
    expect(found.map((a) => [a.port, a.kind, a.capability, a.state, `${a.vendorId}:${a.productId}`, a.devPath])).toEqual([
      ['1-1.2', 'coral', 'tpu', 'ready', '18d1:9302', '/dev/bus/usb/001/006'],
      ['2-3', 'ncs2', 'vpu', 'ready', '03e7:f63b', '/dev/bus/usb/002/004'],
      ['2-4', 'ncs2', 'vpu', 'bootloader', '03e7:2485', '/dev/bus/usb/002/009'],
      ['3-1', 'ncs1', 'vpu', 'bootloader', '03e7:2150', '/dev/bus/usb/003/012'],
    ]);
    expect(found[1].serial).toBe('0c3f29d8');
    expect(found[3].product).toBeUndefined();
  });

  it('skips garbage: bad ids, missing or bad bus/device numbers, binary content, directories for files, dangling links', () => {
    fs.plug(coralBootloader('1-1.2', 5)); // the one good stick
    fs.plug({ port: '1-2', vendor: 'zzzz', productId: '089a', busnum: 1, devnum: 8 });
    fs.plug({ port: '1-3', vendor: '1a6e', productId: '089a0', busnum: 1, devnum: 9 });
    fs.plug({ port: '1-4', vendor: '1a6e', productId: '089a', busnum: 1 }); // no devnum
    fs.plug({ port: '1-5', vendor: '1a6e', productId: '089a', busnum: 'one', devnum: 3 });
    fs.plug({ port: '1-6', vendor: '18d1', productId: '9302', busnum: 1, devnum: 999 });
    fs.plug({ port: '1-7', productId: '9302', busnum: 1, devnum: 10 }); // no idVendor
    fs.raw('1-8', { idVendor: Buffer.from([0x18, 0xd1, 0x00, 0xff]), idProduct: '9302\n', busnum: '1', devnum: '11' });
    fs.raw('1-9', { idProduct: '9302\n', busnum: '1', devnum: '12' });
    mkdirSync(join(fs.devicesDir, '1-9', 'idVendor')); // a directory where a file should be
    fs.raw('usb1', { idVendor: '1d6b\n', idProduct: '0002\n', busnum: '1', devnum: '1' }); // root hub
    fs.raw('1-1.2:1.0', { bInterfaceClass: 'ff\n' }); // an interface
    symlinkSync(join(fs.root, 'nowhere'), join(fs.devicesDir, '1-10')); // dangling
    writeFileSync(join(fs.devicesDir, 'stray-file'), 'x');
    fs.raw('1-11', { idVendor: '1a6e'.repeat(200), idProduct: '089a', busnum: '1', devnum: '13' }); // oversized
    const found = discoverAccelerators({ sysfsRoot: fs.sysfsRoot });
    expect(found.map((a) => a.port)).toEqual(['1-1.2']);
  });

  it('takes bus and device numbers from uevent when the attribute files are missing', () => {
    fs.plug({ port: '4-2', vendor: '18d1', productId: '9302', files: { uevent: 'MAJOR=189\nMINOR=389\nDEVNAME=bus/usb/004/006\nBUSNUM=004\nDEVNUM=006\n' } });
    expect(discoverAccelerators({ sysfsRoot: fs.sysfsRoot }).map((a) => [a.busnum, a.devnum, a.devPath])).toEqual([[4, 6, '/dev/bus/usb/004/006']]);
  });

  it('reports device node access only when given a devRoot: ok, missing, denied with the udev hint', () => {
    fs.plug(coralBootloader('1-1.2', 5)).plug({ ...ncs2Ready('2-3', 4), devNode: false });
    expect(discoverAccelerators({ sysfsRoot: fs.sysfsRoot }).every((a) => a.access === undefined)).toBe(true);

    const [coral, ncs2] = discoverAccelerators({ sysfsRoot: fs.sysfsRoot, devRoot: fs.devRoot });
    expect(coral.access).toEqual({ path: join(fs.devRoot, 'bus', 'usb', '001', '005'), ok: true });
    expect(ncs2.access?.ok).toBe(false);
    expect(ncs2.access?.problem).toBe('missing');
    expect(ncs2.access?.hint).toContain('/dev/bus/usb:/dev/bus/usb');

    // permission denied (the tests may run as root, where access() always passes: inject the check)
    const denied: AccessCheck = (path) => {
      throw Object.assign(new Error(`EACCES: permission denied, access '${path}'`), { code: 'EACCES' });
    };
    const [c2, n2] = discoverAccelerators({ sysfsRoot: fs.sysfsRoot, devRoot: fs.devRoot, access: denied });
    expect(c2.access?.problem).toBe('denied');
    expect(c2.access?.hint).toContain('GROUP="plugdev"');
    expect(c2.access?.hint).toContain('ATTRS{idVendor}=="18d1", ATTRS{idProduct}=="9302"');
    expect(c2.access?.hint).toContain('udevadm');
    expect(n2.access?.hint).toContain('MODE="0666"');
    expect(n2.access?.hint).toContain('ATTRS{idProduct}=="2485"');
    expect(n2.access?.hint).not.toContain('plugdev');
  });
});

describe('udev rules', () => {
  it('grant access to both ids of each stick (docs/reference.md §6)', () => {
    const text = udevRulesText();
    for (const [v, p, grant] of [
      ['1a6e', '089a', 'GROUP="plugdev"'],
      ['18d1', '9302', 'GROUP="plugdev"'],
      ['03e7', '2485', 'MODE="0666"'],
      ['03e7', 'f63b', 'MODE="0666"'],
    ]) {
      expect(text).toContain(`SUBSYSTEM=="usb", ATTRS{idVendor}=="${v}", ATTRS{idProduct}=="${p}", ${grant}`);
    }
    expect(text.split('\n').filter((l) => l.includes('f63b'))).toHaveLength(1);
    expect(accessHint('coral', 'denied')).toContain('usermod -aG plugdev');
  });
});
