// Auto Scaling members: surge one instance in when capacity allows, else replace in place; never below desired.
import { EVIDENCE_STEP, preserveEvidence } from './evidence-step.js';
import { inService, isLeaving, type GroupFacts } from './actions-port.js';
import { waitOrTimeOut, type StepContext, type StepOutcome, type Strategy } from './strategy.js';

const SURGE = 'surge';
const WAIT_SURGE = 'wait-surge-healthy';
const TERMINATE_OLD = 'terminate-old';
const TERMINATE_IN_PLACE = 'terminate-in-place';
const WAIT_GROUP = 'wait-group-healthy';
const RESTORE_MAX = 'restore-max-size';

interface SurgeData {
  surgeTo?: number;
  originalDesired?: number;
  membersBefore?: string[];
  /** Set when the group had no headroom and MaxSize was raised by one for the surge. */
  raisedMaxFrom?: number;
}

async function group(ctx: StepContext): Promise<GroupFacts> {
  const name = ctx.job.asgName;
  const found = name === null ? null : await ctx.actions.asg.describe(name);
  if (found === null) throw new Error(`Auto Scaling group ${name ?? '(none)'} not found`);
  return found;
}

async function surge(ctx: StepContext): Promise<StepOutcome> {
  const g = await group(ctx);
  let data = ctx.job.data as SurgeData;
  if (data.surgeTo === undefined) {
    if (isLeaving(g.members.find((m) => m.instanceId === ctx.job.instanceId))) {
      return { kind: 'cancel', reason: 'the instance is already leaving its group; nothing to replace' };
    }
    const stale = await launchesReplacedImage(ctx, g.name);
    if (stale) return { kind: 'fail', error: stale };
    // Intent first: after a crash, the saved target tells whether the calls below already happened.
    data = {
      surgeTo: g.desired + 1,
      originalDesired: g.desired,
      membersBefore: g.members.map((m) => m.instanceId),
      // No headroom: raise MaxSize by one for the surge rather than terminate before a successor is healthy.
      ...(g.desired >= g.max ? { raisedMaxFrom: g.max } : {}),
    };
    ctx.saveData({ ...data });
  }
  if (data.raisedMaxFrom !== undefined && g.max < (data.surgeTo as number)) {
    ctx.audit('aws.UpdateAutoScalingGroup', { group: g.name, maxSizeFrom: g.max, maxSizeTo: data.surgeTo });
    await ctx.actions.asg.setMaxSize(g.name, data.surgeTo as number);
  }
  if (g.desired < (data.surgeTo as number)) {
    ctx.audit('aws.SetDesiredCapacity', { group: g.name, from: g.desired, to: data.surgeTo });
    await ctx.actions.asg.setDesired(g.name, data.surgeTo as number);
  }
  return { kind: 'next', step: WAIT_SURGE };
}

async function waitSurge(ctx: StepContext): Promise<StepOutcome> {
  const g = await group(ctx);
  const target = (ctx.job.data as SurgeData).surgeTo ?? g.desired;
  const serving = inService(g).length;
  if (serving >= target) return { kind: 'next', step: TERMINATE_OLD };
  return waitOrTimeOut(ctx, `group ${g.name}: ${serving} of ${target} in service after the surge`);
}

/**
 * A group replaces members from its launch template. If that still launches the revoked or superseded
 * image being replaced, every replacement would be drifted again: refuse, and say what to fix.
 */
async function launchesReplacedImage(ctx: StepContext, groupName: string): Promise<string | null> {
  const imageLevel = ctx.job.reason.some(
    (r) => r.change === 'revoked-image' || r.change === 'superseded-image',
  );
  if (!imageLevel) return null;
  const launches = await ctx.actions.asg.launchTemplateImage(groupName);
  if (launches !== ctx.job.imageId) return null;
  return (
    `group ${groupName} still launches ${launches} from its launch template; ` +
    'point the launch template at the new image, then the replacement can run'
  );
}

