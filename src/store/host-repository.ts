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
}

function toObservation(row: HostRow): HostObservation {
  return {
    instanceId: row.instance_id,
    source: row.source,
    observedAt: row.observed_at,
    host: JSON.parse(row.host) as HostSection,
  };
}

export function createHostRepository(db: Database): HostRepository {
  // Pushes can arrive out of order (agent retries, buffered inventory): the WHERE keeps the newest.
  const upsert = db.prepare<
    [{ instanceId: string; source: string; observedAt: string; receivedAt: string; host: string }]
  >(
    `INSERT INTO host_observations (instance_id, source, observed_at, received_at, host)
     VALUES (@instanceId, @source, @observedAt, @receivedAt, @host)
     ON CONFLICT (instance_id, source) DO UPDATE SET
       observed_at = excluded.observed_at, received_at = excluded.received_at, host = excluded.host
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
    `SELECT instance_id, source, observed_at, host FROM host_observations
     WHERE instance_id = ? ORDER BY observed_at DESC, source LIMIT 1`,
  );
  const selectAll = db.prepare<[], HostRow>(
    `SELECT instance_id, source, observed_at, host FROM host_observations
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
      });
    },

    latest(instanceId: string): HostObservation | null {
      const row = selectLatest.get(instanceId);
      return row ? toObservation(row) : null;
    },

    confirm(instanceIds: readonly string[], source: HostSource, observedAt: string): void {
      touchAll(instanceIds, source, toIsoUtc(observedAt, 'observedAt'));
    },

    latestAll(): Map<string, HostObservation> {
      const latest = new Map<string, HostObservation>();
      for (const row of selectAll.all()) {
        if (!latest.has(row.instance_id)) latest.set(row.instance_id, toObservation(row));
      }
      return latest;
    },
  };
}
