/**
 * The accelerator runtime checks (runtimes.ts) on fake sysfs trees and fake library folders: a
 * Coral in either state with the Edge TPU library present is ready; no stick, a stick whose node
 * is not accessible, a missing optional package, no library or a file of that name that is no
 * shared library each say what is missing and what to do. The NCS2 check finds OpenVINO 2022.3
 * only. No physical stick: the real library and stick were never present on this machine.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { coralBootloader, coralReady, FakeSysfs, keyboard, ncs2Ready } from './testing/fake-sysfs';
import { EDGETPU_LIBRARY, edgeTpuReadiness, findLibrary, librarySearchPath, ncs2Readiness } from './runtimes';

let fs: FakeSysfs;
let libs: string;
const everything = () => true;
beforeEach(() => {
  fs = new FakeSysfs();
  libs = join(fs.root, 'lib');
  mkdirSync(libs);
});
afterEach(() => fs.dispose());

/** a file that is a shared library as far as the check can tell: this Node binary is an ELF file */
const realLibrary = (dir: string, name = EDGETPU_LIBRARY) => copyFileSync(process.execPath, join(dir, name));

describe('Edge TPU readiness', () => {
  it('a Coral in either state, with the runtime library, is ready', () => {
    realLibrary(libs);
    for (const stick of [coralBootloader('1-1.2', 5), coralReady('1-1.2', 6)]) {
      fs.plug(stick);
      const r = edgeTpuReadiness({ sysfsRoot: fs.sysfsRoot, libraryDirs: [libs], installed: everything });
      expect(r).toMatchObject({ ready: true, runtime: 'edgetpu', library: join(libs, EDGETPU_LIBRARY), stick: { kind: 'coral', vendorId: stick.vendor } });
    }
  });

  it('says what is missing: the stick, access to it, a package, the library, or a library that is not one', () => {
    fs.plug(keyboard());
    realLibrary(libs);
    const none = edgeTpuReadiness({ sysfsRoot: fs.sysfsRoot, libraryDirs: [libs], installed: everything });
    expect(none).toMatchObject({ ready: false, reason: expect.stringMatching(/no Coral USB Accelerator is plugged in \(looked for 1a6e:089a and 18d1:9302/) });

    fs.plug(coralReady('1-1.2', 6));
    const denied = edgeTpuReadiness({ sysfsRoot: fs.sysfsRoot, devRoot: fs.devRoot, access: () => { throw Object.assign(new Error('EACCES'), { code: 'EACCES' }); }, libraryDirs: [libs], installed: everything });
    expect(denied).toMatchObject({ ready: false, reason: expect.stringMatching(/\/dev\/bus\/usb\/001\/006 is not readable and writable by this user/), hint: expect.stringMatching(/udev/) });

    const noPackage = edgeTpuReadiness({ sysfsRoot: fs.sysfsRoot, libraryDirs: [libs], installed: (p) => p !== 'coral-tflite-delegate' });
    expect(noPackage).toMatchObject({ ready: false, reason: expect.stringMatching(/the coral-tflite-delegate package is not installed/) });

    const empty = join(fs.root, 'empty');
    mkdirSync(empty);
    const noLib = edgeTpuReadiness({ sysfsRoot: fs.sysfsRoot, libraryDirs: [empty], installed: everything });
    expect(noLib).toMatchObject({ ready: false, reason: expect.stringMatching(new RegExp(`the Edge TPU runtime is missing: ${EDGETPU_LIBRARY} is not in ${empty}`)), hint: expect.stringMatching(/libedgetpu1-std/) });

    const fake = join(fs.root, 'fake');
    mkdirSync(fake);
    writeFileSync(join(fake, EDGETPU_LIBRARY), 'not a library');
    const notElf = edgeTpuReadiness({ sysfsRoot: fs.sysfsRoot, libraryDirs: [fake], installed: everything });
    expect(notElf).toMatchObject({ ready: false, reason: expect.stringMatching(/is not a shared library \(no ELF header\)/) });
  });

  it('looks in LD_LIBRARY_PATH first, then the system folders', () => {
    expect(librarySearchPath({ LD_LIBRARY_PATH: '/a:/b' }).slice(0, 2)).toEqual(['/a', '/b']);
    expect(librarySearchPath({})).toContain('/usr/lib/x86_64-linux-gnu');
    const second = join(fs.root, 'second');
    mkdirSync(second);
    realLibrary(second);
    expect(findLibrary(EDGETPU_LIBRARY, [libs, second])).toEqual({ found: true, path: join(second, EDGETPU_LIBRARY) });
  });

  it('this machine, as it is: no stick (there is no USB bus here), so never ready', () => {
    const r = edgeTpuReadiness();
    expect(r.ready).toBe(false);
  });
});

describe('NCS2 readiness', () => {
  it('ready only with OpenVINO 2022.3 and its MYRIAD plugin; a later OpenVINO is named as the reason', () => {
    fs.plug(ncs2Ready());
    const intel = join(fs.root, 'opt-intel');
    const plugin = (version: string) => {
      const dir = join(intel, `openvino_${version}`, 'runtime', 'lib', 'intel64');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'libopenvino_intel_myriad_plugin.so'), '');
    };
    const none = ncs2Readiness({ sysfsRoot: fs.sysfsRoot, openvinoRoots: [intel] });
    expect(none).toMatchObject({ ready: false, runtime: 'openvino', reason: expect.stringMatching(/no OpenVINO 2022\.3 runtime with the MYRIAD plugin/), hint: expect.stringMatching(/2022\.3 LTS/) });
    expect((none as { reason?: string }).reason).toMatch(/looked for <dir>\/runtime\/lib\/intel64\/libopenvino_intel_myriad_plugin\.so/);
    plugin('2022.1.0');
    expect(ncs2Readiness({ sysfsRoot: fs.sysfsRoot, openvinoRoots: [intel] })).toMatchObject({ ready: false, reason: expect.stringMatching(/found .*openvino_2022\.1\.0, not 2022\.3/) });
    plugin('2022.3.1');
    expect(ncs2Readiness({ sysfsRoot: fs.sysfsRoot, openvinoRoots: [intel] })).toMatchObject({ ready: true, library: expect.stringMatching(/openvino_2022\.3\.1\/runtime\/lib\/intel64\/libopenvino_intel_myriad_plugin\.so$/), detail: expect.stringMatching(/no sidecar for it yet, so vpu functions still run their models on the CPU/) });
  });

  it('without a stick, says so', () => {
    expect(ncs2Readiness({ sysfsRoot: fs.sysfsRoot })).toMatchObject({ ready: false, reason: expect.stringMatching(/no Neural Compute Stick is plugged in/) });
  });
});
