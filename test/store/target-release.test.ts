// Releasing the rows of targets a replica no longer owns, against a real database file: they leave its fleet as released, never an owned target's.
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PersistScanInput, RetentionPolicy, ScannedInstance } from '../../src/app/ports.js';
import { openDatabase } from '../../src/store/database.js';
import { defaultMigrationsDir } from '../../src/store/migration-files.js';
import { migrate } from '../../src/store/migrations.js';
import { openStore, type Store } from '../../src/store/index.js';
import { T0, TARGET, at, finding, scanned, useTempDir } from './fixtures.js';

const EU = { account: '123456789012', region: 'eu-west-1' } as const;
/** A target on the default credentials: account null. */
const DEFAULT = { account: null, region: 'ap-south-1' } as const;
const HTTP_TOKENS = 'launch.metadataOptions.httpTokens';
const DAY = 24 * 60 * 60 * 1000;

function inTarget(
  target: { account: string | null; region: string },
  instanceId: string,
  drifts: boolean,
): ScannedInstance {
  return scanned(instanceId, drifts ? [finding(instanceId, HTTP_TOKENS)] : [], {
    observation: { account: target.account, region: target.region },
  });
}

/** A successful scan of `targets` finishing `minutes` after T0. */
function scanOf(
  scanId: string,
  minutes: number,
  targets: readonly { account: string | null; region: string }[],
  items: ScannedInstance[],
): PersistScanInput {
  return {
    scanId,
    startedAt: at(minutes - 1),
    finishedAt: at(minutes),
    outcome: 'success',
    targets: targets.map((t) => ({ ...t, status: 'ok', error: null })),
    scanned: items,
    staleTargets: [],
    acceptances: [],
  };
}

describe('releasing targets this replica does not own (SQLite)', () => {
  const tmp = useTempDir();
  let store: Store;
  beforeEach(() => {
    store = openStore(tmp.dbPath(), { now: () => new Date(T0) });
    // us-east-1: i-a drifts, i-b is clean; eu-west-1: i-c drifts, i-d is clean; default credentials: i-e drifts.
    store.fleet.persistScan(
      scanOf(
        's0',
        0,
        [TARGET, EU, DEFAULT],
        [
          inTarget(TARGET, 'i-a', true),
          inTarget(TARGET, 'i-b', false),
          inTarget(EU, 'i-c', true),
          inTarget(EU, 'i-d', false),
          inTarget(DEFAULT, 'i-e', true),
        ],
      ),
    );
  });
  afterEach(() => store.close());

  it('takes a target’s instances out of the fleet as released and resolves their open findings as released', () => {
    const released = store.fleet.releaseUnowned([TARGET, DEFAULT], at(10));

    expect(released).toEqual([{ account: '123456789012', region: 'eu-west-1', instances: 2, findings: 1 }]);
    expect(store.fleet.listInstances().map((i) => i.instanceId)).toEqual(['i-a', 'i-b', 'i-e']);
    expect(store.fleet.countInstances({})).toBe(3);
    // Its last sighting stays that of its target's last scan here; it is released, not gone.
    expect(store.fleet.getInstance('i-c')).toMatchObject({
      present: false,
      releasedAt: at(10),
      lastSeen: at(0),
      lastScanId: 's0',
    });
    expect(store.fleet.listFindings().map((f) => f.instanceId)).toEqual(['i-a', 'i-e']);
    expect(store.fleet.listFindings({ instanceId: 'i-c', includeResolved: true })).toMatchObject([
      { resolvedAt: at(10), resolvedReason: 'released', lastSeen: at(0) },
    ]);
    const snapshot = store.fleet.snapshot(100);
    expect(snapshot.instancesByStatus).toEqual({ compliant: 1, drifted: 2, unknown_image: 0, stale: 0 });
    expect(snapshot.findingsByRuleSeverity).toEqual([
      { rule: 'imds-downgrade', severity: 'critical', scope: 'unrated', count: 2 },
    ]);
    expect(snapshot.driftedInstances.map((d) => d.instanceId)).toEqual(['i-a', 'i-e']);
  });

  it('releases nothing of an owned target, the default credentials’ included, and nothing twice', () => {
    const before = store.fleet.listInstances();
    const findingsBefore = store.fleet.listFindings();

    expect(store.fleet.releaseUnowned([DEFAULT, EU, TARGET], at(10))).toEqual([]);
    expect(store.fleet.listInstances()).toEqual(before);
    expect(store.fleet.listFindings()).toEqual(findingsBefore);
    for (const i of before) expect(i.releasedAt).toBeNull();

    // Unowned once: released once, then nothing is left to release.
    expect(store.fleet.releaseUnowned([TARGET], at(10))).toEqual([
      { account: null, region: 'ap-south-1', instances: 1, findings: 1 },
      { account: '123456789012', region: 'eu-west-1', instances: 2, findings: 1 },
    ]);
    expect(store.fleet.releaseUnowned([TARGET], at(20))).toEqual([]);
    expect(store.fleet.listInstances().map((i) => i.instanceId)).toEqual(['i-a', 'i-b']);
    expect(store.fleet.listFindings().map((f) => f.instanceId)).toEqual(['i-a']);
  });

  it('keeps a gone instance and a fixed finding apart from released ones', () => {
    // i-b leaves AWS and i-a is fixed: resolved by the scan, without a reason.
    store.fleet.persistScan(scanOf('s1', 5, [TARGET], [inTarget(TARGET, 'i-a', false)]));
    store.fleet.releaseUnowned([TARGET], at(10));

    expect(store.fleet.getInstance('i-b')).toMatchObject({ present: false, releasedAt: null });
    expect(store.fleet.listFindings({ instanceId: 'i-a', includeResolved: true })).toMatchObject([
      { resolvedAt: at(5), resolvedReason: null },
    ]);
    expect(store.fleet.getInstance('i-c')).toMatchObject({ present: false, releasedAt: at(10) });
  });

  it('takes a target back in afresh when it is owned and listed again', () => {
    store.fleet.releaseUnowned([TARGET, DEFAULT], at(10));
    store.fleet.persistScan(
      scanOf('s1', 20, [TARGET, EU, DEFAULT], [inTarget(EU, 'i-c', true), inTarget(EU, 'i-d', false)]),
    );

    expect(store.fleet.getInstance('i-c')).toMatchObject({ present: true, releasedAt: null });
    const findings = store.fleet.listFindings({ instanceId: 'i-c', includeResolved: true });
    expect(findings.map((f) => [f.resolvedReason, f.resolvedAt, f.firstSeen])).toEqual([
      ['released', at(10), at(0)],
      [null, null, at(20)],
    ]);
  });

  it('lets released instances age out like gone ones', async () => {
    store.fleet.releaseUnowned([TARGET, DEFAULT], at(10));
    const policy: RetentionPolicy = {
      goneInstancesMs: 90 * DAY,
      resolvedFindingsMs: 90 * DAY,
      scansMs: 30 * DAY,
      hostObservationsMs: 30 * DAY,
      auditMs: 365 * DAY,
    };
    const prune = (days: number) =>
      store.retention.prune(policy, {
        now: new Date(Date.parse(T0) + days * DAY),
        pause: () => Promise.resolve(),
      });

    expect((await prune(89)).instances).toBe(0);
    expect(store.fleet.getInstance('i-c')).not.toBeNull();
    expect((await prune(91)).instances).toBe(2);
    expect(store.fleet.getInstance('i-c')).toBeNull();
    expect(store.fleet.getInstance('i-d')).toBeNull();
    // Owned instances stay, present or not.
    expect(store.fleet.listInstances().map((i) => i.instanceId)).toEqual(['i-a', 'i-b', 'i-e']);
  });
});

