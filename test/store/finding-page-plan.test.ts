// A page of findings walks the findings index, whatever SQLite's statistics say. Analysed while
// the fleet had no findings (the daemon analyses on close), SQLite took the findings table for a
// large one and walked every instance instead, then sorted: a page cost a pass over the fleet.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/index.js';
import { countRowsRead, type RowsRead } from '../support/rows-read.js';
import { at, finding, scanInput, scanned } from './fixtures.js';

const INSTANCES = 4_000;
const DRIFTED_EVERY = 100;
let dir: string;
let rowsRead: RowsRead;
let store: Store;

beforeAll(() => {
  rowsRead = countRowsRead();
  dir = mkdtempSync(join(tmpdir(), 'dw-finding-plan-'));
  store = openStore(join(dir, 'dw.db'), { now: () => new Date(at(10)) });
  const fleet = (drift: boolean) =>
    Array.from({ length: INSTANCES }, (_, i) => {
      const id = `i-${i.toString(16).padStart(12, '0')}`;
      const drifted = drift && i % DRIFTED_EVERY === 0;
      return scanned(
        id,
        drifted ? [finding(id, 'launch.instanceType'), finding(id, 'launch.tags.role')] : [],
      );
    });
  store.fleet.persistScan(scanInput('scan-1', 1, fleet(false)));
  // Statistics of a compliant fleet: many instances, no findings.
  store.db.exec('ANALYZE');
  store.fleet.persistScan(scanInput('scan-2', 2, fleet(true)));
  store.fleet.persistScan(scanInput('scan-3', 3, fleet(true).slice(1)));
});
afterAll(() => {
  store?.close();
  rowsRead?.restore();
  rmSync(dir, { recursive: true, force: true });
});

it.each([{}, { includeResolved: true }, { severity: 'critical' as const }])(
  'pages %o in index order, looking instances up per finding',
  (filter) => {
    rowsRead.reset();
    const first = store.fleet.pageFindings(filter, { limit: 10 });
    expect(first.items).toHaveLength(10);
    if (first.next) store.fleet.pageFindings(filter, { limit: 10, after: first.next });
    const plans = rowsRead.plans().filter(({ sql }) => /\bLIMIT\b/.test(sql));
    expect(plans.length).toBeGreaterThan(0);
    for (const { plan } of plans) {
      expect(plan.join('\n')).not.toContain('TEMP B-TREE');
      expect(plan[0], plan.join('\n')).toMatch(/^(SCAN|SEARCH) f\b/);
    }
  },
);
