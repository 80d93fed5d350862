/**
 * Data formats: bytes ⇄ a columnar table.
 *
 *   csv    header row, then rows; columns whose every non-empty cell is a number are numeric
 *   jsonl  one JSON object per line; number and (rectangular) numeric-array fields are numeric
 *   json   an array of objects, or an object of equal-length column arrays
 *   npy    NumPy .npy (v1–v3, little-endian, C order): one column `x`, rows along axis 0
 *   mnist  the studio's compact digits format (see encodeMnist): `x` [n,784] in 0..1, `y` labels
 *
 * Every decoder reports malformed input as a DataFormatError naming where (line, column, field).
 *
 * Why one file of ~440 lines: one codec per data format (csv, jsonl, json, npy, mnist) and the columnar table they share; each codec is short and they change together.
 */
import type { DType } from '../sdk/data';
import { DataFormatError } from './errors';

export type NumArray = Float64Array | Float32Array | Int32Array | Uint8Array;

export type Column =
  | {
      kind: 'num';
      name: string;
      /** row-major: row i occupies [i*width, (i+1)*width) */
      data: NumArray;
      dtype: DType;
      /** per-row shape; [] for a scalar column */
      inner: number[];
    }
  | { kind: 'any'; name: string; values: unknown[] };

export interface Table {
  length: number;
  columns: Column[];
}

export const DATA_FORMAT_NAMES = ['csv', 'jsonl', 'json', 'npy', 'mnist'] as const;
export type DataFormatName = (typeof DATA_FORMAT_NAMES)[number];

export function widthOf(c: Extract<Column, { kind: 'num' }>): number {
  return c.inner.reduce((a, b) => a * b, 1);
}

/** The format a file name suggests, or undefined. */
export function formatFromFileName(name: string): DataFormatName | undefined {
  const m = /\.([A-Za-z0-9]+)$/.exec(name);
  const ext = m?.[1].toLowerCase();
  if (ext === 'csv') return 'csv';
  if (ext === 'jsonl' || ext === 'ndjson') return 'jsonl';
  if (ext === 'json') return 'json';
  if (ext === 'npy') return 'npy';
  if (ext === 'mnist') return 'mnist';
  return undefined;
}

export function decodeTable(format: string, bytes: Uint8Array, where = 'data'): Table {
  switch (format) {
    case 'csv':
      return decodeCsv(utf8(bytes), where);
    case 'jsonl':
      return decodeJsonl(utf8(bytes), where);
    case 'json':
      return decodeJson(utf8(bytes), where);
    case 'npy':
      return decodeNpy(bytes, where);
    case 'mnist':
      return decodeMnist(bytes, where);
    default:
      throw new DataFormatError(`${where}: unknown data format '${format}'; use one of ${DATA_FORMAT_NAMES.join(', ')}`);
  }
}

function utf8(bytes: Uint8Array): string {
  return new TextDecoder('utf-8').decode(bytes);
}

// ---------------------------------------------------------------------------------------------
// rows → columns (shared by csv, jsonl, json)

function columnsFromRecords(names: string[], get: (row: number, col: number) => unknown, n: number, where: string): Column[] {
  return names.map((name, ci) => {
    // scalar numbers?
    let allNum = true;
    let allInt = true;
    let allArr = true;
    let inner: number[] | undefined;
    for (let r = 0; r < n; r++) {
      const v = get(r, ci);
      if (typeof v === 'number') {
        allArr = false;
        if (!Number.isInteger(v) || Math.abs(v) > 2147483647) allInt = false;
      } else if (v === null || v === undefined) {
        allArr = false;
        allInt = false; // becomes NaN
      } else {
        allNum = false;
        if (!Array.isArray(v)) allArr = false;
        else if (allArr) {
          const s = shapeOf(v);
          if (!s) allArr = false;
          else if (!inner) inner = s;
          else if (s.length !== inner.length || s.some((d, i) => d !== inner![i])) {
            throw new DataFormatError(`${where}: row ${r + 1}, field '${name}': array of shape [${s.join(',')}] but earlier rows have [${inner.join(',')}]; every row's array must have the same shape`);
          }
        }
      }
      if (!allNum && !allArr) break;
    }
    if (n > 0 && allNum) {
      const data = allInt ? new Int32Array(n) : new Float64Array(n);
      for (let r = 0; r < n; r++) {
        const v = get(r, ci);
        data[r] = typeof v === 'number' ? v : NaN;
      }
      return { kind: 'num', name, data, dtype: allInt ? 'int32' : 'float64', inner: [] };
    }
    if (n > 0 && allArr && inner) {
      const w = inner.reduce((a, b) => a * b, 1);
      const data = new Float32Array(n * w);
      for (let r = 0; r < n; r++) {
        const flat = (get(r, ci) as unknown[]).flat(Infinity) as number[];
        data.set(flat, r * w);
      }
      return { kind: 'num', name, data, dtype: 'float32', inner };
    }
    const values = new Array<unknown>(n);
    for (let r = 0; r < n; r++) values[r] = get(r, ci);
    return { kind: 'any', name, values };
  });
}

