// Peer consensus per image: the share of an image's voting instances that show the same difference, and its scope.
import type { Change, FindingOnset, FindingScope } from '../domain/types.js';
import { canonicalJson } from './canonical-json.js';
import { compareStrings } from './compare-strings.js';

/** `signal.*`: when peers are enough, and which shares are fleet-wide or an outlier. */
export interface ConsensusSettings {
  /** Voting instances an image needs before any of its findings is rated (at least 2). */
  minPeers: number;
  /** A share of voters at or above this is fleet-wide (0 < share ≤ 1). */
  fleetWideShare: number;
  /** A share at or below this (and always a single instance) is an outlier (0 ≤ share < fleetWideShare). */
  outlierShare: number;
  /** A difference first seen within this long of its instance's launch was there since boot. */
  freshWindowMs: number;
}

export const DEFAULT_CONSENSUS_SETTINGS: ConsensusSettings = {
  minPeers: 5,
  fleetWideShare: 0.8,
  outlierShare: 0.2,
  freshWindowMs: 30 * 60_000,
};

/** One difference of one instance, as consensus compares it. */
export interface ConsensusDifference {
  path: string;
  change: Change;
  actual: unknown;
  /** When it was first seen on this instance (ISO-8601). */
  firstSeen: string;
}

/** One instance of the fleet after pairing. */
export interface ConsensusInstance {
  instanceId: string;
  /** The manifest it paired with (any stable key, e.g. `region/imageId`); null: none, never rated. */
  manifestKey: string | null;
  /** Only running instances with fresh data vote: a stale or stopped instance says nothing about now. */
  votes: boolean;
  launchTime: string | null;
  differences: readonly ConsensusDifference[];
}

export interface ConsensusVerdict {
  scope: FindingScope;
  /** Set for fleet-wide findings only. */
  onset: FindingOnset | null;
}

/** One (image, path, change, actual) and what its peers say, e.g. for a manifest-mismatch view. */
export interface ConsensusGroup {
  manifestKey: string;
  path: string;
  change: Change;
  actual: unknown;
  /** Voting instances of the image. */
  peers: number;
  /** Voting instances that show this difference. */
  showing: number;
  scope: FindingScope;
  onset: FindingOnset | null;
}

/**
 * Only path-level differences are rated: image-level changes (a superseded or revoked image is shared
 * by every instance of it by nature) and `truncated` summaries say nothing about a bake or a person.
 */
const RATED_CHANGES: ReadonlySet<Change> = new Set<Change>(['added', 'removed', 'changed']);

const UNRATED: ConsensusVerdict = { scope: 'unrated', onset: null };

function differenceKey(d: Pick<ConsensusDifference, 'path' | 'change' | 'actual'>): string {
  return `${d.path}\u0000${d.change}\u0000${canonicalJson(d.actual)}`;
}

type GroupKey = Pick<ConsensusGroup, 'manifestKey' | 'path' | 'change' | 'actual'>;

/** A voter that shows a difference: when it launched and when the difference was first seen on it. */
interface ShowingInstance {
  launchTime: string | null;
  firstSeen: string;
}

function votersPerImage(instances: readonly ConsensusInstance[]): Map<string, number> {
  const voters = new Map<string, number>();
  for (const i of instances)
    if (i.votes && i.manifestKey !== null) voters.set(i.manifestKey, (voters.get(i.manifestKey) ?? 0) + 1);
  return voters;
}

/**
 * Since boot when most instances showing it first showed it within the fresh window of their launch
 * (an unknown launch time counts against it): a minority of late observations does not flip it.
 */
function onsetOf(showing: readonly ShowingInstance[], freshWindowMs: number): FindingOnset {
  let sinceBoot = 0;
  for (const { launchTime, firstSeen } of showing) {
    if (launchTime === null) continue;
    const age = Date.parse(firstSeen) - Date.parse(launchTime);
    if (age <= freshWindowMs) sinceBoot += 1;
  }
  return sinceBoot * 2 > showing.length ? 'since-boot' : 'after-boot';
}

