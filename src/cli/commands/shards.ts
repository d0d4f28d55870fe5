// `driftwarden shards plan`: which shard scans each target for a replica count (registration; the implementation loads on use).
import { InvalidArgumentError, type Command } from 'commander';
import type { ShardsPlanOptions } from './shards-action.js';

function shardCount(value: string): number {
  const count = Number(value);
  if (!/^\d+$/.test(value) || count < 1)
    throw new InvalidArgumentError('expected a whole number of shards, 1 or more');
  return count;
}

export function registerShardsCommands(program: Command): void {
  const shards = program
    .command('shards')
    .description('split the targets between replicas (docs/scaling.md)');
  shards
    .command('plan')
    .description("print each target's shard and each shard's expected instances for a replica count")
    .option('--count <n>', 'number of shards to plan for (default: shards.count)', shardCount)
    .option(
      '--write <file>',
      "update the weights file FILE with this replica's instance counts per target (other targets keep theirs), then plan with it",
    )
    .option('--json', 'print the plan as JSON')
    .addHelpText(
      'after',
      `
Every replica computes the same plan from the configured targets and shards.weightsFile (instances
per target; a target it does not list weighs 1). With a current shards.count, the plan says how many
targets move from their current shard. --write reads the database, so run it where a replica runs,
once per replica against the same file, and give the file to every replica.
Examples:
  $ driftwarden shards plan --count 4
  $ driftwarden shards plan --write /etc/driftwarden/shard-weights.json`,
    )
    .action(async (options: ShardsPlanOptions, command: Command) => {
      const { runShardsPlan } = await import('./shards-action.js');
      runShardsPlan(options, command);
    });
}
