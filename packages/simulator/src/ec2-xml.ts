// EC2 Query-protocol response bodies, with element names exactly as @aws-sdk/client-ec2 deserializes them.
import type { SimWorld } from './sim-world.js';
import {
  INSTANCE_STATE_CODES,
  type InstanceStateName,
  type SimImage,
  type SimInstance,
} from './world-types.js';
import { element, itemSet, textElement } from './xml.js';

export const EC2_XMLNS = 'http://ec2.amazonaws.com/doc/2016-11-15/';

/** `<{Action}Response xmlns=…><requestId>…</requestId>{body}</…>`: the SDK reads members off the root. */
export function ec2Response(action: string, requestId: string, body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${EC2_XMLNS}">${textElement('requestId', requestId)}${body}</${action}Response>`;
}

/** EC2's error envelope; the SDK takes `Errors/Error/Code` as the error's `name`. */
export function ec2ErrorResponse(code: string, message: string, requestId: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>${textElement('Code', code)}${textElement('Message', message)}</Error></Errors>${textElement('RequestID', requestId)}</Response>`;
}

/** `<name><code>16</code><name>running</name></name>`, EC2's InstanceState shape. */
export function stateXml(name: string, state: InstanceStateName): string {
  return element(name, textElement('code', INSTANCE_STATE_CODES[state]) + textElement('name', state));
}

/** EC2 timestamps carry milliseconds: 2026-11-20T10:00:00.000Z. */
export function isoMillis(iso: string): string {
  return new Date(iso).toISOString();
}

export function tagSetXml(tags: Iterable<[string, string]>): string {
  const items = [...tags].map(([key, value]) => textElement('key', key) + textElement('value', value));
  return items.length === 0 ? '' : itemSet('tagSet', items);
}

function privateDnsName(instance: SimInstance): string {
  const host = `ip-${instance.privateIpAddress.replaceAll('.', '-')}`;
  return instance.region === 'us-east-1'
    ? `${host}.ec2.internal`
    : `${host}.${instance.region}.compute.internal`;
}

export function instanceXml(fleet: SimWorld, instance: SimInstance): string {
  const groups = instance.securityGroupIds.map(
    (groupId) =>
      textElement('groupId', groupId) +
      textElement('groupName', fleet.securityGroup(groupId)?.groupName ?? groupId),
  );
  const profile = instance.iamInstanceProfile
    ? element(
        'iamInstanceProfile',
        textElement('arn', instance.iamInstanceProfile.arn) +
          textElement('id', instance.iamInstanceProfile.id),
      )
    : '';
  const meta = instance.metadataOptions;
  // A terminated instance's root volume is deleted with it, so EC2 lists no mapping then.
  const volumeId = fleet.rootVolumeId(instance.instanceId);
  const rootVolume =
    volumeId === undefined || instance.state === 'terminated'
      ? itemSet('blockDeviceMapping', [])
      : itemSet('blockDeviceMapping', [
          textElement('deviceName', '/dev/xvda') +
            element(
              'ebs',
              textElement('volumeId', volumeId) +
                textElement('status', 'attached') +
                textElement('attachTime', isoMillis(instance.launchTime)) +
                textElement('deleteOnTermination', true),
            ),
        ]);
  return [
    textElement('instanceId', instance.instanceId),
    textElement('imageId', instance.imageId),
    stateXml('instanceState', instance.state),
    textElement('privateDnsName', privateDnsName(instance)),
    element('dnsName', ''),
    textElement('amiLaunchIndex', 0),
    textElement('instanceType', instance.instanceType),
    textElement('launchTime', instance.launchTime),
    element(
      'placement',
      textElement('availabilityZone', instance.availabilityZone) +
        element('groupName', '') +
        textElement('tenancy', 'default'),
    ),
    element('monitoring', textElement('state', 'disabled')),
    textElement('subnetId', instance.subnetId),
    textElement('vpcId', instance.vpcId),
    textElement('privateIpAddress', instance.privateIpAddress),
    textElement('sourceDestCheck', true),
    itemSet('groupSet', groups),
    textElement('architecture', 'x86_64'),
    textElement('rootDeviceType', 'ebs'),
    textElement('rootDeviceName', '/dev/xvda'),
    rootVolume,
    textElement('virtualizationType', 'hvm'),
    tagSetXml(instance.tags),
    textElement('hypervisor', 'xen'),
    profile,
    textElement('ebsOptimized', false),
    textElement('enaSupport', true),
    element(
      'metadataOptions',
      textElement('state', 'applied') +
        textElement('httpTokens', meta.httpTokens) +
        textElement('httpPutResponseHopLimit', 2) +
        textElement('httpEndpoint', meta.httpEndpoint) +
        textElement('httpProtocolIpv6', 'disabled') +
        textElement('instanceMetadataTags', 'disabled'),
    ),
  ].join('');
}

export function reservationXml(
  fleet: SimWorld,
  reservationId: string,
  instances: readonly SimInstance[],
): string {
  return (
    textElement('reservationId', reservationId) +
    textElement('ownerId', fleet.account) +
    element('groupSet', '') +
    itemSet(
      'instancesSet',
      instances.map((instance) => instanceXml(fleet, instance)),
    )
  );
}

export function imageXml(image: SimImage): string {
  return [
    textElement('imageId', image.imageId),
    textElement('imageLocation', `${image.ownerId}/${image.name}`),
    textElement('imageState', image.state),
    textElement('imageOwnerId', image.ownerId),
    textElement('creationDate', image.builtAt.replace(/Z$/, '.000Z')),
    textElement('isPublic', false),
    textElement('architecture', 'x86_64'),
    textElement('imageType', 'machine'),
    textElement('name', image.name),
    textElement('description', `${image.channel} image built by packer`),
    textElement('rootDeviceType', 'ebs'),
    textElement('rootDeviceName', '/dev/xvda'),
    textElement('virtualizationType', 'hvm'),
    tagSetXml(Object.entries(image.tags)),
    textElement('hypervisor', 'xen'),
    textElement('enaSupport', true),
    textElement('bootMode', 'uefi-preferred'),
    textElement('imdsSupport', image.spec.httpTokens === 'required' ? 'v2.0' : undefined),
  ].join('');
}
