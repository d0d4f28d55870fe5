-- Peer consensus per image (docs/signal.md): each finding's scope among its image's peers, and for a
-- fleet-wide finding whether it was there since boot. Findings stored before this are `unrated`
-- until the next scan rates them.
ALTER TABLE findings ADD COLUMN scope TEXT NOT NULL DEFAULT 'unrated'
  CHECK (scope IN ('fleet-wide', 'outlier', 'unrated'));
ALTER TABLE findings ADD COLUMN onset TEXT CHECK (onset IN ('since-boot', 'after-boot'));
