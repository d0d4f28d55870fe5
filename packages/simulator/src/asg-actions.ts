// Auto Scaling actions: describe groups and instances, terminate in a group, change capacity.
import { randomUUID } from 'node:crypto';
import type { GroupMember, SimAutoScalingGroup } from './asg-state.js';
import { autoScalingInstanceXml, groupXml, memberList } from './asg-xml.js';
import type { Ec2Context } from './ec2-context.js';
import { listParam, type QueryParams } from './query-protocol.js';
import { Ec2ApiError } from './sim-errors.js';
import { element, textElement } from './xml.js';

/** Returns the children of `<{Action}Result>`, or null for actions whose output is empty. */
export type AsgHandler = (ctx: Ec2Context) => string | null;

const validation = (message: string): Ec2ApiError => new Ec2ApiError('ValidationError', message);

function requireParam(params: QueryParams, name: string): string {
  const value = params.get(name);
  if (value === undefined || value === '')
    throw validation(
      `1 validation error detected: Value null at '${name}' failed to satisfy constraint: Member must not be null`,
    );
  return value;
}

function intParam(params: QueryParams, name: string): number | undefined {
  const raw = params.get(name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0)
    throw validation(
      `Value '${raw}' at '${name}' failed to satisfy constraint: Member must be a non-negative integer`,
    );
  return value;
}

function boolParam(params: QueryParams, name: string): boolean | undefined {
  const raw = params.get(name);
  return raw === undefined ? undefined : raw === 'true';
}

/** Pages by name: the token is the last name returned, so changes between pages never skip one. */
function page<T>(
  ctx: Ec2Context,
  items: readonly T[],
  key: (item: T) => string,
): { items: T[]; nextToken: string | undefined } {
  const maxRecords = intParam(ctx.params, 'MaxRecords') ?? 50;
  if (maxRecords < 1 || maxRecords > 100)
    throw validation(
      `Value '${maxRecords}' at 'maxRecords' failed to satisfy constraint: Member must have value between 1 and 100`,
    );
  const token = ctx.params.get('NextToken');
  let after: string | null = null;
  if (token) {
    after = Buffer.from(token, 'base64url').toString('utf8');
    if (!after.startsWith('after:')) throw new Ec2ApiError('InvalidNextToken', 'The token is invalid.');
    after = after.slice('after:'.length);
  }
  const rest = after === null ? [...items] : items.filter((item) => key(item) > (after ?? ''));
  const slice = rest.slice(0, maxRecords);
  const last = slice[slice.length - 1];
  const nextToken =
    slice.length < rest.length && last
      ? Buffer.from(`after:${key(last)}`, 'utf8').toString('base64url')
      : undefined;
  return { items: slice, nextToken };
}

const describeAutoScalingGroups: AsgHandler = (ctx) => {
  const names = listParam(ctx.params, 'AutoScalingGroupNames.member');
  // Unknown names are simply absent from the answer, as in AWS.
  const groups = ctx.fleet.autoScaling
    .all(ctx.region)
    .filter((g) => names.length === 0 || names.includes(g.name));
  const { items, nextToken } = page(ctx, groups, (g) => g.name);
  return (
    memberList(
      'AutoScalingGroups',
      items.map((g) => groupXml(g, ctx.fleet.autoScaling.members(g))),
    ) + textElement('NextToken', nextToken)
  );
};

const describeAutoScalingInstances: AsgHandler = (ctx) => {
  const ids = listParam(ctx.params, 'InstanceIds.member');
  const rows: { group: SimAutoScalingGroup; member: GroupMember }[] = [];
  for (const group of ctx.fleet.autoScaling.all(ctx.region)) {
    for (const member of ctx.fleet.autoScaling.members(group))
      if (ids.length === 0 || ids.includes(member.instanceId)) rows.push({ group, member });
  }
  rows.sort((a, b) => (a.member.instanceId < b.member.instanceId ? -1 : 1));
  const { items, nextToken } = page(ctx, rows, (row) => row.member.instanceId);
  return (
    memberList(
      'AutoScalingInstances',
      items.map(({ group, member }) => autoScalingInstanceXml(group, member)),
    ) + textElement('NextToken', nextToken)
  );
};

