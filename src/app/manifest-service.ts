// Imports manifests all-or-nothing: a conflicting image anywhere in the batch stores none of them.
import { ConflictError } from '../domain/errors.js';
import type { Manifest } from '../domain/types.js';
import type { ImportResult, ManifestRepository } from './ports.js';

export type { ImportResult } from './ports.js';

export function importManifests(
  repo: ManifestRepository,
  manifests: readonly Manifest[],
  now: Date,
): ImportResult[] {
  try {
    // One store transaction, so a concurrent importer cannot slip in between a check and a write.
    return repo.importAll(manifests, now.toISOString());
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    throw new ConflictError(`${error.message} (nothing was imported)`, {
      cause: error,
      ...(error.location === undefined ? {} : { location: error.location }),
    });
  }
}
