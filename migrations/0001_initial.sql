-- Initial schema: manifests, fleet state (instances, findings, scans) and pushed host observations.
-- Times are ISO-8601 UTC strings; JSON columns hold JSON.stringify output.

CREATE TABLE manifests (
  image_id       TEXT PRIMARY KEY,
  region         TEXT NOT NULL,
  channel        TEXT,
  name           TEXT,
  built_at       TEXT,
  body           TEXT NOT NULL,          -- canonical JSON of the manifest; digest = sha256(body)
  digest         TEXT NOT NULL,
  imported_at    TEXT NOT NULL,
  revoked_at     TEXT,
  revoked_reason TEXT
);
-- Supersession is derived per channel and region.
CREATE INDEX manifests_channel ON manifests (region, channel);

CREATE TABLE instances (
  instance_id  TEXT PRIMARY KEY,
  account      TEXT,                     -- null when the target has no explicit account
  region       TEXT NOT NULL,
  image_id     TEXT NOT NULL,
  grp          TEXT,
  status       TEXT NOT NULL CHECK (status IN ('compliant', 'drifted', 'unknown_image', 'stale')),
  present      INTEGER NOT NULL DEFAULT 1 CHECK (present IN (0, 1)),
  observation  TEXT NOT NULL,
  first_seen   TEXT NOT NULL,
  last_seen    TEXT NOT NULL,
  last_scan_id TEXT NOT NULL
);
CREATE INDEX instances_status ON instances (status);
-- Targets are matched on (region, account) to find gone and stale instances.
CREATE INDEX instances_region ON instances (region, account);

CREATE TABLE findings (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  instance_id TEXT NOT NULL REFERENCES instances (instance_id) ON DELETE CASCADE,
  image_id    TEXT NOT NULL,
  path        TEXT NOT NULL,
  change      TEXT NOT NULL,
  rule        TEXT NOT NULL,
  severity    TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
  action      TEXT NOT NULL CHECK (action IN ('report', 'replace')),
  for_ms      INTEGER,
  expected    TEXT NOT NULL,             -- JSON; 'null' when absent
  actual      TEXT NOT NULL,
  first_seen  TEXT NOT NULL,
  last_seen   TEXT NOT NULL,
  resolved_at TEXT,
  accepted    INTEGER NOT NULL DEFAULT 0 CHECK (accepted IN (0, 1))
);
-- At most one open finding per instance, path and change; also serves open-finding lookups.
CREATE UNIQUE INDEX findings_open ON findings (instance_id, path, change) WHERE resolved_at IS NULL;
CREATE INDEX findings_instance ON findings (instance_id);

CREATE TABLE scans (
  scan_id     TEXT PRIMARY KEY,
  outcome     TEXT NOT NULL CHECK (outcome IN ('success', 'partial', 'failure')),
  started_at  TEXT NOT NULL,
  finished_at TEXT NOT NULL,
  targets     TEXT NOT NULL,
  counts      TEXT NOT NULL,
  findings    INTEGER NOT NULL
);
CREATE INDEX scans_finished ON scans (finished_at);

-- No foreign key to instances: an agent may push before the first scan sees its instance.
CREATE TABLE host_observations (
  instance_id TEXT NOT NULL,
  source      TEXT NOT NULL,
  observed_at TEXT NOT NULL,
  received_at TEXT NOT NULL,
  host        TEXT NOT NULL,
  PRIMARY KEY (instance_id, source)
);
