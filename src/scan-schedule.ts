// The scan schedule: each node-cron tick triggers the ScanRunner, which never drops a tick that lands during a scan.
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import type { ScanRunner } from './app/scan-runner.js';
import { errorMessage } from './domain/errors.js';

/**
 * A tick during a running scan becomes the one scan that runs right after it, and further ticks
 * meanwhile share that follow-up (ScanRunner.trigger). The tick returns at once rather than waiting
 * for its scan: node-cron's `noOverlap` would otherwise drop every tick that lands during a scan.
 */
export function scheduleScans(
  expression: string,
  scans: Pick<ScanRunner, 'trigger'>,
  logger: Pick<Logger, 'error'>,
): ScheduledTask {
  return cron.schedule(
    expression,
    () => {
      scans.trigger().catch((error: unknown) => logger.error({ err: errorMessage(error) }, 'scan failed'));
    },
    { name: 'scan' },
  );
}
