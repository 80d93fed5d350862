/**
 * The artifact registry: metadata in SQLite (WAL), bytes content-addressed on disk.
 *
 *   <dir>/registry.db   artifacts, their tags and lineage inputs
 *   <dir>/blobs/ab/…    one file per distinct content, named by its sha256
 *   <dir>/tmp/          blobs being written (temp file → fsync → rename)
 *
 * Crash safety: a put writes and fsyncs the blob and renames it into place *before* it commits
 * the metadata, and re-checks inside its write transaction that the blob is still there (gc
 * deletes only while holding the same write lock). So committed metadata never points at a
 * missing blob; a writer killed mid-put leaves at worst an orphaned blob or temp file, which
 * `gc` removes. A get re-hashes the bytes and refuses corrupt ones, naming urn and version.
 *
 * Several processes may open the same registry; each keeps an in-memory index for fast
 * resolution and reloads it when SQLite's data_version says another connection committed.
 *
 * Why one file of ~600 lines: the registry's SQLite schema, its statements and the operations that must run in one transaction with them (put, locations, gc, verify) belong together.
 */
import Database from 'better-sqlite3';
import { mkdirSync, statSync, unlinkSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import { z } from 'zod';
import {
  ArtifactLocationSchema,
  ArtifactPutSchema,
  ArtifactSchema,
  type Artifact,
  type ArtifactLocationInput,
  type ArtifactPutInput,
  type ArtifactRef,
} from '../spec/artifact';
import type { Selector } from '../spec/selector';
import { BlobStore, sha256Hex } from './blobs';
import { ArtifactBlobMissingError, ArtifactCorruptError, ArtifactNotFoundError, RegistryError } from './errors';
import { ArtifactIndex, type ResolveOptions, type ResolveResult } from './resolve';

/** Where a project's registry lives. */
export function registryDirOf(projectDir: string): string {
  return join(resolvePath(projectDir), '.edgeai', 'registry');
}

export interface OpenRegistryOptions {
  /** fsync blobs and their directory before committing metadata (default true) */
  fsync?: boolean;
}

export interface ListFilter {
  kind?: 'data' | 'model';
  /** exact urn, glob (`mnist:*`) */
  urn?: string;
  type?: string;
  tag?: string;
  /** only the newest version of each urn */
  latest?: boolean;
}

export interface LineageNode {
  artifact: Artifact;
  /** the artifacts this one was made from (recursively); a missing input is reported by ref */
  inputs: Array<LineageNode | { missing: ArtifactRef }>;
}

export interface LineageReport {
  artifact: Artifact;
  /** ancestors: what it was made from, recursively */
  inputs: LineageNode['inputs'];
  /** descendants: what was made from it, recursively */
  outputs: LineageNode[];
}

export interface GcOptions {
  /** temp files younger than this may belong to a live writer and are kept (default 10 min) */
  graceMs?: number;
  /** report what would be removed without removing it */
  dryRun?: boolean;
}

export interface GcReport {
  removedBlobs: string[];
  removedTemps: number;
  freedBytes: number;
  /** metadata whose blob is missing (should never happen; reported, not repaired) */
  missing: ArtifactRef[];
}

export interface VerifyReport {
  checked: number;
  corrupt: Array<ArtifactRef & { message: string }>;
  missing: ArtifactRef[];
}

interface Row {
  id: number;
  kind: string;
  urn: string;
  version: number;
  type: string | null;
  format: string;
  size: number;
  sha256: string;
  created: string;
  tags: string;
  data_tags: string;
  metrics: string;
  lineage: string;
  locations: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS artifacts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  urn TEXT NOT NULL,
  version INTEGER NOT NULL,
  type TEXT,
  format TEXT NOT NULL,
  size INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  created TEXT NOT NULL,
  tags TEXT NOT NULL,
  data_tags TEXT NOT NULL,
  metrics TEXT NOT NULL,
  lineage TEXT NOT NULL,
  locations TEXT NOT NULL,
  UNIQUE (urn, version)
);
CREATE INDEX IF NOT EXISTS artifacts_type ON artifacts (type, kind);
CREATE INDEX IF NOT EXISTS artifacts_sha ON artifacts (sha256);
CREATE TABLE IF NOT EXISTS artifact_tags (
  field TEXT NOT NULL,
  tag TEXT NOT NULL,
  artifact_id INTEGER NOT NULL,
  PRIMARY KEY (field, tag, artifact_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS artifact_inputs (
  input_urn TEXT NOT NULL,
  input_version INTEGER NOT NULL,
  artifact_id INTEGER NOT NULL,
  PRIMARY KEY (input_urn, input_version, artifact_id)
) WITHOUT ROWID;
`;

export class Registry {
  readonly dir: string;
  readonly blobs: BlobStore;
  private readonly db: Database.Database;
  private index: ArtifactIndex | undefined;
  private dataVersion = -1;
  /** blobs whose hash this process checked, with the file stamp they had then */
  private readonly verified = new Map<string, string>();
  private readonly stmts: ReturnType<Registry['prepare']>;

  constructor(dir: string, opts: OpenRegistryOptions = {}) {
    this.dir = resolvePath(dir);
    try {
      mkdirSync(this.dir, { recursive: true });
      this.blobs = new BlobStore(this.dir, { fsync: opts.fsync });
      this.db = new Database(join(this.dir, 'registry.db'));
      this.db.pragma('journal_mode = WAL');
      // WAL + NORMAL survives a process crash (SIGKILL); blobs are fsynced before the commit.
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('busy_timeout = 10000');
      this.db.exec(SCHEMA);
      // `remote`: the bytes live only on cluster nodes (see putRemote), not in this store
      const cols = this.db.prepare<[], { name: string }>('PRAGMA table_info(artifacts)').all();
      if (!cols.some((c) => c.name === 'remote')) this.db.exec('ALTER TABLE artifacts ADD COLUMN remote INTEGER NOT NULL DEFAULT 0');
    } catch (e) {
      throw new RegistryError('registry-open', `cannot open the artifact registry at ${this.dir}: ${(e as Error).message}`);
    }
    this.stmts = this.prepare();
  }

  private prepare() {
    const db = this.db;
    return {
      maxVersion: db.prepare<[string], { v: number | null }>('SELECT MAX(version) AS v FROM artifacts WHERE urn = ?'),
      insert: db.prepare(
        `INSERT INTO artifacts (kind, urn, version, type, format, size, sha256, created, tags, data_tags, metrics, lineage, locations, remote)
         VALUES (@kind, @urn, @version, @type, @format, @size, @sha256, @created, @tags, @data_tags, @metrics, @lineage, @locations, @remote)`,
      ),
      insertTag: db.prepare('INSERT OR IGNORE INTO artifact_tags (field, tag, artifact_id) VALUES (?, ?, ?)'),
      insertInput: db.prepare('INSERT OR IGNORE INTO artifact_inputs (input_urn, input_version, artifact_id) VALUES (?, ?, ?)'),
      byUrnVersion: db.prepare<[string, number], Row>('SELECT * FROM artifacts WHERE urn = ? AND version = ?'),
      latest: db.prepare<[string], Row>('SELECT * FROM artifacts WHERE urn = ? ORDER BY version DESC LIMIT 1'),
      exists: db.prepare<[string, number], { id: number }>('SELECT id FROM artifacts WHERE urn = ? AND version = ?'),
      all: db.prepare<[], Row>('SELECT * FROM artifacts ORDER BY id'),
      shas: db.prepare<[], { sha256: string }>('SELECT DISTINCT sha256 FROM artifacts WHERE remote = 0'),
      refsBySha: db.prepare<[], { urn: string; version: number; sha256: string; size: number }>('SELECT urn, version, sha256, size FROM artifacts WHERE remote = 0'),
      isRemote: db.prepare<[string, number], { remote: number }>('SELECT remote FROM artifacts WHERE urn = ? AND version = ?'),
      outputs: db.prepare<[string, number], { artifact_id: number }>('SELECT artifact_id FROM artifact_inputs WHERE input_urn = ? AND input_version = ?'),
      byId: db.prepare<[number], Row>('SELECT * FROM artifacts WHERE id = ?'),
      setLocations: db.prepare('UPDATE artifacts SET locations = ? WHERE id = ?'),
      count: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM artifacts'),
    };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  // -------------------------------------------------------------------------------------------
  // put / get

  /**
   * Stores bytes and their metadata as the next version of the urn. The blob is durable on
   * disk before the metadata commits. Throws RegistryError('invalid-artifact') on bad metadata
   * or a lineage input that is not in the registry.
   */
  put(input: ArtifactPutInput, bytes: Uint8Array): Artifact {
    const meta = this.checkPut(input);
    const sha256 = sha256Hex(bytes);
    this.blobs.write(bytes, sha256);
    return this.insertVersion(meta, sha256, bytes.byteLength, false, () => {
      // gc deletes only under this same write lock: if it removed our blob since we wrote it, write it again
      if (!this.blobs.has(sha256, bytes.byteLength)) this.blobs.write(bytes, sha256);
    });
  }

  /**
   * Records an artifact whose bytes stay on cluster nodes (its `locations`), not in this store:
   * what a function produced on a node. Reading its bytes here fails; the runtime fetches them
   * from a node that holds them, and reports the artifact unavailable when none is running.
   */
  putRemote(input: ArtifactPutInput, blob: { sha256: string; size: number }): Artifact {
    const meta = this.checkPut(input);
    if (!meta.locations.length) throw new RegistryError('invalid-artifact', `cannot record '${meta.urn}' without its bytes: name the node(s) that hold them in locations`);
    if (!/^[0-9a-f]{64}$/.test(blob.sha256) || !(blob.size >= 0)) throw new RegistryError('invalid-artifact', `cannot record '${meta.urn}': bad sha256 or size`);
    return this.insertVersion(meta, blob.sha256, blob.size, true);
  }

  /** Whether this store holds the artifact's bytes (false for bytes that live only on nodes). */
  hasBytes(artifact: Pick<Artifact, 'urn' | 'version' | 'sha256' | 'size'>): boolean {
    const row = this.stmts.isRemote.get(artifact.urn, artifact.version);
    return !!row && row.remote === 0 && this.blobs.has(artifact.sha256, artifact.size);
  }

  private checkPut(input: ArtifactPutInput) {
    const parsed = ArtifactPutSchema.safeParse(input);
    if (!parsed.success) throw new RegistryError('invalid-artifact', `cannot put artifact${typeof input?.urn === 'string' ? ` '${input.urn}'` : ''}: ${formatZodIssues(parsed.error)}`);
    const meta = parsed.data;
    for (const inp of meta.lineage.inputs) {
      if (!this.stmts.exists.get(inp.urn, inp.version)) {
        throw new RegistryError('invalid-artifact', `cannot put artifact '${meta.urn}': its lineage input '${inp.urn}' version ${inp.version} is not in the registry`);
      }
    }
    return meta;
  }

  private insertVersion(meta: ReturnType<Registry['checkPut']>, sha256: string, size: number, remote: boolean, beforeInsert?: () => void): Artifact {
    const created = new Date().toISOString();
    const commit = this.db.transaction((): { id: number; artifact: Artifact } => {
      beforeInsert?.();
      const version = (this.stmts.maxVersion.get(meta.urn)?.v ?? 0) + 1;
      const artifact: Artifact = {
        kind: meta.kind,
        urn: meta.urn,
        version,
        ...(meta.type !== undefined ? { type: meta.type } : {}),
        tags: uniq(meta.tags),
        data_tags: uniq(meta.data_tags),
        metrics: meta.metrics,
        format: meta.format,
        size,
        sha256,
        created,
        lineage: meta.lineage,
        locations: meta.locations,
      };
      const info = this.stmts.insert.run({
        kind: artifact.kind,
        urn: artifact.urn,
        version,
        type: artifact.type ?? null,
        format: artifact.format,
        size: artifact.size,
        sha256,
        created,
        tags: JSON.stringify(artifact.tags),
        data_tags: JSON.stringify(artifact.data_tags),
        metrics: JSON.stringify(artifact.metrics),
        lineage: JSON.stringify(artifact.lineage),
        locations: JSON.stringify(artifact.locations),
        remote: remote ? 1 : 0,
      });
      const id = Number(info.lastInsertRowid);
      for (const t of artifact.tags) this.stmts.insertTag.run('tags', t, id);
      for (const t of artifact.data_tags) this.stmts.insertTag.run('data_tags', t, id);
      for (const i of artifact.lineage.inputs) this.stmts.insertInput.run(i.urn, i.version, id);
      return { id, artifact };
    });
    const { id, artifact } = commit.immediate();
    this.index?.add(id, freezeArtifact(artifact));
    return artifact;
  }

  /** Metadata of one version (latest when version is omitted), or undefined. */
  artifact(urn: string, version?: number): Artifact | undefined {
    const row = version === undefined ? this.stmts.latest.get(urn) : this.stmts.byUrnVersion.get(urn, version);
    return row ? rowToArtifact(row) : undefined;
  }

  /** Metadata of one version (latest when omitted); throws ArtifactNotFoundError. */
  require(urn: string, version?: number): Artifact {
    const a = this.artifact(urn, version);
    if (!a) throw new ArtifactNotFoundError(urn, version);
    return a;
  }

  /** Bytes and metadata; the bytes are hash-checked (ArtifactCorruptError / ArtifactBlobMissingError). */
  get(urn: string, version?: number): { artifact: Artifact; bytes: Buffer } {
    const artifact = this.require(urn, version);
    return { artifact, bytes: this.read(artifact) };
  }

  /** The bytes of an artifact whose metadata you hold, hash-checked. */
  read(artifact: Pick<Artifact, 'urn' | 'version' | 'sha256'>, opts: { verify?: 'changed' | 'always' } = {}): Buffer {
    const path = this.blobs.pathOf(artifact.sha256);
    let stamp: string | undefined;
    try {
      const st = statSync(path, { bigint: true });
      stamp = `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
    } catch {
      throw new ArtifactBlobMissingError(artifact.urn, artifact.version, path);
    }
    const bytes = this.blobs.read(artifact.sha256);
    if (!bytes) throw new ArtifactBlobMissingError(artifact.urn, artifact.version, path);
    // The hash is checked on the first read in this process and again whenever the file changed
    // on disk (inode, size, mtime or ctime): any write to a blob is caught, and re-reading bytes
    // already verified costs a stat instead of a sha256 pass. `verify` re-hashes everything.
    if (opts.verify === 'always' || this.verified.get(artifact.sha256) !== stamp) {
      const actual = sha256Hex(bytes);
      if (actual !== artifact.sha256) {
        this.verified.delete(artifact.sha256);
        throw new ArtifactCorruptError(artifact.urn, artifact.version, artifact.sha256, actual, path);
      }
      if (this.verified.size >= 100_000) this.verified.clear();
      this.verified.set(artifact.sha256, stamp);
    }
    return bytes;
  }

  /** Every version of a urn, oldest first. */
  versions(urn: string): Artifact[] {
    return this.ensureIndex()
      .versionsOf(urn)
      .map((e) => e.artifact)
      .sort((a, b) => a.version - b.version);
  }

  count(): number {
    return this.stmts.count.get()?.n ?? 0;
  }

  list(filter: ListFilter = {}): Artifact[] {
    const sel: Selector = {};
    if (filter.kind) sel.kind = filter.kind;
    if (filter.urn) sel.urn = filter.urn;
    if (filter.type) sel.type = filter.type;
    if (filter.tag) sel.tags = [filter.tag];
    let out: Artifact[];
    if (Object.keys(sel).length === 0) {
      out = [...this.ensureIndex().entries()].sort((a, b) => a.seq - b.seq).map((e) => e.artifact);
    } else {
      out = this.resolve(sel).candidates.reverse();
    }
    if (filter.latest) {
      const newest = new Map<string, Artifact>();
      for (const a of out) if ((newest.get(a.urn)?.version ?? 0) < a.version) newest.set(a.urn, a);
      out = out.filter((a) => newest.get(a.urn) === a);
    }
    return out;
  }

  /**
   * The artifacts recorded after `seq` (in order), with their sequence numbers: what another
   * process (a CLI's `data add`, another window) or this one published since a reader last
   * looked. `since(-1)` is everything; the largest seq returned is the next call's argument.
   */
  since(seq: number): Array<{ seq: number; artifact: Artifact }> {
    return [...this.ensureIndex().entries()].filter((e) => e.seq > seq).sort((a, b) => a.seq - b.seq).map((e) => ({ seq: e.seq, artifact: e.artifact }));
  }

  /** The sequence number of the newest record (-1: none). */
  lastSeq(): number {
    let max = -1;
    for (const e of this.ensureIndex().entries()) if (e.seq > max) max = e.seq;
    return max;
  }

  /** Records that a node holds the artifact's bytes (idempotent per node; networks are replaced). */
  addLocation(ref: ArtifactRef, location: ArtifactLocationInput): Artifact {
    const loc = ArtifactLocationSchema.parse(location);
    const tx = this.db.transaction(() => {
      const row = this.stmts.byUrnVersion.get(ref.urn, ref.version);
      if (!row) throw new ArtifactNotFoundError(ref.urn, ref.version);
      const a = rowToArtifact(row);
      a.locations = [...a.locations.filter((l) => l.node !== loc.node), loc];
      this.stmts.setLocations.run(JSON.stringify(a.locations), row.id);
      return { id: row.id, a };
    });
    const { id, a } = tx.immediate();
    this.index?.update(id, freezeArtifact(a));
    return a;
  }

  /** Records that a node no longer holds the artifact's bytes. */
  removeLocation(ref: ArtifactRef, node: string): Artifact {
    const tx = this.db.transaction(() => {
      const row = this.stmts.byUrnVersion.get(ref.urn, ref.version);
      if (!row) throw new ArtifactNotFoundError(ref.urn, ref.version);
      const a = rowToArtifact(row);
      a.locations = a.locations.filter((l) => l.node !== node);
      this.stmts.setLocations.run(JSON.stringify(a.locations), row.id);
      return { id: row.id, a };
    });
    const { id, a } = tx.immediate();
    this.index?.update(id, freezeArtifact(a));
    return a;
  }

  /**
   * The nodes are gone (a cluster went down for good): every artifact stops listing them. Returns
   * the artifacts that have no copy left anywhere (their bytes lived only on those nodes); their
   * records stay, so lineage and version numbers stay whole, but nothing resolves to them.
   */
  forgetLocations(nodes: readonly string[]): Artifact[] {
    const gone = new Set(nodes);
    const tx = this.db.transaction(() => {
      const changed: Array<{ id: number; a: Artifact }> = [];
      for (const row of this.stmts.all.all()) {
        const a = rowToArtifact(row);
        if (!a.locations.some((l) => gone.has(l.node))) continue;
        a.locations = a.locations.filter((l) => !gone.has(l.node));
        this.stmts.setLocations.run(JSON.stringify(a.locations), row.id);
        changed.push({ id: row.id, a });
      }
      return changed;
    });
    const changed = tx.immediate();
    for (const { id, a } of changed) this.index?.update(id, freezeArtifact(a));
    return changed.filter(({ a }) => !a.locations.length && !this.hasBytes(a)).map(({ a }) => a);
  }

  // -------------------------------------------------------------------------------------------
  // resolution

  /** Ranked candidates for a selector plus, per rejected candidate, the clause that failed. Throws SelectorError. */
  resolve(selector: Selector, params: Record<string, string | number | boolean | undefined> = {}, opts: ResolveOptions = {}): ResolveResult {
    return this.ensureIndex().resolve(selector, params, opts);
  }

  private ensureIndex(): ArtifactIndex {
    const dv = this.db.pragma('data_version', { simple: true }) as number;
    if (!this.index || dv !== this.dataVersion) {
      const idx = new ArtifactIndex();
      for (const row of this.stmts.all.iterate()) idx.add(row.id, freezeArtifact(rowToArtifact(row)));
      this.index = idx;
      this.dataVersion = dv;
    }
    return this.index;
  }

  // -------------------------------------------------------------------------------------------
  // lineage

  lineage(urn: string, version?: number): LineageReport {
    const artifact = this.require(urn, version);
    const seen = new Set<string>();
    const up = (a: Artifact, depth: number): LineageNode['inputs'] =>
      a.lineage.inputs.map((ref) => {
        const inp = this.artifact(ref.urn, ref.version);
        if (!inp) return { missing: { urn: ref.urn, version: ref.version } };
        const key = `${inp.urn}@${inp.version}`;
        if (seen.has(key) || depth > 64) return { artifact: inp, inputs: [] };
        seen.add(key);
        return { artifact: inp, inputs: up(inp, depth + 1) };
      });
    const seenDown = new Set<number>();
    const down = (a: Artifact, depth: number): LineageNode[] => {
      const out: LineageNode[] = [];
      for (const { artifact_id } of this.stmts.outputs.all(a.urn, a.version)) {
        if (seenDown.has(artifact_id) || depth > 64) continue;
        seenDown.add(artifact_id);
        const row = this.stmts.byId.get(artifact_id);
        if (!row) continue;
        const child = rowToArtifact(row);
        out.push({ artifact: child, inputs: down(child, depth + 1) });
      }
      return out;
    };
    return { artifact, inputs: up(artifact, 0), outputs: down(artifact, 0) };
  }

  // -------------------------------------------------------------------------------------------
  // maintenance

  /** Removes blobs no artifact references and temp files of dead writers. */
  gc(opts: GcOptions = {}): GcReport {
    const graceMs = opts.graceMs ?? 10 * 60_000;
    const run = this.db.transaction((): GcReport => {
      const referenced = new Set(this.stmts.shas.all().map((r) => r.sha256));
      const report: GcReport = { removedBlobs: [], removedTemps: 0, freedBytes: 0, missing: [] };
      for (const sha of this.blobs.list()) {
        if (referenced.has(sha)) continue;
        report.removedBlobs.push(sha);
        if (!opts.dryRun) report.freedBytes += this.blobs.remove(sha);
      }
      for (const t of this.blobs.staleTemps(graceMs)) {
        report.removedTemps++;
        report.freedBytes += t.size;
        if (!opts.dryRun) {
          try {
            unlinkSync(t.path);
          } catch {
            /* already gone */
          }
        }
      }
      for (const r of this.stmts.refsBySha.all()) if (!this.blobs.has(r.sha256)) report.missing.push({ urn: r.urn, version: r.version });
      return report;
    });
    return run.immediate();
  }

  /** Checks that every artifact's blob exists (and, with hash, re-hashes it). */
  verify(opts: { hash?: boolean } = {}): VerifyReport {
    const report: VerifyReport = { checked: 0, corrupt: [], missing: [] };
    for (const r of this.stmts.refsBySha.all()) {
      report.checked++;
      if (!this.blobs.has(r.sha256)) {
        report.missing.push({ urn: r.urn, version: r.version });
        continue;
      }
      if (opts.hash) {
        try {
          this.read(r, { verify: 'always' });
        } catch (e) {
          report.corrupt.push({ urn: r.urn, version: r.version, message: (e as Error).message });
        }
      }
    }
    return report;
  }

  /** Runs fn in one write transaction (bulk imports). Blobs are still written before each commit. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }
}

export function openRegistry(dir: string, opts: OpenRegistryOptions = {}): Registry {
  return new Registry(dir, opts);
}

/** The registry of a project directory (`<project>/.edgeai/registry`). */
export function openProjectRegistry(projectDir: string, opts: OpenRegistryOptions = {}): Registry {
  return new Registry(registryDirOf(projectDir), opts);
}

function rowToArtifact(row: Row): Artifact {
  const a: Artifact = {
    kind: row.kind as Artifact['kind'],
    urn: row.urn,
    version: row.version,
    tags: JSON.parse(row.tags) as string[],
    data_tags: JSON.parse(row.data_tags) as string[],
    metrics: JSON.parse(row.metrics) as Record<string, number>,
    format: row.format,
    size: row.size,
    sha256: row.sha256,
    created: row.created,
    lineage: JSON.parse(row.lineage) as Artifact['lineage'],
    locations: JSON.parse(row.locations) as Artifact['locations'],
  };
  if (row.type !== null) a.type = row.type;
  return a;
}

function freezeArtifact(a: Artifact): Artifact {
  Object.freeze(a.tags);
  Object.freeze(a.data_tags);
  Object.freeze(a.metrics);
  Object.freeze(a.locations);
  return Object.freeze(a);
}

function uniq(xs: string[]): string[] {
  return [...new Set(xs)];
}

export function formatZodIssues(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
}

/** Validates metadata read from elsewhere (an API payload, say). */
export function parseArtifact(value: unknown): Artifact {
  return ArtifactSchema.parse(value);
}
