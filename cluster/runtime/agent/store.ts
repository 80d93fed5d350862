/**
 * The node's store, as the agent keeps it: a content-addressed blob store (the artifacts its
 * functions read and produce, registry/blobs.ts), the function bundles (`bundles/<sha256>.mjs`),
 * and the agent's registration (`agent.json`, how a restarted controller finds it).
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BlobStore } from '../../registry/blobs';

export class NodeStore {
  readonly blobs: BlobStore;

  constructor(readonly dir: string) {
    mkdirSync(join(dir, 'bundles'), { recursive: true });
    this.blobs = new BlobStore(dir);
  }

  bundlePath(sha: string): string {
    return join(this.dir, 'bundles', `${sha}.mjs`);
  }

  hasBundle(sha: string): boolean {
    return existsSync(this.bundlePath(sha));
  }

  /** Stores a bundle whose bytes were checked against `sha`; `had`: it was there already. */
  putBundle(sha: string, bytes: Uint8Array): { had: boolean } {
    const p = this.bundlePath(sha);
    const had = existsSync(p);
    if (!had) writeFileSync(p, bytes);
    return { had };
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
