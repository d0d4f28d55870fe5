// `driftwarden demo`: simulator + daemon in one process, drift, a revoked build, throttling and replacements (registration; the implementation loads on use).
import { Option, type Command } from 'commander';
import { parseIntOption } from '../options.js';
import type { DemoOptions } from './demo-action.js';

// Not imported from demo-action.ts: that would load the daemon to register the command.
const DEMO_MODES: readonly DemoOptions['mode'][] = ['enforce', 'dry-run'];

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'run the daemon against a simulated fleet: drift injected, a build revoked, AWS throttling, replacements in the simulator',
    )
    .option('--host <host>', 'address for the API and /metrics', '127.0.0.1')
    .option(
      '--port <port>',
      'port for the API and /metrics (0 = any free port)',
      parseIntOption('port', 0, 65535),
      9750,
    )
    .option('--instances <n>', 'simulated instances', parseIntOption('instances', 1, 20_000), 60)
    .option('--seed <n>', 'fleet seed', parseIntOption('seed', 0, 2 ** 31), 1)
    .option('--interval <seconds>', 'scan every N seconds', parseIntOption('interval', 1, 59), 10)
    .option(
      '--drift-every <seconds>',
      'inject a drift every N seconds',
      parseIntOption('drift-every', 1, 3600),
      15,
    )
    .addOption(
      new Option(
        '--mode <mode>',
        'remediation against the simulated fleet: enforce replaces, dry-run only plans',
      )
        .choices(DEMO_MODES)
        .default('enforce'),
    )
    .option(
      '--revoke-after <seconds>',
      'revoke a build (publishing a fixed one) N seconds after start',
      parseIntOption('revoke-after', 0, 86_400),
      60,
    )
    .option(
      '--throttle-after <seconds>',
      'make AWS throttle DescribeInstances for a moment N seconds after start',
      parseIntOption('throttle-after', 0, 86_400),
      30,
    )
    .option('--data <dir>', 'directory for the demo database (wiped at start)', './data/demo')
    .option('--duration <seconds>', 'stop by itself after N seconds', parseIntOption('duration', 1, 86_400))
    .action(async (options: DemoOptions) => {
      const { runDemo } = await import('./demo-action.js');
      await runDemo(options);
    });
}
