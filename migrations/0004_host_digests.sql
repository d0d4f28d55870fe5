-- Host fingerprints keep their section digests (so an agent can send unchanged sections as digests
-- only) and the paths the agent could not read (shown, and never reported as removed).
ALTER TABLE host_observations ADD COLUMN digests TEXT NOT NULL DEFAULT '{}';
ALTER TABLE host_observations ADD COLUMN skipped TEXT NOT NULL DEFAULT '[]';
-- When two host sources cover a path, what each one saw (JSON list), so a disagreement is visible.
ALTER TABLE findings ADD COLUMN sources TEXT;
