/**
 * Fake sysfs trees for tests: `<root>/sys/bus/usb/devices/<port>` is a symlink to a device
 * directory under `<root>/sys/devices/…` as on Linux, and `<root>/dev/bus/usb/BBB/DDD` files
 * stand for device nodes.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FakeUsbDevice {
  port: string;
  vendor?: string;
  productId?: string;
  busnum?: number | string;
  devnum?: number | string;
  product?: string;
  manufacturer?: string;
  serial?: string;
  /** raw extra files written into the device directory */
  files?: Record<string, string | Buffer>;
  /** also create /dev/bus/usb/BBB/DDD (default true) */
  devNode?: boolean;
}

export class FakeSysfs {
  readonly root = mkdtempSync(join(tmpdir(), 'edgeai-sysfs-'));
  readonly sysfsRoot = join(this.root, 'sys');
  readonly devRoot = join(this.root, 'dev');
  readonly devicesDir = join(this.sysfsRoot, 'bus', 'usb', 'devices');

  constructor() {
    mkdirSync(this.devicesDir, { recursive: true });
    mkdirSync(join(this.devRoot, 'bus', 'usb'), { recursive: true });
  }

  /** Plugs a device in (replacing whatever is in its port). */
  plug(d: FakeUsbDevice): this {
    this.unplug(d.port);
    const bus = d.busnum ?? 1;
    const real = join(this.sysfsRoot, 'devices', 'pci0000:00', '0000:00:14.0', `usb${bus}`, d.port);
    rmSync(real, { recursive: true, force: true });
    mkdirSync(real, { recursive: true });
    const files: Record<string, string | Buffer | undefined> = {
      idVendor: d.vendor,
      idProduct: d.productId,
      busnum: d.busnum !== undefined ? String(d.busnum) : undefined,
      devnum: d.devnum !== undefined ? String(d.devnum) : undefined,
      product: d.product,
      manufacturer: d.manufacturer,
      serial: d.serial,
      ...d.files,
    };
    for (const [name, content] of Object.entries(files)) if (content !== undefined) writeFileSync(join(real, name), typeof content === 'string' ? content + (content.endsWith('\n') ? '' : '\n') : content);
    symlinkSync(real, join(this.devicesDir, d.port));
    if (d.devNode !== false && d.busnum !== undefined && d.devnum !== undefined) {
      const dir = join(this.devRoot, 'bus', 'usb', String(d.busnum).padStart(3, '0'));
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, String(d.devnum).padStart(3, '0')), '');
    }
    return this;
  }

  unplug(port: string): this {
    rmSync(join(this.devicesDir, port), { force: true });
    return this;
  }

  /** An arbitrary entry in bus/usb/devices (a plain directory, not a symlink). */
  raw(name: string, files: Record<string, string | Buffer>): this {
    const dir = join(this.devicesDir, name);
    mkdirSync(dir, { recursive: true });
    for (const [f, c] of Object.entries(files)) writeFileSync(join(dir, f), c);
    return this;
  }

  dispose(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

export const coralBootloader = (port = '1-1.2', devnum = 5): FakeUsbDevice => ({ port, vendor: '1a6e', productId: '089a', busnum: 1, devnum, product: 'Global Unichip Corp.', manufacturer: 'Global Unichip Corp.' });
export const coralReady = (port = '1-1.2', devnum = 6): FakeUsbDevice => ({ port, vendor: '18d1', productId: '9302', busnum: 1, devnum, manufacturer: 'Google Inc.' });
export const ncs2Bootloader = (port = '2-3', devnum = 3): FakeUsbDevice => ({ port, vendor: '03e7', productId: '2485', busnum: 2, devnum, product: 'Movidius MyriadX', manufacturer: 'Movidius Ltd.', serial: '03e72485' });
export const ncs2Ready = (port = '2-3', devnum = 4): FakeUsbDevice => ({ port, vendor: '03e7', productId: 'f63b', busnum: 2, devnum, product: 'VSC Loopback Device', manufacturer: 'Movidius Ltd.', serial: '0c3f29d8' });
export const hub = (port = '1-1', devnum = 2): FakeUsbDevice => ({ port, vendor: '8087', productId: '0024', busnum: 1, devnum, product: 'Integrated Rate Matching Hub', files: { bDeviceClass: '09' } });
export const keyboard = (port = '1-1.4', devnum = 7): FakeUsbDevice => ({ port, vendor: '046d', productId: 'c31c', busnum: 1, devnum, product: 'USB Keyboard', manufacturer: 'Logitech' });
