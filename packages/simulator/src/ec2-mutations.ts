// Mutating EC2 actions: tags, instance attributes, metadata options, run and terminate.
import {
  checkDryRun,
  instancesInRegion,
  requireParam,
  type Ec2Context,
  type Ec2Handler,
} from './ec2-context.js';
import { reservationXml, stateXml } from './ec2-xml.js';
import type { LaunchSpec } from './control-schemas.js';
import { setOwn } from './host-fingerprint.js';
import type { SimInstance } from './world-types.js';
import { listParam, structListParam } from './query-protocol.js';
import { Ec2ApiError } from './sim-errors.js';
import { element, itemSet, textElement } from './xml.js';

const RETURN_TRUE = textElement('return', true);

/** Tag targets may be instances or images of this region; validated before anything changes. */
function tagTargets(ctx: Ec2Context): { instances: SimInstance[]; imageTags: Record<string, string>[] } {
  const ids = listParam(ctx.params, 'ResourceId');
  if (ids.length === 0)
    throw new Ec2ApiError('MissingParameter', 'The request must contain the parameter resourceIdSet');
  const instanceIds = ids.filter((id) => !id.startsWith('ami-'));
  const imageTags = ids
    .filter((id) => id.startsWith('ami-'))
    .map((id) => {
      const image = ctx.fleet.image(id);
      if (!image || image.region !== ctx.region)
        throw new Ec2ApiError('InvalidAMIID.NotFound', `The image id '[${id}]' does not exist`);
      return image.tags;
    });
  return { instances: instancesInRegion(ctx, instanceIds), imageTags };
}

function tagParams(ctx: Ec2Context): { key: string; value: string | undefined }[] {
  return structListParam(ctx.params, 'Tag').map((fields) => {
    const key = fields.get('Key');
    if (key === undefined)
      throw new Ec2ApiError('MissingParameter', 'The request must contain the parameter Tag.N.Key');
    return { key, value: fields.get('Value') };
  });
}

const createTags: Ec2Handler = (ctx) => {
  const targets = tagTargets(ctx);
  const tags = tagParams(ctx);
  if (tags.length === 0)
    throw new Ec2ApiError('MissingParameter', 'The request must contain the parameter tagSet');
  const reserved = tags.find((tag) => tag.key.toLowerCase().startsWith('aws:'));
  if (reserved)
    throw new Ec2ApiError(
      'InvalidParameterValue',
      `Tag keys starting with 'aws:' are reserved for internal use`,
    );
  checkDryRun(ctx.params);
  for (const { key, value } of tags) {
    for (const instance of targets.instances) instance.tags.set(key, value ?? '');
    for (const imageTags of targets.imageTags)
      Object.defineProperty(imageTags, key, {
        value: value ?? '',
        enumerable: true,
        writable: true,
        configurable: true,
      });
  }
  return RETURN_TRUE;
};

/** Without a Value the key goes regardless; with one, only if the current value matches. */
const deleteTags: Ec2Handler = (ctx) => {
  const targets = tagTargets(ctx);
  const tags = tagParams(ctx);
  checkDryRun(ctx.params);
  for (const instance of targets.instances) {
    if (tags.length === 0) instance.tags.clear();
    for (const { key, value } of tags)
      if (value === undefined || instance.tags.get(key) === value) instance.tags.delete(key);
  }
  for (const imageTags of targets.imageTags) {
    for (const { key, value } of tags)
      if (value === undefined || imageTags[key] === value) delete imageTags[key];
  }
  return RETURN_TRUE;
};

/**
 * Accepts both request shapes the SDK can send: `InstanceType.Value=…` / `GroupId.N` / `UserData.Value`
 * and the older `Attribute=instanceType&Value=…`. Unlike EC2 it does not insist the instance is stopped.
 */
const modifyInstanceAttribute: Ec2Handler = (ctx) => {
  const [instance] = instancesInRegion(ctx, [requireParam(ctx.params, 'InstanceId')]);
  if (!instance)
    throw new Ec2ApiError('MissingParameter', 'The request must contain the parameter InstanceId');
  const attribute = ctx.params.get('Attribute');
  const value = ctx.params.get('Value');
  const instanceType =
    ctx.params.get('InstanceType.Value') ?? (attribute === 'instanceType' ? value : undefined);
  const groups = listParam(ctx.params, 'GroupId');
  const userData = ctx.params.get('UserData.Value') ?? (attribute === 'userData' ? value : undefined);
  if (instanceType === undefined && groups.length === 0 && userData === undefined) {
    throw new Ec2ApiError('InvalidParameterCombination', 'No attributes specified.');
  }
  const malformed = groups.find((id) => !/^sg-[0-9a-f]{8,17}$/.test(id));
  if (malformed) throw new Ec2ApiError('InvalidGroupId.Malformed', `Invalid id: "${malformed}"`);
  checkDryRun(ctx.params);
  if (instanceType !== undefined) instance.instanceType = instanceType;
  if (groups.length > 0) instance.securityGroupIds = [...new Set(groups)];
  if (userData !== undefined) instance.userData = Buffer.from(userData, 'base64').toString('utf8');
  return RETURN_TRUE;
};

