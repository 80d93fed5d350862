/**
 * Content-addressed blob store: `<dir>/blobs/ab/abcdef…` named by the sha256 of the bytes.
 * A write goes to `<dir>/tmp/<random>`, is fsynced, then renamed into place (atomic on POSIX)
 * and the directory fsynced, so a blob path either does not exist or holds the whole bytes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export interface BlobStoreOptions {
  /** fsync the file and its directory before the rename is trusted (default true) */
  fsync?: boolean;
}

export class BlobStore {
  readonly blobsDir: string;
  readonly tmpDir: string;
  private readonly fsync: boolean;
  private readonly madeDirs = new Set<string>();

  constructor(readonly root: string, opts: BlobStoreOptions = {}) {
    this.blobsDir = join(root, 'blobs');
    this.tmpDir = join(root, 'tmp');
    this.fsync = opts.fsync ?? true;
    mkdirSync(this.blobsDir, { recursive: true });
    mkdirSync(this.tmpDir, { recursive: true });
  }

  pathOf(sha256: string): string {
    return join(this.blobsDir, sha256.slice(0, 2), sha256);
  }

  has(sha256: string, size?: number): boolean {
    try {
      const st = statSync(this.pathOf(sha256));
      return size === undefined || st.size === size;
    } catch {
      return false;
    }
  }

  /** Writes the bytes under their hash unless a blob of that hash and size is already there. */
  write(bytes: Uint8Array, sha256: string = sha256Hex(bytes)): { sha256: string; written: boolean } {
    if (this.has(sha256, bytes.byteLength)) return { sha256, written: false };
    const dir = join(this.blobsDir, sha256.slice(0, 2));
    if (!this.madeDirs.has(dir)) {
      mkdirSync(dir, { recursive: true });
      this.madeDirs.add(dir);
    }
    const tmp = join(this.tmpDir, `${sha256.slice(0, 16)}.${process.pid}.${randomBytes(6).toString('hex')}`);
    const fd = openSync(tmp, 'w');
    try {
      let off = 0;
      while (off < bytes.byteLength) off += writeSync(fd, bytes, off, bytes.byteLength - off);
      if (this.fsync) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.pathOf(sha256));
    if (this.fsync) fsyncDir(dir);
    return { sha256, written: true };
  }

  /** The bytes, or undefined when the blob is missing. No hash check here (the registry does it). */
  read(sha256: string): Buffer | undefined {
    try {
      return readFileSync(this.pathOf(sha256));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  /** Every blob hash on disk. */
  list(): string[] {
    const out: string[] = [];
    for (const sub of safeReaddir(this.blobsDir)) {
      for (const f of safeReaddir(join(this.blobsDir, sub))) if (/^[0-9a-f]{64}$/.test(f)) out.push(f);
    }
    return out;
  }

  remove(sha256: string): number {
    const p = this.pathOf(sha256);
    try {
      const size = statSync(p).size;
      unlinkSync(p);
      return size;
    } catch {
      return 0;
    }
  }

  /** Temp files left by writers that died mid-write, older than `olderThanMs`. */
  staleTemps(olderThanMs: number): Array<{ path: string; size: number }> {
    const now = Date.now();
    const out: Array<{ path: string; size: number }> = [];
    for (const f of safeReaddir(this.tmpDir)) {
      const p = join(this.tmpDir, f);
      try {
        const st = statSync(p);
        if (now - st.mtimeMs >= olderThanMs) out.push({ path: p, size: st.size });
      } catch {
        /* raced with its writer */
      }
    }
    return out;
  }

  exists(): boolean {
    return existsSync(this.blobsDir);
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    /* some platforms cannot fsync a directory; the rename is still atomic */
  }
}
