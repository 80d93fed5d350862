/**
 * USB accelerator discovery (docs/reference.md §6): scans Linux sysfs for Google Coral USB
 * Accelerators and Intel Neural Compute Sticks.
 *
 *   discoverAccelerators()                                   the sticks on this machine
 *   discoverAccelerators({ sysfsRoot: fake, devRoot: dev })  a fake tree (tests), with access checks
 *
 * Linux only: every USB device has a directory `/sys/bus/usb/devices/<port>/` holding
 * idVendor, idProduct, busnum, devnum (and product, manufacturer, serial when the device has
 * them); its device node is `/dev/bus/usb/<busnum>/<devnum>` (three digits each). Reading
 * sysfs needs no privileges and no native module.
 *
 * macOS and Windows have no sysfs: there a scan would need libusb (the `usb` npm package, not a
 * dependency of this project), and it would not help the local cluster anyway — Docker Desktop
 * on macOS and Windows has no USB passthrough (docs/reference.md §6): `--device` starts the container
 * without the device and without an error. So on those platforms discovery finds nothing and
 * `platformNote()` says why.
 *
 * Discovery never throws: a missing tree, unreadable files, garbage content and odd entries are
 * skipped.
 */
import { accessSync, closeSync, constants, openSync, readdirSync, readSync, realpathSync } from 'node:fs';
import { join } from 'node:path';

// the words that identify a stick, shared with the agent's reports and the studio's contract
export type { AcceleratorKind, AcceleratorCapability, AcceleratorState } from '../common/sticks';
import type { AcceleratorKind, AcceleratorCapability, AcceleratorState } from '../common/sticks';

export interface DeviceAccess {
  /** the device node checked (under devRoot) */
  path: string;
  ok: boolean;
  /** why not: 'missing' (no such node) or 'denied' (no read/write permission) */
  problem?: 'missing' | 'denied';
  /** what to do, naming the udev rule of docs/reference.md §6 */
  hint?: string;
}

export interface Accelerator {
  kind: AcceleratorKind;
  capability: AcceleratorCapability;
  /** four lower-case hex digits, e.g. '1a6e' */
  vendorId: string;
  productId: string;
  state: AcceleratorState;
  busnum: number;
  devnum: number;
  /** `/dev/bus/usb/BBB/DDD` — changes when the stick re-enumerates */
  devPath: string;
  /** the sysfs port name, e.g. '1-1.2': stable while the stick stays in the same socket */
  port: string;
  /** the device's sysfs directory (symlinks resolved when possible) */
  sysfsPath: string;
  product?: string;
  manufacturer?: string;
  serial?: string;
  /** present when discovery was given a devRoot */
  access?: DeviceAccess;
}

export interface DiscoverOptions {
  /** default '/sys' */
  sysfsRoot?: string;
  /** when given (e.g. '/dev'), each stick's device node under it is checked for read/write access */
  devRoot?: string;
  /** the access check (default fs.accessSync); throws an errno error when the node cannot be opened */
  access?: AccessCheck;
}

export type AccessCheck = (path: string, mode: number) => void;

interface KnownId {
  kind: AcceleratorKind;
  capability: AcceleratorCapability;
  state: AcceleratorState;
  name: string;
}

/**
 * The USB ids of docs/reference.md §6. `03e7:f63b` is what a booted Myriad reports; docs/reference.md lists it
 * as the booted NCS2 (a booted NCS1 reports the same id — the watcher keeps the kind of a stick
 * it saw boot in the same port).
 */
export const KNOWN_IDS: Record<string, KnownId> = {
  '1a6e:089a': { kind: 'coral', capability: 'tpu', state: 'bootloader', name: 'Google Coral USB Accelerator (before firmware load)' },
  '18d1:9302': { kind: 'coral', capability: 'tpu', state: 'ready', name: 'Google Coral USB Accelerator' },
  '03e7:2485': { kind: 'ncs2', capability: 'vpu', state: 'bootloader', name: 'Intel Neural Compute Stick 2 (before boot)' },
  '03e7:f63b': { kind: 'ncs2', capability: 'vpu', state: 'ready', name: 'Intel Neural Compute Stick 2' },
  '03e7:2150': { kind: 'ncs1', capability: 'vpu', state: 'bootloader', name: 'Intel Movidius Neural Compute Stick (before boot)' },
};

