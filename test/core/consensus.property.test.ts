import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CONSENSUS_SETTINGS,
  consensusGroups,
  rateConsensus,
  scopeOf,
  type ConsensusDifference,
  type ConsensusInstance,
  type ConsensusSettings,
} from '../../src/core/consensus.js';

const LAUNCH = '2026-11-21T00:00:00.000Z';
const SOON = '2026-11-21T00:05:00.000Z';
const LATER = '2026-11-21T06:00:00.000Z';

const difference: fc.Arbitrary<ConsensusDifference> = fc.record({
  path: fc.constantFrom('host.files["/etc/resolv.conf"].sha256', 'host.packages.openssl', 'launch.tags.role'),
  change: fc.constantFrom('added', 'removed', 'changed'),
  actual: fc.oneof(fc.constantFrom('a', 'b'), fc.constant(null), fc.record({ v: fc.constantFrom(1, 2) })),
  firstSeen: fc.constantFrom(SOON, LATER),
});

function fleetOf(
  count: number,
  shared: readonly ConsensusDifference[],
  extra: (index: number) => ConsensusDifference[] = () => [],
): ConsensusInstance[] {
  return Array.from({ length: count }, (_, index) => ({
    instanceId: `i-${String(index).padStart(4, '0')}`,
    manifestKey: 'us-east-1/ami-a',
    votes: true,
    launchTime: LAUNCH,
    differences: [...shared, ...extra(index)],
  }));
}

const settings: fc.Arbitrary<ConsensusSettings> = fc
  .record({
    minPeers: fc.integer({ min: 2, max: 10 }),
    fleetWideShare: fc.double({ min: 0.3, max: 1, noNaN: true }),
    outlierShare: fc.double({ min: 0, max: 0.29, noNaN: true }),
  })
  .map((s) => ({ ...s, freshWindowMs: DEFAULT_CONSENSUS_SETTINGS.freshWindowMs }));

const fleet = fc
  .record({
    size: fc.integer({ min: 0, max: 25 }),
    seeds: fc.array(fc.array(difference, { maxLength: 3 }), { maxLength: 25 }),
  })
  .map(({ size, seeds }) =>
    fleetOf(size, [], (i) => seeds[i % Math.max(1, seeds.length)] ?? []).map((instance, i) => ({
      ...instance,
      manifestKey: i % 3 === 0 ? 'us-east-1/ami-b' : 'us-east-1/ami-a',
      votes: i % 7 !== 5,
    })),
  );

describe('peer consensus (properties)', () => {
  it('never rates a difference shared by all of at least minPeers instances as an outlier', () => {
    fc.assert(
      fc.property(settings, difference, fc.integer({ min: 0, max: 30 }), (s, shared, more) => {
        const instances = fleetOf(s.minPeers + more, [shared]);
        for (const verdicts of rateConsensus(instances, s).values()) {
          expect(verdicts[0]?.scope).not.toBe('outlier');
          expect(verdicts[0]?.scope).toBe('fleet-wide');
        }
      }),
    );
  });

  it('never rates a difference on one of at least minPeers instances as fleet-wide', () => {
    fc.assert(
      fc.property(settings, difference, fc.integer({ min: 0, max: 30 }), (s, lone, more) => {
        const instances = fleetOf(s.minPeers + more, [], (i) => (i === 0 ? [lone] : []));
        const verdicts = rateConsensus(instances, s).get('i-0000');
        expect(verdicts?.[0]?.scope).toBe('outlier');
      }),
    );
  });

  it('classifies the same whatever the order of instances and of their differences', () => {
    fc.assert(
      fc.property(fleet, fc.integer({ min: 0, max: 1_000 }), (instances, seed) => {
        const shuffled = shuffle(instances, seed).map((i) => ({
          ...i,
          differences: shuffle(i.differences, seed + 1),
        }));
        const s = DEFAULT_CONSENSUS_SETTINGS;
        expect(JSON.stringify(consensusGroups(shuffled, s))).toBe(
          JSON.stringify(consensusGroups(instances, s)),
        );
        const original = rateConsensus(instances, s);
        const reordered = rateConsensus(shuffled, s);
        for (const instance of instances) {
          const moved = shuffled.find((i) => i.instanceId === instance.instanceId);
          instance.differences.forEach((d, index) => {
            const at = moved?.differences.indexOf(d) ?? -1;
            expect(reordered.get(instance.instanceId)?.[at]).toEqual(
              original.get(instance.instanceId)?.[index],
            );
          });
        }
      }),
      // Order bugs hide in rare shapes (a difference repeated within an instance): look harder.
      { numRuns: 500 },
    );
  });

  it('rates a share exactly at a threshold by that threshold, whatever the floating-point rounding', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 500 }).chain((peers) =>
          fc
            .tuple(fc.integer({ min: 0, max: peers - 1 }), fc.integer({ min: 1, max: peers }))
            .filter(([outliers, fleetWide]) => outliers < fleetWide)
            .map(([outliers, fleetWide]) => ({ peers, outliers, fleetWide })),
        ),
        ({ peers, outliers, fleetWide }) => {
          const shares: ConsensusSettings = {
            ...DEFAULT_CONSENSUS_SETTINGS,
            outlierShare: outliers / peers,
            fleetWideShare: fleetWide / peers,
          };
          if (outliers >= 1) expect(scopeOf(outliers, peers, shares)).toBe('outlier');
          if (fleetWide > Math.max(1, outliers)) expect(scopeOf(fleetWide, peers, shares)).toBe('fleet-wide');
        },
      ),
    );
  });

  it('does not let stale instances vote: adding non-voting instances changes no verdict of the voters', () => {
    fc.assert(
      fc.property(
        fleet,
        fc.array(difference, { maxLength: 3 }),
        fc.integer({ min: 1, max: 40 }),
        (instances, shown, stale) => {
          const s = DEFAULT_CONSENSUS_SETTINGS;
          const silent: ConsensusInstance[] = Array.from({ length: stale }, (_, i) => ({
            instanceId: `i-stale-${i}`,
            manifestKey: 'us-east-1/ami-a',
            votes: false,
            launchTime: LAUNCH,
            differences: shown,
          }));
          const without = rateConsensus(instances, s);
          const withStale = rateConsensus([...instances, ...silent], s);
          for (const instance of instances)
            expect(withStale.get(instance.instanceId)).toEqual(without.get(instance.instanceId));
          expect(consensusGroups([...instances, ...silent], s)).toEqual(consensusGroups(instances, s));
        },
      ),
    );
  });
});

