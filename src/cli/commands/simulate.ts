// `driftwarden simulate`: run the AWS simulator alone (point `aws.endpoint` at it).
import type { Command } from 'commander';
import { startSimulator } from '@driftwarden/simulator';
import { parseIntOption, parseListOption } from '../options.js';

interface SimulateOptions {
  host: string;
  port: number;
  instances: number;
  seed: number;
  regions: string[];
}

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
    .action(async (options: SimulateOptions) => {
      const sim = await startSimulator(options);
      process.stdout.write(
        `simulator listening on ${sim.url}\n` +
          `  ${sim.fleet.allInstances().length} instances in ${options.regions.join(', ')} (seed ${options.seed})\n` +
          `  images: ${sim.url}/_sim/images   fleet: ${sim.url}/_sim/fleet\n` +
          `  point driftwarden at it: DRIFTWARDEN_AWS_ENDPOINT=${sim.url} AWS_ACCESS_KEY_ID=sim AWS_SECRET_ACCESS_KEY=sim\n`,
      );
      await new Promise<void>((resolve) => {
        const stop = (): void => void sim.close().then(resolve);
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
    });
}
