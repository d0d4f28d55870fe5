// Assigns targets (account × region) to shards by instance count: the plan for N+1 shards is the plan for N with the new shard filled from the others.
import { compareStrings } from './compare-strings.js';

/** One unit of assignment: a target key (`account|region`, account '' when unset) and its instance count. */
export interface WeightedTarget {
  readonly key: string;
  /** Instances at the last scan; below 1 (a new or empty target) counts as 1. */
  readonly weight: number;
}

export interface ShardPlan {
  readonly count: number;
  /** Target key → shard index, in key order. */
  readonly shardOf: ReadonlyMap<string, number>;
  /** Expected instance count per shard (index order). */
  readonly loads: readonly number[];
  /** Target count per shard (index order). */
  readonly targets: readonly number[];
}

/** Largest shard count accepted: the plan is built shard by shard, O(count² × targets). */
export const MAX_SHARDS = 256;

/** The identity of a target (account × region) as `target_scans` keeps it (account '' = default credentials): in assignment, metrics and the scan writer. */
export function targetKey(target: { readonly account: string | null; readonly region: string }): string {
  return `${target.account ?? ''}|${target.region}`;
}

/** FNV-1a over UTF-16 code units, finished with murmur3's fmix32: a stable 32-bit hash, the same on every machine. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A shard's targets (heaviest first) and instance count. */
interface Shard {
  entries: Entry[];
  load: number;
}

interface Entry {
  readonly key: string;
  readonly weight: number;
  readonly hash: number;
}

/**
 * Deterministic in the set of (key, weight) only, never in input order or time, so every replica
 * given the same targets and weights computes the same plan. Shard 0 starts with every target;
 * shard n (n = 1 … count−1) is then filled from the existing shards one target at a time: from the
 * fullest shard, the target whose move leaves the lower peak of the two (the heavier on a tie, then
 * by a hash of the key, so equal weights spread across accounts), for as long as a move lowers it;
 * a still empty shard may take from the next fullest when the fullest holds one heavy target. So:
 * - going from N to N+1 shards moves only the targets that shard N takes, about 1/(N+1) of the
 *   instances;
 * - every shard ends within about one of its targets of the others.
 * A key given twice counts once, with its largest weight.
 */
export function assignShards(targets: readonly WeightedTarget[], count: number): ShardPlan {
  if (!Number.isInteger(count) || count < 1 || count > MAX_SHARDS)
    throw new RangeError(`shard count must be an integer from 1 to ${MAX_SHARDS}, got ${count}`);
  const byKey = new Map<string, number>();
  for (const t of targets) byKey.set(t.key, Math.max(1, byKey.get(t.key) ?? 0, t.weight));
  const heaviestFirst = (a: Entry, b: Entry): number =>
    b.weight - a.weight || a.hash - b.hash || compareStrings(a.key, b.key);
  const all = [...byKey]
    .map(([key, weight]): Entry => ({ key, weight, hash: hash32(key) }))
    .sort(heaviestFirst);
  const shards: Shard[] = [{ entries: all, load: all.reduce((sum, e) => sum + e.weight, 0) }];
  for (let n = 1; n < count; n++) {
    const added: Shard = { entries: [], load: 0 };
    for (;;) {
      const move = nextMove(shards, added.load);
      if (move === undefined) break;
      const { donor, entry } = move;
      donor.entries.splice(donor.entries.indexOf(entry), 1);
      donor.load -= entry.weight;
      added.entries.push(entry);
      added.load += entry.weight;
    }
    added.entries.sort(heaviestFirst);
    shards.push(added);
  }
  const shardOf = new Map<string, number>();
  shards.forEach(({ entries }, shard) => entries.forEach((e) => shardOf.set(e.key, shard)));
  return {
    count,
    shardOf: new Map([...shardOf].sort(([a], [b]) => compareStrings(a, b))),
    loads: shards.map((s) => s.load),
    targets: shards.map((s) => s.entries.length),
  };
}

/** The fullest shard, the lowest index on a tie. */
function fullest(shards: readonly Shard[]): Shard {
  return shards.reduce((best, shard) => (shard.load > best.load ? shard : best));
}

/**
 * The next target for a shard of `load` instances: from the fullest shard, if a move lowers the peak
 * of the two. An empty shard that the fullest cannot give to (it holds one heavy target) takes from
 * the next fullest that can, so no shard stays empty while another holds two targets.
 */
function nextMove(shards: readonly Shard[], load: number): { donor: Shard; entry: Entry } | undefined {
  const donors =
    load === 0
      ? shards
          .map((shard, index) => ({ shard, index }))
          .sort((a, b) => b.shard.load - a.shard.load || a.index - b.index)
          .map(({ shard }) => shard)
      : [fullest(shards)];
  for (const shard of donors) {
    const entry = peakLowering(shard.entries, shard.load, load);
    if (entry !== undefined) return { donor: shard, entry };
  }
  return undefined;
}

/**
 * The target whose move from a shard of `from` instances to one of `to` leaves the lower peak of the
 * two (the heavier on a tie); undefined when no move lowers it.
 */
function peakLowering(entries: readonly Entry[], from: number, to: number): Entry | undefined {
  let best: Entry | undefined;
  let bestPeak = from;
  for (const entry of entries) {
    const peak = Math.max(from - entry.weight, to + entry.weight);
    if (peak < bestPeak) {
      best = entry;
      bestPeak = peak;
    }
  }
  return best;
}

/** Keys on a different shard in `after` than in `before` (keys in only one plan are not counted). */
export function movedTargets(before: ShardPlan, after: ShardPlan): string[] {
  return [...after.shardOf]
    .filter(([key, shard]) => {
      const was = before.shardOf.get(key);
      return was !== undefined && was !== shard;
    })
    .map(([key]) => key);
}
