-- Indexes behind the remediation policy's inputs (src/store/remediation-inputs.ts), so each scan and
-- each poll tick reads what the policy needs by index instead of loading every open finding and job.

-- Open `replace` findings: the candidates of a scan, and the drift of instances with pending jobs.
CREATE INDEX findings_open_replace ON findings (instance_id, path, change)
  WHERE resolved_at IS NULL AND action = 'replace';
-- An instance's jobs by state: "already replaced" (a succeeded job) per candidate.
CREATE INDEX replacement_jobs_instance ON replacement_jobs (instance_id, state);
-- Failed jobs within the failure cool-down: only the recent rows of one state.
CREATE INDEX replacement_jobs_finished ON replacement_jobs (state, finished_at);
-- Group health: the present instances of the groups that candidates and open jobs belong to.
CREATE INDEX instances_group ON instances (grp) WHERE present = 1;
