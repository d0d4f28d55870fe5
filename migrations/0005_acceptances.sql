-- Drift acceptances ("accept this drift", DESIGN §4): expiring, revocable exceptions. Each scan
-- applies the active ones to its findings and records which acceptance covered each finding.

CREATE TABLE acceptances (
  id          INTEGER PRIMARY KEY,
  instance_id TEXT,                      -- null: any instance
  rule        TEXT,                      -- null: any rule
  reason      TEXT NOT NULL,
  until       TEXT NOT NULL,             -- ISO-8601 UTC; the acceptance ends at this time
  created_by  TEXT NOT NULL,             -- a token name, or 'cli:<user>'
  created_at  TEXT NOT NULL,
  revoked_at  TEXT,
  revoked_by  TEXT,
  -- An acceptance of everything would silence the whole fleet.
  CHECK (instance_id IS NOT NULL OR rule IS NOT NULL)
);
CREATE INDEX acceptances_instance ON acceptances (instance_id);

-- The acceptance that covered the finding at the last scan that saw it (null: not accepted).
ALTER TABLE findings ADD COLUMN acceptance_id INTEGER REFERENCES acceptances (id);
