// Replacement jobs, the audit log and the pause switch in SQLite; each transition is saved with its audit entry.
import {
  JOB_STATES,
  type AuditEntry,
  type AuditEntryInput,
  type AuditLog,
  type AuditSubject,
  type JobKey,
  type JobPatch,
  type JobQuery,
  type JobRepository,
  type JobState,
  type JobStrategy,
  type NewJob,
  type RemediationStateRepository,
  type RemediationSwitch,
  type ReplacementJob,
} from '../app/remediation/ports.js';
import { toPage } from '../app/paging.js';
import { strategyDataSchema, type StrategyData } from '../app/remediation/job-data.js';
import type { TerminalJobState } from '../core/remediation-types.js';
import { ConflictError, NotFoundError, TerminalError, errorMessage } from '../domain/errors.js';
import type { Database } from './database.js';
import { equalsFilter, type SqlFilter } from './sql-filter.js';
import { createStatementCache } from './statement-cache.js';

interface JobRow {
  job_id: string;
  instance_id: string;
  account: string | null;
  region: string;
  grp: string | null;
  asg_name: string | null;
  image_id: string;
  target_image_id: string | null;
  strategy: JobStrategy;
  state: JobState;
  step: string | null;
  attempts: number;
  next_attempt_at: string | null;
  step_started_at: string | null;
  reason: string;
  data: string;
  new_instance_id: string | null;
  approved_by: string | null;
  approved_at: string | null;
  cancel_requested: number;
  error: string | null;
  note: string | null;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  finished_at: string | null;
}

const COLUMNS: Record<keyof JobPatch, string> = {
  state: 'state',
  step: 'step',
  attempts: 'attempts',
  nextAttemptAt: 'next_attempt_at',
  stepStartedAt: 'step_started_at',
  data: 'data',
  newInstanceId: 'new_instance_id',
  approvedBy: 'approved_by',
  approvedAt: 'approved_at',
  cancelRequested: 'cancel_requested',
  error: 'error',
  note: 'note',
  startedAt: 'started_at',
  finishedAt: 'finished_at',
  targetImageId: 'target_image_id',
};

/**
 * Steps trust a job's data without casts, so a row whose data does not fit its strategy (a hand
 * edit, a downgrade) stops here, naming the job, instead of misleading a step.
 */
function strategyData(row: JobRow): StrategyData {
  let data: unknown;
  try {
    data = JSON.parse(row.data);
  } catch (error) {
    throw new TerminalError(`job ${row.job_id}: its data is not JSON: ${errorMessage(error)}`, {
      cause: error,
    });
  }
  const parsed = strategyDataSchema.safeParse({ strategy: row.strategy, data });
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
  throw new TerminalError(
    `job ${row.job_id}: its data does not fit the ${row.strategy} strategy: ${issues.join('; ')}`,
    { cause: parsed.error },
  );
}

