// `driftwarden shards plan`, run: the assignment of targets to shards, the instances per shard and what moves.
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { loadConfig, type Config } from '../../config/index.js';
import type { ShardWeight } from '../../config/config.js';
import { formatShardWeights, readShardWeights } from '../../config/shard-weights.js';
import { movedTargets, targetKey } from '../../core/shard-assignment.js';
import { ValidationError } from '../../domain/errors.js';
import { configuredTargets, expandTargets, planShards } from '../../shard-targets.js';
import { openStore } from '../../store/index.js';
import { printJson, type GlobalOptions } from '../cli-exit.js';

export interface ShardsPlanOptions {
  count?: number;
  write?: string;
  json?: boolean;
}

export function runShardsPlan(options: ShardsPlanOptions, command: Command): void {
  const globals = command.optsWithGlobals<GlobalOptions>();
  // A plan is the same for every replica, so this host need not be one unless --write reads its
  // database: index 0 keeps `index: hostname` from failing on a laptop.
  const env = options.write === undefined ? { ...process.env, DRIFTWARDEN_SHARDS_INDEX: '0' } : process.env;
  const config = loadConfig({ file: globals.config ?? null, env });
  const count = options.count ?? config.shards.count;
  const weights = options.write === undefined ? config.shards.weights : writeWeights(config, options.write);
  const current = planShards(config);
  const plan = planShards(config, count, weights);
  const instances = new Map(weights.map((w) => [targetKey(w), w.instances]));
  const moved = movedTargets(current, plan).length;
  const targets = configuredTargets(config).map((t) => {
    const key = targetKey(t);
    return {
      account: t.account,
      region: t.region,
      instances: instances.get(key) ?? null,
      shard: plan.shardOf.get(key) ?? 0,
      currentShard: current.shardOf.get(key) ?? 0,
    };
  });
  const shards = plan.loads.map((load, shard) => ({
    shard,
    targets: plan.targets[shard] ?? 0,
    instances: load,
  }));
  const weightsFile = options.write ?? config.shards.weightsFile;
  if (options.json) {
    printJson({ count, currentCount: config.shards.count, weightsFile, moved, shards, targets });
    return;
  }
  const lines = [
    `${count} shard(s), ${targets.length} target(s); weights: ${weightsFile ?? 'none (every target weighs 1)'}`,
    'shard  targets  instances',
    ...shards.map((s) => `${String(s.shard).padEnd(7)}${String(s.targets).padEnd(9)}${s.instances}`),
    '',
    'account       region            instances  shard',
    ...targets.map(
      (t) =>
        `${(t.account ?? '(default)').padEnd(14)}${t.region.padEnd(18)}${String(t.instances ?? '-').padEnd(11)}${t.shard}`,
    ),
    '',
    `${moved} of ${targets.length} target(s) move from the current plan (shards.count ${config.shards.count})`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/**
 * Merges this replica's instance counts (targets it scans and has listed) over FILE's, or over the
 * configured weights when FILE does not exist yet; writes FILE (atomically) and returns the weights.
 */
function writeWeights(config: Config, file: string): ShardWeight[] {
  if (!existsSync(config.database.path))
    throw new ValidationError(
      `shards plan --write: no database at ${config.database.path}; run it where a replica runs (its instance counts are the weights)`,
    );
  const base = existsSync(file) ? readShardWeights(file) : config.shards.weights;
  const merged = new Map(base.map((w) => [targetKey(w), w]));
  const own = new Set(expandTargets(config).map(targetKey));
  const store = openStore(config.database.path, { now: () => new Date() });
  try {
    for (const counted of store.fleet.instancesPerTarget())
      if (own.has(targetKey(counted))) merged.set(targetKey(counted), counted);
  } finally {
    store.close();
  }
  const weights = [...merged.values()];
  const temporary = `${file}.tmp`;
  writeFileSync(temporary, formatShardWeights(weights));
  renameSync(temporary, file);
  return readShardWeights(file);
}
