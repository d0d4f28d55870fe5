-- When each target (account × region) was last listed successfully, so a steady-state scan writes one
-- row per target instead of touching every instance and open finding to move its last_seen forward.
-- account is '' for a target without an explicit account (default credentials).
-- A present instance was seen by its target's last successful scan (any it missed was marked gone),
-- so its last_seen, and that of its open findings, is read from here; instances.last_seen and
-- findings.last_seen hold the time of the last write (or of the last scan that saw them, once gone
-- or resolved).

CREATE TABLE target_scans (
  account TEXT NOT NULL,
  region  TEXT NOT NULL,
  scan_id TEXT NOT NULL,
  seen_at TEXT NOT NULL,
  PRIMARY KEY (account, region)
);
