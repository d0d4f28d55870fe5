// `driftwarden scan --once`, run: one scan, printed; exit 0 clean, 2 drift, 1 error.
import type { Command } from 'commander';
import { scanExitCode, toScanJson } from '../../app/scan-json.js';
import { CliExit, printJson, type GlobalOptions } from '../cli-exit.js';
import { cliLogger, loadCliConfig } from '../context.js';
import { renderScanSummary } from '../render.js';

export interface ScanOptions {
  once?: boolean;
  json?: boolean;
}

export async function runScan(options: ScanOptions, command: Command): Promise<void> {
  const config = loadCliConfig(command.optsWithGlobals<GlobalOptions>());
  const logger = cliLogger(config);
  // Loaded on use: the AWS SDK and express take most of a second, which every other command would pay.
  const { createRuntime } = await import('../../runtime.js');
  const tty = process.stderr.isTTY && !options.json;
  const runtime = createRuntime({
    config,
    logger,
    // A one-shot scan replaces nothing: its clients read DescribeInstances for the scan only.
    scanOnly: true,
    onTargetProgress: tty
      ? (target, p) =>
          process.stderr.write(`\r  ${target.region}: ${p.pages} pages, ${p.instances} instances   `)
      : undefined,
  });
  const controller = new AbortController();
  const onSignal = (): void => controller.abort(new Error('interrupted'));
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    // Before the scan: its printout and exit code count this replica's targets only.
    runtime.releaseUnownedTargets();
    const report = await runtime.runScan(controller.signal);
    if (tty) process.stderr.write('\n');
    // A one-shot scan prints every open finding (docs/design.md §6), so it reads them all.
    const findings = runtime.store.fleet.listFindings();
    if (options.json) printJson(toScanJson(report, findings));
    else process.stdout.write(renderScanSummary(toScanJson(report, findings)));
    throw new CliExit(scanExitCode(report, findings));
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    runtime.close();
  }
}
