/**
 * Whether this host can run models on its USB accelerators, checked before anything loads one
 * (docs/reference.md §6, §9):
 * - Coral Edge TPU: a stick in sysfs with either of its USB ids (it re-enumerates at first use),
 *   its device node accessible when one is checked, the Edge TPU runtime `libedgetpu.so.1` found
 *   as a real shared library, and the `coral-tflite-delegate` and `tfjs-tflite-node` packages
 *   installed. Without the library the delegate does not throw: it makes the process segfault
 *   inside TfLiteInterpreterCreate — hence the check, and the load in a worker process.
 * - Intel NCS2: its runtime (OpenVINO's MYRIAD plugin) ends at OpenVINO 2022.3 LTS and no Node
 *   binding of that version installs offline; the check says whether a 2022.3 runtime is on the
 *   host and, where none is, exactly what is missing. Nothing here runs a model on an NCS2.
 * Reads the filesystem only; never throws.
 */
import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { discoverAccelerators, describeAccelerator, hostSysfsRoot, type Accelerator, type DiscoverOptions } from './discover';

export const EDGETPU_LIBRARY = 'libedgetpu.so.1';
export const EDGETPU_INSTALL_HINT =
  "install the Edge TPU runtime from Coral's apt repository (https://coral.ai/software/#debian-packages): `sudo apt-get install libedgetpu1-std`, then plug the stick in again";
export const OPENVINO_NCS2_HINT =
  'the NCS2 runs only on OpenVINO 2022.3 LTS (the last release with the MYRIAD plugin): install it from https://storage.openvinotoolkit.org/repositories/openvino/packages/2022.3/ and its udev rules; OpenVINO 2023.0 and later cannot drive the stick';

