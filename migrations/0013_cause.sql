-- Acting on a fleet-wide cause (docs/signal.md): the manifest-mismatch list and the metrics' causes per
-- image and path read only the open fleet-wide findings through this index, not every open finding.
CREATE INDEX findings_open_fleet_wide ON findings (image_id, path)
  WHERE resolved_at IS NULL AND scope = 'fleet-wide';
