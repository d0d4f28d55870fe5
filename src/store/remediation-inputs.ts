// The replacement policy's inputs in SQLite: candidates, recent failures, open jobs and group health, each one indexed query.
import {
  OPEN_JOB_STATES,
  isOpenJobState,
  type JobState,
  type RemediationInputs,
  type ReplaceDrift,
  type StoredCandidate,
} from '../app/remediation/ports.js';
import type { GroupHealth, OpenJob } from '../core/remediation-types.js';
import type { Change, Severity } from '../domain/types.js';
import type { Database } from './database.js';

interface CandidateRow {
  instance_id: string;
  account: string | null;
  region: string;
  image_id: string;
  grp: string | null;
  asg_name: string | null;
  tags: string | null;
  rule: string;
  severity: Severity;
  path: string;
  change: Change;
  first_seen: string;
  for_ms: number | null;
  /** 1: fleet-wide since boot, a replacement would reproduce it; 2: fleet-wide after boot; 0: neither. */
  fleet_wide: 0 | 1 | 2;
}

interface OpenJobRow {
  job_id: string;
  instance_id: string;
  grp: string | null;
  state: JobState;
  approved: number;
  started_at: string | null;
}

// `resolved_at IS NULL AND action = 'replace'` is the WHERE of the partial index findings_open_replace
// (migration 0008): SQLite uses it only when the query repeats those terms.
const OPEN_REPLACE = "f.resolved_at IS NULL AND f.action = 'replace'";

/** One row per open, unaccepted `replace` finding of a candidate, grouped by instance (findings_open_replace order). */
const CANDIDATE_ROWS = `SELECT i.instance_id, i.account, i.region, i.image_id, i.grp,
    json_extract(i.observation, '$.asgName') AS asg_name, json_extract(i.observation, '$.tags') AS tags,
    f.rule, f.severity, f.path, f.change, f.first_seen, f.for_ms,
    CASE WHEN f.scope <> 'fleet-wide' THEN 0 WHEN f.onset = 'since-boot' THEN 1 ELSE 2 END AS fleet_wide
  FROM findings f JOIN instances i ON i.instance_id = f.instance_id
  WHERE ${OPEN_REPLACE} AND f.accepted = 0 AND i.present = 1 AND i.status <> 'stale'
    -- A replaced instance is never replaced again, even if a scan that read it just before its
    -- termination still reports its drift.
    AND NOT EXISTS (SELECT 1 FROM replacement_jobs j WHERE j.instance_id = i.instance_id AND j.state = 'succeeded')`;
const CANDIDATE_ORDER = 'ORDER BY f.instance_id, f.path, f.change, f.id';

function toCandidates(rows: readonly CandidateRow[]): StoredCandidate[] {
  const byInstance = new Map<string, StoredCandidate>();
  for (const row of rows) {
    let candidate = byInstance.get(row.instance_id);
    if (candidate === undefined) {
      candidate = {
        instanceId: row.instance_id,
        account: row.account,
        region: row.region,
        imageId: row.image_id,
        group: row.grp,
        asgName: row.asg_name,
        tags: row.tags === null ? {} : (JSON.parse(row.tags) as Record<string, string>),
        findings: [],
      };
      byInstance.set(row.instance_id, candidate);
    }
    // A difference every instance of the image has had since boot is no candidate for replacement: a
    // new instance from the same image would reproduce it. It is kept aside to say why it waits.
    if (row.fleet_wide === 1) {
      candidate.manifestMismatches = [...(candidate.manifestMismatches ?? []), row.path];
      continue;
    }
    candidate.findings.push({
      rule: row.rule,
      severity: row.severity,
      path: row.path,
      change: row.change,
      firstSeen: row.first_seen,
      forMs: row.for_ms,
      ...(row.fleet_wide === 2 ? { fleetWide: true } : {}),
    });
  }
  return [...byInstance.values()];
}

export function createRemediationInputs(db: Database): RemediationInputs {
  const allCandidates = db.prepare<[], CandidateRow>(`${CANDIDATE_ROWS} ${CANDIDATE_ORDER}`);
  // Id lists arrive as one JSON array, so one statement serves any number of ids.
  const someCandidates = db.prepare<[string], CandidateRow>(
    `${CANDIDATE_ROWS} AND f.instance_id IN (SELECT value FROM json_each(?)) ${CANDIDATE_ORDER}`,
  );
  const failed = db.prepare<[string], { instance_id: string; finished_at: string }>(
    `SELECT instance_id, max(finished_at) AS finished_at FROM replacement_jobs
     WHERE state = 'failed' AND finished_at > ? GROUP BY instance_id`,
  );
  const open = db.prepare<[], OpenJobRow>(
    `SELECT job_id, instance_id, grp, state, approved_at IS NOT NULL AS approved, started_at
     FROM replacement_jobs WHERE state IN (${OPEN_JOB_STATES.map((s) => `'${s}'`).join(', ')})
     ORDER BY created_at DESC, job_id`,
  );
  // A fleet-wide difference since boot is no drift a replacement acts on (as for the candidates): a
  // job waiting on it alone is obsolete.
  const drift = db.prepare<[string], { instance_id: string; drifting: number; accepted: number }>(
    `SELECT f.instance_id, max(f.accepted = 0) AS drifting, max(f.accepted = 1) AS accepted FROM findings f
     WHERE ${OPEN_REPLACE} AND f.instance_id IN (SELECT value FROM json_each(?))
       AND NOT (f.scope = 'fleet-wide' AND f.onset IS 'since-boot') GROUP BY f.instance_id`,
  );
  const health = db.prepare<[string], { grp: string; size: number; unhealthy: number }>(
    `SELECT grp, count(*) AS size,
       sum(json_extract(observation, '$.state') IS NOT 'running'
           AND instance_id NOT IN (SELECT instance_id FROM replacement_jobs WHERE state = 'running')) AS unhealthy
     FROM instances WHERE present = 1 AND grp IN (SELECT value FROM json_each(?)) GROUP BY grp ORDER BY grp`,
  );

  return {
    candidates(instanceIds) {
      if (instanceIds === undefined) return toCandidates(allCandidates.all());
      if (instanceIds.length === 0) return [];
      return toCandidates(someCandidates.all(JSON.stringify(instanceIds)));
    },
    failedSince: (since) => new Map(failed.all(since).map((r) => [r.instance_id, r.finished_at])),
    openJobs: () =>
      open.all().flatMap((r): OpenJob[] =>
        isOpenJobState(r.state)
          ? [
              {
                jobId: r.job_id,
                instanceId: r.instance_id,
                group: r.grp,
                state: r.state,
                approved: r.approved === 1,
                startedAt: r.started_at,
              },
            ]
          : [],
      ),
    replaceDrift(instanceIds) {
      const found = new Map<string, ReplaceDrift>();
      if (instanceIds.length === 0) return found;
      for (const r of drift.all(JSON.stringify(instanceIds)))
        found.set(r.instance_id, { drifting: r.drifting === 1, accepted: r.accepted === 1 });
      return found;
    },
    groupHealth(groups) {
      if (groups.length === 0) return [];
      return health
        .all(JSON.stringify(groups))
        .map((r): GroupHealth => ({ group: r.grp, size: r.size, unhealthy: r.unhealthy }));
    },
  };
}
