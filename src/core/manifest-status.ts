// Derives each manifest's effective status: revoked, superseded by a newer active one in its channel, or active.
import type { ResolvedManifest, StoredManifest } from '../domain/types.js';
import { compareStrings } from './compare-strings.js';

function newerFirst(a: StoredManifest, b: StoredManifest): number {
  // Compared as instants: `2026-11-20T12:00:00+02:00` is older than `2026-11-20T11:00:00Z`.
  const builtA = Date.parse(a.manifest.image.builtAt ?? a.importedAt);
  const builtB = Date.parse(b.manifest.image.builtAt ?? b.importedAt);
  if (builtA !== builtB) return builtA < builtB ? 1 : -1;
  if (a.importedAt !== b.importedAt) return a.importedAt < b.importedAt ? 1 : -1;
  return a.manifest.image.id < b.manifest.image.id ? 1 : -1;
}

/**
 * A manifest is superseded when a newer active manifest exists in the same channel and region.
 * Manifests without a channel are never superseded. Output is sorted by region, then image id.
 */
export function resolveManifests(stored: readonly StoredManifest[]): ResolvedManifest[] {
  const newestActive = new Map<string, StoredManifest>();
  for (const m of [...stored].sort(newerFirst)) {
    const channel = m.manifest.image.channel;
    if (channel === undefined || m.revokedAt !== null) continue;
    const key = `${m.manifest.image.region}\u0000${channel}`;
    if (!newestActive.has(key)) newestActive.set(key, m);
  }
  return stored
    .map((m): ResolvedManifest => {
      if (m.revokedAt !== null) return { ...m, status: 'revoked', supersededBy: null };
      const channel = m.manifest.image.channel;
      const newest =
        channel === undefined ? undefined : newestActive.get(`${m.manifest.image.region}\u0000${channel}`);
      if (newest !== undefined && newest !== m) {
        return { ...m, status: 'superseded', supersededBy: newest.manifest.image.id };
      }
      return { ...m, status: 'active', supersededBy: null };
    })
    .sort((a, b) =>
      a.manifest.image.region === b.manifest.image.region
        ? compareStrings(a.manifest.image.id, b.manifest.image.id)
        : compareStrings(a.manifest.image.region, b.manifest.image.region),
    );
}

/** The newest active image in a channel+region, used as the expected image for revoked/superseded ones. */
export function newestActiveInChannel(
  manifests: readonly ResolvedManifest[],
  region: string,
  channel: string | undefined,
): ResolvedManifest | null {
  if (channel === undefined) return null;
  return (
    manifests.find(
      (m) =>
        m.status === 'active' && m.manifest.image.region === region && m.manifest.image.channel === channel,
    ) ?? null
  );
}
