/**
 * Importing data into the registry: a workflow.json data source (a file in the project or a
 * loader that ships with the studio), or a file given on the command line. Imports are
 * idempotent by content hash: importing the same bytes under the same urn and metadata again
 * returns the existing version instead of adding one.
 */
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { DataSourceSchema, type DataSource } from '../spec/workflow';
import type { Artifact, ArtifactLocationInput } from '../spec/artifact';
import { decodeTable, formatFromFileName, DATA_FORMAT_NAMES } from './formats';
import { DataFormatError, RegistryError } from './errors';
import { mnistBytes } from './mnist';
import { sha256Hex } from './blobs';
import { formatZodIssues, type Registry } from './registry';
import { staysInside } from '../project/paths';

export interface ImportResult {
  artifact: Artifact;
  /** false when the same content was already the latest version of the urn */
  added: boolean;
}

export interface ImportBytesOptions {
  urn: string;
  format: string;
  type?: string;
  tags?: string[];
  /** lineage source, e.g. `file:data/iris.csv` or `loader:mnist` */
  source?: string;
  locations?: ArtifactLocationInput[];
}

/** Validates (decodes) the bytes, then puts them unless the latest version already holds them. */
export function importBytes(registry: Registry, bytes: Uint8Array, opts: ImportBytesOptions): ImportResult {
  if (!(DATA_FORMAT_NAMES as readonly string[]).includes(opts.format)) {
    throw new DataFormatError(`unknown data format '${opts.format}' for '${opts.urn}'; use one of ${DATA_FORMAT_NAMES.join(', ')}`);
  }
  // refuse bytes the Data API could not read later
  decodeTable(opts.format, bytes, `${opts.source ?? opts.urn} (${opts.format})`);
  const tags = [...new Set(opts.tags ?? [])];
  const latest = registry.artifact(opts.urn);
  if (
    latest &&
    latest.sha256 === sha256Hex(bytes) &&
    latest.kind === 'data' &&
    latest.format === opts.format &&
    latest.type === opts.type &&
    sameSet(latest.tags, tags)
  ) {
    return { artifact: latest, added: false };
  }
  const artifact = registry.put(
    {
      kind: 'data',
      urn: opts.urn,
      format: opts.format,
      ...(opts.type !== undefined ? { type: opts.type } : {}),
      tags,
      lineage: { inputs: [], ...(opts.source ? { source: opts.source } : {}) },
      locations: opts.locations ?? [],
    },
    bytes,
  );
  return { artifact, added: true };
}

/** Reads a data file (format from its extension unless given) and checks it parses in its format; nothing is stored. */
export function readDataFile(file: string, opts: { format?: string; baseDir?: string; source?: string } = {}): DataSourceBytes {
  const path = resolve(opts.baseDir ?? process.cwd(), file);
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new RegistryError('invalid-data', `data file ${path} does not exist; check the path`);
  }
  if (!st.isFile()) throw new RegistryError('invalid-data', `${path} is not a file`);
  const format = opts.format ?? formatFromFileName(path);
  if (!format) throw new DataFormatError(`cannot tell the format of ${path} from its extension; pass --format (${DATA_FORMAT_NAMES.join(', ')})`);
  if (!(DATA_FORMAT_NAMES as readonly string[]).includes(format)) throw new DataFormatError(`unknown data format '${format}' for ${path}; use one of ${DATA_FORMAT_NAMES.join(', ')}`);
  const shown = opts.baseDir && !isAbsolute(file) ? file : relative(opts.baseDir ?? process.cwd(), path) || path;
  const source = opts.source ?? `file:${shown}`;
  const bytes = readFileSync(path);
  decodeTable(format, bytes, `${source} (${format})`);
  return { bytes, format, sha256: sha256Hex(bytes), source };
}

/** Reads a data file, checks it parses in its format, and imports it. */
export function importFile(registry: Registry, file: string, opts: Omit<ImportBytesOptions, 'format'> & { format?: string; baseDir?: string }): ImportResult {
  const data = readDataFile(file, opts);
  return importBytes(registry, data.bytes, { ...opts, format: data.format, source: data.source });
}

/** A data source's bytes, checked to decode in their format: what an import or a node would hold. */
export interface DataSourceBytes {
  bytes: Uint8Array;
  format: string;
  sha256: string;
  /** lineage source: `file:data/x.csv` or `loader:mnist?count=N` */
  source: string;
}

function checkedDataSource(dataSource: DataSource): DataSource {
  const parsed = DataSourceSchema.safeParse(dataSource);
  if (!parsed.success) throw new RegistryError('invalid-data', `data source ${JSON.stringify((dataSource as { urn?: unknown })?.urn ?? '?')} in workflow.json: ${formatZodIssues(parsed.error)}`);
  return parsed.data;
}

/** Reads (or generates) a workflow.json data source's bytes and checks they parse; nothing is stored. */
export function readDataSource(projectDir: string, dataSource: DataSource): DataSourceBytes {
  const ds = checkedDataSource(dataSource);
  let bytes: Uint8Array;
  let source: string;
  if (ds.source.kind === 'loader') {
    if (ds.format !== 'mnist') throw new DataFormatError(`data source '${ds.urn}': the mnist loader produces format 'mnist', not '${ds.format}'`);
    const count = ds.source.count;
    bytes = mnistBytes(count);
    source = `loader:mnist${count ? `?count=${count}` : ''}`;
  } else {
    const path = resolve(projectDir, ds.source.path);
    if (!staysInside(projectDir, ds.source.path)) {
      throw new RegistryError('invalid-data', `data source '${ds.urn}': path '${ds.source.path}' leaves the project folder (or a symbolic link leads out of it); keep data files inside the project (e.g. data/…)`);
    }
    let st;
    try {
      st = statSync(path);
    } catch {
      throw new RegistryError('invalid-data', `data source '${ds.urn}': file ${ds.source.path} does not exist in ${projectDir}`, 'add the file, or point source.path in workflow.json at one that exists');
    }
    if (!st.isFile()) throw new RegistryError('invalid-data', `data source '${ds.urn}': ${ds.source.path} is not a file`);
    bytes = readFileSync(path);
    source = `file:${ds.source.path}`;
    if (!(DATA_FORMAT_NAMES as readonly string[]).includes(ds.format)) throw new DataFormatError(`unknown data format '${ds.format}' for '${ds.urn}'; use one of ${DATA_FORMAT_NAMES.join(', ')}`);
    decodeTable(ds.format, bytes, `${source} (${ds.format})`);
  }
  return { bytes, format: ds.format, sha256: sha256Hex(bytes), source };
}

/** Puts a workflow.json data source into the registry; idempotent by content hash. */
export function importDataSource(registry: Registry, projectDir: string, dataSource: DataSource): ImportResult {
  const ds = checkedDataSource(dataSource);
  const data = readDataSource(projectDir, ds);
  return importBytes(registry, data.bytes, { urn: ds.urn, type: ds.type, tags: ds.tags, locations: [], format: data.format, source: data.source });
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(a);
  return b.every((x) => s.has(x));
}
