// The web UI's read models on a real SQLite file: counts by place and state, the drifted table, the scans' trend.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DRIFTED_SORT_KEYS, type DriftedKey } from '../../src/app/ports.js';
import { openStore, type Store } from '../../src/store/index.js';
import { trendWindow } from '../../src/http/ui/trend-chart.js';
import { persistDayOfScans, persistScanWithCounts } from '../support/trend-scans.js';
import { T0, finding, scanInput, scanned, useTempDir } from './fixtures.js';

const IMDS = 'launch.metadataOptions.httpTokens';
const TAG = 'launch.tags.role';

describe('FleetViews (SQLite)', () => {
  const tmp = useTempDir();
  let store: Store;
  beforeEach(() => {
    store = openStore(tmp.dbPath(), { now: () => new Date(T0) });
    // Three drifted instances whose drift starts at minutes 1, 2 and 3, and two compliant ones.
    const tagDrift = (id: string) =>
      finding(id, TAG, { rule: 'required-tags', severity: 'info', action: 'report' });
    const a1 = scanned('i-a1', [tagDrift('i-a1')], { group: 'api' });
    const b2 = scanned('i-b2', [finding('i-b2', IMDS)]);
    const c3 = scanned('i_c3', [
      tagDrift('i_c3'),
      finding('i_c3', 'launch.instanceType', { rule: 'instance-type', severity: 'warning' }),
    ]);
    const compliant = [
      scanned('i-ok1'),
      scanned('i-ok2', [], { group: null, observation: { imageId: 'ami-2' } }),
    ];
    store.fleet.persistScan(scanInput('s1', 1, [a1, ...compliant]));
    store.fleet.persistScan(scanInput('s2', 2, [a1, b2, ...compliant]));
    store.fleet.persistScan(scanInput('s3', 3, [a1, b2, c3, ...compliant]));
  });
  afterEach(() => store.close());

  const ids = (items: { instanceId: string }[]) => items.map((i) => i.instanceId);
  const FIRST_PAGE = { limit: 100 };

  it('counts instances in the fleet by account, region, group and status', () => {
    expect(store.views.statusCounts()).toEqual([
      { account: '123456789012', region: 'us-east-1', group: null, status: 'compliant', count: 1 },
      { account: '123456789012', region: 'us-east-1', group: 'api', status: 'drifted', count: 1 },
      { account: '123456789012', region: 'us-east-1', group: 'web', status: 'compliant', count: 1 },
      { account: '123456789012', region: 'us-east-1', group: 'web', status: 'drifted', count: 2 },
    ]);
    expect(store.views.instancesPerImage(['ami-1', 'ami-2', 'ami-none'])).toEqual(
      new Map([
        ['ami-1', 4],
        ['ami-2', 1],
      ]),
    );
  });

  it('lists drifted instances worst first with their rules, finding count and earliest first seen', () => {
    const { items, total } = store.views.listDrifted({}, FIRST_PAGE);
    expect(total).toBe(3);
    expect(items).toEqual([
      expect.objectContaining({
        instanceId: 'i-b2',
        severity: 'critical',
        rules: ['imds-downgrade'],
        findings: 1,
      }),
      expect.objectContaining({
        instanceId: 'i_c3',
        severity: 'warning',
        rules: ['instance-type', 'required-tags'],
        findings: 2,
      }),
      expect.objectContaining({ instanceId: 'i-a1', severity: 'info', group: 'api' }),
    ]);
    expect(items[2]?.firstSeen).toBe('2026-11-20T10:01:00.000Z');
  });

  it('sorts by age oldest first by default, and by any column either way', () => {
    expect(ids(store.views.listDrifted({ sort: 'age' }, FIRST_PAGE).items)).toEqual(['i-a1', 'i-b2', 'i_c3']);
    expect(ids(store.views.listDrifted({ sort: 'age', descending: false }, FIRST_PAGE).items)).toEqual([
      'i_c3',
      'i-b2',
      'i-a1',
    ]);
    expect(ids(store.views.listDrifted({ sort: 'instance' }, FIRST_PAGE).items)).toEqual([
      'i-a1',
      'i-b2',
      'i_c3',
    ]);
    expect(ids(store.views.listDrifted({ sort: 'instance', descending: true }, FIRST_PAGE).items)).toEqual([
      'i_c3',
      'i-b2',
      'i-a1',
    ]);
    expect(ids(store.views.listDrifted({ sort: 'group' }, FIRST_PAGE).items)).toEqual([
      'i-a1',
      'i-b2',
      'i_c3',
    ]);
  });

  it('filters by severity or rule (any open finding), group and a literal instance id prefix', () => {
    expect(ids(store.views.listDrifted({ severity: 'info' }, FIRST_PAGE).items)).toEqual(['i_c3', 'i-a1']);
    expect(ids(store.views.listDrifted({ rule: 'imds-downgrade' }, FIRST_PAGE).items)).toEqual(['i-b2']);
    expect(ids(store.views.listDrifted({ group: 'api' }, FIRST_PAGE).items)).toEqual(['i-a1']);
    // `_` is literal, not LIKE's single-character wildcard.
    expect(ids(store.views.listDrifted({ instance: 'i_' }, FIRST_PAGE).items)).toEqual(['i_c3']);
    expect(store.views.listDrifted({ instance: 'i%' }, FIRST_PAGE).total).toBe(0);
  });

  it('pages with a total that counts every match', () => {
    const first = store.views.listDrifted({ sort: 'instance' }, { limit: 2 });
    expect(ids(first.items)).toEqual(['i-a1', 'i-b2']);
    expect(first.next).toEqual(['instance', 'i-b2', expect.any(String), 'i-b2']);
    const second = store.views.listDrifted(
      { sort: 'instance' },
      { limit: 2, after: first.next ?? undefined },
    );
    expect(ids(second.items)).toEqual(['i_c3']);
    expect(second.next).toBeNull();
    expect(second.total).toBe(3);
  });

  it.each(
    DRIFTED_SORT_KEYS.flatMap((sort) => [false, true].map((descending) => [sort, descending] as const)),
  )(
    'pages sorted by %s (descending: %s): every row once, in the order of the whole list',
    (sort, descending) => {
      const whole = ids(store.views.listDrifted({ sort, descending }, FIRST_PAGE).items);
      const paged: string[] = [];
      let after: DriftedKey | undefined;
      do {
        const page = store.views.listDrifted({ sort, descending }, { limit: 1, ...(after ? { after } : {}) });
        paged.push(...ids(page.items));
        after = page.next ?? undefined;
      } while (after !== undefined);
      expect(paged).toEqual(whole);
    },
  );

  it('offers the regions, groups and rules there are to filter on', () => {
    expect(store.views.driftFacets()).toEqual({
      regions: ['us-east-1'],
      groups: ['api', 'web'],
      rules: ['imds-downgrade', 'instance-type', 'required-tags'],
    });
  });
});

