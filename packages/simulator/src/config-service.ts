// AWS Config over JSON 1.1 (X-Amz-Target: StarlingDoveService.<Op>): SelectResourceConfig and BatchGetResourceConfig.
import { randomUUID } from 'node:crypto';
import { INVENTORY_RESOURCE_TYPE, type InventoryItem } from './config-inventory.js';
import { compare, parseSelectExpression, type SelectQuery } from './config-query.js';
import type { AwsReply } from './ec2-service.js';
import type { SimWorld } from './sim-world.js';
import type { QueryParams } from './query-protocol.js';
import { Ec2ApiError } from './sim-errors.js';

const TARGET_PREFIX = 'StarlingDoveService.';
const JSON_CONTENT_TYPE = 'application/x-amz-json-1.1';
const MAX_SELECT_LIMIT = 100;
const MAX_BATCH_KEYS = 100;

/**
 * The operation from `X-Amz-Target` and the body's top-level fields, flattened for the request log
 * (strings as they are, anything else as JSON text).
 */
export function readConfigRequest(target: string | undefined, body: string): Map<string, string> {
  const params = new Map<string, string>();
  params.set('Action', target?.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '');
  let parsed: unknown = {};
  try {
    parsed = body.trim() === '' ? {} : JSON.parse(body);
  } catch {
    params.set('__invalidJson', body.slice(0, 200));
  }
  if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
    for (const [key, value] of Object.entries(parsed))
      if (key !== 'Action') params.set(key, typeof value === 'string' ? value : JSON.stringify(value));
  }
  return params;
}

/** JSON protocol errors: `__type` carries the code (the SDK strips any `namespace#`), `message` the text. */
export function configErrorReply(error: Ec2ApiError, requestId: string = randomUUID()): AwsReply {
  return {
    status: error.status,
    body: JSON.stringify({ __type: `com.amazonaws.configservice#${error.code}`, message: error.message }),
    requestId,
    errorCode: error.code,
    contentType: JSON_CONTENT_TYPE,
  };
}

type ConfigHandler = (fleet: SimWorld, region: string, params: QueryParams) => unknown;

const epochSeconds = (date: Date): number => date.getTime() / 1000;

function arnOf(item: InventoryItem): string {
  return `arn:aws:ssm:${item.region}:${item.accountId}:managed-instance-inventory/${item.resourceId}`;
}

function matches(item: InventoryItem, query: SelectQuery): boolean {
  return query.conditions.every((c) => {
    if (c.field === 'resourceType') return c.value === INVENTORY_RESOURCE_TYPE;
    if (c.field === 'resourceId') return c.value === item.resourceId;
    return compare(item.captureTime.getTime(), c.op, Date.parse(c.value));
  });
}

function selectedField(item: InventoryItem, field: SelectQuery['fields'][number]): string {
  switch (field) {
    case 'resourceId':
      return item.resourceId;
    case 'resourceType':
      return INVENTORY_RESOURCE_TYPE;
    case 'configurationItemCaptureTime':
      return item.captureTime.toISOString();
    case 'accountId':
      return item.accountId;
    case 'awsRegion':
      return item.region;
    case 'arn':
      return arnOf(item);
  }
}

/** A NextToken is the offset into the sorted result, bound to the expression it was issued for. */
function encodeToken(expression: string, offset: number): string {
  return Buffer.from(JSON.stringify({ e: expression, o: offset })).toString('base64');
}

function decodeToken(token: string, expression: string): number {
  try {
    const decoded = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { e?: unknown; o?: unknown };
    if (
      decoded.e === expression &&
      typeof decoded.o === 'number' &&
      Number.isInteger(decoded.o) &&
      decoded.o >= 0
    )
      return decoded.o;
  } catch {
    // falls through to the error below
  }
  throw new Ec2ApiError('InvalidNextTokenException', 'The specified next token is invalid.');
}

