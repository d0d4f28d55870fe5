// Builds the commander program and maps every failure to an exit code (0 ok, 1 error, 2 drift found).
// Commands register only their names, options and help here; each loads its implementation when it runs,
// so `agent` on a host loads neither the daemon (express, SQLite, the AWS SDK) nor the simulator.
import { Command, CommanderError } from 'commander';
import { registerAcceptCommand } from './commands/accept.js';
import { registerAgentCommand } from './commands/agent.js';
import { registerBackupCommands } from './commands/backup.js';
import { registerBakeCommand } from './commands/bake.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerManifestCommands } from './commands/manifest.js';
import { registerMigrateCommand } from './commands/migrate.js';
import { registerReplacementCommands } from './commands/replacements.js';
import { registerRulesCommands } from './commands/rules.js';
import { registerScanCommand } from './commands/scan.js';
import { registerServeCommand } from './commands/serve.js';
import { registerShardsCommands } from './commands/shards.js';
import { registerSimulateCommand } from './commands/simulate.js';
import { CliExit, describeError } from './cli-exit.js';

export function buildProgram(): Command {
  const program = new Command('driftwarden')
    .description('Configuration-drift detection and safe replacement for immutable EC2 fleets.')
    .version('0.1.0')
    .option('-c, --config <file>', 'configuration file (default: $DRIFTWARDEN_CONFIG or ./driftwarden.yaml)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  program.addHelpText(
    'after',
    `
Examples:
  $ driftwarden demo                              simulator + daemon, drift injected, URLs printed
  $ driftwarden manifest import packer-manifest.json
  $ driftwarden scan --once --json                exit 0 clean, 2 drift found, 1 error
  $ driftwarden accept i-0123456789abcdef0 --until 7d --reason "vendor hotfix"
  $ driftwarden serve --config driftwarden.yaml
  $ driftwarden backup /var/backups/driftwarden-$(date +%F).db   online, while serve runs
  $ driftwarden shards plan --count 3             which replica scans which account and region`,
  );
  for (const register of [
    registerServeCommand,
    registerScanCommand,
    registerManifestCommands,
    registerRulesCommands,
    registerMigrateCommand,
    registerBackupCommands,
    registerShardsCommands,
    registerAcceptCommand,
    registerReplacementCommands,
    registerBakeCommand,
    registerAgentCommand,
    registerSimulateCommand,
    registerDemoCommand,
  ]) {
    register(program);
  }
  for (const command of program.commands) command.exitOverride();
  return program;
}

export async function runCli(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CliExit) return error.code;
    if (error instanceof CommanderError) {
      // --help and --version exit 0; usage errors were already printed by commander.
      return error.exitCode === 0 ? 0 : 1;
    }
    process.stderr.write(`${describeError(error)}\n`);
    return 1;
  }
}
