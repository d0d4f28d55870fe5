// SQLite-backed HostRepository: the newest host fingerprint per instance and source.
import type { HostLookup, HostRepository } from '../app/ports.js';
import type { HostObservation, HostSection, HostSource } from '../domain/types.js';
import type { Database } from './database.js';
import { toIsoUtc } from './timestamps.js';

/** A stored row of host_observations. */
export interface HostRow {
  instance_id: string;
  source: HostSource;
  observed_at: string;
  host: string;
  digests: string;
  skipped: string;
}

export function toObservation(row: HostRow): HostObservation {
  const digests = JSON.parse(row.digests) as HostObservation['digests'];
  const skipped = JSON.parse(row.skipped) as HostObservation['skipped'];
  return {
    instanceId: row.instance_id,
    source: row.source,
    observedAt: row.observed_at,
    host: JSON.parse(row.host) as HostSection,
    ...(digests && Object.keys(digests).length > 0 ? { digests } : {}),
    ...(skipped && skipped.length > 0 ? { skipped } : {}),
  };
}

type UpsertParams = {
  instanceId: string;
  source: string;
  observedAt: string;
  receivedAt: string;
  host: string;
  digests: string;
  skipped: string;
};

function toUpsertParams(observation: HostObservation, receivedAt: string): UpsertParams {
  return {
    instanceId: observation.instanceId,
    source: observation.source,
    // Normalised so the string comparison in the upsert orders times correctly across time zones.
    observedAt: toIsoUtc(observation.observedAt, 'observedAt'),
    receivedAt: toIsoUtc(receivedAt, 'receivedAt'),
    host: JSON.stringify(observation.host),
    digests: JSON.stringify(observation.digests ?? {}),
    skipped: JSON.stringify(observation.skipped ?? []),
  };
}

/**
 * The rows of the enabled sources, kept as stored text and parsed the first time an instance is
 * asked for: a scan only asks for instances it listed whose manifest declares host state, so an
 * instance that left the fleet, or one without a host section, costs no JSON.parse.
 */
function lazyLookup(rows: Iterable<HostRow>): HostLookup {
  const raw = new Map<string, HostRow[]>();
  for (const row of rows) {
    const list = raw.get(row.instance_id);
    if (list) list.push(row);
    else raw.set(row.instance_id, [row]);
  }
  const parsed = new Map<string, HostObservation[]>();
  return {
    get(instanceId: string): HostObservation[] | undefined {
      const done = parsed.get(instanceId);
      if (done) return done;
      const list = raw.get(instanceId);
      if (!list) return undefined;
      const observations = list.map(toObservation);
      parsed.set(instanceId, observations);
      return observations;
    },
    instanceIds(): string[] {
      return [...raw.keys()];
    },
  };
}

export function createHostRepository(db: Database): HostRepository {
  // Pushes can arrive out of order (agent retries, buffered inventory): the WHERE keeps the newest.
  const upsert = db.prepare<[UpsertParams]>(
    `INSERT INTO host_observations (instance_id, source, observed_at, received_at, host, digests, skipped)
     VALUES (@instanceId, @source, @observedAt, @receivedAt, @host, @digests, @skipped)
     ON CONFLICT (instance_id, source) DO UPDATE SET
       observed_at = excluded.observed_at, received_at = excluded.received_at, host = excluded.host,
       digests = excluded.digests, skipped = excluded.skipped
     WHERE excluded.observed_at >= host_observations.observed_at`,
  );
  const touch = db.prepare<[{ instanceId: string; source: string; observedAt: string }]>(
    `UPDATE host_observations SET observed_at = @observedAt, received_at = @observedAt
     WHERE instance_id = @instanceId AND source = @source AND observed_at < @observedAt`,
  );
  const touchAll = db.transaction((instanceIds: readonly string[], source: string, observedAt: string) => {
    for (const instanceId of instanceIds) touch.run({ instanceId, source, observedAt });
  });
  // One transaction per batch: one commit (one fsync) instead of one per instance, and all or nothing.
  const upsertAll = db.transaction((params: readonly UpsertParams[]) => {
    for (const p of params) upsert.run(p);
  });
  const selectLatest = db.prepare<[string], HostRow>(
    `SELECT instance_id, source, observed_at, host, digests, skipped FROM host_observations
     WHERE instance_id = ? ORDER BY observed_at DESC, source LIMIT 1`,
  );
  const selectOne = db.prepare<[string, string], HostRow>(
    `SELECT instance_id, source, observed_at, host, digests, skipped FROM host_observations
     WHERE instance_id = ? AND source = ?`,
  );
  const deleteOne = db.prepare<[string, string]>(
    'DELETE FROM host_observations WHERE instance_id = ? AND source = ?',
  );
  const deleteAll = db.transaction((instanceIds: readonly string[], source: string) => {
    for (const instanceId of instanceIds) deleteOne.run(instanceId, source);
  });
  // The source filter is in SQL so a disabled source's rows are never read, let alone parsed.
  const selectOfSources = db.prepare<[string], HostRow>(
    `SELECT instance_id, source, observed_at, host, digests, skipped FROM host_observations
     WHERE source IN (SELECT value FROM json_each(?))
     ORDER BY instance_id, observed_at DESC, source`,
  );

  return {
    save(observation: HostObservation, receivedAt: string): void {
      upsert.run(toUpsertParams(observation, receivedAt));
    },

    saveMany(observations: readonly HostObservation[], receivedAt: string): void {
      // Every row is validated before the transaction starts, so a bad one leaves nothing written.
      upsertAll(observations.map((o) => toUpsertParams(o, receivedAt)));
    },

    latest(instanceId: string): HostObservation | null {
      const row = selectLatest.get(instanceId);
      return row ? toObservation(row) : null;
    },

    get(instanceId: string, source: HostSource): HostObservation | null {
      const row = selectOne.get(instanceId, source);
      return row ? toObservation(row) : null;
    },

    forget(instanceId: string, source: HostSource): void {
      deleteOne.run(instanceId, source);
    },

    forgetMany(instanceIds: readonly string[], source: HostSource): void {
      deleteAll(instanceIds, source);
    },

    confirm(instanceIds: readonly string[], source: HostSource, observedAt: string): void {
      touchAll(instanceIds, source, toIsoUtc(observedAt, 'observedAt'));
    },

    latestOf(sources: readonly HostSource[]): HostLookup {
      return lazyLookup(selectOfSources.all(JSON.stringify(sources)));
    },
  };
}