/** The directories searched for a shared library: $LD_LIBRARY_PATH first, then the usual system ones. */
export function librarySearchPath(env: NodeJS.ProcessEnv = process.env): string[] {
  const fromEnv = (env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  return [...fromEnv, '/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib/arm-linux-gnueabihf', '/usr/local/lib', '/usr/lib', '/lib/x86_64-linux-gnu', '/lib/aarch64-linux-gnu', '/lib'];
}

export type LibraryLookup = { found: true; path: string } | { found: false; reason: string };

/** Whether the file starts with the ELF magic (a shared library, not a stray file of that name). */
function isElf(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const b = Buffer.alloc(4);
    return readSync(fd, b, 0, 4, 0) === 4 && b[0] === 0x7f && b.toString('latin1', 1, 4) === 'ELF';
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Finds `name` in `dirs` as a real shared library (an ELF file); says why not otherwise. */
export function findLibrary(name: string, dirs: readonly string[]): LibraryLookup {
  const notElf: string[] = [];
  for (const dir of dirs) {
    const p = join(dir, name);
    try {
      if (!statSync(p).isFile()) continue;
    } catch {
      continue;
    }
    if (isElf(p)) return { found: true, path: p };
    notElf.push(p);
  }
  if (notElf.length) return { found: false, reason: `${notElf.join(', ')} ${notElf.length > 1 ? 'are' : 'is'} not a shared library (no ELF header)` };
  return { found: false, reason: `${name} is not in ${dirs.join(', ')}` };
}

/** Whether a package resolves from this project (the optional TFLite packages may be absent). */
export function packageInstalled(name: string): boolean {
  try {
    // a CommonJS bundle (the node agent's) has require and no import.meta.url; an ES module makes one
    (typeof require === 'function' ? require : createRequire(import.meta.url)).resolve(name);
    return true;
  } catch {
    return false;
  }
}

export interface RuntimeCheckOptions extends DiscoverOptions {
  /** where shared libraries are looked for (default librarySearchPath()) */
  libraryDirs?: readonly string[];
  /** whether a package is installed (default: resolved from this project) */
  installed?: (pkg: string) => boolean;
  /** OpenVINO install roots to look in (default /opt/intel and $INTEL_OPENVINO_DIR) */
  openvinoRoots?: readonly string[];
  /** the sticks already discovered with these options (default: discovered here) */
  sticks?: readonly Accelerator[];
}

/** Which precondition failed: no stick, its device node, a TensorFlow Lite package, the runtime library. */
export type Shortfall = 'stick' | 'access' | 'package' | 'library';

export type Readiness =
  | { ready: true; runtime: 'edgetpu' | 'openvino'; detail: string; stick: Accelerator; library: string }
  | { ready: false; runtime: 'edgetpu' | 'openvino'; reason: string; hint: string; stick?: Accelerator; missing?: Shortfall };

/** Whether an Edge TPU model can be loaded with the delegate here; what is missing when not. */
export function edgeTpuReadiness(opts: RuntimeCheckOptions = {}): Readiness {
  const sticks = (opts.sticks ?? discoverAccelerators(opts)).filter((a) => a.kind === 'coral');
  const stick = sticks.find((a) => a.access?.ok !== false) ?? sticks[0];
  if (!stick) {
    return { ready: false, runtime: 'edgetpu', missing: 'stick', reason: `no Coral USB Accelerator is plugged in (looked for 1a6e:089a and 18d1:9302 under ${opts.sysfsRoot ?? '/sys'})`, hint: 'plug the stick in (a USB 3 port), then `edgeai accelerators` lists it' };
  }
  if (stick.access && !stick.access.ok) {
    return { ready: false, runtime: 'edgetpu', missing: 'access', stick, reason: `${describeAccelerator(stick)}: its device node ${stick.access.path} is ${stick.access.problem === 'denied' ? 'not readable and writable by this user' : 'missing'}`, hint: stick.access.hint ?? 'add the udev rule of `edgeai accelerators`' };
  }
  const installed = opts.installed ?? packageInstalled;
  for (const pkg of ['tfjs-tflite-node', 'coral-tflite-delegate']) {
    if (!installed(pkg)) return { ready: false, runtime: 'edgetpu', missing: 'package', stick, reason: `the ${pkg} package is not installed (an optional dependency: its native part could not be built here)`, hint: 'run `npm install` on a machine with a C++ toolchain and node headers, and read its warnings' };
  }
  const lib = findLibrary(EDGETPU_LIBRARY, opts.libraryDirs ?? librarySearchPath());
  if (!lib.found) return { ready: false, runtime: 'edgetpu', missing: 'library', stick, reason: `the Edge TPU runtime is missing: ${lib.reason}`, hint: EDGETPU_INSTALL_HINT };
  return { ready: true, runtime: 'edgetpu', stick, library: lib.path, detail: `${describeAccelerator(stick)} with ${lib.path}` };
}

/**
 * This host's Edge TPU readiness as the platform checks it (the deploy, every node agent):
 * EDGEAI_SYSFS_ROOT and EDGEAI_LIBRARY_DIRS (colon-separated, searched before LD_LIBRARY_PATH and
 * the system folders) point the check at other trees — fake ones in tests.
 */
export function hostEdgeTpuReadiness(env: NodeJS.ProcessEnv = process.env): Readiness {
  const dirs = (env.EDGEAI_LIBRARY_DIRS ?? '').split(':').filter(Boolean);
  const sysfsRoot = hostSysfsRoot(env);
  return edgeTpuReadiness({ ...(sysfsRoot ? { sysfsRoot } : {}), ...(dirs.length ? { libraryDirs: [...dirs, ...librarySearchPath(env)] } : {}) });
}

/** Where a model runs when the Edge TPU is wanted but not ready: what every run records (agent/tflite-host.ts). */
export function fallbackRunsOn(reason: string): string {
  return `cpu (fallback: ${reason})`;
}

/** The part of a Readiness a node agent reports in its heartbeat (no stick object: the sticks are reported beside it). */
export interface ReadinessSummary {
  ready: boolean;
  reason?: string;
  hint?: string;
  library?: string;
  missing?: Shortfall;
}

export function summarizeReadiness(r: Readiness): ReadinessSummary {
  return r.ready ? { ready: true, library: r.library } : { ready: false, reason: r.reason, hint: r.hint, ...(r.missing ? { missing: r.missing } : {}) };
}

/**
 * What a node with a Coral says of its Edge TPU (`cluster status`), from its agent's check:
 *   tpu: stick present, runtime libedgetpu.so.1 missing → models run on cpu (fallback: …); install …
 * The fallback text is the one its runs record (fallbackRunsOn), the hint the check's own.
 */
export function edgeTpuNodeLine(r: ReadinessSummary): string {
  if (r.ready) return `tpu: stick present, runtime ${r.library ?? EDGETPU_LIBRARY} found → Edge TPU models run on the edgetpu`;
  const reason = r.reason ?? 'not ready';
  if (r.missing === 'stick') return `tpu: no stick (${reason})${r.hint ? `; ${r.hint}` : ''}`;
  const what = r.missing === 'library' ? `runtime ${EDGETPU_LIBRARY} missing` : r.missing === 'access' ? 'its device node cannot be opened' : r.missing === 'package' ? 'a TensorFlow Lite package is missing' : 'not ready';
  return `tpu: stick present, ${what} → models run on ${fallbackRunsOn(reason)}${r.hint ? `; ${r.hint}` : ''}`;
}

/** Whether an OpenVINO 2022.3 runtime (the last with the NCS2's MYRIAD plugin) is on this host. */
export function ncs2Readiness(opts: RuntimeCheckOptions = {}): Readiness {
  const stick = (opts.sticks ?? discoverAccelerators(opts)).find((a) => a.kind === 'ncs2' || a.kind === 'ncs1');
  if (!stick) return { ready: false, runtime: 'openvino', reason: `no Neural Compute Stick is plugged in (looked for 03e7:2485, 03e7:f63b and 03e7:2150 under ${opts.sysfsRoot ?? '/sys'})`, hint: 'plug the stick in, then `edgeai accelerators` lists it' };
  const roots = opts.openvinoRoots ?? [...(process.env.INTEL_OPENVINO_DIR ? [process.env.INTEL_OPENVINO_DIR] : []), '/opt/intel'];
  const found: string[] = [];
  for (const root of roots) {
    for (const dir of [root, ...safeList(root).map((d) => join(root, d))]) {
      const plugin = join(dir, 'runtime', 'lib', 'intel64', 'libopenvino_intel_myriad_plugin.so');
      if (existsSync(plugin)) {
        if (/2022\.3/.test(dir)) return { ready: true, runtime: 'openvino', stick, library: plugin, detail: `${describeAccelerator(stick)} with ${plugin} (OpenVINO 2022.3 found; this studio has no sidecar for it yet, so vpu functions still run their models on the CPU)` };
        found.push(dir);
      }
    }
  }
  const others = found.length ? ` (found ${found.join(', ')}, not 2022.3)` : '';
  return { ready: false, runtime: 'openvino', stick, reason: `no OpenVINO 2022.3 runtime with the MYRIAD plugin under ${roots.join(', ')} (looked for <dir>/runtime/lib/intel64/libopenvino_intel_myriad_plugin.so, with INTEL_OPENVINO_DIR or /opt/intel/openvino_2022.3*)${others}; the stick cannot run models here`, hint: OPENVINO_NCS2_HINT };
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir).filter((d) => /openvino/i.test(d));
  } catch {
    return [];
  }
}
