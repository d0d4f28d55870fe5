// Imports manifests all-or-nothing: a conflicting image anywhere in the batch stores none of them.
import { ConflictError } from '../domain/errors.js';
import type { Manifest } from '../domain/types.js';
import { manifestDigest } from './manifest-digest.js';
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
  // The batch must agree with what is stored and with itself (two bodies for one image).
  const digests = new Map<string, string>();
  const conflicts = manifests.filter((m) => {
    const digest = manifestDigest(m);
    const known = digests.get(m.image.id) ?? repo.get(m.image.id)?.digest;
    if (known === undefined) digests.set(m.image.id, digest);
    return known !== undefined && known !== digest;
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
