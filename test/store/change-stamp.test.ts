// The overview's aggregates are read once per database change: a commit on another connection (the
// scan thread) or on this one shows at the next page view; views in between read no rows.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/index.js';
import { countRowsRead, type RowsRead } from '../support/rows-read.js';
import { T0, finding, scanInput, scanned } from './fixtures.js';

let dir: string;
let rowsRead: RowsRead;
let reader: Store;
let writer: Store;

beforeAll(() => {
  rowsRead = countRowsRead();
  dir = mkdtempSync(join(tmpdir(), 'dw-change-stamp-'));
  const path = join(dir, 'dw.db');
  writer = openStore(path, { now: () => new Date(T0) });
  reader = openStore(path, { now: () => new Date(T0) });
});
afterAll(() => {
  reader.close();
  writer.close();
  rowsRead.restore();
  rmSync(dir, { recursive: true, force: true });
});

const drifted = (store: Store): number =>
  store.views
    .statusCounts()
    .filter((c) => c.status === 'drifted')
    .reduce((n, c) => n + c.count, 0);

it('answers repeated views from memory and sees another connection’s commit at once', () => {
  writer.fleet.persistScan(
    scanInput('scan-1', 1, [scanned('i-1', [finding('i-1', 'launch.instanceType')]), scanned('i-2')]),
  );
  expect(drifted(reader)).toBe(1);
  const query = { sort: 'severity' as const };
  const page = { limit: 10 };
  expect(reader.views.listDrifted(query, page).total).toBe(1);
  expect(reader.views.driftFacets().rules).toEqual(['imds-downgrade']);

  rowsRead.reset();
  expect(drifted(reader)).toBe(1);
  expect(reader.views.listDrifted(query, page).total).toBe(1);
  expect(reader.views.driftFacets().rules).toEqual(['imds-downgrade']);
  // Only the change stamp is read (two one-row statements per view), never the fleet's tables.
  expect(rowsRead.bySql().filter((s) => !/data_version|total_changes/.test(s.sql))).toEqual([]);

  writer.fleet.persistScan(
    scanInput('scan-2', 2, [
      scanned('i-1', [finding('i-1', 'launch.instanceType')]),
      scanned('i-2', [finding('i-2', 'launch.instanceType')]),
    ]),
  );
  expect(drifted(reader)).toBe(2);
  expect(reader.views.listDrifted(query, page).total).toBe(2);
});

it('sees its own connection’s writes too', () => {
  reader.fleet.persistScan(scanInput('scan-3', 3, [scanned('i-1'), scanned('i-2')]));
  expect(drifted(reader)).toBe(0);
  expect(reader.views.listDrifted({ sort: 'severity' }, { limit: 10 }).total).toBe(0);
});

it('keeps each page of the drifted table on its own until the next commit', () => {
  writer.fleet.persistScan(
    scanInput('scan-4', 4, [
      scanned('i-1', [finding('i-1', 'launch.instanceType')]),
      scanned('i-2', [finding('i-2', 'launch.instanceType')]),
    ]),
  );
  const query = { sort: 'instance' as const };
  const first = reader.views.listDrifted(query, { limit: 1 });
  const after = first.next ?? undefined;
  expect(after).toBeDefined();
  const second = reader.views.listDrifted(query, { limit: 1, ...(after ? { after } : {}) });
  expect([...first.items, ...second.items].map((d) => d.instanceId)).toEqual(['i-1', 'i-2']);

  rowsRead.reset();
  expect(reader.views.listDrifted(query, { limit: 1 })).toEqual(first);
  expect(reader.views.listDrifted(query, { limit: 1, ...(after ? { after } : {}) })).toEqual(second);
  expect(rowsRead.bySql().filter((s) => !/data_version|total_changes/.test(s.sql))).toEqual([]);
});
