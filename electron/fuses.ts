/**
 * Electron fuses: features compiled into the Electron binary that a build turns off by flipping
 * bytes in it (electron/electron docs/tutorial/fuses.md). The studio turns off what would let
 * anyone who can start it run other code through it:
 * - RunAsNode: `ELECTRON_RUN_AS_NODE=1 studio script.js` would run any script as plain Node;
 * - EnableNodeOptionsEnvironmentVariable: `NODE_OPTIONS=--require=evil.js` would preload code;
 * - EnableNodeCliInspectArguments: `--inspect` would open a debugger on the main process;
 * - GrantFileProtocolExtraPrivileges: the studio never loads file:// (it serves the renderer on
 *   its own studio:// scheme), so file:// pages get no extra privileges;
 * and turns on EnableCookieEncryption. The asar fuses (EnableEmbeddedAsarIntegrityValidation,
 * OnlyLoadAppFromAsar) stay as they are: the studio runs from its folder, not from an app.asar;
 * a packager that makes one turns them on.
 *
 * The binary layout (the @electron/fuses package, src/constants.ts and src/index.ts): a 32-byte
 * sentinel, then one byte of wire version (1), one byte of wire length, and one byte per fuse:
 * 0x30 off, 0x31 on, 0x72 removed. The flipper is written here (a few lines, no dependency) and
 * applied by `npm install` to the Electron binary when one is installed (scripts/postinstall.mjs);
 * tested on a file with a wire of its own (fuses.test.ts), since no Electron binary can be
 * downloaded where the tests run.
 */
import { open } from 'node:fs/promises';

export const FUSE_SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
const SENTINEL = Buffer.from(FUSE_SENTINEL);
const OFF = 0x30;
const ON = 0x31;
const REMOVED = 0x72;

/** The V1 wire, fuse by fuse, in wire order. */
export const FUSES_V1 = [
  'RunAsNode',
  'EnableCookieEncryption',
  'EnableNodeOptionsEnvironmentVariable',
  'EnableNodeCliInspectArguments',
  'EnableEmbeddedAsarIntegrityValidation',
  'OnlyLoadAppFromAsar',
  'LoadBrowserProcessSpecificV8Snapshot',
  'GrantFileProtocolExtraPrivileges',
  'WasmTrapHandlers',
] as const;
export type FuseName = (typeof FUSES_V1)[number];

/** What the studio sets; a fuse not named keeps the binary's default. */
export const STUDIO_FUSES: Partial<Record<FuseName, boolean>> = {
  RunAsNode: false,
  EnableCookieEncryption: true,
  EnableNodeOptionsEnvironmentVariable: false,
  EnableNodeCliInspectArguments: false,
  GrantFileProtocolExtraPrivileges: false,
};

export type FuseState = 'on' | 'off' | 'removed';

/** Where the wire of `file` starts (after the sentinel), found by a chunked scan. */
async function findWire(file: string): Promise<{ position: number; version: number; length: number; wire: Buffer }> {
  const h = await open(file, 'r');
  try {
    const { size } = await h.stat();
    const CHUNK = 4 * 1024 * 1024;
    const buf = Buffer.alloc(CHUNK + SENTINEL.length);
    const found: number[] = [];
    for (let start = 0; start < size; start += CHUNK) {
      const { bytesRead } = await h.read(buf, 0, Math.min(buf.length, size - start), start);
      let i = buf.subarray(0, bytesRead).indexOf(SENTINEL);
      while (i !== -1 && i < CHUNK) {
        found.push(start + i);
        i = buf.subarray(0, bytesRead).indexOf(SENTINEL, i + 1);
      }
    }
    if (found.length === 0) throw new Error(`${file} has no fuse wire (no sentinel): fuses exist in Electron 12 and later`);
    // a universal macOS binary holds two slices; this flipper handles the common single one
    if (found.length > 1) throw new Error(`${file} has ${found.length} fuse wires (a universal macOS binary?): flip them with @electron/fuses`);
    const head = Buffer.alloc(2 + 255);
    const at = found[0] + SENTINEL.length;
    const { bytesRead } = await h.read(head, 0, head.length, at);
    const version = head[0];
    const length = head[1];
    if (bytesRead < 2 + length) throw new Error(`${file}: its fuse wire is cut off`);
    return { position: at + 2, version, length, wire: Buffer.from(head.subarray(2, 2 + length)) };
  } finally {
    await h.close();
  }
}

/** The fuses of an Electron binary, by name. */
export async function readFuses(file: string): Promise<Partial<Record<FuseName, FuseState>>> {
  const { version, wire } = await findWire(file);
  if (version !== 1) throw new Error(`${file}: fuse wire version ${version}, not 1`);
  const out: Partial<Record<FuseName, FuseState>> = {};
  wire.forEach((b, i) => {
    const name = FUSES_V1[i];
    if (name) out[name] = b === ON ? 'on' : b === REMOVED ? 'removed' : 'off';
  });
  return out;
}

/**
 * Sets `fuses` in the Electron binary `file` (in place). A fuse the binary's wire is too short
 * for, or that it marks removed, is reported and skipped. Returns what changed.
 */
export async function flipFuses(file: string, fuses: Partial<Record<FuseName, boolean>> = STUDIO_FUSES): Promise<{ changed: FuseName[]; skipped: string[] }> {
  const { position, version, length, wire } = await findWire(file);
  if (version !== 1) throw new Error(`${file}: fuse wire version ${version}; this flipper knows version 1`);
  const changed: FuseName[] = [];
  const skipped: string[] = [];
  for (const [name, on] of Object.entries(fuses) as Array<[FuseName, boolean]>) {
    const i = FUSES_V1.indexOf(name);
    if (i < 0 || i >= length) {
      skipped.push(`${name} (this Electron has no such fuse)`);
      continue;
    }
    if (wire[i] === REMOVED) {
      skipped.push(`${name} (removed in this Electron)`);
      continue;
    }
    const want = on ? ON : OFF;
    if (wire[i] !== want) (wire[i] = want), changed.push(name);
  }
  if (changed.length) {
    const h = await open(file, 'r+');
    try {
      await h.write(wire, 0, wire.length, position);
    } finally {
      await h.close();
    }
  }
  return { changed, skipped };
}
