// Auto Scaling (awsQuery) response bodies, element names exactly as @aws-sdk/client-auto-scaling reads them.
import type { GroupMember, SimAutoScalingGroup } from './asg-state.js';
import { element, escapeXml, textElement } from './xml.js';

export const ASG_XMLNS = 'http://autoscaling.amazonaws.com/doc/2011-01-01/';

/** `<XResponse><XResult>…</XResult><ResponseMetadata>…`; actions without output have no Result element. */
export function asgResponse(action: string, requestId: string, result: string | null): string {
  const body = result === null ? '' : element(`${action}Result`, result);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${ASG_XMLNS}">${body}${element('ResponseMetadata', textElement('RequestId', requestId))}</${action}Response>`;
}

/** awsQuery's error envelope; the SDK takes `Error/Code` as the error's `name`. */
export function asgErrorResponse(code: string, message: string, requestId: string, status: number): string {
  const type = status >= 500 ? 'Receiver' : 'Sender';
  return `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${ASG_XMLNS}">${element('Error', textElement('Type', type) + textElement('Code', code) + textElement('Message', message))}${textElement('RequestId', requestId)}</ErrorResponse>`;
}

/** awsQuery lists: one `<member>` per item. */
export function memberList(name: string, items: readonly string[]): string {
  return element(name, items.map((item) => element('member', item)).join(''));
}

export function textMembers(name: string, values: readonly string[]): string {
  return memberList(name, values.map(escapeXml));
}

function launchTemplateXml(group: SimAutoScalingGroup, version: string): string {
  return element(
    'LaunchTemplate',
    textElement('LaunchTemplateId', group.launchTemplateId) +
      textElement('LaunchTemplateName', group.launchTemplateName) +
      textElement('Version', version),
  );
}

export function groupInstanceXml(group: SimAutoScalingGroup, member: GroupMember): string {
  return [
    textElement('InstanceId', member.instanceId),
    textElement('InstanceType', member.instanceType),
    textElement('AvailabilityZone', member.availabilityZone),
    textElement('LifecycleState', member.lifecycleState),
    textElement('HealthStatus', member.healthStatus),
    launchTemplateXml(group, member.launchTemplateVersion),
    textElement('ProtectedFromScaleIn', member.protectedFromScaleIn),
  ].join('');
}

/** DescribeAutoScalingInstances spells health in capitals (HEALTHY), unlike DescribeAutoScalingGroups. */
export function autoScalingInstanceXml(group: SimAutoScalingGroup, member: GroupMember): string {
  return [
    textElement('InstanceId', member.instanceId),
    textElement('InstanceType', member.instanceType),
    textElement('AutoScalingGroupName', group.name),
    textElement('AvailabilityZone', member.availabilityZone),
    textElement('LifecycleState', member.lifecycleState),
    textElement('HealthStatus', member.healthStatus.toUpperCase()),
    launchTemplateXml(group, member.launchTemplateVersion),
    textElement('ProtectedFromScaleIn', member.protectedFromScaleIn),
  ].join('');
}

export function groupXml(group: SimAutoScalingGroup, members: readonly GroupMember[]): string {
  const tags = Object.entries(group.tags).map(
    ([key, value]) =>
      textElement('ResourceId', group.name) +
      textElement('ResourceType', 'auto-scaling-group') +
      textElement('Key', key) +
      textElement('Value', value) +
      textElement('PropagateAtLaunch', true),
  );
  return [
    textElement('AutoScalingGroupName', group.name),
    textElement('AutoScalingGroupARN', group.arn),
    launchTemplateXml(group, group.launchTemplateVersion),
    textElement('MinSize', group.minSize),
    textElement('MaxSize', group.maxSize),
    textElement('DesiredCapacity', group.desiredCapacity),
    textElement('DefaultCooldown', 300),
    textMembers('AvailabilityZones', group.availabilityZones),
    element('LoadBalancerNames', ''),
    element('TargetGroupARNs', ''),
    textElement('HealthCheckType', group.healthCheckType),
    textElement('HealthCheckGracePeriod', group.healthCheckGracePeriod),
    memberList(
      'Instances',
      members.map((m) => groupInstanceXml(group, m)),
    ),
    textElement('CreatedTime', group.createdTime),
    element('SuspendedProcesses', ''),
    textElement('VPCZoneIdentifier', group.subnetIds.join(',')),
    element('EnabledMetrics', ''),
    memberList('Tags', tags),
    textMembers('TerminationPolicies', ['Default']),
    textElement('NewInstancesProtectedFromScaleIn', false),
    textElement(
      'ServiceLinkedRoleARN',
      group.arn.replace(
        /^arn:aws:autoscaling:[^:]*:(\d+):.*$/,
        'arn:aws:iam::$1:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling',
      ),
    ),
    textElement('CapacityRebalance', false),
  ].join('');
}