/** Shape of a rectangular nested array of finite numbers, or undefined. */
function shapeOf(v: unknown[]): number[] | undefined {
  if (v.length === 0) return undefined;
  if (v.every((x) => typeof x === 'number')) return [v.length];
  if (!v.every(Array.isArray)) return undefined;
  const subs = (v as unknown[][]).map(shapeOf);
  const first = subs[0];
  if (!first || subs.some((s) => !s || s.length !== first.length || s.some((d, i) => d !== first[i]))) return undefined;
  return [v.length, ...first];
}

// ---------------------------------------------------------------------------------------------
// CSV

/** RFC 4180: quoted fields, "" escapes, CRLF or LF. */
export function parseCsvRecords(text: string, where: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let i = 0;
  let line = 1;
  let quoted = false;
  const n = text.length;
  if (text.charCodeAt(0) === 0xfeff) i = 1;
  while (i < n) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        continue;
      }
      if (ch === '\n') line++;
      field += ch;
      i++;
      continue;
    }
    if (ch === '"' && field.length === 0) {
      quoted = true;
      i++;
    } else if (ch === ',') {
      record.push(field);
      field = '';
      i++;
    } else if (ch === '\n' || ch === '\r') {
      record.push(field);
      field = '';
      if (!(record.length === 1 && record[0] === '')) records.push(record);
      record = [];
      if (ch === '\r' && text[i + 1] === '\n') i++;
      i++;
      line++;
    } else {
      field += ch;
      i++;
    }
  }
  if (quoted) throw new DataFormatError(`${where}: line ${line}: a quoted field is not closed; add the closing '"'`);
  if (field.length || record.length) {
    record.push(field);
    records.push(record);
  }
  return records;
}

export function decodeCsv(text: string, where = 'csv'): Table {
  const recs = parseCsvRecords(text, where);
  if (!recs.length) throw new DataFormatError(`${where}: the CSV is empty; it needs a header row naming the columns`);
  const header = recs[0].map((h) => h.trim());
  header.forEach((h, i) => {
    if (!h) throw new DataFormatError(`${where}: header column ${i + 1} has no name`);
    if (header.indexOf(h) !== i) throw new DataFormatError(`${where}: header names column '${h}' twice`);
  });
  const rows = recs.slice(1);
  rows.forEach((r, i) => {
    if (r.length !== header.length) {
      throw new DataFormatError(`${where}: line ${i + 2} has ${r.length} fields, the header has ${header.length}; every row needs one value per column`);
    }
  });
  const cell = (r: number, c: number): unknown => {
    const s = rows[r][c];
    const t = s.trim();
    if (t === '') return null;
    const x = Number(t);
    return Number.isFinite(x) && /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t) ? x : s;
  };
  const cols = columnsFromRecords(header, cell, rows.length, where).map((c): Column => {
    // a column with strings keeps the raw text
    if (c.kind === 'any') return { kind: 'any', name: c.name, values: rows.map((r) => r[header.indexOf(c.name)]) };
    return c;
  });
  return { length: rows.length, columns: cols };
}

