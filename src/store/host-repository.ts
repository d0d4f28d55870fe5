// SQLite-backed HostRepository: the newest host fingerprint per instance and source.
import type { HostRepository } from '../app/ports.js';
import type { HostObservation, HostSection, HostSource } from '../domain/types.js';
import type { Database } from './database.js';
import { toIsoUtc } from './timestamps.js';

interface HostRow {
  instance_id: string;
  source: HostSource;
  observed_at: string;
  host: string;
  digests: string;
  skipped: string;
}

function toObservation(row: HostRow): HostObservation {
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

export function createHostRepository(db: Database): HostRepository {
  // Pushes can arrive out of order (agent retries, buffered inventory): the WHERE keeps the newest.
  const upsert = db.prepare<
    [
      {
        instanceId: string;
        source: string;
        observedAt: string;
        receivedAt: string;
        host: string;
        digests: string;
        skipped: string;
      },
    ]
  >(
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
  const selectAll = db.prepare<[], HostRow>(
    `SELECT instance_id, source, observed_at, host, digests, skipped FROM host_observations
     ORDER BY instance_id, observed_at DESC, source`,
  );

  return {
    save(observation: HostObservation, receivedAt: string): void {
      upsert.run({
        instanceId: observation.instanceId,
        source: observation.source,
        // Normalised so the string comparison above orders times correctly across time zones.
        observedAt: toIsoUtc(observation.observedAt, 'observedAt'),
        receivedAt: toIsoUtc(receivedAt, 'receivedAt'),
        host: JSON.stringify(observation.host),
        digests: JSON.stringify(observation.digests ?? {}),
        skipped: JSON.stringify(observation.skipped ?? []),
      });
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

    confirm(instanceIds: readonly string[], source: HostSource, observedAt: string): void {
      touchAll(instanceIds, source, toIsoUtc(observedAt, 'observedAt'));
    },

    latestAll(): Map<string, HostObservation[]> {
      const latest = new Map<string, HostObservation[]>();
      for (const row of selectAll.all()) {
        const list = latest.get(row.instance_id);
        if (list) list.push(toObservation(row));
        else latest.set(row.instance_id, [toObservation(row)]);
      }
      return latest;
    },
  };
}
