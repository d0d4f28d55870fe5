-- Why remediation waits: the current reason per candidate instance and per open job (level-triggered,
-- replaced at every evaluation), and the last human-readable note of a running job's step.

CREATE TABLE remediation_reasons (
  subject     TEXT NOT NULL CHECK (subject IN ('instance', 'job')),
  id          TEXT NOT NULL,               -- the instance id or the job id
  instance_id TEXT NOT NULL,               -- the instance either way (one indexed read per instance page)
  code        TEXT NOT NULL,               -- a stable code (REASON_CODES); validated by the application
  text        TEXT NOT NULL,               -- the specifics: time left, group, window
  since       TEXT NOT NULL,               -- when this code first applied (kept while the code stays)
  updated_at  TEXT NOT NULL,
  PRIMARY KEY (subject, id)
);
CREATE INDEX remediation_reasons_instance ON remediation_reasons (instance_id);
CREATE INDEX remediation_reasons_code ON remediation_reasons (code);

-- A job's reason describes the state it was evaluated in: any change of state drops it, and the next
-- evaluation (or nothing, for a running or finished job) gives the new one.
CREATE TRIGGER replacement_jobs_state_drops_reason AFTER UPDATE OF state ON replacement_jobs
  WHEN NEW.state <> OLD.state
  BEGIN DELETE FROM remediation_reasons WHERE subject = 'job' AND id = NEW.job_id; END;

-- What a running job's current step is waiting for (e.g. status checks of the new instance).
ALTER TABLE replacement_jobs ADD COLUMN note TEXT;