function activityXml(
  group: SimAutoScalingGroup,
  instance: { instanceId: string; subnetId: string; availabilityZone: string },
  cause: string,
  at: Date,
): string {
  const { instanceId } = instance;
  return [
    textElement('ActivityId', randomUUID()),
    textElement('AutoScalingGroupName', group.name),
    textElement('AutoScalingGroupARN', group.arn),
    textElement('Description', `Terminating EC2 instance: ${instanceId}`),
    textElement('Cause', cause),
    textElement('StartTime', at.toISOString()),
    textElement('StatusCode', 'InProgress'),
    textElement('Progress', 0),
    textElement(
      'Details',
      JSON.stringify({ 'Subnet ID': instance.subnetId, 'Availability Zone': instance.availabilityZone }),
    ),
  ].join('');
}

/** Accepts `InstanceId` and (newer SDKs) `InstanceIds.member.N`; one Activity per instance. */
const terminateInstanceInAutoScalingGroup: AsgHandler = (ctx) => {
  const single = ctx.params.get('InstanceId');
  const ids = single !== undefined ? [single] : listParam(ctx.params, 'InstanceIds.member');
  if (ids.length === 0) requireParam(ctx.params, 'InstanceId');
  const decrement = boolParam(ctx.params, 'ShouldDecrementDesiredCapacity');
  if (decrement === undefined) requireParam(ctx.params, 'ShouldDecrementDesiredCapacity');
  const now = ctx.fleet.currentTime();
  const activities = ids.map((instanceId) => {
    const before = ctx.fleet.autoScaling.groupOf(instanceId)?.desiredCapacity;
    const group = ctx.fleet.autoScaling.terminateInstance(ctx.region, instanceId, decrement === true);
    const change =
      decrement === true
        ? `, shrinking the capacity from ${before ?? group.desiredCapacity + 1} to ${group.desiredCapacity}`
        : '';
    const cause = `At ${now.toISOString()} instance ${instanceId} was taken out of service in response to a user request${change}.`;
    const instance = ctx.fleet.instance(instanceId) ?? { instanceId, subnetId: '', availabilityZone: '' };
    return activityXml(group, instance, cause, now);
  });
  const [first] = activities;
  return single !== undefined && first !== undefined
    ? element('Activity', first)
    : memberList('Activities', activities);
};

const setDesiredCapacity: AsgHandler = (ctx) => {
  const name = requireParam(ctx.params, 'AutoScalingGroupName');
  const desired = intParam(ctx.params, 'DesiredCapacity');
  if (desired === undefined) requireParam(ctx.params, 'DesiredCapacity');
  ctx.fleet.autoScaling.setDesiredCapacity(ctx.region, name, desired ?? 0);
  return null;
};

const updateAutoScalingGroup: AsgHandler = (ctx) => {
  const name = requireParam(ctx.params, 'AutoScalingGroupName');
  const change: { minSize?: number; maxSize?: number; desiredCapacity?: number } = {};
  const minSize = intParam(ctx.params, 'MinSize');
  const maxSize = intParam(ctx.params, 'MaxSize');
  const desiredCapacity = intParam(ctx.params, 'DesiredCapacity');
  if (minSize !== undefined) change.minSize = minSize;
  if (maxSize !== undefined) change.maxSize = maxSize;
  if (desiredCapacity !== undefined) change.desiredCapacity = desiredCapacity;
  ctx.fleet.autoScaling.update(ctx.region, name, change);
  return null;
};

export const ASG_ACTIONS = {
  DescribeAutoScalingGroups: describeAutoScalingGroups,
  DescribeAutoScalingInstances: describeAutoScalingInstances,
  TerminateInstanceInAutoScalingGroup: terminateInstanceInAutoScalingGroup,
  SetDesiredCapacity: setDesiredCapacity,
  UpdateAutoScalingGroup: updateAutoScalingGroup,
} satisfies Record<string, AsgHandler>;
