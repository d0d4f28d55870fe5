// Hands the replacement to an external deployer (signed POST), then waits for the old instance to go.
import { RetryableError } from '../../domain/errors.js';
import { isGone } from './actions-port.js';
import { waitOrTimeOut, type StepContext, type StepOutcome, type Strategy } from './strategy.js';

const NOTIFY = 'notify';
const WAIT_GONE = 'wait-gone';

async function notify(ctx: StepContext<'webhook'>): Promise<StepOutcome> {
  const { job } = ctx;
  if (job.data.notifiedAt !== undefined) return { kind: 'next', step: WAIT_GONE };
  ctx.audit('webhook.post', { url: ctx.settings.webhook?.url });
  const status = await ctx.postWebhook({
    jobId: job.jobId,
    instanceId: job.instanceId,
    account: job.account,
    region: job.region,
    group: job.group,
    asgName: job.asgName,
    imageId: job.imageId,
    targetImageId: job.targetImageId,
    reason: job.reason,
  });
  if (status < 200 || status >= 300) throw new RetryableError(`webhook answered HTTP ${status}`);
  return {
    kind: 'next',
    step: WAIT_GONE,
    patch: { data: { ...job.data, notifiedAt: ctx.now.toISOString() } },
  };
}

async function waitGone(ctx: StepContext<'webhook'>): Promise<StepOutcome> {
  if (isGone(await ctx.actions.ec2.describe(ctx.job.instanceId))) return { kind: 'done' };
  return waitOrTimeOut(ctx, `deployer has not replaced ${ctx.job.instanceId} yet`);
}

export const webhookStrategy: Strategy<'webhook'> = {
  name: 'webhook',
  firstStep: () => NOTIFY,
  async run(step, ctx) {
    if (step === NOTIFY) return notify(ctx);
    if (step === WAIT_GONE) return waitGone(ctx);
    return { kind: 'fail', error: `unknown step ${step} for webhook` };
  },
  // The deployer owns what it launched; there is nothing of ours to undo.
  rollback: () => Promise.resolve(),
};
