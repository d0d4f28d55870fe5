// Retention: deletes long-gone instances, resolved findings, old scans, gone hosts' observations and old audit entries in
// small transactions, yielding between them so the daemon's HTTP stays responsive.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { PRUNED_TABLES, type PruneCounts, type PrunedTable, type RetentionPolicy } from '../app/ports.js';
import { OPEN_JOB_STATES } from '../core/remediation-types.js';
import type { Database } from './database.js';

type Statement = ReturnType<Database['prepare']>;

/** At most this many rows per table and transaction: a writer waits for one batch, not for a month. */
export const DEFAULT_PRUNE_BATCH = 1000;

const OPEN_STATES = OPEN_JOB_STATES.map((s) => `'${s}'`).join(', ');
const OPEN_JOBS = `SELECT instance_id FROM replacement_jobs WHERE state IN (${OPEN_STATES})`;

/**
 * One statement per table; each deletes at most @limit rows older than @cutoff. What is never
 * deleted: open findings (nor their instance), anything of an instance an open replacement job acts on, the latest scan,
 * the latest successful scan and each target's last scan, the observation of a host still in the
 * fleet, and audit entries of open jobs.
 */
const PRUNE_SQL: Record<PrunedTable, string> = {
  // Their resolved findings go with them (ON DELETE CASCADE).
  instances: `DELETE FROM instances WHERE instance_id IN (
      SELECT instance_id FROM instances WHERE present = 0 AND last_seen < @cutoff
        AND NOT EXISTS (SELECT 1 FROM findings f WHERE f.instance_id = instances.instance_id AND f.resolved_at IS NULL)
        AND instance_id NOT IN (${OPEN_JOBS}) LIMIT @limit)`,
  findings: `DELETE FROM findings WHERE id IN (
      SELECT id FROM findings WHERE resolved_at IS NOT NULL AND resolved_at < @cutoff
        AND instance_id NOT IN (${OPEN_JOBS}) LIMIT @limit)`,
  scans: `DELETE FROM scans WHERE scan_id IN (
      SELECT scan_id FROM scans WHERE finished_at < @cutoff
        AND scan_id NOT IN (SELECT scan_id FROM target_scans)
        AND scan_id NOT IN (SELECT scan_id FROM scans ORDER BY finished_at DESC, started_at DESC LIMIT 1)
        AND scan_id NOT IN (SELECT scan_id FROM scans WHERE outcome = 'success' ORDER BY finished_at DESC LIMIT 1)
        LIMIT @limit)`,
  host_observations: `DELETE FROM host_observations WHERE rowid IN (
      SELECT h.rowid FROM host_observations h LEFT JOIN instances i ON i.instance_id = h.instance_id
        WHERE h.received_at < @cutoff AND coalesce(i.present, 0) = 0
          AND h.instance_id NOT IN (${OPEN_JOBS}) LIMIT @limit)`,
  audit_log: `DELETE FROM audit_log WHERE id IN (
      SELECT id FROM audit_log WHERE at < @cutoff
        AND (job_id IS NULL OR job_id NOT IN (
          SELECT job_id FROM replacement_jobs WHERE state IN (${OPEN_STATES})))
        ORDER BY at LIMIT @limit)`,
};

export interface PruneOptions {
  now: Date;
  batchSize?: number;
  /** Before each batch (default: yield to the event loop, so requests are served in between). */
  pause?: () => Promise<unknown>;
  /** Checked before each batch: a stopping daemon leaves the rest to its next pass. */
  signal?: AbortSignal;
}

export interface Pruner {
  /** Deletes what `policy` no longer keeps, batch by batch, and returns the rows deleted per table. */
  prune(policy: RetentionPolicy, options: PruneOptions): Promise<PruneCounts>;
}

export function createPruner(db: Database): Pruner {
  const statements: Record<PrunedTable, Statement> = {
    instances: db.prepare(PRUNE_SQL.instances),
    findings: db.prepare(PRUNE_SQL.findings),
    scans: db.prepare(PRUNE_SQL.scans),
    host_observations: db.prepare(PRUNE_SQL.host_observations),
    audit_log: db.prepare(PRUNE_SQL.audit_log),
  };
  // The audit log's delete trigger lets through only rows below this cutoff, and only while it is set.
  const allowAudit = db.prepare('UPDATE retention_state SET audit_before = ? WHERE id = 1');
  const batch = db.transaction((table: PrunedTable, cutoff: string, limit: number): number => {
    if (table !== 'audit_log') return statements[table].run({ cutoff, limit }).changes;
    allowAudit.run(cutoff);
    const changes = statements.audit_log.run({ cutoff, limit }).changes;
    allowAudit.run(null);
    return changes;
  });
  const keepFor: Record<PrunedTable, (policy: RetentionPolicy) => number> = {
    instances: (p) => p.goneInstancesMs,
    findings: (p) => p.resolvedFindingsMs,
    scans: (p) => p.scansMs,
    host_observations: (p) => p.hostObservationsMs,
    audit_log: (p) => p.auditMs,
  };
  return {
    async prune(policy, options) {
      const limit = options.batchSize ?? DEFAULT_PRUNE_BATCH;
      const pause = options.pause ?? (() => yieldToEventLoop());
      const counts: PruneCounts = { instances: 0, findings: 0, scans: 0, host_observations: 0, audit_log: 0 };
      for (const table of PRUNED_TABLES) {
        const cutoff = new Date(options.now.getTime() - keepFor[table](policy)).toISOString();
        for (;;) {
          // Before every batch, the first too: the caller (a scan's end) is never held up by one.
          await pause();
          if (options.signal?.aborted) return counts;
          const deleted = batch(table, cutoff, limit);
          counts[table] += deleted;
          if (deleted < limit) break;
        }
      }
      return counts;
    },
  };
}
