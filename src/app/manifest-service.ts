// Imports manifests all-or-nothing: a conflicting image anywhere in the batch stores none of them.
import { ConflictError } from '../domain/errors.js';
import type { Manifest } from '../domain/types.js';
import { manifestDigest } from '../manifests/digest.js';
import type { ImportOutcome, ManifestRepository } from './ports.js';

export interface ImportResult {
  imageId: string;
  region: string;
  outcome: ImportOutcome;
}

export function importManifests(
  repo: ManifestRepository,
  manifests: readonly Manifest[],
  now: Date,
): ImportResult[] {
  const conflicts = manifests.filter((m) => {
    const existing = repo.get(m.image.id);
    return existing !== null && existing.digest !== manifestDigest(m);
  });
  if (conflicts.length > 0) {
    throw new ConflictError(
      `manifest for ${conflicts.map((m) => m.image.id).join(', ')} already stored with a different body; ` +
        'manifests are immutable — bake a new image instead (nothing was imported)',
    );
  }
  const at = now.toISOString();
  return manifests.map((m) => ({ imageId: m.image.id, region: m.image.region, outcome: repo.import(m, at) }));
}
