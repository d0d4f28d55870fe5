// Retention against a real database file: what is past its retention goes, what is kept stays, and a
// long run of scans keeps the database's size bounded.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RetentionPolicy } from '../../src/app/ports.js';
import { openStore, type Store } from '../../src/store/index.js';
import { T0, finding, plannedJob, scanInput, scanned, useTempDir } from './fixtures.js';

const DAY = 24 * 60 * 60 * 1000;

/** `days` after T0, as the ISO string the store keeps. */
function day(days: number): string {
  return new Date(Date.parse(T0) + days * DAY).toISOString();
}

const POLICY: RetentionPolicy = {
  goneInstancesMs: 90 * DAY,
  resolvedFindingsMs: 90 * DAY,
  scansMs: 30 * DAY,
  hostObservationsMs: 30 * DAY,
  auditMs: 365 * DAY,
};

function count(store: Store, table: string): number {
  const row = store.db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM ${table}`).get();
  return row?.n ?? 0;
}

describe('retention (SQLite)', () => {
  const tmp = useTempDir();
  let store: Store;
  beforeEach(() => {
    store = openStore(tmp.dbPath(), { now: () => new Date(T0) });
  });
  afterEach(() => store.close());

  it('prunes rows older than their retention and keeps newer ones and open findings', async () => {
    const httpTokens = 'launch.metadataOptions.httpTokens';
    const withScanTime = (
      input: ReturnType<typeof scanInput>,
      days: number,
    ): ReturnType<typeof scanInput> => ({
      ...input,
      startedAt: day(days),
      finishedAt: day(days),
    });
    // Day 0: i-open and i-fixed drift, i-gone is listed. Day 1: i-fixed is fixed, i-gone is gone.
    store.fleet.persistScan(
      withScanTime(
        scanInput('s0', 0, [
          scanned('i-open', [finding('i-open', httpTokens)]),
          scanned('i-fixed', [finding('i-fixed', httpTokens)]),
          scanned('i-gone'),
        ]),
        0,
      ),
    );
    store.fleet.persistScan(
      withScanTime(
        scanInput('s1', 0, [scanned('i-open', [finding('i-open', httpTokens)]), scanned('i-fixed')]),
        1,
      ),
    );
    // Day 100 (past the scan retention at day 151) and 150; i-recent is fixed on day 150.
    store.fleet.persistScan(
      withScanTime(
        scanInput('s100', 0, [
          scanned('i-open', [finding('i-open', httpTokens)]),
          scanned('i-fixed'),
          scanned('i-recent', [finding('i-recent', httpTokens)]),
        ]),
        100,
      ),
    );
    store.fleet.persistScan(
      withScanTime(
        scanInput('s150', 0, [
          scanned('i-open', [finding('i-open', httpTokens)]),
          scanned('i-fixed'),
          scanned('i-recent'),
        ]),
        150,
      ),
    );
    const host = (instanceId: string, days: number) =>
      store.hosts.save(
        { instanceId, source: 'agent', observedAt: day(days), host: { packages: { openssl: '3' } } },
        day(days),
      );
    host('i-open', 0); // still in the fleet: kept however old
    host('i-gone', 0); // gone: pruned
    host('i-unknown', 140); // never listed, but recent: kept
    store.audit.append({ actor: 'driftwarden', action: 'old.entry' }, day(0));
    store.audit.append({ actor: 'driftwarden', action: 'recent.entry' }, day(150));
    store.jobs.create(plannedJob('job-open', 'i-job'), day(0), {
      actor: 'driftwarden',
      action: 'job.planned',
    });

    const counts = await store.retention.prune(
      { ...POLICY, auditMs: 100 * DAY },
      { now: new Date(day(151)) },
    );

    expect(counts).toEqual({ instances: 1, findings: 1, scans: 3, host_observations: 1, audit_log: 1 });
    const findings = store.fleet.listFindings({ includeResolved: true });
    expect(findings.map((f) => [f.instanceId, f.resolvedAt === null ? 'open' : 'resolved']).sort()).toEqual([
      ['i-open', 'open'],
      ['i-recent', 'resolved'],
    ]);
    expect(store.fleet.listScans().map((s) => s.scanId)).toEqual(['s150']);
    expect(store.fleet.getInstance('i-gone')).toBeNull();
    expect(store.fleet.getInstance('i-fixed')).not.toBeNull();
    expect(store.hosts.latest('i-gone')).toBeNull();
    expect(store.hosts.latest('i-open')).not.toBeNull();
    expect(store.hosts.latest('i-unknown')).not.toBeNull();
    // The open job's entry is kept although older than the audit retention.
    expect(store.audit.list().map((e) => e.action)).toEqual(['recent.entry', 'job.planned']);
  });

  it('keeps the audit log append-only outside retention', () => {
    store.audit.append({ actor: 'driftwarden', action: 'old.entry' }, day(0));
    expect(() => store.db.prepare('DELETE FROM audit_log').run()).toThrow(/append-only/);
    expect(count(store, 'audit_log')).toBe(1);
  });

  it('deletes in batches of the given size, pausing before each', async () => {
    for (let i = 0; i < 25; i++) store.audit.append({ actor: 'driftwarden', action: `entry.${i}` }, day(0));
    let pauses = 0;
    const counts = await store.retention.prune(
      { ...POLICY, auditMs: DAY },
      { now: new Date(day(10)), batchSize: 10, pause: () => Promise.resolve(pauses++) },
    );
    expect(counts.audit_log).toBe(25);
    // One before each batch: one per table with nothing to prune, three for the audit log's 25 rows.
    expect(pauses).toBe(4 + 3);
    expect(count(store, 'audit_log')).toBe(0);
  });

  it('keeps row counts and the file size bounded over a long run of scans', async () => {
    // 400 scans six hours apart (100 days); each lists 30 instances, 5 replaced per scan, every
    // third drifting; agents push fingerprints; each scan writes audit entries.
    const policy: RetentionPolicy = {
      goneInstancesMs: 5 * DAY,
      resolvedFindingsMs: 5 * DAY,
      scansMs: 3 * DAY,
      hostObservationsMs: 3 * DAY,
      auditMs: 10 * DAY,
    };
    const pageCount = (): number => Number(store.db.pragma('page_count', { simple: true }));
    const sizes: number[] = [];
    const rows: Record<string, number>[] = [];
    for (let n = 0; n < 400; n++) {
      const days = n / 4;
      const items = Array.from({ length: 30 }, (_, k) => {
        const id = `i-${String(n * 5 + k).padStart(6, '0')}`;
        const drifting = (n + k) % 3 === 0;
        return scanned(id, drifting ? [finding(id, 'launch.metadataOptions.httpTokens')] : []);
      });
      store.fleet.persistScan({
        ...scanInput(`s${n}`, 0, items),
        startedAt: day(days),
        finishedAt: day(days),
      });
      for (const item of items.slice(0, 5))
        store.hosts.save(
          {
            instanceId: item.observation.instanceId,
            source: 'agent',
            observedAt: day(days),
            host: { packages: { openssl: `3.0.${n}` } },
          },
          day(days),
        );
      for (let a = 0; a < 5; a++)
        store.audit.append({ actor: 'driftwarden', action: `tick.${a}` }, day(days));
      await store.retention.prune(policy, { now: new Date(day(days)) });
      if (n % 100 === 99) {
        sizes.push(pageCount());
        rows.push(
          Object.fromEntries(
            ['instances', 'findings', 'scans', 'host_observations', 'audit_log'].map((t) => [
              t,
              count(store, t),
            ]),
          ),
        );
      }
    }
    // Scans: 3 days at 4 a day, plus the one at the cutoff. Audit: 10 days at 20 a day.
    const last = rows[rows.length - 1];
    expect(last?.scans).toBeLessThanOrEqual(3 * 4 + 1);
    expect(last?.audit_log).toBeLessThanOrEqual(10 * 20 + 5);
    // From the second quarter on (retention windows all full), nothing grows.
    for (const table of Object.keys(rows[1] ?? {}))
      expect(rows.slice(2).every((r) => (r[table] ?? 0) <= (rows[1]?.[table] ?? 0) * 1.05)).toBe(true);
    expect(Math.max(...sizes.slice(2))).toBeLessThanOrEqual((sizes[1] ?? 0) * 1.1);
  });
});
