/** Errors the registry reports. Each says what went wrong, on which artifact, and what to do. */
import { StudioError } from '../common/errors';
import type { SelectorIssue } from '../spec/selector';

export type RegistryErrorCode =
  | 'artifact-not-found'
  | 'corrupt-blob'
  | 'missing-blob'
  | 'invalid-artifact'
  | 'invalid-selector'
  | 'invalid-data'
  | 'registry-open';

export class RegistryError extends StudioError {
  declare readonly code: RegistryErrorCode;
  constructor(code: RegistryErrorCode, message: string, hint?: string) {
    super(code, message, hint);
    this.name = 'RegistryError';
  }
}

export class ArtifactNotFoundError extends RegistryError {
  constructor(
    readonly urn: string,
    readonly version?: number,
  ) {
    super('artifact-not-found', `no artifact ${version === undefined ? `with urn '${urn}'` : `'${urn}' version ${version}`} in the registry; list what is there with \`edgeai artifacts list\``);
  }
}

/** The bytes on disk do not hash to what the metadata says: the blob was damaged after it was written. */
export class ArtifactCorruptError extends RegistryError {
  constructor(
    readonly urn: string,
    readonly version: number,
    readonly expected: string,
    readonly actual: string,
    readonly path: string,
  ) {
    super(
      'corrupt-blob',
      `artifact '${urn}' version ${version} is corrupt: its blob ${path} hashes to sha256 ${actual.slice(0, 12)}…, expected ${expected.slice(0, 12)}…; ` +
        `re-import or re-produce it (the damaged bytes are not used)`,
    );
  }
}

export class ArtifactBlobMissingError extends RegistryError {
  constructor(
    readonly urn: string,
    readonly version: number,
    readonly path: string,
  ) {
    super('missing-blob', `artifact '${urn}' version ${version} has no bytes: blob ${path} is missing; re-import or re-produce it`);
  }
}

export class SelectorError extends RegistryError {
  constructor(
    readonly issues: SelectorIssue[],
    what = 'selector',
  ) {
    super('invalid-selector', `invalid ${what}: ${issues.map((i) => `${i.clause}: ${i.message}`).join('; ')}`);
  }
}

export class DataFormatError extends RegistryError {
  constructor(message: string) {
    super('invalid-data', message);
  }
}
