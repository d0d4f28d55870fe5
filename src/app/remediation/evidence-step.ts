// The optional first step of every strategy: snapshot the old instance's volumes, tagged with the job.
import { JOB_TAG, REPLACES_TAG, isGone } from './actions-port.js';
import type { StepContext, StepOutcome } from './strategy.js';

export const EVIDENCE_STEP = 'preserve-evidence';

export async function preserveEvidence(
  // The strategies whose data can hold snapshots.
  ctx: StepContext<'asg'> | StepContext<'launch-then-terminate'>,
  next: string,
): Promise<StepOutcome> {
  const { job, actions } = ctx;
  const old = await actions.ec2.describe(job.instanceId);
  if (isGone(old) || old === null) return { kind: 'next', step: next };
  // Snapshots already taken by an earlier (crashed) attempt are found by their job tag, not taken twice.
  const taken = new Map((await actions.ec2.findSnapshots(job.jobId)).map((s) => [s.volumeId, s.snapshotId]));
  for (const volumeId of old.volumeIds) {
    if (taken.has(volumeId)) continue;
    ctx.audit('aws.CreateSnapshot', { volumeId });
    taken.set(
      volumeId,
      await actions.ec2.snapshot(volumeId, { [JOB_TAG]: job.jobId, [REPLACES_TAG]: job.instanceId }),
    );
  }
  return { kind: 'next', step: next, patch: { data: { ...job.data, snapshots: Object.fromEntries(taken) } } };
}
