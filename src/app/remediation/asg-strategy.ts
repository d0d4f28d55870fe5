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

type AsgContext = StepContext<'asg'>;

async function group(ctx: AsgContext): Promise<GroupFacts> {
  const name = ctx.job.asgName;
  const found = name === null ? null : await ctx.actions.asg.describe(name);
  if (found === null) throw new Error(`Auto Scaling group ${name ?? '(none)'} not found`);
  return found;
}

async function surge(ctx: AsgContext): Promise<StepOutcome> {
  const g = await group(ctx);
  let { surgeTo, raisedMaxFrom } = ctx.job.data;
  if (surgeTo === undefined) {
    if (isLeaving(g.members.find((m) => m.instanceId === ctx.job.instanceId))) {
      return { kind: 'cancel', reason: 'the instance is already leaving its group; nothing to replace' };
    }
    const stale = await launchesReplacedImage(ctx, g.name);
    if (stale) return { kind: 'fail', error: stale };
    surgeTo = g.desired + 1;
    // No headroom: raise MaxSize by one for the surge rather than terminate before a successor is healthy.
    raisedMaxFrom = g.desired >= g.max ? g.max : undefined;
    // Intent first: after a crash, the saved target tells whether the calls below already happened.
    ctx.saveData({
      surgeTo,
      originalDesired: g.desired,
      membersBefore: g.members.map((m) => m.instanceId),
      ...(raisedMaxFrom === undefined ? {} : { raisedMaxFrom }),
    });
  }
  if (raisedMaxFrom !== undefined && g.max < surgeTo) {
    ctx.audit('aws.UpdateAutoScalingGroup', { group: g.name, maxSizeFrom: g.max, maxSizeTo: surgeTo });
    await ctx.actions.asg.setMaxSize(g.name, surgeTo);
  }
  if (g.desired < surgeTo) {
    ctx.audit('aws.SetDesiredCapacity', { group: g.name, from: g.desired, to: surgeTo });
    await ctx.actions.asg.setDesired(g.name, surgeTo);
  }
  return { kind: 'next', step: WAIT_SURGE };
}

async function waitSurge(ctx: AsgContext): Promise<StepOutcome> {
  const g = await group(ctx);
  const target = ctx.job.data.surgeTo ?? g.desired;
  const serving = inService(g).length;
  if (serving >= target) return { kind: 'next', step: TERMINATE_OLD };
  return waitOrTimeOut(ctx, `group ${g.name}: ${serving} of ${target} in service after the surge`);
}

/**
 * A group replaces members from its launch template. If that still launches the revoked or superseded
 * image being replaced, every replacement would be drifted again: refuse, and say what to fix.
 */
async function launchesReplacedImage(ctx: AsgContext, groupName: string): Promise<string | null> {
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

async function terminateMember(ctx: AsgContext, decrement: boolean): Promise<StepOutcome> {
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

async function waitGroup(ctx: AsgContext): Promise<StepOutcome> {
  const g = await group(ctx);
  const serving = inService(g, ctx.job.instanceId).length;
  if (serving >= g.desired) {
    return ctx.job.data.raisedMaxFrom === undefined ? { kind: 'done' } : { kind: 'next', step: RESTORE_MAX };
  }
  return waitOrTimeOut(ctx, `group ${g.name}: ${serving} of ${g.desired} in service`);
}

/** Puts MaxSize back where it was, unless someone has since scaled the group beyond it. */
async function restoreMax(ctx: AsgContext, g: GroupFacts): Promise<void> {
  const from = ctx.job.data.raisedMaxFrom;
  if (from === undefined || g.max <= from || g.desired > from) return;
  ctx.audit('aws.UpdateAutoScalingGroup', { group: g.name, maxSizeFrom: g.max, maxSizeTo: from });
  await ctx.actions.asg.setMaxSize(g.name, from);
}

const STEPS: Record<string, (ctx: AsgContext) => Promise<StepOutcome>> = {
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

export const asgStrategy: Strategy<'asg'> = {
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
    const data = ctx.job.data;
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
    const originalDesired = data.originalDesired ?? g.desired;
    if (added.length === 0 && g.desired > originalDesired) {
      ctx.audit('aws.SetDesiredCapacity', {
        group: g.name,
        from: g.desired,
        to: originalDesired,
        rollback: true,
      });
      await ctx.actions.asg.setDesired(g.name, originalDesired);
    }
    const after = await group(ctx);
    await restoreMax(ctx, {
      ...after,
      desired: Math.min(after.desired, data.originalDesired ?? after.desired),
    });
  },
};
