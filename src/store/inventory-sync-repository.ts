// SQLite-backed InventorySyncRepository: per-target cursor and item capture times of the Config inventory sync.
import type {
  InventoryItemState,
  InventorySyncRepository,
  InventoryTargetKey,
} from '../app/inventory-source.js';
import type { Database } from './database.js';
import { toIsoUtc } from './timestamps.js';

interface ItemRow {
  resource_id: string;
  capture_time: string;
  fetched: 0 | 1;
}

/** A target without an explicit account is stored under '' (NULL would defeat the primary key). */
const accountKey = (target: InventoryTargetKey): string => target.account ?? '';

export function createInventorySyncRepository(db: Database): InventorySyncRepository {
  const selectCursor = db.prepare<[string, string], { capture_cursor: string }>(
    'SELECT capture_cursor FROM config_inventory_cursors WHERE account = ? AND region = ?',
  );
  const upsertCursor = db.prepare<[{ account: string; region: string; cursor: string; syncedAt: string }]>(
    `INSERT INTO config_inventory_cursors (account, region, capture_cursor, synced_at)
     VALUES (@account, @region, @cursor, @syncedAt)
     ON CONFLICT (account, region) DO UPDATE SET
       capture_cursor = max(capture_cursor, excluded.capture_cursor), synced_at = excluded.synced_at`,
  );
  const selectItems = db.prepare<[string, string], ItemRow>(
    `SELECT resource_id, capture_time, fetched FROM config_inventory_items
     WHERE account = ? AND region = ?`,
  );
  const upsertItem = db.prepare<
    [{ account: string; region: string; resourceId: string; captureTime: string; fetched: 0 | 1 }]
  >(
    `INSERT INTO config_inventory_items (account, region, resource_id, capture_time, fetched)
     VALUES (@account, @region, @resourceId, @captureTime, @fetched)
     ON CONFLICT (account, region, resource_id) DO UPDATE SET
       capture_time = excluded.capture_time, fetched = excluded.fetched`,
  );
  const recordAll = db.transaction(
    (target: InventoryTargetKey, items: readonly ({ resourceId: string } & InventoryItemState)[]) => {
      for (const item of items)
        upsertItem.run({
          account: accountKey(target),
          region: target.region,
          resourceId: item.resourceId,
          captureTime: toIsoUtc(item.captureTime, 'captureTime'),
          fetched: item.fetched ? 1 : 0,
        });
    },
  );

  const selectReconciled = db.prepare<[string, string], { reconciled_at: string | null }>(
    'SELECT reconciled_at FROM config_inventory_cursors WHERE account = ? AND region = ?',
  );
  const deleteItem = db.prepare<[string, string, string]>(
    'DELETE FROM config_inventory_items WHERE account = ? AND region = ? AND resource_id = ?',
  );
  const setReconciled = db.prepare<[{ account: string; region: string; at: string }]>(
    `INSERT INTO config_inventory_cursors (account, region, capture_cursor, synced_at, reconciled_at)
     VALUES (@account, @region, '', @at, @at)
     ON CONFLICT (account, region) DO UPDATE SET reconciled_at = excluded.reconciled_at`,
  );
  const reconcileAll = db.transaction(
    (target: InventoryTargetKey, present: ReadonlySet<string>, at: string) => {
      for (const row of selectItems.all(accountKey(target), target.region)) {
        if (!present.has(row.resource_id)) deleteItem.run(accountKey(target), target.region, row.resource_id);
      }
      setReconciled.run({
        account: accountKey(target),
        region: target.region,
        at: toIsoUtc(at, 'reconciledAt'),
      });
    },
  );

  return {
    reconciledAt(target) {
      return selectReconciled.get(accountKey(target), target.region)?.reconciled_at ?? null;
    },
    reconcile(target, present, at) {
      reconcileAll(target, present, at);
    },
    cursor(target) {
      // '' is a row made by reconcile before any item was seen: no cursor yet.
      return selectCursor.get(accountKey(target), target.region)?.capture_cursor || null;
    },
    items(target) {
      const items = new Map<string, InventoryItemState>();
      for (const row of selectItems.all(accountKey(target), target.region))
        items.set(row.resource_id, { captureTime: row.capture_time, fetched: row.fetched === 1 });
      return items;
    },
    recordItems(target, items) {
      recordAll(target, items);
    },
    advanceCursor(target, cursor, syncedAt) {
      upsertCursor.run({
        account: accountKey(target),
        region: target.region,
        cursor: toIsoUtc(cursor, 'cursor'),
        syncedAt: toIsoUtc(syncedAt, 'syncedAt'),
      });
    },
  };
}