export const KIND_NAMES: Record<AcceleratorKind, string> = {
  coral: 'Google Coral USB Accelerator',
  ncs2: 'Intel Neural Compute Stick 2',
  ncs1: 'Intel Movidius Neural Compute Stick',
};

/** udev rules granting access to both ids of each stick (docs/reference.md §6: Coral group plugdev, NCS mode 0666). */
export const UDEV_RULES_FILE = '/etc/udev/rules.d/99-edge-accelerators.rules';
export const UDEV_RULES: Record<AcceleratorKind, string[]> = {
  coral: [
    'SUBSYSTEM=="usb", ATTRS{idVendor}=="1a6e", ATTRS{idProduct}=="089a", GROUP="plugdev"',
    'SUBSYSTEM=="usb", ATTRS{idVendor}=="18d1", ATTRS{idProduct}=="9302", GROUP="plugdev"',
  ],
  ncs2: [
    'SUBSYSTEM=="usb", ATTRS{idVendor}=="03e7", ATTRS{idProduct}=="2485", MODE="0666"',
    'SUBSYSTEM=="usb", ATTRS{idVendor}=="03e7", ATTRS{idProduct}=="f63b", MODE="0666"',
  ],
  ncs1: [
    'SUBSYSTEM=="usb", ATTRS{idVendor}=="03e7", ATTRS{idProduct}=="2150", MODE="0666"',
    'SUBSYSTEM=="usb", ATTRS{idVendor}=="03e7", ATTRS{idProduct}=="f63b", MODE="0666"',
  ],
};
export const UDEV_RELOAD = 'sudo udevadm control --reload-rules && sudo udevadm trigger';

/** Every rule, once (the whole rules file). */
export function udevRulesText(): string {
  return [...new Set(Object.values(UDEV_RULES).flat())].join('\n');
}

/** What to do when a stick's device node cannot be opened. */
export function accessHint(kind: AcceleratorKind, problem: 'missing' | 'denied'): string {
  const rules = UDEV_RULES[kind].join('\n    ');
  const group = kind === 'coral' ? ' and add yourself to plugdev (sudo usermod -aG plugdev $USER, then log in again)' : '';
  if (problem === 'missing') {
    return `the device node does not exist here: inside a container bind /dev/bus/usb:/dev/bus/usb with device cgroup rule 'c 189:* rmw' (not privileged); Docker Desktop on macOS and Windows has no USB passthrough`;
  }
  return `no read/write access: add these udev rules to ${UDEV_RULES_FILE}${group}, run ${UDEV_RELOAD} and re-plug the stick:\n    ${rules}`;
}

/** Why discovery finds nothing on this platform, or undefined on Linux. */
export function platformNote(platform: NodeJS.Platform = process.platform): string | undefined {
  if (platform === 'linux') return undefined;
  return `discovery reads Linux sysfs; on ${platform} it would need libusb (the usb npm package), and Docker Desktop on macOS and Windows has no USB passthrough, so a stick cannot reach the cluster's containers — run the cluster on a Linux host`;
}

/**
 * Where the platform looks for this host's sticks (the deploy's check, `cluster up`'s attach, every
 * node agent): EDGEAI_SYSFS_ROOT when set (a fake tree in tests), else undefined (/sys).
 */
export function hostSysfsRoot(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.EDGEAI_SYSFS_ROOT || undefined;
}

/** At most this many entries of bus/usb/devices are looked at (a sane bound for a weird tree). */
const MAX_ENTRIES = 4096;
const MAX_FILE_BYTES = 256;

/** A small sysfs attribute file, trimmed; undefined when it cannot be read or is not text. */
function readAttr(dir: string, name: string, multiLine = false): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(join(dir, name), 'r');
    const max = multiLine ? 16 * MAX_FILE_BYTES : MAX_FILE_BYTES;
    const buf = Buffer.alloc(max);
    const n = readSync(fd, buf, 0, max, 0);
    const text = buf.subarray(0, n).toString('utf8').trim();
    // sysfs attributes are one printable line
    if (!text || (multiLine ? /[\u0000-\u0009\u000b-\u001f\u007f\ufffd]/ : /[\u0000-\u001f\u007f\ufffd]/).test(text)) return undefined;
    return text;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        /* ignore */
      }
    }
  }
}