describe('peer consensus', () => {
  const resolv: ConsensusDifference = {
    path: 'host.files["/etc/resolv.conf"].sha256',
    change: 'changed',
    actual: 'abc',
    firstSeen: SOON,
  };

  it('leaves an image with fewer than minPeers voters unrated', () => {
    const verdicts = rateConsensus(fleetOf(4, [resolv]), DEFAULT_CONSENSUS_SETTINGS);
    expect([...verdicts.values()].map((v) => v[0]?.scope)).toEqual([
      'unrated',
      'unrated',
      'unrated',
      'unrated',
    ]);
  });

  it('tells a difference present since boot from one that appeared after boot', () => {
    const sinceBoot = rateConsensus(fleetOf(5, [resolv]), DEFAULT_CONSENSUS_SETTINGS).get('i-0000');
    expect(sinceBoot).toEqual([{ scope: 'fleet-wide', onset: 'since-boot' }]);
    const afterBoot = rateConsensus(
      fleetOf(5, [{ ...resolv, firstSeen: LATER }]),
      DEFAULT_CONSENSUS_SETTINGS,
    );
    expect(afterBoot.get('i-0000')).toEqual([{ scope: 'fleet-wide', onset: 'after-boot' }]);
  });

  it('rates 7 of 10 fleet-wide at a share of 0.7, and 29 of 100 an outlier at 0.29', () => {
    // 0.7 * 10 is 7.000000000000001 and 0.29 * 100 is 28.999999999999996 in floating point.
    const shares = { ...DEFAULT_CONSENSUS_SETTINGS, outlierShare: 0.29, fleetWideShare: 0.7 };
    expect(scopeOf(7, 10, shares)).toBe('fleet-wide');
    expect(scopeOf(29, 100, shares)).toBe('outlier');
    expect(scopeOf(30, 100, shares)).toBe('unrated');
    expect(scopeOf(6, 10, shares)).toBe('unrated');
  });

  it('rates a share between the outlier and fleet-wide shares as unrated', () => {
    const verdicts = rateConsensus(
      fleetOf(10, [], (i) => (i < 5 ? [resolv] : [])),
      DEFAULT_CONSENSUS_SETTINGS,
    );
    expect(verdicts.get('i-0000')).toEqual([{ scope: 'unrated', onset: null }]);
  });

  it('treats the same path with a different actual value as a different difference', () => {
    const verdicts = rateConsensus(
      fleetOf(10, [], (i) => [{ ...resolv, actual: i === 0 ? 'hand-made' : 'abc' }]),
      DEFAULT_CONSENSUS_SETTINGS,
    );
    expect(verdicts.get('i-0000')).toEqual([{ scope: 'outlier', onset: null }]);
    expect(verdicts.get('i-0001')).toEqual([{ scope: 'fleet-wide', onset: 'since-boot' }]);
  });

  it('does not rate image-level changes', () => {
    const superseded: ConsensusDifference = {
      path: 'image.id',
      change: 'superseded-image',
      actual: 'ami-a',
      firstSeen: SOON,
    };
    const verdicts = rateConsensus(fleetOf(6, [superseded]), DEFAULT_CONSENSUS_SETTINGS);
    expect(verdicts.get('i-0000')).toEqual([{ scope: 'unrated', onset: null }]);
  });

  it('counts the voters and the instances showing each difference', () => {
    const groups = consensusGroups(fleetOf(6, [resolv]), DEFAULT_CONSENSUS_SETTINGS);
    expect(groups).toEqual([
      {
        manifestKey: 'us-east-1/ami-a',
        path: resolv.path,
        change: 'changed',
        actual: 'abc',
        peers: 6,
        showing: 6,
        scope: 'fleet-wide',
        onset: 'since-boot',
      },
    ]);
  });
});

/** A deterministic shuffle (fast-check shrinks the seed). */
function shuffle<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = seed + 1;
  for (let i = out.length - 1; i > 0; i -= 1) {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
