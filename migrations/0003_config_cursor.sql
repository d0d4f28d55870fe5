-- AWS Config / SSM inventory source: what each target's last sync saw, so a restart stays incremental.
-- account is '' for a target without an explicit account (default credentials).

-- The newest configurationItemCaptureTime seen per target; the next sync asks only for items after it
-- (less an overlap, since Config can record an item a little after its capture time). reconciled_at:
-- the last sync that listed every item (no time filter), which forgets items Config no longer has.
CREATE TABLE config_inventory_cursors (
  account        TEXT NOT NULL,
  region         TEXT NOT NULL,
  capture_cursor TEXT NOT NULL,
  synced_at      TEXT NOT NULL,
  reconciled_at  TEXT,
  PRIMARY KEY (account, region)
);

-- The capture time of the item last fetched (fetched = 1), or seen for an instance the EC2 listing
-- did not have yet (fetched = 0, fetched once the instance is listed). An item whose capture time
-- is unchanged is never fetched again.
CREATE TABLE config_inventory_items (
  account      TEXT NOT NULL,
  region       TEXT NOT NULL,
  resource_id  TEXT NOT NULL,
  capture_time TEXT NOT NULL,
  fetched      INTEGER NOT NULL CHECK (fetched IN (0, 1)),
  PRIMARY KEY (account, region, resource_id)
);
