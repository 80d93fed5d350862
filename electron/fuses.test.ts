/**
 * The studio's Electron fuses (fuses.ts), checked without an Electron binary (none can be
 * downloaded here): the flipper runs on a file laid out as a binary's fuse wire is — filler,
 * the sentinel, version 1, the wire — placed across a 4 MiB chunk boundary of the scan.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FUSE_SENTINEL, FUSES_V1, STUDIO_FUSES, flipFuses, readFuses } from './fuses';

const dir = mkdtempSync(join(tmpdir(), 'edgeai-fuses-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A fake binary: `wire` (one char per fuse: 0, 1, r) after the sentinel, which straddles 4 MiB. */
function fakeBinary(name: string, wire: string, version = 1): string {
  const before = Buffer.alloc(4 * 1024 * 1024 - 10, 0x41);
  const file = join(dir, name);
  writeFileSync(file, Buffer.concat([before, Buffer.from(FUSE_SENTINEL), Buffer.from([version, wire.length]), Buffer.from(wire, 'latin1'), Buffer.alloc(1000, 0x42)]));
  return file;
}

describe('Electron fuses', () => {
  it('the studio turns off run-as-node, NODE_OPTIONS, --inspect and file:// privileges, and encrypts cookies', () => {
    expect(STUDIO_FUSES).toEqual({ RunAsNode: false, EnableCookieEncryption: true, EnableNodeOptionsEnvironmentVariable: false, EnableNodeCliInspectArguments: false, GrantFileProtocolExtraPrivileges: false });
    // the asar fuses stay as they are: the studio is not packaged into an app.asar
    expect(STUDIO_FUSES.OnlyLoadAppFromAsar).toBeUndefined();
    expect(STUDIO_FUSES.EnableEmbeddedAsarIntegrityValidation).toBeUndefined();
  });

  it('flips the wire of a binary (Electron defaults: run-as-node, NODE_OPTIONS and --inspect on) and changes nothing else', async () => {
    // a stock Electron: run-as-node, NODE_OPTIONS, --inspect, file:// privileges and wasm trap handlers on
    const file = fakeBinary('electron', '101100011');
    const before = readFileSync(file);
    const r = await flipFuses(file);
    expect(r.changed.sort()).toEqual(['EnableCookieEncryption', 'EnableNodeCliInspectArguments', 'EnableNodeOptionsEnvironmentVariable', 'GrantFileProtocolExtraPrivileges', 'RunAsNode']);
    expect(await readFuses(file)).toEqual({
      RunAsNode: 'off',
      EnableCookieEncryption: 'on',
      EnableNodeOptionsEnvironmentVariable: 'off',
      EnableNodeCliInspectArguments: 'off',
      EnableEmbeddedAsarIntegrityValidation: 'off',
      OnlyLoadAppFromAsar: 'off',
      LoadBrowserProcessSpecificV8Snapshot: 'off',
      GrantFileProtocolExtraPrivileges: 'off',
      WasmTrapHandlers: 'on',
    });
    const after = readFileSync(file);
    expect(after.length).toBe(before.length);
    const diff = [...after].flatMap((b, i) => (b !== before[i] ? [i] : []));
    expect(diff.length).toBe(5);
    // a second run changes nothing
    expect((await flipFuses(file)).changed).toEqual([]);
  });

  it('skips a fuse an older Electron lacks or marks removed, and refuses a file that is not a fused binary', async () => {
    const old = fakeBinary('old', '1r11');
    const r = await flipFuses(old);
    expect(r.changed.sort()).toEqual(['EnableNodeCliInspectArguments', 'EnableNodeOptionsEnvironmentVariable', 'RunAsNode']);
    expect(r.skipped).toEqual(['EnableCookieEncryption (removed in this Electron)', 'GrantFileProtocolExtraPrivileges (this Electron has no such fuse)']);
    const plain = join(dir, 'plain');
    writeFileSync(plain, 'not electron');
    await expect(flipFuses(plain)).rejects.toThrow(/no fuse wire/);
    await expect(flipFuses(fakeBinary('v2', '1111', 2))).rejects.toThrow(/version 2/);
    expect(FUSES_V1).toHaveLength(9);
  });
});
