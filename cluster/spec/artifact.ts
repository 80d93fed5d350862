/**
 * Artifact metadata: what the registry knows of every data set and model it holds.
 *
 * An artifact is identified by (urn, version); versions count up from 1 per urn. Its bytes are
 * stored content-addressed (sha256), so `sha256` + `size` say exactly which bytes it is.
 * `lineage` records which run of which function made it from which exact input versions, and
 * `locations` which cluster nodes hold its bytes (the scheduler's data-locality input).
 */
import { z } from 'zod';
import { ARTIFACT_KINDS } from './selector';

export const ArtifactKindSchema = z.enum(ARTIFACT_KINDS);

/** A reference to one exact artifact version. */
export const ArtifactRefSchema = z
  .object({
    urn: z.string().min(1),
    version: z.number().int().positive(),
  })
  .strict();
export type ArtifactRef = z.infer<typeof ArtifactRefSchema>;

/** Which run of which function made an artifact, from which exact inputs. */
export const LineageSchema = z
  .object({
    /** run id (a workflow run or an invocation id); absent for imported data */
    run: z.string().min(1).optional(),
    /** function id, e.g. `Mnist.train`; absent for imported data */
    function: z.string().min(1).optional(),
    /** the exact input artifact versions the function consumed */
    inputs: z.array(ArtifactRefSchema.extend({ kind: ArtifactKindSchema.optional() })).default([]),
    /** where imported bytes came from, e.g. `loader:mnist` or `file:data/iris.csv` */
    source: z.string().min(1).optional(),
  })
  .strict();
export type Lineage = z.infer<typeof LineageSchema>;
export type LineageInput = z.input<typeof LineageSchema>;

/** A cluster node that holds an artifact's bytes, and the networks that node is on. */
export const ArtifactLocationSchema = z
  .object({
    node: z.string().min(1),
    networks: z.array(z.string().min(1)).default([]),
  })
  .strict();
export type ArtifactLocation = z.infer<typeof ArtifactLocationSchema>;
export type ArtifactLocationInput = z.input<typeof ArtifactLocationSchema>;

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 is 64 lowercase hex digits');
const Name = z.string().min(1);

export const ArtifactSchema = z
  .object({
    kind: ArtifactKindSchema,
    urn: z.string().min(1).refine((s) => !/[*{}]/.test(s), 'an artifact urn is concrete: no * and no {param}'),
    version: z.number().int().positive(),
    type: Name.optional(),
    tags: z.array(Name).default([]),
    data_tags: z.array(Name).default([]),
    metrics: z.record(z.string(), z.number()).default({}),
    format: Name,
    size: z.number().int().nonnegative(),
    sha256: Sha256,
    /** ISO 8601 time of the put */
    created: z.string(),
    lineage: LineageSchema.default({ inputs: [] }),
    locations: z.array(ArtifactLocationSchema).default([]),
  })
  .strict();
export type Artifact = z.infer<typeof ArtifactSchema>;

/** What a caller supplies to put an artifact; the registry fills version, size, sha256, created. */
export const ArtifactPutSchema = z
  .object({
    kind: ArtifactKindSchema,
    urn: ArtifactSchema.shape.urn,
    type: Name.optional(),
    tags: z.array(Name).default([]),
    data_tags: z.array(Name).default([]),
    metrics: z
      .record(z.string(), z.number())
      .refine((m) => Object.values(m).every(Number.isFinite), 'metric values must be finite numbers')
      .default({}),
    format: Name,
    lineage: LineageSchema.default({ inputs: [] }),
    locations: z.array(ArtifactLocationSchema).default([]),
  })
  .strict();
export type ArtifactPut = z.infer<typeof ArtifactPutSchema>;
export type ArtifactPutInput = z.input<typeof ArtifactPutSchema>;

/** `urn@version` or `urn` (latest) as typed on a command line. */
export function parseArtifactRef(text: string): { urn: string; version?: number } | { error: string } {
  const at = text.lastIndexOf('@');
  if (at < 0) return text.length ? { urn: text } : { error: 'an artifact reference is `urn` or `urn@version`, e.g. mnist:data@2' };
  const urn = text.slice(0, at);
  const v = text.slice(at + 1);
  if (!urn.length || !/^[1-9]\d*$/.test(v)) return { error: `'${text}' is not \`urn\` or \`urn@version\` (version a whole number ≥ 1), e.g. mnist:data@2` };
  return { urn, version: Number(v) };
}

export function formatArtifactRef(a: { urn: string; version: number }): string {
  return `${a.urn}@${a.version}`;
}

/** The format of every model a function produces: a TensorFlow.js layers model (topology + weights). */
export const MODEL_FORMAT = 'tfjs-layers';
