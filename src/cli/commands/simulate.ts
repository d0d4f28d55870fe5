// `driftwarden simulate`: run the AWS simulator alone (registration; the implementation and the simulator load on use).
import type { Command } from 'commander';
import { parseIntOption, parseListOption } from '../options.js';
import type { SimulateOptions } from './simulate-action.js';

export function registerSimulateCommand(program: Command): void {
  program
    .command('simulate')
    .description('run the AWS wire-protocol simulator over a seeded fleet (control API under /_sim/)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port (0 = any free port)', parseIntOption('port', 0, 65535), 9751)
    .option('--instances <n>', 'instances in the seeded fleet', parseIntOption('instances', 0, 100_000), 60)
    .option(
      '--seed <n>',
      'seed for the fleet generator (same seed, same fleet)',
      parseIntOption('seed', 0, 2 ** 31),
      1,
    )
    .option('--regions <list>', 'comma-separated regions', parseListOption, ['us-east-1', 'eu-west-1'])
    .option(
      '--write-manifests <dir>',
      "write each image's driftwarden manifest to DIR (for `manifest import`)",
    )
    .action(async (options: SimulateOptions) => {
      const { runSimulate } = await import('./simulate-action.js');
      await runSimulate(options);
    });
}
