// The store's entry point: opens and migrates the database and wires the repositories.
import type {
  AcceptanceRepository,
  FleetRepository,
  FleetViews,
  HostRepository,
  ManifestRepository,
} from '../app/ports.js';
import type { InventorySyncRepository } from '../app/inventory-source.js';
import type {
  AuditLog,
  JobRepository,
  RemediationInputs,
  RemediationStateRepository,
} from '../app/remediation/ports.js';
import type { ReasonRepository } from '../app/remediation/reason-port.js';
import { createAcceptanceRepository } from './acceptance-repository.js';
import { createAuditLog, createJobRepository, createRemediationStateRepository } from './job-repository.js';
import { openDatabase, type Database } from './database.js';
import { createFleetRepository } from './fleet-repository.js';
import { createFleetViews } from './fleet-views.js';
import { createHostRepository } from './host-repository.js';
import { createInventorySyncRepository } from './inventory-sync-repository.js';
import { createManifestRepository } from './manifest-repository.js';
import { migrate } from './migrations.js';
import { createReasonRepository } from './reason-repository.js';
import { createRemediationInputs } from './remediation-inputs.js';
import { createPruner, type Pruner } from './retention.js';

export { openDatabase, type Database, type OpenDatabaseOptions } from './database.js';
export {
  migrate,
  migrationStatus,
  pendingMigrations,
  type AppliedMigration,
  type MigrateOptions,
  type MigrateResult,
  type MigrationStatus,
} from './migrations.js';
export { createFleetRepository } from './fleet-repository.js';
export { createHostRepository } from './host-repository.js';
export { createManifestRepository } from './manifest-repository.js';
export { createAcceptanceRepository } from './acceptance-repository.js';
export { acquireDatabaseLock, type DatabaseLock } from './database-lock.js';

export interface OpenStoreOptions {
  now: () => Date;
}

export interface Store {
  db: Database;
  manifests: ManifestRepository;
  fleet: FleetRepository;
  /** Read models behind the web UI. */
  views: FleetViews;
  hosts: HostRepository;
  jobs: JobRepository;
  audit: AuditLog;
  remediation: RemediationStateRepository;
  /** What the replacement policy reads, each an indexed query. */
  remediationInputs: RemediationInputs;
  /** Why each candidate instance and open job waits. */
  reasons: ReasonRepository;
  /** Cursor and item capture times of the AWS Config inventory sync, per target. */
  inventorySync: InventorySyncRepository;
  /** Drift acceptances ("accept this drift"). */
  acceptances: AcceptanceRepository;
  /** Deletes rows older than the retention settings, in small batches. */
  retention: Pruner;
  /** Migration names applied while opening (empty when the schema was already current). */
  migrationsApplied: string[];
  close(): void;
}

/** Opens the database file, applies pending migrations (or refuses a newer/edited schema), wires repositories. */
export function openStore(path: string, options: OpenStoreOptions): Store {
  const db = openDatabase(path);
  let applied: string[];
  try {
    applied = migrate(db, { now: options.now }).applied;
  } catch (error) {
    db.close();
    throw error;
  }
  const audit = createAuditLog(db);
  return {
    db,
    jobs: createJobRepository(db, audit),
    audit,
    remediation: createRemediationStateRepository(db, audit),
    remediationInputs: createRemediationInputs(db),
    reasons: createReasonRepository(db),
    manifests: createManifestRepository(db),
    fleet: createFleetRepository(db),
    views: createFleetViews(db),
    hosts: createHostRepository(db),
    inventorySync: createInventorySyncRepository(db),
    acceptances: createAcceptanceRepository(db, options.now),
    retention: createPruner(db),
    migrationsApplied: applied,
    close(): void {
      if (!db.open) return;
      try {
        // Lets SQLite refresh its planner statistics cheaply, as recommended before closing.
        db.pragma('optimize');
      } catch {
        // Best effort: on a full disk the statistics cannot be written, and the database must still close.
      }
      db.close();
    },
  };
}
