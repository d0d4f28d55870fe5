// The current remediation reason per candidate instance and per open job in SQLite (migration 0006).
import { REASON_CODES, type ReasonCode } from '../core/remediation-reasons.js';
import { toPage } from '../app/paging.js';
import type {
  ReasonKey,
  ReasonRepository,
  ReasonSubject,
  StoredReason,
  SubjectReason,
} from '../app/remediation/reason-port.js';
import type { Database } from './database.js';

interface ReasonRow {
  subject: ReasonSubject;
  id: string;
  instance_id: string;
  code: ReasonCode;
  text: string;
  since: string;
  updated_at: string;
}

function toReason(row: ReasonRow): StoredReason {
  return {
    subject: row.subject,
    id: row.id,
    instanceId: row.instance_id,
    code: row.code,
    text: row.text,
    since: row.since,
    updatedAt: row.updated_at,
  };
}

export function createReasonRepository(db: Database): ReasonRepository {
  const byKey = db.prepare<[ReasonSubject, string], ReasonRow>(
    'SELECT * FROM remediation_reasons WHERE subject = ? AND id = ?',
  );
  // `since` stays while the code stays: "waiting since" means since this cause, not since the last scan.
  const upsert = db.prepare(
    `INSERT INTO remediation_reasons (subject, id, instance_id, code, text, since, updated_at)
     VALUES (@subject, @id, @instanceId, @code, @text, @at, @at)
     ON CONFLICT (subject, id) DO UPDATE SET
       instance_id = excluded.instance_id,
       since = CASE WHEN code = excluded.code THEN since ELSE excluded.since END,
       code = excluded.code, text = excluded.text, updated_at = excluded.updated_at`,
  );
  const instanceIds = db.prepare<[], { id: string }>(
    "SELECT id FROM remediation_reasons WHERE subject = 'instance'",
  );
  const remove = db.prepare<[ReasonSubject, string]>(
    'DELETE FROM remediation_reasons WHERE subject = ? AND id = ?',
  );
  const forInstance = db.prepare<[string], ReasonRow>(
    'SELECT * FROM remediation_reasons WHERE instance_id = ? ORDER BY subject, id',
  );
  const firstInstances = db.prepare<[{ limit: number }], ReasonRow>(
    "SELECT * FROM remediation_reasons WHERE subject = 'instance' ORDER BY code, id LIMIT @limit",
  );
  const instancesAfter = db.prepare<[{ code: string; id: string; limit: number }], ReasonRow>(
    `SELECT * FROM remediation_reasons WHERE subject = 'instance' AND (code, id) > (@code, @id)
     ORDER BY code, id LIMIT @limit`,
  );
  // One statement for any page size: the ids arrive as one JSON array.
  const byJobIds = db.prepare<[string], ReasonRow>(
    "SELECT * FROM remediation_reasons WHERE subject = 'job' AND id IN (SELECT value FROM json_each(?))",
  );
  const byCode = db.prepare<[], { code: string; n: number }>(
    'SELECT code, count(*) AS n FROM remediation_reasons GROUP BY code',
  );

  const setAll = (subject: ReasonSubject, reasons: readonly SubjectReason[], at: string): StoredReason[] => {
    const changed: StoredReason[] = [];
    for (const reason of reasons) {
      const before = byKey.get(subject, reason.id);
      upsert.run({ subject, ...reason, at });
      if (before?.code !== reason.code) changed.push(toReason(byKey.get(subject, reason.id) as ReasonRow));
    }
    return changed;
  };

  const replaceInstances = db.transaction((reasons: readonly SubjectReason[], at: string) => {
    const keep = new Set(reasons.map((r) => r.id));
    for (const { id } of instanceIds.all()) if (!keep.has(id)) remove.run('instance', id);
    return setAll('instance', reasons, at);
  });
  const setJobs = db.transaction((reasons: readonly SubjectReason[], at: string) =>
    setAll('job', reasons, at),
  );

  return {
    replaceInstanceReasons: (reasons, at) => replaceInstances(reasons, at),
    setJobReasons: (reasons, at) => setJobs(reasons, at),
    forInstance: (instanceId) => forInstance.all(instanceId).map(toReason),
    forJobs(jobIds) {
      const found = new Map<string, StoredReason>();
      if (jobIds.length === 0) return found;
      for (const row of byJobIds.all(JSON.stringify(jobIds))) found.set(row.id, toReason(row));
      return found;
    },
    listInstances({ limit, after }) {
      const rows =
        after === undefined
          ? firstInstances.all({ limit: limit + 1 })
          : instancesAfter.all({ code: after[0], id: after[1], limit: limit + 1 });
      return toPage(rows.map(toReason), limit, (r): ReasonKey => [r.code, r.id]);
    },
    countByCode() {
      const counts = Object.fromEntries(REASON_CODES.map((c) => [c, 0])) as Record<ReasonCode, number>;
      for (const { code, n } of byCode.all()) if (Object.hasOwn(counts, code)) counts[code as ReasonCode] = n;
      return counts;
    },
    transaction: (fn) => db.transaction(fn)(),
  };
}