describe('FleetViews.trend (SQLite)', () => {
  const tmp = useTempDir();
  let store: Store;
  // Not a round multiple of T0: scans exactly on bucket boundaries, at any time of day.
  const now = new Date('2026-11-21T16:00:00.000Z');
  beforeEach(() => {
    store = openStore(tmp.dbPath(), { now: () => now });
  });
  afterEach(() => store.close());

  it('keeps one scan per quarter hour, also one finished exactly on a boundary', () => {
    persistDayOfScans(store, now);
    const points = store.views.trend(trendWindow(now));
    expect(points).toHaveLength(96);
    expect(points[0]?.at).toBe(new Date(now.getTime() - 95 * 900_000).toISOString());
    expect(points.at(-1)).toEqual({ at: now.toISOString(), drifted: 1, stale: 0, unknownImage: 2 });
  });

  it('reads only the window: a scan at its start or after its end is left out', () => {
    const window = trendWindow(now);
    const counts = { drifted: 1, stale: 0, unknownImage: 0 };
    for (const [scanId, finishedAt] of [
      ['at-start', window.since],
      ['inside', new Date(now.getTime() - 60_000)],
      ['after', new Date(now.getTime() + 60_000)],
    ] as const)
      persistScanWithCounts(store, { scanId, finishedAt: finishedAt.toISOString(), fleetSize: 2 }, counts);
    expect(store.views.trend(window).map((p) => p.at)).toEqual([
      new Date(now.getTime() - 60_000).toISOString(),
    ]);
  });
});