/**
 * Far below one instance and far above a product's rounding error: 0.7 * 10 is 7.000000000000001
 * and 0.29 * 100 is 28.999999999999996, which must count as 7 and 29 instances.
 */
const SHARE_TOLERANCE = 1e-9;

/** The scope of a difference shown by `showing` of `peers` voters (peers ≥ minPeers). */
export function scopeOf(showing: number, peers: number, settings: ConsensusSettings): FindingScope {
  // One instance is always an outlier, whatever the shares: a person's change is never fleet-wide.
  if (showing <= Math.max(1, Math.floor(settings.outlierShare * peers + SHARE_TOLERANCE))) return 'outlier';
  if (showing >= settings.fleetWideShare * peers - SHARE_TOLERANCE) return 'fleet-wide';
  return 'unrated';
}

/**
 * Rates every (image, path, change, actual) among the voting instances of each image: the groups in
 * image, path, change order. The input order does not matter.
 */
export function consensusGroups(
  instances: readonly ConsensusInstance[],
  settings: ConsensusSettings,
): ConsensusGroup[] {
  const peers = votersPerImage(instances);
  const shown = new Map<string, { group: GroupKey; by: ShowingInstance[] }>();
  for (const instance of instances) {
    if (!instance.votes || instance.manifestKey === null) continue;
    const manifestKey = instance.manifestKey;
    // A difference counts once per instance, however often the input repeats it, first seen at its
    // earliest (so the order of the input does not matter).
    const mine = new Map<string, ShowingInstance>();
    for (const d of instance.differences) {
      if (!RATED_CHANGES.has(d.change)) continue;
      const key = `${manifestKey}\u0000${differenceKey(d)}`;
      const showing = mine.get(key);
      if (showing !== undefined) {
        if (Date.parse(d.firstSeen) < Date.parse(showing.firstSeen)) showing.firstSeen = d.firstSeen;
        continue;
      }
      const entry = shown.get(key) ?? {
        group: { manifestKey, path: d.path, change: d.change, actual: d.actual },
        by: [],
      };
      const added: ShowingInstance = { launchTime: instance.launchTime, firstSeen: d.firstSeen };
      entry.by.push(added);
      mine.set(key, added);
      shown.set(key, entry);
    }
  }
  const groups: ConsensusGroup[] = [];
  const ordered = [...shown.entries()].sort(([a], [b]) => compareStrings(a, b));
  for (const { group, by } of ordered.map(([, entry]) => entry)) {
    const voters = peers.get(group.manifestKey) ?? 0;
    const scope = voters < settings.minPeers ? 'unrated' : scopeOf(by.length, voters, settings);
    groups.push({
      ...group,
      peers: voters,
      showing: by.length,
      scope,
      onset: scope === 'fleet-wide' ? onsetOf(by, settings.freshWindowMs) : null,
    });
  }
  return groups;
}

/**
 * Each instance's verdicts, one per difference in its input order, keyed by instance id. A
 * non-voting instance is rated against its image's voters all the same; it only does not count.
 */
export function rateConsensus(
  instances: readonly ConsensusInstance[],
  settings: ConsensusSettings,
): Map<string, ConsensusVerdict[]> {
  const byKey = new Map<string, ConsensusGroup>();
  for (const group of consensusGroups(instances, settings))
    byKey.set(`${group.manifestKey}\u0000${differenceKey(group)}`, group);
  const voters = votersPerImage(instances);

  const verdicts = new Map<string, ConsensusVerdict[]>();
  for (const instance of instances) {
    const manifestKey = instance.manifestKey;
    const imagePeers = manifestKey === null ? 0 : (voters.get(manifestKey) ?? 0);
    verdicts.set(
      instance.instanceId,
      instance.differences.map((d): ConsensusVerdict => {
        if (manifestKey === null || imagePeers < settings.minPeers || !RATED_CHANGES.has(d.change))
          return UNRATED;
        const group = byKey.get(`${manifestKey}\u0000${differenceKey(d)}`);
        // Shown by no voter (this instance does not vote): it stands alone.
        if (group === undefined) return { scope: 'outlier', onset: null };
        return { scope: group.scope, onset: group.onset };
      }),
    );
  }
  return verdicts;
}
