-- Retention: indexes for the prune queries, and audit deletion allowed only below a cutoff the
-- pruner sets in the same transaction (the audit log stays append-only for everything else).

CREATE INDEX instances_gone ON instances (last_seen) WHERE present = 0;
CREATE INDEX findings_resolved ON findings (resolved_at) WHERE resolved_at IS NOT NULL;
CREATE INDEX host_observations_received ON host_observations (received_at);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX scans_success ON scans (finished_at) WHERE outcome = 'success';

CREATE TABLE retention_state (
  id           INTEGER PRIMARY KEY CHECK (id = 1),
  audit_before TEXT                        -- set only inside a prune transaction; null otherwise
);
INSERT INTO retention_state (id, audit_before) VALUES (1, NULL);

DROP TRIGGER audit_log_no_delete;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
  WHEN OLD.at >= coalesce((SELECT audit_before FROM retention_state WHERE id = 1), '')
  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only (entries older than the audit retention are pruned)'); END;
