// A scan's persist that runs out of space mid-transaction keeps nothing of it; a small failure row may still fit.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ScannedInstance } from '../../src/app/ports.js';
import { openStore, type Store } from '../../src/store/index.js';
import { T0, TARGET, at, finding, scanInput, scanned, useTempDir } from './fixtures.js';

const IMDS = 'launch.metadataOptions.httpTokens';
const TABLES = ['instances', 'findings', 'scans', 'target_scans'] as const;

/** `n` instances, every third drifted, with ids that sort after the first scan's. */
function fleet(n: number, prefix: string): ScannedInstance[] {
  return Array.from({ length: n }, (_, i) => {
    const id = `i-${prefix}${String(i).padStart(6, '0')}`;
    return scanned(id, i % 3 === 0 ? [finding(id, IMDS)] : [], {
      observation: { tags: { role: `web-${i}` } },
    });
  });
}

describe('a persist that runs out of space', () => {
  const tmp = useTempDir();
  let store: Store;
  beforeEach(() => {
    store = openStore(tmp.dbPath(), { now: () => new Date(T0) });
  });
  afterEach(() => store.close());

  /** Every row of the scan's tables, so "nothing changed" compares contents, not just counts. */
  function rows(): Record<string, unknown[]> {
    return Object.fromEntries(
      TABLES.map((table) => [table, store.db.prepare(`SELECT * FROM ${table} ORDER BY rowid`).all()]),
    );
  }

  /** Caps the database at its current size plus `spare` pages, as a full disk would. */
  function fillDisk(spare: number): void {
    const pages = store.db.pragma('page_count', { simple: true }) as number;
    store.db.pragma(`max_page_count = ${pages + spare}`);
  }

  it('fails with SQLITE_FULL and leaves every row of the previous scan as it was', () => {
    store.fleet.persistScan(scanInput('s1', 1, fleet(50, 'a')));
    const before = rows();
    fillDisk(0);

    // Instances are written in chunks of 2,000, so the first chunk's rows were written when it failed.
    let failure: unknown;
    try {
      store.fleet.persistScan(scanInput('s2', 2, [...fleet(40, 'a'), ...fleet(3_000, 'b')]));
    } catch (error) {
      failure = error;
    }
    expect(failure).toMatchObject({ code: 'SQLITE_FULL' });
    expect(store.db.inTransaction).toBe(false);
    expect(rows()).toEqual(before);
    expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok');
  });

  it('records the scan as failed when one small row still fits, with the counts as stored', () => {
    store.fleet.persistScan(scanInput('s1', 1, fleet(30, 'a')));
    fillDisk(2);
    expect(() => store.fleet.persistScan(scanInput('s2', 2, fleet(3_000, 'b')))).toThrow(/full/);

    const record = store.fleet.recordFailedScan({
      scanId: 's2',
      startedAt: at(1.5),
      finishedAt: at(2),
      targets: [
        { ...TARGET, status: 'stale', error: 'results not saved: SqliteError: database or disk is full' },
      ],
    });
    expect(record).toMatchObject({
      scanId: 's2',
      outcome: 'failure',
      instances: { total: 30, drifted: 10, compliant: 20 },
      findings: 10,
    });
    expect(store.fleet.listScans(2).map((s) => [s.scanId, s.outcome])).toEqual([
      ['s2', 'failure'],
      ['s1', 'success'],
    ]);
    expect(store.fleet.listInstances().map((i) => i.instanceId)).not.toContain('i-b000000');
  });

  it('persists the next scan once space returns', () => {
    store.fleet.persistScan(scanInput('s1', 1, fleet(10, 'a')));
    fillDisk(0);
    expect(() => store.fleet.persistScan(scanInput('s2', 2, fleet(3_000, 'b')))).toThrow(/full/);
    store.db.pragma('max_page_count = 1073741823');

    const record = store.fleet.persistScan(scanInput('s3', 3, fleet(3_000, 'b')));
    expect(record).toMatchObject({ outcome: 'success', instances: { total: 3_000 } });
    expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok');
  });
});
