// The fleet view's merge: totals of the shards that answered, a silent shard's targets stale, findings pages merged in list order.
import { describe, expect, it } from 'vitest';
import {
  mergeFindingPages,
  mergeSummary,
  mergeTargets,
  type FleetMergeInput,
  type KeyedFinding,
  type ShardReport,
} from '../../src/app/fleet-view.js';

const NOW = new Date('2026-12-01T12:00:00Z');
const RECENT = '2026-12-01T11:59:00Z';
const OLD = '2026-12-01T10:00:00Z';

function report(shard: number, overrides: Partial<ShardReport> = {}): ShardReport {
  return {
    shard,
    instances: { compliant: 10 * (shard + 1), drifted: 1, unknown_image: 0, stale: 0 },
    findings: [{ rule: 'instance-type', severity: 'critical', count: shard + 1 }],
    targetScans: [],
    ...overrides,
  };
}

function input(reports: ShardReport[]): FleetMergeInput {
  return {
    shardCount: 3,
    targets: [
      { account: 'b', region: 'us-east-1', shard: 2 },
      { account: 'a', region: 'us-east-1', shard: 0 },
      { account: 'a', region: 'eu-west-1', shard: 1 },
      { account: null, region: 'eu-west-1', shard: 1 },
    ],
    reports,
    peers: [],
    now: NOW,
    staleAfterMs: 3 * 60_000,
  };
}

describe('mergeTargets', () => {
  it('marks the targets of a shard that did not answer stale, and keeps them listed', () => {
    const merged = mergeTargets(
      input([
        report(0, { targetScans: [{ account: 'a', region: 'us-east-1', scannedAt: RECENT }] }),
        report(1, { targetScans: [{ account: 'a', region: 'eu-west-1', scannedAt: RECENT }] }),
      ]),
    );
    expect(merged.items.map((t) => [t.account, t.region, t.shard, t.state, t.staleReason])).toEqual([
      [null, 'eu-west-1', 1, 'stale', 'never-scanned'],
      ['a', 'eu-west-1', 1, 'fresh', null],
      ['a', 'us-east-1', 0, 'fresh', null],
      ['b', 'us-east-1', 2, 'stale', 'shard-not-answering'],
    ]);
    expect(merged.shards.map((s) => [s.shard, s.answered, s.targets, s.staleTargets])).toEqual([
      [0, true, 1, 0],
      [1, true, 2, 1],
      [2, false, 1, 1],
    ]);
  });

  it('marks a target not listed within staleAfter stale although its shard answered', () => {
    const merged = mergeTargets(
      input([report(0, { targetScans: [{ account: 'a', region: 'us-east-1', scannedAt: OLD }] })]),
    );
    expect(merged.items.find((t) => t.account === 'a' && t.region === 'us-east-1')).toMatchObject({
      state: 'stale',
      staleReason: 'not-scanned-recently',
      lastScannedAt: OLD,
    });
  });
});

describe('mergeSummary', () => {
  it('sums the shards that answered and counts a second answer for one shard once', () => {
    const summary = mergeSummary(
      input([
        report(0),
        report(1),
        report(1, { instances: { compliant: 999, drifted: 0, unknown_image: 0, stale: 0 } }),
      ]),
    );
    expect(summary.instances).toEqual({ compliant: 30, drifted: 2, unknown_image: 0, stale: 0 });
    expect(summary.findings).toEqual({
      total: 3,
      bySeverity: { info: 0, warning: 0, critical: 3 },
      byRule: [{ rule: 'instance-type', severity: 'critical', count: 3 }],
    });
    expect(summary.shards.map((s) => s.findings)).toEqual([1, 2, null]);
    expect(summary.targets).toEqual({ total: 4, fresh: 0, stale: 4 });
  });
});

describe('mergeFindingPages', () => {
  const f = (instanceId: string, path: string, id: number): KeyedFinding => ({
    instanceId,
    path,
    change: 'changed',
    id,
  });

  it('merges pages in instance, path, change, id order and continues after the last row shown', () => {
    const merged = mergeFindingPages(
      [
        { items: [f('i-1', 'launch.a', 7), f('i-3', 'launch.a', 1)], next: null },
        { items: [f('i-2', 'launch.a', 7), f('i-2', 'launch.b', 2)], next: 'more' },
      ],
      3,
    );
    expect(merged.items.map((x) => `${x.instanceId} ${x.path}`)).toEqual([
      'i-1 launch.a',
      'i-2 launch.a',
      'i-2 launch.b',
    ]);
    expect(merged.next).toEqual(['i-2', 'launch.b', 'changed', 2]);
  });

  it('ends when every shard ended and everything fit', () => {
    expect(
      mergeFindingPages(
        [
          { items: [f('i-1', 'a', 1)], next: null },
          { items: [], next: null },
        ],
        5,
      ),
    ).toEqual({
      items: [f('i-1', 'a', 1)],
      next: null,
    });
  });
});
