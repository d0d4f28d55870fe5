// The daemon's side of its scan thread: starts the worker, hands it scans, and restarts it if it dies.
import { Worker } from 'node:worker_threads';
import type { ScanReport } from './app/scan-cycle.js';
import type { FleetSnapshot, ScanRecord } from './app/ports.js';
import type { AwsRequestOutcome } from './aws/aws-middleware.js';
import type { Config } from './config/index.js';
import { ScanPersistError, errorMessage, type ScanPersistErrorOptions } from './domain/errors.js';
import { workerEntry } from './package-root.js';

/** The scan thread's young generation (V8's default on 64-bit: 48 MB). */
const SCAN_THREAD_YOUNG_GENERATION_MB = 16;

/** What the scan thread is started with (structured-cloned: plain data only). */
export interface ScanThreadData {
  config: Config;
  logLevel: string;
  /** The main thread's request budget per client key: scans and replacements share one per account+region. */
  budgets: Record<string, SharedArrayBuffer>;
}

export type ToScanThread =
  | { type: 'scan'; id: number }
  | { type: 'abort'; id: number; reason: string }
  | { type: 'reload-rules' }
  | { type: 'close' };

export type FromScanThread =
  | { type: 'ready' }
  | { type: 'log'; line: string }
  | { type: 'aws'; service: string; operation: string; outcome: AwsRequestOutcome }
  | { type: 'done'; id: number; record: ScanRecord; snapshot: FleetSnapshot }
  | { type: 'failed'; id: number; error: ScanThreadError };

/** A failed scan as it crosses threads (plain data), with a ScanPersistError's fields when it is one. */
export interface ScanThreadError {
  name: string;
  message: string;
  persist: Omit<ScanPersistErrorOptions, 'cause' | 'location'> | undefined;
}

export interface ScanThreadOptions {
  config: Config;
  /** The daemon logger's level; the thread's log lines are written through `writeLog` as they are. */
  logLevel: string;
  budgets: Record<string, SharedArrayBuffer>;
  writeLog: (line: string) => void;
  recordAwsRequest: (service: string, operation: string, outcome: AwsRequestOutcome) => void;
  /**
   * Told when the thread exits unexpectedly (a crash or out of memory), with the thread's error if it
   * reported one; the next scan starts a new one.
   */
  onExit: (code: number, error: string | null) => void;
}

interface Pending {
  resolve: (report: ScanReport) => void;
  reject: (error: Error) => void;
}

/**
 * One worker thread runs every scan: listing, parsing, pairing, diffing, classifying and persisting
 * on its own SQLite connection (WAL: the main thread keeps reading while it writes), so the main
 * thread's event loop stays free for HTTP, metrics and remediation. Scans are serialised by the
 * ScanRunner in front of it; this class only carries them across.
 */
export class ScanThread {
  private worker: Worker | null = null;
  private closing = false;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly options: ScanThreadOptions) {}

  /** Starts the thread now (module loading takes about a second), so the first scan does not wait for it. */
  start(): void {
    this.ensureWorker();
  }

  scan(signal: AbortSignal): Promise<ScanReport> {
    if (this.closing) return Promise.reject(new Error('scan thread is closing'));
    signal.throwIfAborted();
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise<ScanReport>((resolve, reject) => {
      const onAbort = (): void => {
        worker.postMessage({ type: 'abort', id, reason: reasonText(signal.reason) } satisfies ToScanThread);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      const settle = (): void => signal.removeEventListener('abort', onAbort);
      this.pending.set(id, {
        resolve: (report) => (settle(), resolve(report)),
        reject: (error) => (settle(), reject(error)),
      });
      worker.postMessage({ type: 'scan', id } satisfies ToScanThread);
    });
  }

  /** The main thread validated the rules already; the thread re-reads the same files. */
  reloadRules(): void {
    this.worker?.postMessage({ type: 'reload-rules' } satisfies ToScanThread);
  }

  /** Closes the thread's database and clients and waits for it to exit (terminated after `graceMs`). */
  async close(graceMs = 5_000): Promise<void> {
    this.closing = true;
    const worker = this.worker;
    if (worker === null) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage({ type: 'close' } satisfies ToScanThread);
    const force = setTimeout(() => void worker.terminate(), graceMs);
    await exited;
    clearTimeout(force);
  }

  private ensureWorker(): Worker {
    if (this.worker !== null) return this.worker;
    const worker = new Worker(workerEntry(import.meta.url, 'scan-thread.js'), {
      workerData: {
        config: this.options.config,
        logLevel: this.options.logLevel,
        budgets: this.options.budgets,
      } satisfies ScanThreadData,
      // The thread writes its logs through the daemon's logger; its own stdio is not used.
      stdout: false,
      stderr: false,
      // Bounds the scan's memory. Past it, the thread ends; the main thread keeps serving. The young
      // generation is held to a third of V8's 64-bit default (48 MB): a scan's garbage is short-lived
      // parse output, and the larger young generation only stayed resident between scans.
      resourceLimits: {
        maxOldGenerationSizeMb: this.options.config.scan.maxHeapMb,
        maxYoungGenerationSizeMb: SCAN_THREAD_YOUNG_GENERATION_MB,
      },
    });
    worker.on('message', (message: FromScanThread) => this.onMessage(message));
    let failure: string | null = null;
    worker.on('error', (error) => {
      failure = this.describe(error);
      this.failAll(new Error(`scan thread failed: ${failure}`));
    });
    worker.once('exit', (code) => {
      if (this.worker === worker) this.worker = null;
      this.failAll(new Error(`scan thread exited with code ${code}`));
      if (!this.closing) this.options.onExit(code, failure);
    });
    this.worker = worker;
    return worker;
  }

  private describe(error: Error): string {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_WORKER_OUT_OF_MEMORY') return error.message;
    return `out of memory: the scan needed more than scan.maxHeapMb (${this.options.config.scan.maxHeapMb} MiB); raise it for a fleet this large`;
  }

  private onMessage(message: FromScanThread): void {
    switch (message.type) {
      case 'ready':
        return;
      case 'log':
        this.options.writeLog(message.line);
        return;
      case 'aws':
        this.options.recordAwsRequest(message.service, message.operation, message.outcome);
        return;
      case 'done':
        this.pending.get(message.id)?.resolve({ record: message.record, snapshot: message.snapshot });
        this.pending.delete(message.id);
        return;
      case 'failed': {
        const { name, message: text, persist } = message.error;
        const error = persist === undefined ? new Error(text) : new ScanPersistError(text, persist);
        error.name = name;
        this.pending.get(message.id)?.reject(error);
        this.pending.delete(message.id);
        return;
      }
    }
  }

  private failAll(error: Error): void {
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }
}

function reasonText(reason: unknown): string {
  return reason === undefined ? 'aborted' : errorMessage(reason);
}
