-- Released rows: when this replica no longer owns a target (it moved to another shard when
-- shards.count changed, or it was removed from the configuration), the target's present instances
-- leave this replica's fleet with released_at set, and their open findings are resolved with
-- resolved_reason 'released'. They did not leave the fleet, so they are not gone: a gone instance
-- (AWS stopped listing it) keeps released_at null, and a finding resolved by a scan (fixed, or its
-- instance gone) keeps resolved_reason null. Released rows age out like gone ones.

ALTER TABLE instances ADD COLUMN released_at TEXT;
ALTER TABLE findings ADD COLUMN resolved_reason TEXT CHECK (resolved_reason IN ('released'));
