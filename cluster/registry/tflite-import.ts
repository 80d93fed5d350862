/**
 * A project's shipped models (workflow.json `models`, issue 14): a TensorFlow Lite file in the
 * project or inside an installed npm package, put in the registry as a model artifact of format
 * `tflite`, so functions consume it with @consumes.model as they consume a trained model. Imports
 * are idempotent by content hash, like data sources. Node-only.
 */
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { ModelSourceSchema, type ModelSource } from '../spec/workflow';
import { staysInside } from '../project/paths';
import { platformRoot } from '../sources';
import { sha256Hex } from './blobs';
import { RegistryError } from './errors';
import { formatZodIssues, type Registry } from './registry';
import type { Artifact } from '../spec/artifact';
import { compiledForEdgeTpu, isTflite, TFLITE_FORMAT } from './tflite';

export interface ModelSourceBytes {
  bytes: Uint8Array;
  sha256: string;
  /** lineage source: `file:models/x.tflite` or `package:@scope/pkg/file.tflite` */
  source: string;
  /** compiled for the Edge TPU (holds the edgetpu-custom-op) */
  edgetpu: boolean;
}

/** The tag every model compiled for the Edge TPU carries in the registry. */
export const EDGETPU_TAG = 'edgetpu';

function checked(m: ModelSource): ModelSource {
  const parsed = ModelSourceSchema.safeParse(m);
  if (!parsed.success) throw new RegistryError('invalid-data', `model ${JSON.stringify((m as { urn?: unknown })?.urn ?? '?')} in workflow.json: ${formatZodIssues(parsed.error)}`);
  return parsed.data;
}

/** Where a package source's file is: resolved from the project first, then from the platform (which ships its samples' models). */
function resolvePackageFile(projectDir: string, urn: string, module: string): string {
  for (const from of [join(resolve(projectDir), 'package.json'), join(platformRoot(import.meta.url), 'package.json')]) {
    try {
      return createRequire(from).resolve(module);
    } catch {
      /* next */
    }
  }
  throw new RegistryError('invalid-data', `model '${urn}': ${module} is not in an installed package (looked from ${projectDir} and from the studio)`, `install the package that ships it (npm install ${module.startsWith('@') ? module.split('/').slice(0, 2).join('/') : module.split('/')[0]}), or copy the file into the project and use source {"kind": "file", "path": "models/…"}`);
}

/** Reads a workflow.json model's bytes and checks that they are a TensorFlow Lite model; nothing is stored. */
export function readModelSource(projectDir: string, model: ModelSource): ModelSourceBytes {
  const m = checked(model);
  let path: string;
  let source: string;
  if (m.source.kind === 'package') {
    path = resolvePackageFile(projectDir, m.urn, m.source.module);
    source = `package:${m.source.module}`;
  } else {
    if (!staysInside(projectDir, m.source.path)) {
      throw new RegistryError('invalid-data', `model '${m.urn}': path '${m.source.path}' leaves the project folder (or a symbolic link leads out of it)`, 'keep model files inside the project (e.g. models/…)');
    }
    path = resolve(projectDir, m.source.path);
    source = `file:${m.source.path}`;
  }
  let isFile = false;
  try {
    isFile = statSync(path).isFile();
  } catch {
    /* below */
  }
  if (!isFile) throw new RegistryError('invalid-data', `model '${m.urn}': ${path} is not a file`, 'point source in workflow.json at a .tflite file that exists');
  const bytes = new Uint8Array(readFileSync(path));
  if (!isTflite(bytes)) throw new RegistryError('invalid-data', `model '${m.urn}': ${source.slice(source.indexOf(':') + 1)} is not a TensorFlow Lite model (no TFL3 identifier in its first 8 bytes)`, 'give a .tflite file, as the TensorFlow Lite converter writes it');
  return { bytes, sha256: sha256Hex(bytes), source, edgetpu: compiledForEdgeTpu(bytes) };
}

/** The registry metadata of a model source (kind model, format tflite; `edgetpu` tagged when compiled for it). */
export function modelSourceMeta(model: ModelSource, read: ModelSourceBytes): { urn: string; type?: string; tags: string[]; format: string; source: string } {
  const tags = [...new Set([...(model.tags ?? []), ...(read.edgetpu ? [EDGETPU_TAG] : [])])];
  return { urn: model.urn, ...(model.type !== undefined ? { type: model.type } : {}), tags, format: TFLITE_FORMAT, source: read.source };
}

/** Puts a workflow.json model into the registry; the same bytes and metadata as the urn's latest version return that version. */
export function importModelSource(registry: Registry, projectDir: string, model: ModelSource): { artifact: Artifact; added: boolean } {
  const m = checked(model);
  const read = readModelSource(projectDir, m);
  const meta = modelSourceMeta(m, read);
  const latest = registry.artifact(m.urn);
  if (latest && latest.kind === 'model' && latest.sha256 === read.sha256 && latest.format === TFLITE_FORMAT && latest.type === meta.type && latest.tags.length === meta.tags.length && meta.tags.every((t) => latest.tags.includes(t))) {
    return { artifact: latest, added: false };
  }
  const artifact = registry.put({ kind: 'model', urn: m.urn, format: TFLITE_FORMAT, ...(meta.type !== undefined ? { type: meta.type } : {}), tags: meta.tags, lineage: { inputs: [], source: read.source }, locations: [] }, read.bytes);
  return { artifact, added: true };
}
