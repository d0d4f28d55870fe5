// Pairs each observed instance with the manifest of its image (by region + image id) and its host fingerprint.
import type {
  HostObservation,
  HostSource,
  HostStatus,
  InstanceObservation,
  Pair,
  ResolvedManifest,
} from '../domain/types.js';
import { compareStrings } from './compare-strings.js';

export interface PairInstancesOptions {
  /** Epoch milliseconds; injected so tests control staleness. */
  now: number;
  /** Host observations older than this are stale and not compared. */
  hostMaxAgeMs: number;
  /** Per-source limits that replace `hostMaxAgeMs` (e.g. `aws-config`: `sources.awsConfig.maxAge`). */
  hostMaxAgeMsBySource?: Partial<Record<HostSource, number>>;
}

function manifestKey(region: string, imageId: string): string {
  return `${region}\u0000${imageId}`;
}

function hostStatusOf(
  manifest: ResolvedManifest | null,
  host: HostObservation | null,
  options: PairInstancesOptions,
): HostStatus {
  if (manifest?.manifest.host === undefined) return 'not-declared';
  if (host === null) return 'missing';
  const observedAt = Date.parse(host.observedAt);
  // An unreadable timestamp cannot vouch for freshness, so it counts as stale rather than fresh.
  const maxAgeMs = options.hostMaxAgeMsBySource?.[host.source] ?? options.hostMaxAgeMs;
  if (Number.isNaN(observedAt) || options.now - observedAt > maxAgeMs) return 'stale';
  return 'fresh';
}

export function pairInstances(
  instances: readonly InstanceObservation[],
  manifests: readonly ResolvedManifest[],
  hosts: ReadonlyMap<string, HostObservation>,
  options: PairInstancesOptions,
): Pair[] {
  const byImage = new Map<string, ResolvedManifest>();
  for (const m of manifests) byImage.set(manifestKey(m.manifest.image.region, m.manifest.image.id), m);
  return instances
    .map((instance): Pair => {
      const manifest = byImage.get(manifestKey(instance.region, instance.imageId)) ?? null;
      const host = hosts.get(instance.instanceId) ?? null;
      return { instance, manifest, host, hostStatus: hostStatusOf(manifest, host, options) };
    })
    .sort((a, b) => compareStrings(a.instance.instanceId, b.instance.instanceId));
}
