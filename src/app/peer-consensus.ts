// The scan's consensus step: rates each scanned finding by its image's peers (docs/signal.md), after pairing and classifying.
import { rateConsensus, type ConsensusInstance, type ConsensusSettings } from '../core/consensus.js';
import type { Pair, ResolvedManifest } from '../domain/types.js';
import { openFindingKey, type ScannedInstance } from './ports.js';

/**
 * Only a running instance whose host data could be compared votes: a stale, missing or stopped one
 * says nothing about the image now (its findings are still rated against the voters).
 */
export function votes(pair: Pair): boolean {
  return (
    pair.instance.state === 'running' && (pair.hostStatus === 'fresh' || pair.hostStatus === 'not-declared')
  );
}

/**
 * `assessed[i]` is the outcome of `pairs[i]`. `firstSeen` holds the open findings' first-seen times
 * (`openFindingKey`); a finding not open yet, or open with another actual value, is first seen `now`.
 */
export function rateByPeers(
  pairs: readonly Pair[],
  assessed: readonly ScannedInstance[],
  firstSeen: ReadonlyMap<string, string>,
  settings: ConsensusSettings,
  now: string,
): ScannedInstance[] {
  // One key string per manifest, not one per instance (100,000 of them at a large fleet's scan).
  const keys = new Map<ResolvedManifest, string>();
  const manifestKey = (manifest: ResolvedManifest): string => {
    let key = keys.get(manifest);
    if (key === undefined) {
      key = `${manifest.manifest.image.region}/${manifest.manifest.image.id}`;
      keys.set(manifest, key);
    }
    return key;
  };
  const instances = assessed.map((item, index): ConsensusInstance => {
    const pair = pairs[index];
    const id = item.observation.instanceId;
    return {
      instanceId: id,
      manifestKey: pair?.manifest ? manifestKey(pair.manifest) : null,
      votes: pair !== undefined && votes(pair),
      launchTime: item.observation.launchTime,
      differences: item.findings.map((f) => ({
        path: f.path,
        change: f.change,
        actual: f.actual,
        firstSeen: firstSeen.get(openFindingKey(id, f.path, f.change)) ?? now,
      })),
    };
  });
  const verdicts = rateConsensus(instances, settings);
  // Most instances have nothing to rate and are handed back as they are. The others are built field
  // by field: a spread with an override gives each object a hidden class of its own in V8.
  return assessed.map((item): ScannedInstance => {
    if (item.findings.length === 0) return item;
    const rated = verdicts.get(item.observation.instanceId) ?? [];
    return {
      observation: item.observation,
      status: item.status,
      group: item.group,
      findings: item.findings.map((f, index) => ({
        ...f,
        ...(rated[index] ?? { scope: 'unrated', onset: null }),
      })),
    };
  });
}
