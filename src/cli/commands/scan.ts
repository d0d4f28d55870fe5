// `driftwarden scan --once [--json]`: one scan, printed (registration; the implementation loads on use).
import type { Command } from 'commander';
import type { ScanOptions } from './scan-action.js';

export function registerScanCommand(program: Command): void {
  program
    .command('scan')
    .description('scan the fleet once and print the drift found (exit 0 clean, 2 drift found, 1 error)')
    .option('--once', 'run one scan and exit (required; use `serve` to scan on a schedule)')
    .option('--json', 'print the scan as one JSON object')
    .action(async (options: ScanOptions, command: Command) => {
      if (!options.once) {
        command.error('scan needs --once (use `driftwarden serve` to scan on a schedule)', { exitCode: 1 });
      }
      const { runScan } = await import('./scan-action.js');
      await runScan(options, command);
    });
}
