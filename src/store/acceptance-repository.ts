// SQLite-backed AcceptanceRepository: expiring, revocable drift acceptances; rows are never deleted.
import { toPage, type Page, type PageRequest } from '../app/paging.js';
import type { Acceptance, AcceptanceQuery, AcceptanceRepository, NewAcceptance } from '../app/ports.js';
import { NotFoundError, ValidationError } from '../domain/errors.js';
import type { Database } from './database.js';
import { createStatementCache } from './statement-cache.js';
import { toIsoUtc } from './timestamps.js';

interface AcceptanceRow {
  id: number;
  instance_id: string | null;
  rule: string | null;
  reason: string;
  until: string;
  created_by: string;
  created_at: string;
  revoked_at: string | null;
  revoked_by: string | null;
}

const COLUMNS = 'id, instance_id, rule, reason, until, created_by, created_at, revoked_at, revoked_by';
// Times are stored as normalised ISO-8601 UTC, so comparing the strings compares the times.
const ACTIVE = 'revoked_at IS NULL AND until > @at';

function toAcceptance(row: AcceptanceRow): Acceptance {
  return {
    id: row.id,
    instanceId: row.instance_id,
    rule: row.rule,
    reason: row.reason,
    until: row.until,
    createdBy: row.created_by,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
    revokedBy: row.revoked_by,
  };
}

export function createAcceptanceRepository(db: Database, now: () => Date): AcceptanceRepository {
  const prepared = createStatementCache(db);
  const insert = db.prepare<[NewAcceptance & { createdAt: string }]>(
    `INSERT INTO acceptances (instance_id, rule, reason, until, created_by, created_at)
     VALUES (@instanceId, @rule, @reason, @until, @createdBy, @createdAt)`,
  );
  const selectOne = db.prepare<[number], AcceptanceRow>(`SELECT ${COLUMNS} FROM acceptances WHERE id = ?`);
  const selectActive = db.prepare<[{ at: string }], AcceptanceRow>(
    `SELECT ${COLUMNS} FROM acceptances WHERE ${ACTIVE} ORDER BY id`,
  );
  const revokeOnce = db.prepare<[{ id: number; by: string; at: string }]>(
    'UPDATE acceptances SET revoked_at = @at, revoked_by = @by WHERE id = @id AND revoked_at IS NULL',
  );

  /** The acceptances `query` asks for: active ones unless `includeInactive`, of one instance if given. */
  function filterSql(query: AcceptanceQuery): { where: string[]; params: Record<string, unknown> } {
    const where: string[] = [];
    const params: Record<string, unknown> = {};
    if (!query.includeInactive) {
      where.push(ACTIVE);
      params.at = toIsoUtc(query.at ?? now().toISOString(), 'at');
    }
    if (query.instanceId !== undefined) {
      where.push('instance_id = @instanceId');
      params.instanceId = query.instanceId;
    }
    return { where, params };
  }

  /** Newest first; `before` starts after a page's last id, `limit` bounds the rows read. */
  function listAcceptances(query: AcceptanceQuery, page: { before?: number; limit?: number }): Acceptance[] {
    const { where, params } = filterSql(query);
    params.limit = page.limit ?? -1;
    if (page.before !== undefined) {
      where.push('id < @before');
      params.before = page.before;
    }
    const statement = prepared<Record<string, unknown>, AcceptanceRow>(
      `SELECT ${COLUMNS} FROM acceptances ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY id DESC LIMIT @limit`,
    );
    return statement.all(params).map(toAcceptance);
  }

  function get(id: number): Acceptance | null {
    const row = selectOne.get(id);
    return row ? toAcceptance(row) : null;
  }

  return {
    add(input: NewAcceptance, at: string): Acceptance {
      // The schema refuses it too; this says which fields, where the CHECK would only say "constraint".
      if (input.instanceId === null && input.rule === null) {
        throw new ValidationError('an acceptance needs an instance id, a rule, or both');
      }
      const result = insert.run({
        ...input,
        until: toIsoUtc(input.until, 'until'),
        createdAt: toIsoUtc(at, 'createdAt'),
      });
      return get(Number(result.lastInsertRowid)) as Acceptance;
    },

    active(at: string): Acceptance[] {
      return selectActive.all({ at: toIsoUtc(at, 'at') }).map(toAcceptance);
    },

    list(query: AcceptanceQuery = {}): Acceptance[] {
      return listAcceptances(query, {});
    },

    page(query: AcceptanceQuery, page: PageRequest<number>): Page<Acceptance, number> {
      const rows = listAcceptances(query, { before: page.after, limit: page.limit + 1 });
      return toPage(rows, page.limit, (a) => a.id);
    },

    count(query: AcceptanceQuery): number {
      const { where, params } = filterSql(query);
      return (
        prepared<Record<string, unknown>, { n: number }>(
          `SELECT count(*) AS n FROM acceptances ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`,
        ).get(params)?.n ?? 0
      );
    },

    get,

    revoke(id: number, by: string, at: string): Acceptance {
      // Only the first revocation is recorded: its time and author are what took the acceptance away.
      revokeOnce.run({ id, by, at: toIsoUtc(at, 'revokedAt') });
      const revoked = get(id);
      if (!revoked) throw new NotFoundError(`no acceptance ${id}`);
      return revoked;
    },
  };
}
