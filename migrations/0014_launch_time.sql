-- Boot-time noise (/ui/boot-noise, `rules suggest`, and signal.applyBootNoise after each scan) reads
-- the present instances launched since a moment, newest first, up to a limit: this index holds the
-- launch time out of each present instance's observation, so the read walks the launches in the
-- window instead of parsing every present instance's observation JSON. SQLite uses an expression
-- index only for the same expression text, so it is the read's (src/store/fleet-views.ts); walked
-- backwards, it gives the read's order (launch time descending, then instance id ascending).
CREATE INDEX instances_launch_time ON instances (json_extract(observation, '$.launchTime'), instance_id DESC)
  WHERE present = 1;
