/**
 * The Data object function code receives (the contract is cluster/sdk/data.ts): a columnar
 * table decoded from an artifact's bytes, viewed through a row selection so that split,
 * batches and slice are cheap and never copy the table.
 */
import * as tf from '@tensorflow/tfjs';
import type { Data, DType, NdArray, Row } from '../sdk/data';
import type { Artifact } from '../spec/artifact';
import { DataFormatError } from './errors';
import { decodeTable, widthOf, type Column, type NumArray, type Table } from './formats';
import type { Registry } from './registry';

export interface DataMeta {
  urn: string;
  version: number;
  format: string;
  type?: string;
  tags: readonly string[];
}

type NumColumn = Extract<Column, { kind: 'num' }>;

export class TableData implements Data {
  readonly urn: string;
  readonly version: number;
  readonly format: string;
  readonly type?: string;
  readonly tags: readonly string[];
  readonly columns: readonly string[];

  constructor(
    readonly table: Table,
    meta: DataMeta,
    /** selected rows of the table, in order; undefined = all rows */
    private readonly index?: Int32Array,
  ) {
    this.urn = meta.urn;
    this.version = meta.version;
    this.format = meta.format;
    if (meta.type !== undefined) this.type = meta.type;
    this.tags = Object.freeze([...meta.tags]);
    this.columns = Object.freeze(table.columns.map((c) => c.name));
  }

  get meta(): DataMeta {
    return { urn: this.urn, version: this.version, format: this.format, type: this.type, tags: this.tags };
  }

  get length(): number {
    return this.index ? this.index.length : this.table.length;
  }

  /** The table row of the i-th selected row. */
  private rowAt(i: number): number {
    return this.index ? this.index[i] : i;
  }

  private col(name: string): Column {
    const c = this.table.columns.find((x) => x.name === name);
    if (!c) throw new DataFormatError(`data '${this.urn}' version ${this.version} has no column '${name}'; its columns are ${this.columns.join(', ') || '(none)'}`);
    return c;
  }

  private numCol(name: string): NumColumn {
    const c = this.col(name);
    if (c.kind !== 'num') {
      const numeric = this.table.columns.filter((x) => x.kind === 'num').map((x) => x.name);
      throw new DataFormatError(`column '${name}' of data '${this.urn}' is not numeric; numeric columns are ${numeric.join(', ') || '(none)'}`);
    }
    return c;
  }

  rows(): Row[] {
    const n = this.length;
    const out: Row[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const r = this.rowAt(i);
      const row: Row = {};
      for (const c of this.table.columns) {
        if (c.kind === 'any') row[c.name] = c.values[r];
        else if (c.inner.length === 0) row[c.name] = c.data[r];
        else {
          const w = widthOf(c);
          row[c.name] = nest(Array.from(c.data.subarray(r * w, (r + 1) * w)), c.inner);
        }
      }
      out[i] = row;
    }
    return out;
  }

  column(name: string): NdArray {
    const c = this.numCol(name);
    const w = widthOf(c);
    return { data: this.gather(c, w), shape: [this.length, ...c.inner], dtype: c.dtype };
  }

  private gather(c: NumColumn, w: number): NumArray {
    if (!this.index) return c.data;
    const out = newArray(c.dtype, this.index.length * w);
    for (let i = 0; i < this.index.length; i++) {
      const r = this.index[i];
      if (w === 1) out[i] = c.data[r];
      else out.set(c.data.subarray(r * w, (r + 1) * w), i * w);
    }
    return out;
  }

  toNdarray(columns?: readonly string[]): NdArray {
    const names = columns ?? this.table.columns.filter((c) => c.kind === 'num').map((c) => c.name);
    if (!names.length) throw new DataFormatError(`data '${this.urn}' has no numeric columns to turn into an array; its columns are ${this.columns.join(', ')}`);
    const cols = names.map((n) => this.numCol(n));
    const n = this.length;
    if (cols.length === 1) {
      const c = cols[0];
      const w = widthOf(c);
      return { data: this.gather(c, w), shape: c.inner.length ? [n, ...c.inner] : [n, 1], dtype: c.dtype };
    }
    const widths = cols.map(widthOf);
    const total = widths.reduce((a, b) => a + b, 0);
    const dtype: DType = cols.every((c) => c.dtype === cols[0].dtype) ? cols[0].dtype : 'float32';
    const out = newArray(dtype, n * total);
    for (let i = 0; i < n; i++) {
      const r = this.rowAt(i);
      let off = i * total;
      cols.forEach((c, k) => {
        const w = widths[k];
        if (w === 1) out[off] = c.data[r];
        else out.set(c.data.subarray(r * w, (r + 1) * w), off);
        off += w;
      });
    }
    return { data: out, shape: [n, total], dtype };
  }