describe('migration 0012_released', () => {
  const tmp = useTempDir();

  it('upgrades a database at version 11: its rows are neither released nor resolved as released, and can be', () => {
    const dir = join(tmp.dir(), 'migrations-v11');
    mkdirSync(dir);
    for (const file of readdirSync(defaultMigrationsDir()).filter((f) => f < '0012'))
      copyFileSync(join(defaultMigrationsDir(), file), join(dir, file));
    const db = openDatabase(tmp.dbPath());
    try {
      migrate(db, { now: () => new Date(T0), directory: dir });
      db.exec(
        `INSERT INTO instances (instance_id, account, region, image_id, grp, status, present, observation, first_seen,
                                last_seen, last_scan_id)
         VALUES ('i-1', NULL, 'eu-west-1', 'ami-1', NULL, 'drifted', 1, '{}', '${T0}', '${T0}', 's0')`,
      );
      db.exec(`INSERT INTO findings (instance_id, image_id, path, change, rule, severity, action, expected, actual,
               first_seen, last_seen) VALUES ('i-1', 'ami-1', 'p', 'added', 'r', 'info', 'report', 'null', 'null', '${T0}', '${T0}')`);
    } finally {
      db.close();
    }

    const store = openStore(tmp.dbPath(), { now: () => new Date(T0) });
    try {
      expect(store.migrationsApplied).toEqual([
        '0012_released',
        '0013_cause',
        '0014_launch_time',
        '0015_status_counts',
      ]);
      expect(store.fleet.getInstance('i-1')).toMatchObject({ present: true, releasedAt: null });
      expect(store.fleet.listFindings()).toMatchObject([{ resolvedAt: null, resolvedReason: null }]);
      expect(store.fleet.releaseUnowned([], at(10))).toEqual([
        { account: null, region: 'eu-west-1', instances: 1, findings: 1 },
      ]);
      expect(store.fleet.getInstance('i-1')).toMatchObject({ present: false, releasedAt: at(10) });
      // Only 'released' is a reason.
      expect(() => store.db.exec("UPDATE findings SET resolved_reason = 'fixed'")).toThrow(/CHECK/);
    } finally {
      store.close();
    }
  });
});