const modifyInstanceMetadataOptions: Ec2Handler = (ctx) => {
  const [instance] = instancesInRegion(ctx, [requireParam(ctx.params, 'InstanceId')]);
  if (!instance)
    throw new Ec2ApiError('MissingParameter', 'The request must contain the parameter InstanceId');
  const tokens = ctx.params.get('HttpTokens');
  const endpoint = ctx.params.get('HttpEndpoint');
  if (tokens !== undefined && tokens !== 'required' && tokens !== 'optional') {
    throw new Ec2ApiError('InvalidParameterValue', `Value (${tokens}) for parameter HttpTokens is invalid.`);
  }
  if (endpoint !== undefined && endpoint !== 'enabled' && endpoint !== 'disabled') {
    throw new Ec2ApiError(
      'InvalidParameterValue',
      `Value (${endpoint}) for parameter HttpEndpoint is invalid.`,
    );
  }
  checkDryRun(ctx.params);
  if (tokens !== undefined) instance.metadataOptions.httpTokens = tokens;
  if (endpoint !== undefined) instance.metadataOptions.httpEndpoint = endpoint;
  const meta = instance.metadataOptions;
  return (
    textElement('instanceId', instance.instanceId) +
    element(
      'instanceMetadataOptions',
      textElement('state', 'pending') +
        textElement('httpTokens', meta.httpTokens) +
        textElement('httpPutResponseHopLimit', 2) +
        textElement('httpEndpoint', meta.httpEndpoint),
    )
  );
};

/** Idempotent like EC2: an instance already shutting down or terminated reports its state, no error. */
const terminateInstances: Ec2Handler = (ctx) => {
  const instances = instancesInRegion(ctx, listParam(ctx.params, 'InstanceId'));
  checkDryRun(ctx.params);
  const changes = instances.map((instance) => {
    const change = ctx.fleet.beginTermination(instance.instanceId);
    return (
      textElement('instanceId', instance.instanceId) +
      stateXml('currentState', change.current) +
      stateXml('previousState', change.previous)
    );
  });
  return itemSet('instancesSet', changes);
};

/**
 * RunInstances from a baked image: instances start `pending`. Idempotent on ClientToken like EC2 —
 * a repeat returns the instances the first call made, as they are now.
 */
const runInstances: Ec2Handler = (ctx) => {
  const imageId = requireParam(ctx.params, 'ImageId');
  const image = ctx.fleet.image(imageId);
  if (!image || image.region !== ctx.region)
    throw new Ec2ApiError('InvalidAMIID.NotFound', `The image id '[${imageId}]' does not exist`);
  const minCount = Number(requireParam(ctx.params, 'MinCount'));
  const maxCount = Number(requireParam(ctx.params, 'MaxCount'));
  if (!Number.isInteger(minCount) || !Number.isInteger(maxCount) || minCount < 1 || maxCount < minCount) {
    throw new Ec2ApiError(
      'InvalidParameterValue',
      'MinCount and MaxCount must be positive integers with MinCount <= MaxCount',
    );
  }
  checkDryRun(ctx.params);
  const clientToken = ctx.params.get('ClientToken');
  const previous = clientToken ? ctx.fleet.clientTokenInstances(clientToken) : undefined;
  if (previous && previous.length > 0 && previous[0])
    return reservationXml(ctx.fleet, previous[0].reservationId, previous);
  const tags: Record<string, string> = {};
  for (const spec of structListParam(ctx.params, 'TagSpecification')) {
    if (spec.get('ResourceType') !== 'instance') continue;
    for (let n = 1; spec.has(`Tag.${n}.Key`); n++)
      setOwn(tags, spec.get(`Tag.${n}.Key`) ?? '', spec.get(`Tag.${n}.Value`) ?? '');
  }
  const launch: LaunchSpec = { region: ctx.region, imageId, tags };
  const instanceType = ctx.params.get('InstanceType');
  if (instanceType !== undefined) launch.instanceType = instanceType;
  const groups = listParam(ctx.params, 'SecurityGroupId');
  if (groups.length > 0) launch.securityGroups = groups;
  const profileArn = ctx.params.get('IamInstanceProfile.Arn');
  const profileName = ctx.params.get('IamInstanceProfile.Name');
  if (profileArn !== undefined) launch.iamInstanceProfile = profileArn;
  else if (profileName !== undefined)
    launch.iamInstanceProfile = `arn:aws:iam::${ctx.fleet.account}:instance-profile/${profileName}`;
  const tokens = ctx.params.get('MetadataOptions.HttpTokens');
  if (tokens === 'required' || tokens === 'optional') launch.httpTokens = tokens;
  const userData = ctx.params.get('UserData');
  if (userData !== undefined) launch.userData = Buffer.from(userData, 'base64').toString('utf8');
  const subnetId = ctx.params.get('SubnetId');
  if (subnetId !== undefined) launch.subnetId = subnetId;
  const instances = ctx.fleet.launchPending(launch, maxCount);
  if (!instances)
    throw new Ec2ApiError(
      'InsufficientInstanceCapacity',
      `We currently do not have sufficient ${instanceType ?? image.spec.instanceTypes[0] ?? ''} capacity in the Availability Zone you requested. Our system will be working on provisioning additional capacity.`,
      500,
    );
  if (clientToken) ctx.fleet.rememberClientToken(clientToken, instances);
  const first = instances[0];
  return first ? reservationXml(ctx.fleet, first.reservationId, instances) : '';
};

export const MUTATING_ACTIONS = {
  CreateTags: createTags,
  DeleteTags: deleteTags,
  ModifyInstanceAttribute: modifyInstanceAttribute,
  ModifyInstanceMetadataOptions: modifyInstanceMetadataOptions,
  TerminateInstances: terminateInstances,
  RunInstances: runInstances,
} satisfies Record<string, Ec2Handler>;
