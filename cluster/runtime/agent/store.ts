/**
 * The node's store, as the agent keeps it: a content-addressed blob store (the artifacts its
 * functions read and produce, registry/blobs.ts), the function bundles (`bundles/<sha256>.mjs`),
 * and the agent's registration (`agent.json`, how a restarted controller finds it).
 *
 * A bundle is named by the sha256 of its bytes and is what runs only while it still hashes to its
 * name: it is checked before each warm and invocation (and the worker checks it again before it
 * imports it), and a PUT replaces a copy that does not match. Workers cannot write here (they
 * write only their scratch folder: confine.ts), so a damaged bundle is the doing of something
 * outside the platform; a redeploy repairs it.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { BlobStore, sha256Hex } from '../../registry/blobs';

export type BundleState = 'ok' | 'missing' | 'corrupt';

export class NodeStore {
  readonly blobs: BlobStore;

  constructor(readonly dir: string) {
    mkdirSync(join(dir, 'bundles'), { recursive: true });
    this.blobs = new BlobStore(dir);
  }

  bundlePath(sha: string): string {
    return join(this.dir, 'bundles', `${sha}.mjs`);
  }

  /** Whether the node's copy of a bundle is there and still hashes to its name. */
  bundleState(sha: string): BundleState {
    let bytes: Buffer;
    try {
      bytes = readFileSync(this.bundlePath(sha));
    } catch (e) {
      // a folder or an unreadable file in its place is as good as a damaged copy
      return (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'corrupt';
    }
    return sha256Hex(bytes) === sha ? 'ok' : 'corrupt';
  }

  /**
   * Stores a bundle whose bytes were checked against `sha`. `had`: an intact copy was there
   * already (nothing written); a missing or damaged one is written whole (a temporary file renamed
   * over it), so a redeploy repairs what was changed on disk.
   */
  putBundle(sha: string, bytes: Uint8Array): { had: boolean; repaired: boolean } {
    const state = this.bundleState(sha);
    if (state === 'ok') return { had: true, repaired: false };
    const p = this.bundlePath(sha);
    const tmp = join(this.dir, 'bundles', `.${sha.slice(0, 16)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    writeFileSync(tmp, bytes);
    if (state === 'corrupt') rmSync(p, { recursive: true, force: true });
    renameSync(tmp, p);
    return { had: false, repaired: state === 'corrupt' };
  }

  countBlobs(): number {
    let n = 0;
    try {
      for (const d of readdirSync(this.blobs.blobsDir)) n += readdirSync(join(this.blobs.blobsDir, d)).length;
    } catch {
      /* empty store */
    }
    return n;
  }

  /** Writes the agent's registration (agent.json). */
  register(reg: object): void {
    const file = join(this.dir, 'agent.json');
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(reg));
  }
}
