// Standalone instances: launch a fresh clone on the baked image, wait until healthy, then terminate the old one.
import type { Manifest } from '../../domain/types.js';
import { sha256OfBase64 } from '../sha256.js';
import { EVIDENCE_STEP, preserveEvidence } from './evidence-step.js';
import { JOB_TAG, REPLACES_TAG, isGone, type InstanceFacts, type LaunchRequest } from './actions-port.js';
import { waitOrTimeOut, type StepContext, type StepOutcome, type Strategy } from './strategy.js';

const LAUNCH = 'launch';
const WAIT_HEALTHY = 'wait-healthy';
const TERMINATE_OLD = 'terminate-old';

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The replacement keeps the old instance's subnet, type, profile, tags and user data, but where the
 * manifest declares a launch value the baked one wins: copying a hand-attached security group or a
 * downgraded IMDS setting would recreate the very drift being replaced.
 */
export function launchRequestFor(
  job: { jobId: string; instanceId: string },
  old: InstanceFacts,
  manifest: Manifest | null,
  imageId: string,
  userData: string | null,
): LaunchRequest {
  const launch = manifest?.launch ?? {};
  const acceptedTypes = launch.instanceType === undefined ? [] : [launch.instanceType].flat();
  const profile = first(launch.iamInstanceProfile);
  // A profile the manifest names (not an ARN) wins unless the old ARN already is that profile.
  const oldProfileName = old.iamInstanceProfileArn?.split(':instance-profile/')[1]?.split('/').at(-1) ?? null;
  const profileName =
    profile !== undefined && !profile.startsWith('arn:') && profile !== oldProfileName ? profile : null;
  const tags: Record<string, string> = {};
  for (const [key, value] of Object.entries(old.tags)) {
    if (!key.startsWith('aws:') && !key.startsWith('driftwarden:')) tags[key] = value;
  }
  Object.assign(tags, launch.tags ?? {}, { [REPLACES_TAG]: job.instanceId, [JOB_TAG]: job.jobId });
  return {
    imageId,
    instanceType:
      acceptedTypes.length === 0 || (old.instanceType !== null && acceptedTypes.includes(old.instanceType))
        ? old.instanceType
        : (acceptedTypes[0] ?? old.instanceType),
    subnetId: old.subnetId,
    securityGroupIds: launch.securityGroups ? [...launch.securityGroups] : old.securityGroupIds,
    iamInstanceProfileArn: profile?.startsWith('arn:') ? profile : old.iamInstanceProfileArn,
    iamInstanceProfileName: profileName,
    httpTokens: first(launch.metadataOptions?.httpTokens) ?? old.httpTokens,
    httpEndpoint: first(launch.metadataOptions?.httpEndpoint) ?? null,
    userData,
    tags,
    clientToken: job.jobId,
  };
}

async function launch(ctx: StepContext<'launch-then-terminate'>): Promise<StepOutcome> {
  const { job, actions } = ctx;
  if (job.newInstanceId !== null) return { kind: 'next', step: WAIT_HEALTHY };
  // A launch that happened before a crash is found by its tag (and would be returned by the ClientToken anyway).
  const launched = (await actions.ec2.findByJob(job.jobId)).find((i) => !isGone(i));
  if (launched) return { kind: 'next', step: WAIT_HEALTHY, patch: { newInstanceId: launched.instanceId } };
  const old = await actions.ec2.describe(job.instanceId);
  if (old === null || isGone(old))
    return { kind: 'cancel', reason: 'the instance is already gone; nothing to replace' };
  if (job.targetImageId === null)
    return { kind: 'fail', error: 'no active baked image to replace the instance with' };
  const manifest = ctx.manifest(job.targetImageId);
  const userData = await actions.ec2.userData(old.instanceId);
  // The manifest keeps only a hash of the baked user data: copying drifted user data would launch
  // a replacement that is drifted again, so refuse and say how to replace it instead.
  const baked = manifest?.launch?.userDataSha256;
  if (baked !== undefined && ![baked].flat().includes(userData === null ? '' : sha256OfBase64(userData))) {
    return {
      kind: 'fail',
      error:
        'the instance’s user data differs from the baked one, and the manifest holds only its hash; ' +
        'replace it through its Auto Scaling group, the webhook strategy or the pipeline',
    };
  }
  const request = launchRequestFor(job, old, manifest, job.targetImageId, userData);
  ctx.audit('aws.RunInstances', {
    imageId: request.imageId,
    instanceType: request.instanceType,
    subnetId: request.subnetId,
    clientToken: request.clientToken,
  });
  const newInstanceId = await actions.ec2.run(request);
  ctx.log.info({ newInstanceId, imageId: request.imageId }, 'replacement launched');
  return { kind: 'next', step: WAIT_HEALTHY, patch: { newInstanceId } };
}

async function waitHealthy(ctx: StepContext<'launch-then-terminate'>): Promise<StepOutcome> {
  const id = ctx.job.newInstanceId;
  if (id === null) return { kind: 'next', step: LAUNCH };
  const health = await ctx.actions.ec2.health(id);
  if (health === 'ok') return { kind: 'next', step: TERMINATE_OLD };
  if (health === 'gone')
    return { kind: 'fail', error: `replacement ${id} disappeared before it became healthy` };
  return waitOrTimeOut(ctx, `replacement ${id} not healthy (${health})`);
}

async function terminateOld(ctx: StepContext<'launch-then-terminate'>): Promise<StepOutcome> {
  const { job, actions } = ctx;
  if (isGone(await actions.ec2.describe(job.instanceId))) return { kind: 'done' };
  ctx.audit('aws.TerminateInstances', { instanceId: job.instanceId, replacedBy: job.newInstanceId });
  await actions.ec2.terminate(job.instanceId);
  return { kind: 'done' };
}

const STEPS: Record<string, (ctx: StepContext<'launch-then-terminate'>) => Promise<StepOutcome>> = {
  [EVIDENCE_STEP]: (ctx) => preserveEvidence(ctx, LAUNCH),
  [LAUNCH]: launch,
  [WAIT_HEALTHY]: waitHealthy,
  [TERMINATE_OLD]: terminateOld,
};

export const launchThenTerminate: Strategy<'launch-then-terminate'> = {
  name: 'launch-then-terminate',
  firstStep: (settings) => (settings.preserveEvidence ? EVIDENCE_STEP : LAUNCH),
  async run(step, ctx) {
    const impl = STEPS[step];
    if (!impl) return { kind: 'fail', error: `unknown step ${step} for launch-then-terminate` };
    return impl(ctx);
  },
  async rollback(ctx) {
    // Terminate what this job launched: the recorded instance and anything carrying its job tag.
    const ids = new Set<string>();
    if (ctx.job.newInstanceId) ids.add(ctx.job.newInstanceId);
    for (const i of await ctx.actions.ec2.findByJob(ctx.job.jobId)) if (!isGone(i)) ids.add(i.instanceId);
    ids.delete(ctx.job.instanceId);
    for (const id of ids) {
      if (isGone(await ctx.actions.ec2.describe(id))) continue;
      ctx.audit('aws.TerminateInstances', { instanceId: id, rollback: true });
      await ctx.actions.ec2.terminate(id);
    }
  },
};