async function terminateMember(ctx: StepContext, decrement: boolean): Promise<StepOutcome> {
  const g = await group(ctx);
  const member = g.members.find((m) => m.instanceId === ctx.job.instanceId);
  if (!isLeaving(member) && ctx.job.step === TERMINATE_IN_PLACE) {
    const stale = await launchesReplacedImage(ctx, g.name);
    if (stale) return { kind: 'fail', error: stale };
  }
  if (!isLeaving(member)) {
    ctx.audit('aws.TerminateInstanceInAutoScalingGroup', {
      instanceId: ctx.job.instanceId,
      group: g.name,
      shouldDecrementDesiredCapacity: decrement,
    });
    await ctx.actions.asg.terminateInGroup(ctx.job.instanceId, decrement);
  }
  return { kind: 'next', step: WAIT_GROUP };
}

async function waitGroup(ctx: StepContext): Promise<StepOutcome> {
  const g = await group(ctx);
  const serving = inService(g, ctx.job.instanceId).length;
  if (serving >= g.desired) {
    return (ctx.job.data as SurgeData).raisedMaxFrom === undefined
      ? { kind: 'done' }
      : { kind: 'next', step: RESTORE_MAX };
  }
  return waitOrTimeOut(ctx, `group ${g.name}: ${serving} of ${g.desired} in service`);
}

/** Puts MaxSize back where it was, unless someone has since scaled the group beyond it. */
async function restoreMax(ctx: StepContext, g: GroupFacts): Promise<void> {
  const from = (ctx.job.data as SurgeData).raisedMaxFrom;
  if (from === undefined || g.max <= from || g.desired > from) return;
  ctx.audit('aws.UpdateAutoScalingGroup', { group: g.name, maxSizeFrom: g.max, maxSizeTo: from });
  await ctx.actions.asg.setMaxSize(g.name, from);
}

const STEPS: Record<string, (ctx: StepContext) => Promise<StepOutcome>> = {
  [EVIDENCE_STEP]: (ctx) => preserveEvidence(ctx, ctx.settings.asgSurge ? SURGE : TERMINATE_IN_PLACE),
  [SURGE]: surge,
  [WAIT_SURGE]: waitSurge,
  [TERMINATE_OLD]: (ctx) => terminateMember(ctx, true),
  [TERMINATE_IN_PLACE]: (ctx) => terminateMember(ctx, false),
  [WAIT_GROUP]: waitGroup,
  [RESTORE_MAX]: async (ctx) => {
    await restoreMax(ctx, await group(ctx));
    return { kind: 'done' };
  },
};

export const asgStrategy: Strategy = {
  name: 'asg',
  firstStep: (settings) =>
    settings.preserveEvidence ? EVIDENCE_STEP : settings.asgSurge ? SURGE : TERMINATE_IN_PLACE,
  async run(step, ctx) {
    const impl = STEPS[step];
    if (!impl) return { kind: 'fail', error: `unknown step ${step} for asg` };
    return impl(ctx);
  },
  async rollback(ctx) {
    // Only a surge can be undone: remove the instances it added (with decrement) and leave the old one alone.
    const data = ctx.job.data as SurgeData;
    if (data.surgeTo === undefined) return;
    if (![SURGE, WAIT_SURGE].includes(ctx.job.step ?? '')) {
      // Past the surge the old member is already leaving; only a raised MaxSize is ours to undo.
      await restoreMax(ctx, await group(ctx));
      return;
    }
    const g = await group(ctx);
    const before = new Set(data.membersBefore ?? []);
    const added = g.members.filter((m) => !before.has(m.instanceId) && !isLeaving(m));
    for (const member of added) {
      ctx.audit('aws.TerminateInstanceInAutoScalingGroup', {
        instanceId: member.instanceId,
        group: g.name,
        rollback: true,
      });
      await ctx.actions.asg.terminateInGroup(member.instanceId, true);
    }
    if (added.length === 0 && g.desired > (data.originalDesired ?? g.desired)) {
      ctx.audit('aws.SetDesiredCapacity', {
        group: g.name,
        from: g.desired,
        to: data.originalDesired,
        rollback: true,
      });
      await ctx.actions.asg.setDesired(g.name, data.originalDesired as number);
    }
    const after = await group(ctx);
    await restoreMax(ctx, {
      ...after,
      desired: Math.min(after.desired, data.originalDesired ?? after.desired),
    });
  },
};
