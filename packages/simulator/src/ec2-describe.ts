// Read-only EC2 actions: DescribeInstances (filtered, paginated), DescribeImages, DescribeInstanceAttribute.
import {
  checkDryRun,
  instancesInRegion,
  requireParam,
  type Ec2Context,
  type Ec2Handler,
} from './ec2-context.js';
import { compileFilters, IMAGE_FILTERS, INSTANCE_FILTERS } from './ec2-filters.js';
import { imageXml, reservationXml } from './ec2-xml.js';
import type { SimImage, SimInstance } from './world-types.js';
import { filtersParam, listParam } from './query-protocol.js';
import { Ec2ApiError } from './sim-errors.js';
import { element, itemSet, textElement } from './xml.js';

/**
 * The token carries the last instance id returned. Pages walk the id-sorted list from there, so
 * launches or terminations between pages never cause a gap or a duplicate.
 */
export function encodeToken(lastId: string): string {
  return Buffer.from(JSON.stringify({ after: lastId }), 'utf8').toString('base64url');
}

export function decodeToken(token: string): string {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (parsed && typeof parsed === 'object' && 'after' in parsed && typeof parsed.after === 'string')
      return parsed.after;
  } catch {
    // fall through to the AWS-shaped error
  }
  throw new Ec2ApiError('InvalidParameterValue', `The specified NextToken is not valid: ${token}`);
}

export function maxResultsParam(ctx: Ec2Context, min: number, max: number): number | null {
  const raw = ctx.params.get('MaxResults');
  if (raw === undefined) return null;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Ec2ApiError(
      'InvalidParameterValue',
      `Value ( ${raw} ) for parameter maxResults is invalid. Expecting a value between ${min} and ${max}.`,
    );
  }
  return value;
}

/** Reservations in order of first appearance on the page, each with its instances from the page. */
function groupIntoReservations(instances: readonly SimInstance[]): Map<string, SimInstance[]> {
  const reservations = new Map<string, SimInstance[]>();
  for (const instance of instances) {
    const list = reservations.get(instance.reservationId) ?? [];
    list.push(instance);
    reservations.set(instance.reservationId, list);
  }
  return reservations;
}

/** Index of the first instance whose id sorts after `id` (binary search over the sorted list). */
function firstAfter(sorted: readonly SimInstance[], id: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((sorted[mid] as SimInstance).instanceId <= id) low = mid + 1;
    else high = mid;
  }
  return low;
}

const describeInstances: Ec2Handler = (ctx) => {
  checkDryRun(ctx.params);
  const instanceIds = listParam(ctx.params, 'InstanceId');
  const maxResults = maxResultsParam(ctx, 5, 1000);
  if (instanceIds.length > 0 && maxResults !== null) {
    throw new Ec2ApiError(
      'InvalidParameterCombination',
      'The parameter instancesSet cannot be used with the parameter maxResults',
    );
  }
  const matches = compileFilters(filtersParam(ctx.params), INSTANCE_FILTERS, (i, key) => i.tags.get(key));
  const wanted =
    instanceIds.length > 0 ? new Set(instancesInRegion(ctx, instanceIds).map((i) => i.instanceId)) : null;
  const token = ctx.params.get('NextToken');
  const after = token ? decodeToken(token) : null;
  // Sorted by id: start after the token and stop once the page is full and one more matches, so a
  // page costs what it returns, not a pass over the whole region (as EC2's own listing).
  const sorted = ctx.fleet.instancesIn(ctx.region);
  const limit = maxResults ?? Number.POSITIVE_INFINITY;
  const page: SimInstance[] = [];
  let more = false;
  for (let k = after === null ? 0 : firstAfter(sorted, after); k < sorted.length; k++) {
    const instance = sorted[k] as SimInstance;
    if ((wanted !== null && !wanted.has(instance.instanceId)) || !matches(instance)) continue;
    if (page.length === limit) {
      more = true;
      break;
    }
    page.push(instance);
  }
  const last = page[page.length - 1];
  const nextToken = more && last ? encodeToken(last.instanceId) : undefined;
  const reservations = [...groupIntoReservations(page)].map(([reservationId, instances]) =>
    reservationXml(ctx.fleet, reservationId, instances),
  );
  return itemSet('reservationSet', reservations) + textElement('nextToken', nextToken);
};

const describeImages: Ec2Handler = (ctx) => {
  checkDryRun(ctx.params);
  const imageIds = listParam(ctx.params, 'ImageId');
  const owners = listParam(ctx.params, 'Owner').map((owner) =>
    owner === 'self' ? ctx.fleet.account : owner,
  );
  const matches = compileFilters(filtersParam(ctx.params), IMAGE_FILTERS, (image, key) =>
    Object.hasOwn(image.tags, key) ? image.tags[key] : undefined,
  );
  const inRegion = ctx.fleet.images.filter((image) => image.region === ctx.region);
  const missing = imageIds.filter((id) => !inRegion.some((image) => image.imageId === id));
  if (missing.length > 0)
    throw new Ec2ApiError('InvalidAMIID.NotFound', `The image id '[${missing.join(', ')}]' does not exist`);
  const selected = inRegion.filter(
    (image: SimImage) =>
      (imageIds.length === 0 || imageIds.includes(image.imageId)) &&
      (owners.length === 0 || owners.includes(image.ownerId)) &&
      matches(image),
  );
  return itemSet('imagesSet', selected.map(imageXml));
};

/** One attribute per call, as in EC2; user data is base64 and omitted entirely when there is none. */
const ATTRIBUTES: Record<string, (ctx: Ec2Context, instance: SimInstance) => string> = {
  userData: (_ctx, i) =>
    i.userData === null
      ? ''
      : element('userData', textElement('value', Buffer.from(i.userData, 'utf8').toString('base64'))),
  instanceType: (_ctx, i) => element('instanceType', textElement('value', i.instanceType)),
  groupSet: (ctx, i) =>
    itemSet(
      'groupSet',
      i.securityGroupIds.map(
        (id) =>
          textElement('groupId', id) + textElement('groupName', ctx.fleet.securityGroup(id)?.groupName ?? id),
      ),
    ),
  disableApiTermination: () => element('disableApiTermination', textElement('value', false)),
  instanceInitiatedShutdownBehavior: () =>
    element('instanceInitiatedShutdownBehavior', textElement('value', 'stop')),
  rootDeviceName: () => element('rootDeviceName', textElement('value', '/dev/xvda')),
};

const describeInstanceAttribute: Ec2Handler = (ctx) => {
  checkDryRun(ctx.params);
  const instanceId = requireParam(ctx.params, 'InstanceId');
  const attribute = requireParam(ctx.params, 'Attribute');
  const render = Object.hasOwn(ATTRIBUTES, attribute) ? ATTRIBUTES[attribute] : undefined;
  if (!render)
    throw new Ec2ApiError(
      'InvalidParameterValue',
      `Value (${attribute}) for parameter attribute is invalid. Unknown attribute.`,
    );
  const [instance] = instancesInRegion(ctx, [instanceId]);
  if (!instance)
    throw new Ec2ApiError('InvalidInstanceID.NotFound', `The instance ID '${instanceId}' does not exist`);
  return textElement('instanceId', instance.instanceId) + render(ctx, instance);
};

export const DESCRIBE_ACTIONS = {
  DescribeInstances: describeInstances,
  DescribeImages: describeImages,
  DescribeInstanceAttribute: describeInstanceAttribute,
} satisfies Record<string, Ec2Handler>;
