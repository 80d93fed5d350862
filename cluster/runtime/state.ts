/**
 * The controller's durable state, in SQLite (WAL): the cluster and its nodes, deployments with
 * revisions and placements, every run, and the bytes counted per network link. A restarted
 * controller reads it back and re-adopts its nodes.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BlobStore } from '../registry/blobs';
import { RUN_INLINE_OUTPUT_BYTES } from '../common/limits';
import { StudioError } from '../common/errors';

import type { NodeStatus, PlacementStatus, RunStatus } from '../common/status';

export type { NodeStatus } from '../common/status';

export interface NodeRow {
  name: string;
  status: NodeStatus;
  port: number | null;
  /** where the agent listens: 127.0.0.1, or a container's address on the cluster's network */
  host: string | null;
  pid: number | null;
  container: string | null;
  started: string | null;
  lastSeen: string | null;
  reason: string | null;
}

export interface PlacementRow {
  workflow: string;
  function: string;
  node: string | null;
  bundle: string;
  revision: number;
  status: PlacementStatus;
  reason: string | null;
  spec: string;
}

export interface RunRow {
  id: string;
  workflow: string;
  function: string;
  node: string | null;
  status: RunStatus;
  started: string;
  ended: string | null;
  request: string;
  inputs: string;
  outputs: string;
  output: string | null;
  timings: string;
  logs: string;
  error: string | null;
  attempts: number;
  /** where its models ran: 'edgetpu', 'cpu' or 'cpu (fallback: <reason>)' (null: no model, or not known) */
  ran_on?: string | null;
}

/** What a run row's `output` column holds: the answer inline, or a reference to it stored apart. */
export interface RunOutputRecord {
  output?: unknown;
  /** an output larger than RUN_INLINE_OUTPUT_BYTES, in the cluster's run-outputs store */
  outputBlob?: { sha256: string; size: number };
  gates: unknown[];
}

export class ClusterState {
  readonly db: Database.Database;
  /** outputs too large to keep in their run's row (`<cluster>/run-outputs`, content-addressed) */
  private readonly outputs: BlobStore;

