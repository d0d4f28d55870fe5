-- Replacement jobs (durable state machines), the append-only audit log and the remediation switch.

CREATE TABLE replacement_jobs (
  job_id          TEXT PRIMARY KEY,        -- a UUID; also the RunInstances ClientToken (idempotency)
  instance_id     TEXT NOT NULL,           -- the drifted instance being replaced
  account         TEXT,
  region          TEXT NOT NULL,
  grp             TEXT,
  asg_name        TEXT,
  image_id        TEXT NOT NULL,           -- the image the drifted instance runs
  target_image_id TEXT,                    -- what the replacement launches from (standalone strategy)
  strategy        TEXT NOT NULL CHECK (strategy IN ('asg', 'launch-then-terminate', 'webhook')),
  state           TEXT NOT NULL CHECK (state IN
                    ('planned', 'awaiting-approval', 'queued', 'running', 'succeeded', 'failed', 'cancelled')),
  step            TEXT,                    -- the step a running job performs next (saved before it is taken)
  attempts        INTEGER NOT NULL DEFAULT 0,   -- attempts of the current step
  next_attempt_at TEXT,
  step_started_at TEXT,
  reason          TEXT NOT NULL,           -- JSON: the due findings that made this job
  data            TEXT NOT NULL DEFAULT '{}',   -- JSON: strategy state (snapshots, surge capacity, …)
  new_instance_id TEXT,
  approved_by     TEXT,
  approved_at     TEXT,
  cancel_requested INTEGER NOT NULL DEFAULT 0 CHECK (cancel_requested IN (0, 1)),
  error           TEXT,
  created_at      TEXT NOT NULL,
  updated_at      TEXT NOT NULL,
  started_at      TEXT,
  finished_at     TEXT
);
-- At most one open job per instance: a second plan for the same instance is a no-op.
CREATE UNIQUE INDEX replacement_jobs_open ON replacement_jobs (instance_id)
  WHERE state IN ('planned', 'awaiting-approval', 'queued', 'running');
CREATE INDEX replacement_jobs_state ON replacement_jobs (state);
CREATE INDEX replacement_jobs_started ON replacement_jobs (started_at);

CREATE TABLE audit_log (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  at          TEXT NOT NULL,
  actor       TEXT NOT NULL,               -- 'driftwarden', a token name, or 'cli'
  action      TEXT NOT NULL,               -- e.g. job.planned, aws.RunInstances, remediation.paused
  job_id      TEXT,
  instance_id TEXT,
  detail      TEXT NOT NULL DEFAULT '{}'   -- JSON
);
CREATE INDEX audit_log_job ON audit_log (job_id);
CREATE INDEX audit_log_instance ON audit_log (instance_id);
-- Append-only: history is never rewritten.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

CREATE TABLE remediation_state (
  id        INTEGER PRIMARY KEY CHECK (id = 1),
  paused    INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
  reason    TEXT,                          -- e.g. drift-storm, manual
  detail    TEXT,
  paused_at TEXT,
  paused_by TEXT
);
INSERT INTO remediation_state (id, paused) VALUES (1, 0);