  toTensor(columns?: readonly string[]): tf.Tensor {
    return ndarrayToTensor(this.toNdarray(columns));
  }

  split(holdout: number, seed = 42): { train: TableData; holdout: TableData } {
    if (!(holdout >= 0 && holdout < 1)) throw new DataFormatError(`split: holdout must be a fraction in [0, 1), e.g. 0.2; got ${holdout}`);
    const n = this.length;
    let h = Math.round(n * holdout);
    if (holdout > 0 && n >= 2) h = Math.min(n - 1, Math.max(1, h));
    const perm = new Int32Array(n);
    for (let i = 0; i < n; i++) perm[i] = i;
    const rand = mulberry32(seed);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      const t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
    const hold = perm.slice(0, h).sort();
    const train = perm.slice(h).sort();
    return { train: this.select(train), holdout: this.select(hold) };
  }

  *batches(size: number): Generator<TableData> {
    if (!Number.isInteger(size) || size < 1) throw new DataFormatError(`batches: size must be a whole number ≥ 1, got ${size}`);
    for (let i = 0; i < this.length; i += size) yield this.slice(i, i + size);
  }

  slice(start: number, end = this.length): TableData {
    const s = Math.max(0, Math.min(this.length, start));
    const e = Math.max(s, Math.min(this.length, end));
    const idx = new Int32Array(e - s);
    for (let i = s; i < e; i++) idx[i - s] = this.rowAt(i);
    return new TableData(this.table, this.meta, idx);
  }

  /** The rows at these positions (positions within this view). */
  select(positions: Int32Array): TableData {
    const idx = new Int32Array(positions.length);
    for (let i = 0; i < positions.length; i++) idx[i] = this.rowAt(positions[i]);
    return new TableData(this.table, this.meta, idx);
  }
}

export function ndarrayToTensor(a: NdArray): tf.Tensor {
  if (a.dtype === 'int32') return tf.tensor(a.data as Int32Array, a.shape, 'int32');
  if (a.dtype === 'uint8') return tf.tensor(Int32Array.from(a.data), a.shape, 'int32');
  return tf.tensor(a.data instanceof Float32Array ? a.data : Float32Array.from(a.data), a.shape, 'float32');
}

/** Decodes bytes of a known format into Data. */
export function dataFromBytes(bytes: Uint8Array, meta: DataMeta): TableData {
  return new TableData(decodeTable(meta.format, bytes, `data '${meta.urn}' version ${meta.version} (${meta.format})`), meta);
}

/** Data from rows held in memory (tests, functions that produce data). */
export function dataFromRows(rows: ReadonlyArray<Record<string, unknown>>, meta: Partial<DataMeta> = {}): TableData {
  const bytes = new TextEncoder().encode(rows.map((r) => JSON.stringify(r)).join('\n'));
  return dataFromBytes(bytes, { urn: meta.urn ?? '(memory)', version: meta.version ?? 1, format: 'jsonl', tags: meta.tags ?? [], type: meta.type });
}

/** Reads a data artifact (hash-checked) and decodes it. */
export function openData(registry: Registry, urn: string, version?: number): TableData {
  const { artifact, bytes } = registry.get(urn, version);
  return dataOfArtifact(artifact, bytes);
}

export function dataOfArtifact(artifact: Artifact, bytes: Uint8Array): TableData {
  if (artifact.kind !== 'data') throw new DataFormatError(`'${artifact.urn}' version ${artifact.version} is a ${artifact.kind}, not data`);
  return dataFromBytes(bytes, { urn: artifact.urn, version: artifact.version, format: artifact.format, type: artifact.type, tags: artifact.tags });
}

export interface ConsumeDataOptions {
  holdout?: number;
  seed?: number;
}

/**
 * What `@consumes.data({ holdout })` means: the function gets the training part; the platform
 * keeps the holdout to evaluate whatever the function produces from it.
 */
export function consumeData(data: TableData, opts: ConsumeDataOptions = {}): { data: TableData; holdout?: TableData } {
  if (!opts.holdout) return { data };
  const { train, holdout } = data.split(opts.holdout, opts.seed);
  return { data: train, holdout };
}

function newArray(dtype: DType, n: number): NumArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(n);
    case 'float64':
      return new Float64Array(n);
    case 'int32':
      return new Int32Array(n);
    case 'uint8':
      return new Uint8Array(n);
  }
}

function nest(flat: number[], shape: readonly number[]): unknown {
  if (shape.length <= 1) return flat;
  const [, ...rest] = shape;
  const w = rest.reduce((a, b) => a * b, 1);
  const out: unknown[] = [];
  for (let i = 0; i < shape[0]; i++) out.push(nest(flat.slice(i * w, (i + 1) * w), rest));
  return out;
}

/** A small, fast seeded PRNG (mulberry32). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
