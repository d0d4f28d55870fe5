// Entry of the daemon's scan thread (a worker_threads Worker started by scan-thread-client.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import { ScanPersistError } from './domain/errors.js';
import { REDACT_PATHS } from './logging/logger.js';
import { createRuntime } from './runtime.js';
import { lowerThreadPriority } from './thread-priority.js';
import type { FromScanThread, ScanThreadData, ToScanThread } from './scan-thread-client.js';

const port = parentPort;
if (port === null) throw new Error("scan-thread.js runs only as the daemon's worker thread");
const data = workerData as ScanThreadData;
const post = (message: FromScanThread): void => port.postMessage(message);
// The listing threads it starts inherit this: HTTP on the main thread wins a busy core.
lowerThreadPriority(data.config.scan.niceness);

// Log lines go to the daemon, which writes them through its own logger's destination.
const logger = pino(
  {
    level: data.logLevel,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { service: 'driftwarden', thread: 'scan' },
  },
  { write: (line: string) => post({ type: 'log', line }) },
);

// Its own SQLite connection and AWS clients: nothing is shared with the main thread but the file.
const runtime = createRuntime({
  config: data.config,
  logger,
  recordAwsRequest: (service, operation, outcome) => post({ type: 'aws', service, operation, outcome }),
  sharedBudget: (keyId) => data.budgets[keyId],
  scanOnly: true,
});

runtime.startListThreads();

let running: { id: number; controller: AbortController; done: Promise<void> } | null = null;

function runScan(id: number): void {
  const controller = new AbortController();
  const done = runtime.runScan(controller.signal).then(
    // The metrics snapshot walks the fleet's tables: read here, so the main thread only applies it.
    (report) =>
      post({
        type: 'done',
        id,
        record: report.record,
        snapshot: runtime.store.fleet.snapshot(data.config.metrics.instanceDriftLimit),
      }),
    (error: unknown) => {
      const failure = error instanceof Error ? error : new Error(String(error));
      // A scan that could not be saved crosses as itself: the daemon counts and logs it by its fields.
      const persist =
        failure instanceof ScanPersistError
          ? { scanId: failure.scanId, recorded: failure.recorded, storageCode: failure.storageCode }
          : undefined;
      post({ type: 'failed', id, error: { name: failure.name, message: failure.message, persist } });
    },
  );
  running = { id, controller, done: done.finally(() => (running = null)) };
}

port.on('message', (message: ToScanThread) => {
  switch (message.type) {
    case 'scan':
      runScan(message.id);
      return;
    case 'abort':
      if (running?.id === message.id) running.controller.abort(new Error(message.reason));
      return;
    case 'reload-rules':
      runtime.reloadRules();
      return;
    case 'close':
      running?.controller.abort(new Error('shutting down'));
      void (running?.done ?? Promise.resolve()).then(() => {
        runtime.close();
        port.close();
      });
      return;
  }
});

post({ type: 'ready' });
