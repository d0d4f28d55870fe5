// The strategy-specific data a replacement job carries: one schema per strategy, checked when a job is read.
import { z } from 'zod';
import type { StrategyName } from '../../core/remediation-types.js';

/** The evidence step's snapshots, volume id → snapshot id (any strategy that starts with it). */
const snapshots = z.record(z.string(), z.string()).optional();
const count = z.number().int().nonnegative();

const asgData = z.strictObject({
  snapshots,
  /** The desired capacity the surge aims for; saved before the surge so a repeat finds it. */
  surgeTo: count.optional(),
  originalDesired: count.optional(),
  membersBefore: z.array(z.string()).optional(),
  /** Set when the group had no headroom and MaxSize was raised by one for the surge. */
  raisedMaxFrom: count.optional(),
});

const launchThenTerminateData = z.strictObject({ snapshots });

const webhookData = z.strictObject({
  /** When the deployer was told; a repeat of the notify step does not post twice. */
  notifiedAt: z.string().optional(),
});

/** One schema per strategy; `satisfies` makes a name added to STRATEGY_NAMES fail to compile here. */
const JOB_DATA = {
  asg: asgData,
  'launch-then-terminate': launchThenTerminateData,
  webhook: webhookData,
} satisfies Record<StrategyName, z.ZodType>;

/** A job's strategy with its data: the union the job store checks every row against. */
export const strategyDataSchema = z.discriminatedUnion('strategy', [
  z.strictObject({ strategy: z.literal('asg'), data: JOB_DATA.asg }),
  z.strictObject({ strategy: z.literal('launch-then-terminate'), data: JOB_DATA['launch-then-terminate'] }),
  z.strictObject({ strategy: z.literal('webhook'), data: JOB_DATA.webhook }),
]);

export type StrategyData = z.infer<typeof strategyDataSchema>;
export type JobDataOf<S extends StrategyName> = Extract<StrategyData, { strategy: S }>['data'];
export type JobData = StrategyData['data'];
