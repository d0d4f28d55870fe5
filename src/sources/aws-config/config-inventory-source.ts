// Collects host packages from SSM inventory recorded by AWS Config: incremental per target, fetched only when changed.
import type { ConfigServiceClient } from '@aws-sdk/client-config-service';
import type {
  InventoryItemState,
  InventorySource,
  InventorySyncContext,
  InventorySyncRepository,
  InventorySyncResult,
} from '../../app/inventory-source.js';
import type { HostRepository } from '../../app/ports.js';
import type { HostObservation, InstanceObservation, Target } from '../../domain/types.js';
import { batchGetInventory } from './batch-get-inventory.js';
import { toHostSection } from './inventory-mapper.js';
import { selectInventoryPages, type InventoryItemRef } from './select-inventory-pages.js';

export interface ConfigInventorySourceOptions {
  /** One client per account+region, created by the composition root. */
  clientFor(target: Target): ConfigServiceClient;
  hosts: HostRepository;
  state: InventorySyncRepository;
  /**
   * Each sync asks for items captured after (cursor − overlap): Config may record an item a while
   * after its capture time, and a strict `>` on the cursor alone would miss it. Items seen again in
   * the overlap with an unchanged capture time are not fetched. Default 10 minutes.
   */
  overlapMs?: number;
  /**
   * How often a sync lists every item instead of the recent ones, so items Config no longer has
   * (inventory deleted, instance deregistered from SSM) are forgotten instead of confirmed as
   * current forever. Default 1 hour; the daemon uses half of `sources.awsConfig.maxAge`.
   */
  reconcileEveryMs?: number;
}

/** Statuses of an item that describes no current inventory. */
const GONE = new Set(['ResourceDeleted', 'ResourceDeletedNotRecorded', 'ResourceNotRecorded']);

export function createConfigInventorySource(options: ConfigInventorySourceOptions): InventorySource {
  const overlapMs = options.overlapMs ?? 600_000;
  const reconcileEveryMs = options.reconcileEveryMs ?? 3_600_000;
  return {
    name: 'aws-config',
    async sync(
      target: Target,
      instances: readonly InstanceObservation[],
      context: InventorySyncContext,
    ): Promise<InventorySyncResult> {
      const client = options.clientFor(target);
      const listed = new Set(instances.map((i) => i.instanceId));
      const known = options.state.items(target);
      const cursor = options.state.cursor(target);
      const reconciledAt = options.state.reconciledAt(target);
      const full =
        cursor === null ||
        reconciledAt === null ||
        context.now().getTime() - Date.parse(reconciledAt) >= reconcileEveryMs;
      const capturedAfter = full ? null : new Date(Date.parse(cursor) - overlapMs).toISOString();
      const present = new Set<string>();

      // Newest capture time per changed item; an item unchanged since its last fetch is left alone.
      const changed = new Map<string, string>();
      let newest = cursor;
      for await (const page of selectInventoryPages(client, { capturedAfter, signal: context.signal })) {
        for (const ref of page) {
          present.add(ref.resourceId);
          if (newest === null || ref.captureTime > newest) newest = ref.captureTime;
          if (!isUnchanged(known.get(ref.resourceId), ref)) changed.set(ref.resourceId, ref.captureTime);
        }
      }
      // Items seen while their instance was not listed are fetched once it is.
      for (const [resourceId, item] of known) {
        if (!item.fetched && listed.has(resourceId) && !changed.has(resourceId))
          changed.set(resourceId, item.captureTime);
      }

      const toFetch = [...changed.keys()].filter((id) => listed.has(id)).sort();
      const notListed = [...changed].filter(([id]) => !listed.has(id));
      options.state.recordItems(
        target,
        notListed.map(([resourceId, captureTime]) => ({ resourceId, captureTime, fetched: false })),
      );

      const now = context.now().toISOString();
      const items = await batchGetInventory(client, toFetch, context.signal);
      const captured = new Map<string, string>();
      const toSave: HostObservation[] = [];
      for (const item of items) {
        const instanceId = item.resourceId;
        if (instanceId === undefined || !listed.has(instanceId)) continue;
        captured.set(
          instanceId,
          item.configurationItemCaptureTime?.toISOString() ?? changed.get(instanceId) ?? now,
        );
        if (GONE.has(item.configurationItemStatus ?? '')) continue;
        const host = toHostSection(item.configuration);
        if (host === null) continue;
        // Observed now, not at capture time: the item is what Config holds as current right now.
        toSave.push({ instanceId, source: 'aws-config', observedAt: now, host });
      }
      // One transaction for the whole sync's inventory, not one commit per instance.
      options.hosts.saveMany(toSave, now);
      const saved = new Set(toSave.map((o) => o.instanceId));
      const fetched = saved.size;
      // Every changed item gets its capture time recorded, so the next sync does not fetch it again.
      // One that is deleted, unreadable or missing from the answer no longer says what the host
      // runs: its old inventory is forgotten rather than confirmed as current on every later sync.
      options.state.recordItems(
        target,
        toFetch.map((resourceId) => ({
          resourceId,
          captureTime: captured.get(resourceId) ?? changed.get(resourceId) ?? now,
          fetched: true,
        })),
      );
      const forgotten = toFetch.filter((instanceId) => !saved.has(instanceId));

      // A full listing that no longer has an item: Config holds no inventory for it any more.
      if (full) {
        for (const id of known.keys()) {
          if (!present.has(id)) {
            forgotten.push(id);
            known.delete(id);
          }
        }
      }
      options.hosts.forgetMany(forgotten, 'aws-config');
      // Unchanged items are still what Config holds: a successful sync confirms them current.
      const unchanged = [...known]
        .filter(([id, item]) => item.fetched && listed.has(id) && !changed.has(id))
        .map(([id]) => id);
      options.hosts.confirm(unchanged, 'aws-config', now);
      if (newest !== null) options.state.advanceCursor(target, newest, now);
      if (full) options.state.reconcile(target, present, now);
      return { fetched, confirmed: unchanged.length, skipped: notListed.length };
    },
  };
}

function isUnchanged(known: InventoryItemState | undefined, ref: InventoryItemRef): boolean {
  return known !== undefined && known.fetched && known.captureTime >= ref.captureTime;
}
