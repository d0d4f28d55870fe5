// The targets of this replica: every configured target (account × region), assigned to shards by instance count.
import type { RemediationInputs } from './app/remediation/ports.js';
import type { Config } from './config/index.js';
import { assignShards, targetKey, type ShardPlan } from './core/shard-assignment.js';
import type { Target } from './domain/types.js';

/** Every configured target, one per account and region, in configuration order. */
export function configuredTargets(config: Config): Target[] {
  return config.targets.flatMap((t) =>
    t.regions.map((region) => ({
      account: t.account,
      region,
      roleArn: t.roleArn,
      externalId: t.externalId,
      filters: t.filters,
    })),
  );
}

/**
 * The assignment of the configured targets to `count` shards, weighted by the weights file (a target
 * it does not list weighs 1). It depends on nothing else, so every replica with the same
 * configuration and weights file computes the same plan.
 */
export function planShards(
  config: Config,
  count: number = config.shards.count,
  weights: Config['shards']['weights'] = config.shards.weights,
): ShardPlan {
  const instances = new Map(weights.map((w) => [targetKey(w), w.instances]));
  return assignShards(
    configuredTargets(config).map((target) => {
      const key = targetKey(target);
      return { key, weight: instances.get(key) ?? 1 };
    }),
    count,
  );
}

/** Every configured target (each account and region once) with the shard the assignment gives it: what the fleet view expects to hear of. */
export function assignedTargets(config: Config): { account: string | null; region: string; shard: number }[] {
  const plan = planShards(config);
  const byKey = new Map(
    configuredTargets(config).map((t) => {
      const key = targetKey(t);
      return [key, { account: t.account, region: t.region, shard: plan.shardOf.get(key) ?? 0 }];
    }),
  );
  return [...byKey.values()];
}

/** The targets this replica scans and remediates: all of them unsharded, else those of its shard. */
export function expandTargets(config: Config): Target[] {
  const targets = configuredTargets(config);
  if (config.shards.count === 1) return targets;
  const plan = planShards(config);
  return targets.filter((t) => plan.shardOf.get(targetKey(t)) === config.shards.index);
}

/**
 * The remediation inputs limited to instances of `targets`. Rows of a target this replica no longer
 * owns (it moved to another shard when the count changed) are released at start, so they are no
 * candidates; this still holds when that release could not be written. Their new owner replaces
 * them, never this one.
 */
export function limitToTargets(inputs: RemediationInputs, targets: readonly Target[]): RemediationInputs {
  const owned = new Set(targets.map(targetKey));
  return {
    candidates: (instanceIds) => inputs.candidates(instanceIds).filter((c) => owned.has(targetKey(c))),
    failedSince: (since) => inputs.failedSince(since),
    openJobs: () => inputs.openJobs(),
    replaceDrift: (instanceIds) => inputs.replaceDrift(instanceIds),
    groupHealth: (groups) => inputs.groupHealth(groups),
  };
}