const selectResourceConfig: ConfigHandler = (fleet, region, params) => {
  const expression = params.get('Expression');
  if (!expression)
    throw new Ec2ApiError(
      'ValidationException',
      "1 validation error detected: Value null at 'expression' failed to satisfy constraint: Member must not be null",
    );
  const query = parseSelectExpression(expression);
  const limitText = params.get('Limit');
  const limit = limitText === undefined ? MAX_SELECT_LIMIT : Number(limitText);
  if (!Number.isInteger(limit) || limit < 0 || limit > MAX_SELECT_LIMIT)
    throw new Ec2ApiError('InvalidLimitException', `Limit must be between 0 and ${MAX_SELECT_LIMIT}.`);
  const pageSize = limit === 0 ? MAX_SELECT_LIMIT : limit;
  const token = params.get('NextToken');
  const offset = token ? decodeToken(token, expression) : 0;
  const typeCondition = query.conditions.find((c) => c.field === 'resourceType');
  // Only inventory is recorded here; a query for any other type has no results (not an error).
  const all =
    typeCondition && typeCondition.value !== INVENTORY_RESOURCE_TYPE
      ? []
      : fleet.inventory.items(region).filter((item) => matches(item, query));
  const page = all.slice(offset, offset + pageSize);
  const next = offset + pageSize < all.length ? encodeToken(expression, offset + pageSize) : undefined;
  return {
    Results: page.map((item) =>
      JSON.stringify(Object.fromEntries(query.fields.map((field) => [field, selectedField(item, field)]))),
    ),
    QueryInfo: { SelectFields: query.fields.map((Name) => ({ Name })) },
    ...(next === undefined ? {} : { NextToken: next }),
  };
};

interface ResourceKey {
  resourceType: string;
  resourceId: string;
}

function readResourceKeys(text: string | undefined): ResourceKey[] {
  const keys: unknown = text === undefined ? undefined : JSON.parse(text);
  if (!Array.isArray(keys) || keys.length < 1 || keys.length > MAX_BATCH_KEYS)
    throw new Ec2ApiError(
      'ValidationException',
      `1 validation error detected: Value at 'resourceKeys' failed to satisfy constraint: Member must have length between 1 and ${MAX_BATCH_KEYS}`,
    );
  return keys.map((key, index) => {
    const k = key as Partial<ResourceKey> | null;
    if (typeof k?.resourceType !== 'string' || typeof k.resourceId !== 'string')
      throw new Ec2ApiError(
        'ValidationException',
        `1 validation error detected: Value at 'resourceKeys.${index + 1}' must have resourceType and resourceId`,
      );
    return { resourceType: k.resourceType, resourceId: k.resourceId };
  });
}

/** Keys Config has no item for are simply absent from the answer, as in AWS; see leaveUnprocessed for the rest. */
const batchGetResourceConfig: ConfigHandler = (fleet, region, params) => {
  const keys = readResourceKeys(params.get('resourceKeys'));
  const unprocessed: ResourceKey[] = [];
  const items = keys.flatMap((key) => {
    if (fleet.inventory.takeUnprocessed()) {
      unprocessed.push(key);
      return [];
    }
    if (key.resourceType !== INVENTORY_RESOURCE_TYPE) return [];
    const item = fleet.inventory.item(region, key.resourceId);
    return item ? [item] : [];
  });
  return {
    baseConfigurationItems: items.map((item) => ({
      version: '1.3',
      accountId: item.accountId,
      configurationItemCaptureTime: epochSeconds(item.captureTime),
      configurationItemStatus: 'OK',
      configurationStateId: String(item.stateId),
      arn: arnOf(item),
      resourceType: INVENTORY_RESOURCE_TYPE,
      resourceId: item.resourceId,
      awsRegion: item.region,
      availabilityZone: 'Multiple Availability Zones',
      configuration: JSON.stringify(item.configuration),
      supplementaryConfiguration: {},
    })),
    unprocessedResourceKeys: unprocessed,
  };
};

const CONFIG_ACTIONS: Record<string, ConfigHandler> = {
  SelectResourceConfig: selectResourceConfig,
  BatchGetResourceConfig: batchGetResourceConfig,
};

export function handleConfigRequest(fleet: SimWorld, region: string, params: QueryParams): AwsReply {
  const requestId = randomUUID();
  const action = params.get('Action') ?? '';
  if (params.has('__invalidJson'))
    return configErrorReply(
      new Ec2ApiError('SerializationException', 'Request body is not valid JSON'),
      requestId,
    );
  const handler = Object.hasOwn(CONFIG_ACTIONS, action) ? CONFIG_ACTIONS[action] : undefined;
  if (!handler)
    return configErrorReply(
      new Ec2ApiError(
        'UnknownOperationException',
        `The simulator does not speak Config operation ${action || '(none)'}.`,
      ),
      requestId,
    );
  try {
    fleet.inventory.refresh(fleet.instancesIn(region));
    return {
      status: 200,
      body: JSON.stringify(handler(fleet, region, params)),
      requestId,
      contentType: JSON_CONTENT_TYPE,
    };
  } catch (error) {
    if (error instanceof Ec2ApiError) return configErrorReply(error, requestId);
    if (error instanceof SyntaxError)
      return configErrorReply(new Ec2ApiError('SerializationException', error.message), requestId);
    return configErrorReply(
      new Ec2ApiError('InternalFailure', `An internal error has occurred (simulator: ${String(error)})`, 500),
      requestId,
    );
  }
}
