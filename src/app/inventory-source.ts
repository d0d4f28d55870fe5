// The port a host-inventory source implements (AWS Config / SSM inventory), and the sync state it keeps.
import type { HostSource, InstanceObservation, Target } from '../domain/types.js';

export interface InventorySyncContext {
  now: () => Date;
  signal?: AbortSignal;
}

export interface InventorySyncResult {
  /** Items fetched and saved as host observations. */
  fetched: number;
  /** Unchanged items whose observation was confirmed current without being fetched. */
  confirmed: number;
  /** Items for instances the EC2 listing does not have (kept for when it does). */
  skipped: number;
}

/**
 * Runs after a target's EC2 listing succeeded: refreshes the host observations of the listed
 * instances. A throw means the target's inventory was not refreshed (its EC2 data still counts).
 */
export interface InventorySource {
  readonly name: HostSource;
  sync(
    target: Target,
    instances: readonly InstanceObservation[],
    context: InventorySyncContext,
  ): Promise<InventorySyncResult>;
}

export interface InventoryTargetKey {
  account: string | null;
  region: string;
}

export interface InventoryItemState {
  /** ISO-8601 UTC capture time of the newest item seen. */
  captureTime: string;
  /** False while the instance was not in the EC2 listing: its item still has to be fetched. */
  fetched: boolean;
}

/** Per-target incremental state of the Config inventory sync, persisted so a restart stays incremental. */
export interface InventorySyncRepository {
  /** Newest capture time seen by a completed sync, or null before the first one. */
  cursor(target: InventoryTargetKey): string | null;
  items(target: InventoryTargetKey): Map<string, InventoryItemState>;
  recordItems(
    target: InventoryTargetKey,
    items: readonly ({ resourceId: string } & InventoryItemState)[],
  ): void;
  /** Never moves the cursor backwards. */
  advanceCursor(target: InventoryTargetKey, cursor: string, syncedAt: string): void;
  /** When a sync last listed every item of the target (null: never). */
  reconciledAt(target: InventoryTargetKey): string | null;
  /** After a full listing: drops the items it did not contain, and records the time. */
  reconcile(target: InventoryTargetKey, present: ReadonlySet<string>, at: string): void;
}