  constructor(path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.outputs = new BlobStore(join(dirname(path), 'run-outputs'));
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS nodes (
        name TEXT PRIMARY KEY, status TEXT NOT NULL, port INTEGER, pid INTEGER, container TEXT,
        started TEXT, lastSeen TEXT, reason TEXT, host TEXT);
      CREATE TABLE IF NOT EXISTS deployments (
        workflow TEXT PRIMARY KEY, revision INTEGER NOT NULL, project TEXT NOT NULL, status TEXT NOT NULL, updated TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS placements (
        workflow TEXT NOT NULL, function TEXT NOT NULL, node TEXT, bundle TEXT NOT NULL, revision INTEGER NOT NULL,
        status TEXT NOT NULL, reason TEXT, spec TEXT NOT NULL, PRIMARY KEY (workflow, function));
      CREATE TABLE IF NOT EXISTS runs (
        id TEXT PRIMARY KEY, workflow TEXT NOT NULL, function TEXT NOT NULL, node TEXT, status TEXT NOT NULL,
        started TEXT NOT NULL, ended TEXT, request TEXT NOT NULL, inputs TEXT NOT NULL, outputs TEXT NOT NULL,
        output TEXT, timings TEXT NOT NULL, logs TEXT NOT NULL, error TEXT, attempts INTEGER NOT NULL DEFAULT 1);
      CREATE INDEX IF NOT EXISTS runs_by_fn ON runs (workflow, function, started);
      CREATE TABLE IF NOT EXISTS links (link TEXT PRIMARY KEY, bytes INTEGER NOT NULL, transfers INTEGER NOT NULL);
    `);
    // a state.db of a version before the agent's host was kept
    const cols = this.db.prepare('PRAGMA table_info(nodes)').all() as Array<{ name: string }>;
    if (!cols.some((c) => c.name === 'host')) this.db.exec('ALTER TABLE nodes ADD COLUMN host TEXT');
    // where a run's models ran (issue 14): a state.db of a version before had no such column
    const runCols = this.db.prepare('PRAGMA table_info(runs)').all() as Array<{ name: string }>;
    if (!runCols.some((c) => c.name === 'ran_on')) this.db.exec('ALTER TABLE runs ADD COLUMN ran_on TEXT');
  }

  close(): void {
    this.db.close();
  }

  get(key: string): string | undefined {
    return (this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }
  set(key: string, value: string | undefined): void {
    if (value === undefined) this.db.prepare('DELETE FROM meta WHERE key = ?').run(key);
    else this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  /** meta entries whose key starts with `prefix` (key without the prefix → value) */
  entries(prefix: string): Array<[string, string]> {
    return (this.db.prepare("SELECT key, value FROM meta WHERE key >= ? AND key < ? ORDER BY key").all(prefix, prefix + '\uffff') as Array<{ key: string; value: string }>).map((r) => [r.key.slice(prefix.length), r.value]);
  }
  nodes(): NodeRow[] {
    return this.db.prepare('SELECT * FROM nodes ORDER BY rowid').all() as NodeRow[];
  }
  upsertNode(n: Partial<NodeRow> & { name: string }): void {
    const cur = this.db.prepare('SELECT * FROM nodes WHERE name = ?').get(n.name) as NodeRow | undefined;
    const row: NodeRow = { status: 'Starting', port: null, host: null, pid: null, container: null, started: null, lastSeen: null, reason: null, ...cur, ...n };
    this.db
      .prepare('INSERT INTO nodes (name, status, port, host, pid, container, started, lastSeen, reason) VALUES (@name, @status, @port, @host, @pid, @container, @started, @lastSeen, @reason) ON CONFLICT(name) DO UPDATE SET status=@status, port=@port, host=@host, pid=@pid, container=@container, started=@started, lastSeen=@lastSeen, reason=@reason')
      .run(row);
  }
  clearNodes(): void {
    this.db.prepare('DELETE FROM nodes').run();
  }

  deployment(workflow: string): { workflow: string; revision: number; project: string; status: string; updated: string } | undefined {
    return this.db.prepare('SELECT * FROM deployments WHERE workflow = ?').get(workflow) as never;
  }
  deployments(): Array<{ workflow: string; revision: number; project: string; status: string; updated: string }> {
    return this.db.prepare('SELECT * FROM deployments ORDER BY workflow').all() as never;
  }
  setDeployment(workflow: string, revision: number, project: string, status: string): void {
    this.db
      .prepare('INSERT INTO deployments (workflow, revision, project, status, updated) VALUES (?, ?, ?, ?, ?) ON CONFLICT(workflow) DO UPDATE SET revision=excluded.revision, project=excluded.project, status=excluded.status, updated=excluded.updated')
      .run(workflow, revision, project, status, new Date().toISOString());
  }

  /**
   * The revision check of a deploy, atomic across every controller on this state (windows,
   * `edgeai deploy`): when `expected` is given and the workflow's deployed revision (0: never
   * deployed) differs, nothing changes and the current revision comes back; otherwise the
   * deployment is marked `status`, with the revision bumped when `bump` is set.
   */
  claimRevision(workflow: string, project: string, status: string, expected: number | undefined, bump: boolean): { ok: true; revision: number; previous: number } | { ok: false; current: number } {
    const claim = this.db.transaction(() => {
      const cur = this.deployment(workflow);
      const current = cur?.revision ?? 0;
      if (expected !== undefined && expected !== current) return { ok: false as const, current };
      const revision = bump ? current + 1 : current;
      this.setDeployment(workflow, revision, bump || !cur ? project : cur.project, status);
      return { ok: true as const, revision, previous: current };
    });
    // IMMEDIATE: a second controller's claim waits (busy_timeout) instead of reading the same revision
    return claim.immediate();
  }

  /**
   * Gives back a revision a deploy claimed but did not need (a `changed` deploy that changed
   * nothing): the workflow and its placements return to `to` — only while `from` is still the
   * workflow's revision (a deploy claimed after it keeps its own). True when given back.
   */
  releaseRevision(workflow: string, from: number, to: number, project: string, status: string): boolean {
    const release = this.db.transaction(() => {
      if (this.deployment(workflow)?.revision !== from) return false;
      this.setDeployment(workflow, to, project, status);
      this.db.prepare('UPDATE placements SET revision = ? WHERE workflow = ? AND revision = ?').run(to, workflow, from);
      return true;
    });
    return release.immediate();
  }

  placements(workflow?: string): PlacementRow[] {
    return (workflow ? this.db.prepare('SELECT * FROM placements WHERE workflow = ? ORDER BY rowid').all(workflow) : this.db.prepare('SELECT * FROM placements ORDER BY rowid').all()) as PlacementRow[];
  }
  placement(workflow: string, fn: string): PlacementRow | undefined {
    return this.db.prepare('SELECT * FROM placements WHERE workflow = ? AND function = ?').get(workflow, fn) as PlacementRow | undefined;
  }
  setPlacement(p: PlacementRow): void {
    this.db
      .prepare('INSERT INTO placements (workflow, function, node, bundle, revision, status, reason, spec) VALUES (@workflow, @function, @node, @bundle, @revision, @status, @reason, @spec) ON CONFLICT(workflow, function) DO UPDATE SET node=@node, bundle=@bundle, revision=@revision, status=@status, reason=@reason, spec=@spec')
      .run(p);
  }
  /** Forgets every deployment and placement (a cluster that went down for good). */
  dropDeployments(): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM placements').run();
      this.db.prepare('DELETE FROM deployments').run();
      this.db.prepare("DELETE FROM meta WHERE key >= 'routes:' AND key < 'routes:\uffff'").run();
    })();
  }
  deletePlacements(workflow: string, keep: string[]): void {
    const rows = this.placements(workflow).filter((p) => !keep.includes(p.function));
    for (const r of rows) this.db.prepare('DELETE FROM placements WHERE workflow = ? AND function = ?').run(workflow, r.function);
  }

  insertRun(r: RunRow): void {
    this.db.prepare('INSERT INTO runs (id, workflow, function, node, status, started, ended, request, inputs, outputs, output, timings, logs, error, attempts) VALUES (@id, @workflow, @function, @node, @status, @started, @ended, @request, @inputs, @outputs, @output, @timings, @logs, @error, @attempts)').run(r);
  }
  updateRun(id: string, r: Partial<RunRow>): void {
    const keys = Object.keys(r);
    if (!keys.length) return;
    this.db.prepare(`UPDATE runs SET ${keys.map((k) => `${k} = @${k}`).join(', ')} WHERE id = @id`).run({ ...r, id });
  }
  /**
   * The `output` column of a run that answered `output` with `gates`: inline when small, else the
   * output is stored apart and the row keeps its hash and size, so a large answer does not grow
   * state.db (and every query over runs) by its size.
   */
  outputRecord(output: unknown, gates: unknown[]): string {
    const text = JSON.stringify(output ?? null);
    if (Buffer.byteLength(text) <= RUN_INLINE_OUTPUT_BYTES) return JSON.stringify({ output: output ?? null, gates } satisfies RunOutputRecord);
    const bytes = Buffer.from(text);
    const { sha256 } = this.outputs.write(bytes);
    return JSON.stringify({ outputBlob: { sha256, size: bytes.length }, gates } satisfies RunOutputRecord);
  }

  /** A run's whole output (read back from the store when it was kept apart); undefined: none recorded. */
  runOutput(row: Pick<RunRow, 'output'>): unknown {
    if (!row.output) return undefined;
    const rec = JSON.parse(row.output) as RunOutputRecord;
    if (!rec.outputBlob) return rec.output;
    const bytes = this.outputs.read(rec.outputBlob.sha256);
    if (!bytes) throw new StudioError('output-missing', `the output of this run (${rec.outputBlob.size} bytes) is no longer stored`, 'invoke the function again');
    return JSON.parse(bytes.toString('utf8'));
  }

  run(id: string): RunRow | undefined {
    return this.db.prepare('SELECT * FROM runs WHERE id = ? OR id LIKE ?').get(id, `${id}%`) as RunRow | undefined;
  }
  runs(filter: { workflow?: string; function?: string; limit?: number } = {}): RunRow[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.workflow) (where.push('workflow = ?'), args.push(filter.workflow));
    if (filter.function) (where.push('function = ?'), args.push(filter.function));
    return this.db.prepare(`SELECT * FROM runs ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY started DESC, rowid DESC LIMIT ?`).all(...args, filter.limit ?? 50) as RunRow[];
  }

  countLink(link: string, bytes: number): void {
    this.db.prepare('INSERT INTO links (link, bytes, transfers) VALUES (?, ?, 1) ON CONFLICT(link) DO UPDATE SET bytes = bytes + excluded.bytes, transfers = transfers + 1').run(link, bytes);
  }
  links(): Array<{ link: string; bytes: number; transfers: number }> {
    return this.db.prepare('SELECT * FROM links ORDER BY link').all() as never;
  }
  resetLinks(): void {
    this.db.prepare('DELETE FROM links').run();
  }
}
