// Thin SDK repository: BatchGetResourceConfig for inventory items, 100 keys per call, unprocessed keys retried.
import {
  BatchGetResourceConfigCommand,
  type BaseConfigurationItem,
  type ConfigServiceClient,
  type ResourceKey,
} from '@aws-sdk/client-config-service';
import { INVENTORY_RESOURCE_TYPE } from './select-inventory-pages.js';

/** BatchGetResourceConfig accepts at most 100 resource keys. */
export const BATCH_LIMIT = 100;
/** Calls per chunk for keys Config left unprocessed (it does so under load) before giving up. */
const MAX_ROUNDS = 3;

export class UnprocessedInventoryError extends Error {
  override name = 'UnprocessedInventoryError';
}

export async function batchGetInventory(
  client: ConfigServiceClient,
  resourceIds: readonly string[],
  signal?: AbortSignal,
): Promise<BaseConfigurationItem[]> {
  const items: BaseConfigurationItem[] = [];
  for (let start = 0; start < resourceIds.length; start += BATCH_LIMIT) {
    let keys: ResourceKey[] = resourceIds
      .slice(start, start + BATCH_LIMIT)
      .map((resourceId) => ({ resourceType: INVENTORY_RESOURCE_TYPE, resourceId }));
    for (let round = 1; keys.length > 0; round++) {
      if (round > MAX_ROUNDS)
        throw new UnprocessedInventoryError(
          `BatchGetResourceConfig left ${keys.length} inventory item(s) unprocessed after ${MAX_ROUNDS} calls`,
        );
      const out = await client.send(new BatchGetResourceConfigCommand({ resourceKeys: keys }), {
        abortSignal: signal,
      });
      items.push(...(out.baseConfigurationItems ?? []));
      keys = out.unprocessedResourceKeys ?? [];
    }
  }
  return items;
}