export function encodeCsv(rows: ReadonlyArray<Record<string, unknown>>): Uint8Array {
  const names = unionKeys(rows);
  const esc = (v: unknown): string => {
    const s = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const lines = [names.map(esc).join(','), ...rows.map((r) => names.map((n) => esc(r[n])).join(','))];
  return new TextEncoder().encode(lines.join('\n') + '\n');
}

function unionKeys(rows: ReadonlyArray<Record<string, unknown>>): string[] {
  const names: string[] = [];
  const seen = new Set<string>();
  for (const r of rows) {
    for (const k of Object.keys(r)) {
      if (!seen.has(k)) {
        seen.add(k);
        names.push(k);
      }
    }
  }
  return names;
}

// ---------------------------------------------------------------------------------------------
// JSON lines and JSON

export function decodeJsonl(text: string, where = 'jsonl'): Table {
  const rows: Record<string, unknown>[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((l, i) => {
    if (!l.trim()) return;
    let v: unknown;
    try {
      v = JSON.parse(l);
    } catch (e) {
      throw new DataFormatError(`${where}: line ${i + 1} is not valid JSON (${(e as Error).message}); JSON lines hold one object per line`);
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new DataFormatError(`${where}: line ${i + 1} is not a JSON object; JSON lines hold one object per line, e.g. {"x": 1, "y": 0}`);
    rows.push(v as Record<string, unknown>);
  });
  return tableFromRows(rows, where);
}

export function tableFromRows(rows: ReadonlyArray<Record<string, unknown>>, where = 'rows'): Table {
  const names = unionKeys(rows);
  return { length: rows.length, columns: columnsFromRecords(names, (r, c) => rows[r][names[c]], rows.length, where) };
}

export function decodeJson(text: string, where = 'json'): Table {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new DataFormatError(`${where}: not valid JSON (${(e as Error).message})`);
  }
  if (Array.isArray(v)) {
    v.forEach((r, i) => {
      if (r === null || typeof r !== 'object' || Array.isArray(r)) throw new DataFormatError(`${where}: item ${i} is not an object; a JSON data set is an array of row objects or an object of column arrays`);
    });
    return tableFromRows(v as Record<string, unknown>[], where);
  }
  if (v && typeof v === 'object') {
    const cols = Object.entries(v as Record<string, unknown>);
    let n: number | undefined;
    for (const [k, c] of cols) {
      if (!Array.isArray(c)) throw new DataFormatError(`${where}: column '${k}' is not an array; a JSON data set is an array of row objects or an object of column arrays`);
      if (n === undefined) n = c.length;
      else if (c.length !== n) throw new DataFormatError(`${where}: column '${k}' has ${c.length} values, earlier columns have ${n}; columns must be equally long`);
    }
    const arrays = cols.map(([, c]) => c as unknown[]);
    return { length: n ?? 0, columns: columnsFromRecords(cols.map(([k]) => k), (r, c) => arrays[c][r], n ?? 0, where) };
  }
  throw new DataFormatError(`${where}: a JSON data set is an array of row objects or an object of column arrays`);
}

export function encodeJsonl(rows: ReadonlyArray<Record<string, unknown>>): Uint8Array {
  return new TextEncoder().encode(rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

// ---------------------------------------------------------------------------------------------
// NumPy .npy

const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

export interface NpyArray {
  data: NumArray;
  shape: number[];
  dtype: DType;
}

export function decodeNpyArray(bytes: Uint8Array, where = 'npy'): NpyArray {
  if (bytes.length < 10 || NPY_MAGIC.some((b, i) => bytes[i] !== b)) throw new DataFormatError(`${where}: not a .npy file (the magic string \\x93NUMPY is missing)`);
  const major = bytes[6];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let off: number;
  if (major === 1) {
    headerLen = dv.getUint16(8, true);
    off = 10;
  } else if (major === 2 || major === 3) {
    headerLen = dv.getUint32(8, true);
    off = 12;
  } else throw new DataFormatError(`${where}: .npy version ${major} is not supported (1, 2 and 3 are)`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(off, off + headerLen));
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw new DataFormatError(`${where}: the .npy header is malformed: ${header.trim()}`);
  if (fortran === 'True') throw new DataFormatError(`${where}: Fortran-order .npy arrays are not supported; save with np.save(…, np.ascontiguousarray(a))`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const dataOff = off + headerLen;
  const readers: Record<string, { size: number; dtype: DType; read: (i: number) => number }> = {
    '<f4': { size: 4, dtype: 'float32', read: (i) => dv.getFloat32(dataOff + i * 4, true) },
    '<f8': { size: 8, dtype: 'float64', read: (i) => dv.getFloat64(dataOff + i * 8, true) },
    '<i4': { size: 4, dtype: 'int32', read: (i) => dv.getInt32(dataOff + i * 4, true) },
    '<i8': { size: 8, dtype: 'float64', read: (i) => Number(dv.getBigInt64(dataOff + i * 8, true)) },
    '<i2': { size: 2, dtype: 'int32', read: (i) => dv.getInt16(dataOff + i * 2, true) },
    '<u2': { size: 2, dtype: 'int32', read: (i) => dv.getUint16(dataOff + i * 2, true) },
    '|i1': { size: 1, dtype: 'int32', read: (i) => dv.getInt8(dataOff + i) },
    '|u1': { size: 1, dtype: 'uint8', read: (i) => bytes[dataOff + i] },
    '|b1': { size: 1, dtype: 'uint8', read: (i) => bytes[dataOff + i] },
  };
  const r = readers[descr];
  if (!r) throw new DataFormatError(`${where}: .npy dtype '${descr}' is not supported; use one of ${Object.keys(readers).join(', ')} (little-endian)`);
  if (bytes.length - dataOff < count * r.size) throw new DataFormatError(`${where}: the .npy file is truncated: shape (${shape.join(', ')}) needs ${count * r.size} bytes of data, it has ${bytes.length - dataOff}`);
  let data: NumArray;
  const aligned = (bytes.byteOffset + dataOff) % r.size === 0;
  if (descr === '<f4' && aligned) data = new Float32Array(bytes.buffer.slice(bytes.byteOffset + dataOff, bytes.byteOffset + dataOff + count * 4));
  else if (descr === '|u1' || descr === '|b1') data = bytes.slice(dataOff, dataOff + count);
  else {
    data = r.dtype === 'float32' ? new Float32Array(count) : r.dtype === 'int32' ? new Int32Array(count) : r.dtype === 'uint8' ? new Uint8Array(count) : new Float64Array(count);
    for (let i = 0; i < count; i++) data[i] = r.read(i);
  }
  return { data, shape, dtype: r.dtype };
}

export function decodeNpy(bytes: Uint8Array, where = 'npy'): Table {
  const a = decodeNpyArray(bytes, where);
  if (a.shape.length === 0) return { length: 1, columns: [{ kind: 'num', name: 'x', data: a.data, dtype: a.dtype, inner: [] }] };
  return { length: a.shape[0], columns: [{ kind: 'num', name: 'x', data: a.data, dtype: a.dtype, inner: a.shape.slice(1) }] };
}

/** Encodes a typed array as .npy v1 (little-endian, C order). */
export function encodeNpy(data: NumArray, shape: readonly number[]): Uint8Array {
  const descr = data instanceof Float32Array ? '<f4' : data instanceof Float64Array ? '<f8' : data instanceof Int32Array ? '<i4' : '|u1';
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const head = new TextEncoder().encode(header);
  const out = new Uint8Array(10 + head.length + data.byteLength);
  out.set(NPY_MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, head.length, true);
  out.set(head, 10);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + head.length);
  return out;
}

// ---------------------------------------------------------------------------------------------
// mnist: "EAMNIST1" | u32 count | u32 rows | u32 cols | count labels (u8) | count*rows*cols pixels (u8, 0..255)

const MNIST_MAGIC = 'EAMNIST1';

/** Bytes of `n` 28×28 digits in the mnist format: header, one label byte and 784 pixel bytes per digit. */
export function mnistEncodedLength(n: number, rows = 28, cols = 28): number {
  return 8 + 12 + n + n * rows * cols;
}

export function encodeMnist(images: ReadonlyArray<ArrayLike<number>>, labels: ArrayLike<number>, rows = 28, cols = 28): Uint8Array {
  const n = images.length;
  const px = rows * cols;
  const out = new Uint8Array(mnistEncodedLength(n, rows, cols));
  out.set(new TextEncoder().encode(MNIST_MAGIC), 0);
  const dv = new DataView(out.buffer);
  dv.setUint32(8, n, true);
  dv.setUint32(12, rows, true);
  dv.setUint32(16, cols, true);
  for (let i = 0; i < n; i++) out[20 + i] = labels[i];
  const base = 20 + n;
  for (let i = 0; i < n; i++) {
    const img = images[i];
    if (img.length !== px) throw new DataFormatError(`mnist: image ${i} has ${img.length} pixels, expected ${px}`);
    for (let j = 0; j < px; j++) out[base + i * px + j] = Math.max(0, Math.min(255, Math.round(img[j] * 255)));
  }
  return out;
}

export function decodeMnist(bytes: Uint8Array, where = 'mnist'): Table {
  if (bytes.length < 20 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MNIST_MAGIC) throw new DataFormatError(`${where}: not an mnist data file (magic ${MNIST_MAGIC} missing)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = dv.getUint32(8, true);
  const px = dv.getUint32(12, true) * dv.getUint32(16, true);
  if (bytes.length !== 20 + n + n * px) throw new DataFormatError(`${where}: mnist data is truncated: ${n} images of ${px} pixels need ${20 + n + n * px} bytes, found ${bytes.length}`);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) y[i] = bytes[20 + i];
  const x = new Float32Array(n * px);
  const base = 20 + n;
  for (let i = 0; i < n * px; i++) x[i] = bytes[base + i] / 255;
  return {
    length: n,
    columns: [
      { kind: 'num', name: 'x', data: x, dtype: 'float32', inner: [px] },
      { kind: 'num', name: 'y', data: y, dtype: 'int32', inner: [] },
    ],
  };
}