function readHexId(dir: string, name: string): string | undefined {
  const v = readAttr(dir, name)?.toLowerCase();
  return v && /^[0-9a-f]{4}$/.test(v) ? v : undefined;
}

function readNumber(dir: string, name: string, ueventKey: string): number | undefined {
  let v = readAttr(dir, name);
  if (v === undefined) {
    // fall back to the uevent file (BUSNUM=001 / DEVNUM=005)
    const uevent = readAttr(dir, 'uevent', true);
    const m = uevent ? new RegExp(`(?:^|\\n)${ueventKey}=(\\d+)(?:\\n|$)`).exec(uevent) : null;
    v = m?.[1];
  }
  if (!v || !/^\d{1,3}$/.test(v)) return undefined;
  const n = Number(v);
  return n >= 1 && n <= 255 ? n : undefined;
}

function pad3(n: number): string {
  return String(n).padStart(3, '0');
}

export function devPathOf(busnum: number, devnum: number): string {
  return `/dev/bus/usb/${pad3(busnum)}/${pad3(devnum)}`;
}

export function checkAccess(kind: AcceleratorKind, devRoot: string, busnum: number, devnum: number, access: AccessCheck = accessSync): DeviceAccess {
  const path = join(devRoot, 'bus', 'usb', pad3(busnum), pad3(devnum));
  try {
    access(path, constants.R_OK | constants.W_OK);
    return { path, ok: true };
  } catch (e) {
    const problem = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'denied';
    return { path, ok: false, problem, hint: accessHint(kind, problem) };
  }
}

/** The accelerator in one sysfs device directory, or undefined when it is none (or unreadable). */
export function readDevice(dir: string, port: string, opts: Pick<DiscoverOptions, 'devRoot' | 'access'> = {}): Accelerator | undefined {
  const vendorId = readHexId(dir, 'idVendor');
  const productId = readHexId(dir, 'idProduct');
  if (!vendorId || !productId) return undefined;
  const known = KNOWN_IDS[`${vendorId}:${productId}`];
  if (!known) return undefined;
  const busnum = readNumber(dir, 'busnum', 'BUSNUM');
  const devnum = readNumber(dir, 'devnum', 'DEVNUM');
  if (busnum === undefined || devnum === undefined) return undefined;
  let sysfsPath = dir;
  try {
    sysfsPath = realpathSync(dir);
  } catch {
    /* keep the entry path */
  }
  const product = readAttr(dir, 'product');
  const manufacturer = readAttr(dir, 'manufacturer');
  const serial = readAttr(dir, 'serial');
  return {
    kind: known.kind,
    capability: known.capability,
    vendorId,
    productId,
    state: known.state,
    busnum,
    devnum,
    devPath: devPathOf(busnum, devnum),
    port,
    sysfsPath,
    ...(product !== undefined ? { product } : {}),
    ...(manufacturer !== undefined ? { manufacturer } : {}),
    ...(serial !== undefined ? { serial } : {}),
    ...(opts.devRoot !== undefined ? { access: checkAccess(known.kind, opts.devRoot, busnum, devnum, opts.access) } : {}),
  };
}

/** The USB accelerators in `<sysfsRoot>/bus/usb/devices`, ordered by bus and port. Never throws. */
export function discoverAccelerators(opts: DiscoverOptions = {}): Accelerator[] {
  const devicesDir = join(opts.sysfsRoot ?? '/sys', 'bus', 'usb', 'devices');
  let entries: string[];
  try {
    entries = readdirSync(devicesDir);
  } catch {
    return [];
  }
  const out: Accelerator[] = [];
  for (const name of entries.slice(0, MAX_ENTRIES)) {
    // interfaces ('1-1.2:1.0') carry no idVendor; root hubs ('usb1') are not accelerators
    if (name.includes(':')) continue;
    const a = readDevice(join(devicesDir, name), name, opts);
    if (a) out.push(a);
  }
  return out.sort((a, b) => a.busnum - b.busnum || a.port.localeCompare(b.port, 'en', { numeric: true }));
}

/** 'coral 1a6e:089a (bootloader) on bus 001 device 005, port 1-1.2' */
export function describeAccelerator(a: Accelerator): string {
  return `${a.kind} ${a.vendorId}:${a.productId} (${a.state}) on bus ${pad3(a.busnum)} device ${pad3(a.devnum)}, port ${a.port}`;
}
