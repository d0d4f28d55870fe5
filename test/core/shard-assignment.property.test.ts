// Properties of the shard assignment for random targets and weights: exactly one shard each, balance, few moves.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assignShards, movedTargets, type WeightedTarget } from '../../src/core/shard-assignment.js';

const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-southeast-2'];

// Accounts × regions with instance counts that are even (all 1), spread (0 to 2000) or heavy-tailed
// (1 to 22,000 on a log scale: a few huge accounts among small ones).
const targetsOf = (shapes: readonly ('even' | 'spread' | 'heavy')[]): fc.Arbitrary<WeightedTarget[]> =>
  fc
    .tuple(
      fc.uniqueArray(fc.tuple(fc.integer({ min: 0, max: 999_999_999 }), fc.constantFrom(...REGIONS)), {
        minLength: 1,
        maxLength: 300,
        selector: ([account, region]) => `${account}|${region}`,
      }),
      fc.constantFrom(...shapes),
    )
    .chain(([keys, shape]) =>
      fc
        .array(
          shape === 'even'
            ? fc.constant(1)
            : shape === 'spread'
              ? fc.integer({ min: 0, max: 2000 })
              : fc.double({ min: 0, max: 10, noNaN: true }).map((x) => Math.floor(Math.exp(x))),
          { minLength: keys.length, maxLength: keys.length },
        )
        .map((weights) =>
          keys.map(([account, region], i) => ({
            key: `${String(account).padStart(12, '0')}|${region}`,
            weight: weights[i] ?? 1,
          })),
        ),
    );

const targetsArb = targetsOf(['even', 'spread', 'heavy']);

const weightOf = (t: WeightedTarget): number => Math.max(1, t.weight);

describe('assignShards properties', () => {
  it('puts every target on exactly one shard, and the loads are the instances of each', () => {
    fc.assert(
      fc.property(targetsArb, fc.integer({ min: 1, max: 16 }), (targets, count) => {
        const plan = assignShards(targets, count);
        expect(plan.shardOf.size).toBe(targets.length);
        const loads = new Array<number>(count).fill(0);
        for (const t of targets) {
          const shard = plan.shardOf.get(t.key);
          expect(shard).toBeGreaterThanOrEqual(0);
          expect(shard).toBeLessThan(count);
          loads[shard ?? 0] = (loads[shard ?? 0] ?? 0) + weightOf(t);
        }
        expect(plan.loads).toEqual(loads);
        expect(plan.targets.reduce((a, b) => a + b, 0)).toBe(targets.length);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps the largest shard within 10 % of the mean, or within one target of it', () => {
    fc.assert(
      fc.property(targetsArb, fc.integer({ min: 1, max: 16 }), (targets, count) => {
        const plan = assignShards(targets, count);
        const mean = plan.loads.reduce((a, b) => a + b, 0) / count;
        const heaviest = Math.max(...targets.map(weightOf));
        expect(Math.max(...plan.loads) - mean).toBeLessThanOrEqual(Math.max(0.1 * mean, heaviest));
      }),
      { numRuns: 300 },
    );
  });

  // The slack: 4 targets plus 10 % of the share, for at least 5 targets per shard. With fewer, or
  // with heavy-tailed weights, the new shard's share of instances can take more light targets
  // (docs/scaling.md).
  it('moves at most ⌈targets/(N+1)⌉ + 4 + 10 % of that from N to N+1 shards, with even or spread weights', () => {
    fc.assert(
      fc.property(targetsOf(['even', 'spread']), fc.integer({ min: 1, max: 15 }), (targets, n) => {
        fc.pre(targets.length >= 5 * (n + 1));
        const share = Math.ceil(targets.length / (n + 1));
        const moved = movedTargets(assignShards(targets, n), assignShards(targets, n + 1));
        expect(moved.length).toBeLessThanOrEqual(share + 4 + Math.ceil(0.1 * share));
      }),
      { numRuns: 300 },
    );
  });

  it('moves targets from N to N+1 shards only to the new shard, whatever the weights', () => {
    fc.assert(
      fc.property(targetsArb, fc.integer({ min: 1, max: 15 }), (targets, n) => {
        const after = assignShards(targets, n + 1);
        for (const key of movedTargets(assignShards(targets, n), after))
          expect(after.shardOf.get(key)).toBe(n);
      }),
      { numRuns: 300 },
    );
  });
});