function toJob(row: JobRow): ReplacementJob {
  return {
    ...strategyData(row),
    jobId: row.job_id,
    instanceId: row.instance_id,
    account: row.account,
    region: row.region,
    group: row.grp,
    asgName: row.asg_name,
    imageId: row.image_id,
    targetImageId: row.target_image_id,
    state: row.state,
    step: row.step,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    stepStartedAt: row.step_started_at,
    reason: JSON.parse(row.reason) as ReplacementJob['reason'],
    newInstanceId: row.new_instance_id,
    approvedBy: row.approved_by,
    approvedAt: row.approved_at,
    cancelRequested: row.cancel_requested === 1,
    error: row.error,
    note: row.note,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

/** `viaStateIndex: false` keeps SQLite off the state index (`+state`), to walk an order index instead. */
function jobFilterSql(query: JobQuery, viaStateIndex = true): SqlFilter {
  const states = query.states ?? [];
  const filter = equalsFilter(
    { instanceId: ['instance_id', query.instanceId] },
    states.length
      ? [`${viaStateIndex ? '' : '+'}state IN (${states.map((_, i) => `@s${i}`).join(', ')})`]
      : [],
  );
  states.forEach((s, i) => (filter.params[`s${i}`] = s));
  return filter;
}

function toDbValue(key: keyof JobPatch, value: unknown): unknown {
  if (key === 'data') return JSON.stringify(value);
  if (key === 'cancelRequested') return value ? 1 : 0;
  return value;
}

/** Audit entries of one job and/or instance. */
function auditFilterSql(query: AuditSubject): SqlFilter {
  return equalsFilter({ jobId: ['job_id', query.jobId], instanceId: ['instance_id', query.instanceId] });
}

export function createAuditLog(db: Database): AuditLog {
  const prepared = createStatementCache(db);
  const insert = db.prepare(
    'INSERT INTO audit_log (at, actor, action, job_id, instance_id, detail) VALUES (?, ?, ?, ?, ?, ?)',
  );

  const list: AuditLog['list'] = (query = {}) => {
    const { where, params } = auditFilterSql(query);
    params.limit = query.limit ?? 500;
    if (query.afterId !== undefined) {
      where.push('id > @afterId');
      params.afterId = query.afterId;
    }
    if (query.beforeId !== undefined) {
      where.push('id < @beforeId');
      params.beforeId = query.beforeId;
    }
    const rows = prepared<
      Record<string, unknown>,
      {
        id: number;
        at: string;
        actor: string;
        action: string;
        job_id: string | null;
        instance_id: string | null;
        detail: string;
      }
    >(
      `SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id ${query.newestFirst ? 'DESC' : 'ASC'} LIMIT @limit`,
    ).all(params);
    return rows.map((r): AuditEntry => ({
      id: r.id,
      at: r.at,
      actor: r.actor,
      action: r.action,
      jobId: r.job_id,
      instanceId: r.instance_id,
      detail: JSON.parse(r.detail) as Record<string, unknown>,
    }));
  };

  return {
    append(entry: AuditEntryInput, at: string) {
      insert.run(
        at,
        entry.actor,
        entry.action,
        entry.jobId ?? null,
        entry.instanceId ?? null,
        JSON.stringify(entry.detail ?? {}),
      );
    },
    list,
    count(query) {
      // An index range count (audit_log_job, audit_log_instance): no entry is read.
      const { where, params } = auditFilterSql(query);
      return (
        prepared<Record<string, unknown>, { n: number }>(
          `SELECT count(*) AS n FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`,
        ).get(params)?.n ?? 0
      );
    },
    page(query, { limit, after }) {
      // The cursor narrows the range the query asks for: before it (newest first) or after it.
      const bound =
        after === undefined
          ? {}
          : query.newestFirst
            ? { beforeId: after }
            : { afterId: Math.max(after, query.afterId ?? 0) };
      return toPage(list({ ...query, ...bound, limit: limit + 1 }), limit, (e) => e.id);
    },
  };
}

export function createJobRepository(db: Database, audit: AuditLog): JobRepository {
  const prepared = createStatementCache(db);
  const insert = db.prepare(
    `INSERT INTO replacement_jobs (job_id, instance_id, account, region, grp, asg_name, image_id, target_image_id,
       strategy, state, step, reason, created_at, updated_at, started_at, step_started_at)
     VALUES (@jobId, @instanceId, @account, @region, @group, @asgName, @imageId, @targetImageId,
       @strategy, @state, @step, @reason, @at, @at, @startedAt, @startedAt)
     ON CONFLICT DO NOTHING`,
  );
  const byId = db.prepare<[string], JobRow>('SELECT * FROM replacement_jobs WHERE job_id = ?');
  const startedSince = db.prepare<[string], { n: number }>(
    'SELECT count(*) AS n FROM replacement_jobs WHERE started_at IS NOT NULL AND started_at >= ?',
  );
  const byState = db.prepare<[], { state: JobState; n: number }>(
    'SELECT state, count(*) AS n FROM replacement_jobs GROUP BY state',
  );
  // One instance's jobs: a range of the (instance_id, state) index, already grouped by state.
  const byStateOfInstance = db.prepare<[string], { state: JobState; n: number }>(
    'SELECT state, count(*) AS n FROM replacement_jobs WHERE instance_id = ? GROUP BY state',
  );
  const finished = db.prepare<[], { strategy: JobStrategy; state: TerminalJobState; n: number }>(
    `SELECT strategy, state, count(*) AS n FROM replacement_jobs
     WHERE state IN ('succeeded', 'failed', 'cancelled') GROUP BY strategy, state ORDER BY strategy, state`,
  );

  const get = (jobId: string): ReplacementJob | null => {
    const row = byId.get(jobId);
    return row ? toJob(row) : null;
  };

  const create = db.transaction((job: NewJob, at: string, entry: AuditEntryInput): ReplacementJob | null => {
    const result = insert.run({
      ...job,
      reason: JSON.stringify(job.reason),
      at,
      startedAt: job.state === 'running' ? at : null,
    });
    if (result.changes === 0) return null;
    audit.append({ ...entry, jobId: job.jobId, instanceId: job.instanceId }, at);
    return get(job.jobId);
  });

  const save = db.transaction(
    (
      jobId: string,
      patch: JobPatch,
      at: string,
      entry?: AuditEntryInput,
      expectedState?: JobState,
    ): ReplacementJob => {
      const keys = (Object.keys(patch) as (keyof JobPatch)[]).filter((k) => patch[k] !== undefined);
      const sets = keys.map((k) => `${COLUMNS[k]} = @${k}`);
      const params: Record<string, unknown> = { jobId, at, expectedState: expectedState ?? null };
      for (const k of keys) params[k] = toDbValue(k, patch[k]);
      const result = db
        .prepare(
          `UPDATE replacement_jobs SET ${[...sets, 'updated_at = @at'].join(', ')}
           WHERE job_id = @jobId AND (@expectedState IS NULL OR state = @expectedState)`,
        )
        .run(params);
      if (result.changes === 0) {
        const current = get(jobId);
        if (current === null) throw new NotFoundError(`no replacement job ${jobId}`);
        throw new ConflictError(
          `job ${jobId} is now ${current.state} (expected ${expectedState ?? '?'}); nothing was changed`,
        );
      }
      const saved = get(jobId) as ReplacementJob;
      if (entry) audit.append({ ...entry, jobId, instanceId: saved.instanceId }, at);
      return saved;
    },
  );

  return {
    create: (job, at, entry) => create(job, at, entry),
    get,
    page(query, { limit, after }) {
      // Finished jobs are most of the table and grow without end: walk the finished-time index and
      // stop after the page, rather than sort every finished job. Open jobs are few: their state
      // index and a sort of them is cheaper than walking past every finished job.
      const { where, params } = jobFilterSql(query, query.orderBy !== 'finished');
      const time = query.orderBy === 'finished' ? 'coalesce(finished_at, updated_at)' : 'created_at';
      if (after !== undefined) {
        // The first term gives SQLite a range on the (expression) index; the row value breaks ties.
        where.push(`${time} <= @afterAt`, `(${time}, job_id) < (@afterAt, @afterId)`);
        [params.afterAt, params.afterId] = after;
      }
      const rows = prepared<Record<string, unknown>, JobRow>(
        `SELECT * FROM replacement_jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY ${time} DESC, job_id DESC LIMIT @limit`,
      ).all({ ...params, limit: limit + 1 });
      const keyOf = (j: ReplacementJob): JobKey => [
        query.orderBy === 'finished' ? (j.finishedAt ?? j.updatedAt) : j.createdAt,
        j.jobId,
      ];
      return toPage(rows.map(toJob), limit, keyOf);
    },
    save: (jobId, patch, at, entry, expectedState) => save(jobId, patch, at, entry, expectedState),
    countStartedSince: (at) => startedSince.get(at)?.n ?? 0,
    countByState: (filter = {}) => {
      const counts = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>;
      const rows = filter.instanceId === undefined ? byState.all() : byStateOfInstance.all(filter.instanceId);
      for (const { state, n } of rows) counts[state] = n;
      return counts;
    },
    countFinished: () => finished.all().map((r) => ({ strategy: r.strategy, outcome: r.state, count: r.n })),
  };
}

export function createRemediationStateRepository(db: Database, audit: AuditLog): RemediationStateRepository {
  const read = db.prepare<
    [],
    {
      paused: number;
      reason: string | null;
      detail: string | null;
      paused_at: string | null;
      paused_by: string | null;
    }
  >('SELECT paused, reason, detail, paused_at, paused_by FROM remediation_state WHERE id = 1');
  const get = (): RemediationSwitch => {
    const row = read.get();
    return {
      paused: row?.paused === 1,
      reason: row?.reason ?? null,
      detail: row?.detail ?? null,
      pausedAt: row?.paused_at ?? null,
      pausedBy: row?.paused_by ?? null,
    };
  };
  const pause = db.transaction((reason: string, detail: string, by: string, at: string): boolean => {
    const changed = db
      .prepare(
        `UPDATE remediation_state SET paused = 1, reason = ?, detail = ?, paused_at = ?, paused_by = ? WHERE id = 1 AND paused = 0`,
      )
      .run(reason, detail, at, by).changes;
    if (changed) audit.append({ actor: by, action: 'remediation.paused', detail: { reason, detail } }, at);
    return changed > 0;
  });
  const resume = db.transaction((by: string, at: string): boolean => {
    const before = get();
    const changed = db
      .prepare(
        `UPDATE remediation_state SET paused = 0, reason = NULL, detail = NULL, paused_at = NULL, paused_by = NULL WHERE id = 1 AND paused = 1`,
      )
      .run().changes;
    if (changed)
      audit.append({ actor: by, action: 'remediation.resumed', detail: { wasPausedFor: before.reason } }, at);
    return changed > 0;
  });
  return {
    get,
    pause: (r, d, b, a) => pause(r, d, b, a),
    // IMMEDIATE: resume reads before it writes, and a deferred read cannot be upgraded once another
    // connection (the scan thread) has committed since; it would fail with "database is locked".
    resume: (b, a) => resume.immediate(b, a),
  };
}
