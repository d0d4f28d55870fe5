// Turns one instance↔manifest pair into path-level differences: image status, launch settings, host fingerprint.
import type { Difference, Pair, ResolvedManifest } from '../domain/types.js';
import { compareStrings } from './compare-strings.js';
import { diffHostSources } from './host-diff.js';
import { diffLaunch } from './launch-diff.js';
import { newestActiveInChannel } from './manifest-status.js';
import type { PathDifference } from './path-difference.js';
import { formatPath } from './paths.js';

const IMAGE_PATH = ['image', 'id'] as const;

function diffImageStatus(
  pair: Pair,
  manifest: ResolvedManifest,
  manifests: readonly ResolvedManifest[],
): PathDifference[] {
  const actual = pair.instance.imageId;
  if (manifest.status === 'revoked') {
    const replacement = newestActiveInChannel(
      manifests,
      manifest.manifest.image.region,
      manifest.manifest.image.channel,
    );
    return [
      { path: IMAGE_PATH, change: 'revoked-image', expected: replacement?.manifest.image.id ?? null, actual },
    ];
  }
  if (manifest.status === 'superseded') {
    return [{ path: IMAGE_PATH, change: 'superseded-image', expected: manifest.supersededBy, actual }];
  }
  return [];
}

/**
 * Pure and deterministic: output is sorted by path, then change. An instance without a manifest yields only
 * `unknown-image`, since there is nothing declared to compare against.
 */
export function diffPair(pair: Pair, manifests: readonly ResolvedManifest[]): Difference[] {
  const { instance, manifest } = pair;
  const found: PathDifference[] = [];
  if (manifest === null) {
    found.push({ path: IMAGE_PATH, change: 'unknown-image', expected: null, actual: instance.imageId });
  } else {
    found.push(...diffImageStatus(pair, manifest, manifests));
    // A revoked or superseded image still gets its launch and host compared: hand-made changes matter either way.
    if (manifest.manifest.launch) found.push(...diffLaunch(manifest.manifest.launch, instance));
    if (manifest.manifest.host && pair.hosts.length > 0) {
      found.push(...diffHostSources(manifest.manifest.host, pair.hosts));
    }
  }
  return found
    .map((d): Difference => ({
      instanceId: instance.instanceId,
      imageId: instance.imageId,
      path: formatPath(d.path),
      change: d.change,
      expected: d.expected,
      actual: d.actual,
      ...(d.sources ? { sources: d.sources } : {}),
    }))
    .sort((a, b) => compareStrings(a.path, b.path) || compareStrings(a.change, b.change));
}
