-- Indexes for keyset (cursor) paging: every list reads an index range of one page (limit + 1 rows)
-- in its sort order, however deep the page is and however large the table.

-- GET /api/v1/findings?includeResolved=true: instance, path, change (and id, the rowid).
-- Open findings page over findings_open (0001).
CREATE INDEX findings_order ON findings (instance_id, path, change);
-- An instance's resolved findings, newest resolved first (the instance page's history).
CREATE INDEX findings_history ON findings (instance_id, resolved_at) WHERE resolved_at IS NOT NULL;
-- A manifest's instances, and the instance count of each manifest on a page of the manifests list.
CREATE INDEX instances_image ON instances (image_id);
-- Scans, newest finished first.
CREATE INDEX scans_order ON scans (finished_at, started_at, scan_id);
-- Manifests by region, then image id.
CREATE INDEX manifests_order ON manifests (region, image_id);
-- Replacement jobs, newest created first, and newest finished first (the history).
CREATE INDEX replacement_jobs_created ON replacement_jobs (created_at, job_id);
CREATE INDEX replacement_jobs_history ON replacement_jobs (coalesce(finished_at, updated_at), job_id);
-- Waiting instances by reason code, then instance id.
CREATE INDEX remediation_reasons_order ON remediation_reasons (subject, code, id);
