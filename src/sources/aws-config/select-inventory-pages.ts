// Thin SDK repository: pages of SelectResourceConfig listing SSM inventory items captured after a time.
import { SelectResourceConfigCommand, type ConfigServiceClient } from '@aws-sdk/client-config-service';

export const INVENTORY_RESOURCE_TYPE = 'AWS::SSM::ManagedInstanceInventory';

/** SelectResourceConfig returns at most 100 results per page. */
const PAGE_LIMIT = 100;

export interface InventoryItemRef {
  resourceId: string;
  /** ISO-8601 UTC. */
  captureTime: string;
}

export interface SelectInventoryOptions {
  /** Only items captured after this ISO time; null = every item. */
  capturedAfter: string | null;
  signal?: AbortSignal;
}

export function inventoryExpression(capturedAfter: string | null): string {
  const base = `SELECT resourceId, configurationItemCaptureTime WHERE resourceType = '${INVENTORY_RESOURCE_TYPE}'`;
  // The cursor is an ISO time we produced ourselves, so it never holds a quote.
  return capturedAfter === null ? base : `${base} AND configurationItemCaptureTime > '${capturedAfter}'`;
}

/** A result row we cannot read is an error: skipping it silently would lose that instance's changes. */
function readResult(text: string): InventoryItemRef {
  const row = JSON.parse(text) as { resourceId?: unknown; configurationItemCaptureTime?: unknown };
  const captured =
    typeof row.configurationItemCaptureTime === 'string' ? Date.parse(row.configurationItemCaptureTime) : NaN;
  if (typeof row.resourceId !== 'string' || Number.isNaN(captured))
    throw new Error(
      `SelectResourceConfig returned a result without resourceId/configurationItemCaptureTime: ${text.slice(0, 200)}`,
    );
  return { resourceId: row.resourceId, captureTime: new Date(captured).toISOString() };
}

export async function* selectInventoryPages(
  client: ConfigServiceClient,
  options: SelectInventoryOptions,
): AsyncGenerator<InventoryItemRef[]> {
  const expression = inventoryExpression(options.capturedAfter);
  let nextToken: string | undefined;
  const seenTokens = new Set<string>();
  do {
    const page = await client.send(
      new SelectResourceConfigCommand({ Expression: expression, Limit: PAGE_LIMIT, NextToken: nextToken }),
      { abortSignal: options.signal },
    );
    yield (page.Results ?? []).map(readResult);
    nextToken = page.NextToken || undefined;
    if (nextToken !== undefined) {
      if (seenTokens.has(nextToken)) throw new Error('SelectResourceConfig returned a repeated NextToken');
      seenTokens.add(nextToken);
    }
  } while (nextToken !== undefined);
}
