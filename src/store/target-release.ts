// Releases the rows of targets this replica does not own: their instances leave its fleet as released (not gone), their open findings resolved as released.
import type { ReleasedTarget } from '../app/ports.js';
import { targetKey } from '../core/shard-assignment.js';
import type { Database } from './database.js';
import { TARGET_SCAN_ID, TARGET_SEEN_AT } from './scan-writer.js';

interface TargetKey {
  account: string | null;
  region: string;
}

const PRESENT_IN_TARGET = 'present = 1 AND region = @region AND account IS @account';

export function createTargetRelease(
  db: Database,
): (owned: readonly TargetKey[], at: string) => ReleasedTarget[] {
  // Once per start, so a pass over the present instances is fine (served by the (region, account) index).
  const targetsWithInstances = db.prepare<[], TargetKey>(
    'SELECT DISTINCT account, region FROM instances WHERE present = 1 ORDER BY account, region',
  );
  // Like a gone instance's, their last sighting stays that of their target's last scan here.
  const resolveFindings = db.prepare<[TargetKey & { at: string }]>(
    `UPDATE findings SET resolved_at = @at, resolved_reason = 'released', last_seen = coalesce(${TARGET_SEEN_AT}, last_seen)
     WHERE resolved_at IS NULL AND instance_id IN (SELECT instance_id FROM instances WHERE ${PRESENT_IN_TARGET})`,
  );
  const releaseInstances = db.prepare<[TargetKey & { at: string }]>(
    `UPDATE instances SET present = 0, released_at = @at, last_seen = coalesce(${TARGET_SEEN_AT}, last_seen),
       last_scan_id = coalesce(${TARGET_SCAN_ID}, last_scan_id)
     WHERE ${PRESENT_IN_TARGET}`,
  );
  const release = db.transaction((owned: readonly TargetKey[], at: string): ReleasedTarget[] => {
    const mine = new Set(owned.map(targetKey));
    return targetsWithInstances
      .all()
      .filter((t) => !mine.has(targetKey(t)))
      .map((t): ReleasedTarget => {
        // Findings first: they are found through their instances while those are still present.
        const findings = resolveFindings.run({ ...t, at }).changes;
        const instances = releaseInstances.run({ ...t, at }).changes;
        return { account: t.account, region: t.region, instances, findings };
      });
  });
  // IMMEDIATE, as a scan's: take the write lock before reading what to release.
  return (owned, at) => release.immediate(owned, at);
}
