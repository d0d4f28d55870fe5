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
  /** Freshness limit per host source; observations of a source not listed are ignored (source disabled). */
  hostMaxAgeMs: Partial<Record<HostSource, number>>;
}

/** Observations per instance; a Map will do, the scan passes one that parses on first lookup. */
export interface HostObservationsByInstance {
  get(instanceId: string): readonly HostObservation[] | undefined;
}

function manifestKey(region: string, imageId: string): string {
  return `${region}\u0000${imageId}`;
}

/**
 * Which source speaks first when several cover a path: the agent reads the host itself (and files
 * and services), inventory is re-confirmed at every sync, so ordering by time would flip between
 * them and reopen findings.
 */
const SOURCE_PRIORITY: Record<HostSource, number> = { agent: 0, 'aws-config': 1 };

function isFresh(host: HostObservation, maxAgeMs: number, now: number): boolean {
  const observedAt = Date.parse(host.observedAt);
  // An unreadable timestamp cannot vouch for freshness, so it counts as stale rather than fresh.
  return !Number.isNaN(observedAt) && now - observedAt <= maxAgeMs;
}

/**
 * Any source past its freshness limit makes the host comparison `stale`: a silent agent must not
 * read as compliant because another source still reports packages. Fresh sources are compared anyway.
 */
function pairHosts(
  manifest: ResolvedManifest | null,
  instanceId: string,
  hosts: HostObservationsByInstance,
  options: PairInstancesOptions,
): { hosts: HostObservation[]; hostStatus: HostStatus } {
  if (manifest?.manifest.host === undefined) return { hosts: [], hostStatus: 'not-declared' };
  // Looked up only here: an instance whose manifest declares no host state never has its host data parsed.
  const observations = hosts.get(instanceId) ?? [];
  const enabled = observations.filter((o) => options.hostMaxAgeMs[o.source] !== undefined);
  if (enabled.length === 0) return { hosts: [], hostStatus: 'missing' };
  const fresh = enabled
    .filter((o) => isFresh(o, options.hostMaxAgeMs[o.source] as number, options.now))
    .sort((a, b) => SOURCE_PRIORITY[a.source] - SOURCE_PRIORITY[b.source]);
  return { hosts: fresh, hostStatus: fresh.length === enabled.length ? 'fresh' : 'stale' };
}

export function pairInstances(
  instances: readonly InstanceObservation[],
  manifests: readonly ResolvedManifest[],
  hosts: HostObservationsByInstance,
  options: PairInstancesOptions,
): Pair[] {
  const byImage = new Map<string, ResolvedManifest>();
  for (const m of manifests) byImage.set(manifestKey(m.manifest.image.region, m.manifest.image.id), m);
  return instances
    .map((instance): Pair => {
      const manifest = byImage.get(manifestKey(instance.region, instance.imageId)) ?? null;
      return { instance, manifest, ...pairHosts(manifest, instance.instanceId, hosts, options) };
    })
    .sort((a, b) => compareStrings(a.instance.instanceId, b.instance.instanceId));
}
