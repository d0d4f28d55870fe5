// The scan's listing threads: a pool of worker threads that fetch and parse DescribeInstances pages
// of the parts it is given, so parsing (most of a scan's CPU) runs on every core.
import { Worker } from 'node:worker_threads';
import type { AwsCredentialIdentity } from '@smithy/types';
import type { ClientKey } from './aws/aws-clients.js';
import type { AwsRequestOutcome, AwsRequestRecorder } from './aws/aws-middleware.js';
import { errorMessage } from './domain/errors.js';
import type { Target } from './domain/types.js';
import { workerEntry } from './package-root.js';
import type { ListPartition } from './sources/ec2/describe-instance-pages.js';
import type { ListedInstance } from './sources/ec2/instance-mapper.js';
import type { ListPartOptions, PartLister } from './sources/ec2/part-lister.js';

/** What a listing thread is started with (structured-cloned: plain data only). */
export interface ListThreadData {
  aws: { endpoint: string | undefined; maxAttempts: number; maxRequestsPerSecond: number };
  pageSize: number;
  /** The thread's minimum nice value (see thread-priority.ts). */
  niceness: number;
}

export type ToListThread =
  | { type: 'list'; id: number; target: Target; partition: ListPartition; budget: SharedArrayBuffer }
  | {
      type: 'credentials';
      requestId: number;
      identity: AwsCredentialIdentity | null;
      error?: SerializedError;
    }
  | { type: 'abort'; id: number; reason: string };

/** An error as it crosses threads: what logs, retries and the scan record read of it. */
export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  $fault?: string;
  httpStatusCode?: number;
}

export type FromListThread =
  | { type: 'aws'; service: string; operation: string; outcome: AwsRequestOutcome }
  /** The credentials of a target's role: assumed (and cached, refreshed) once, on the scan's side. */
  | { type: 'credentials'; requestId: number; key: ClientKey }
  | { type: 'page'; id: number; instances: ListedInstance[] }
  | { type: 'done'; id: number }
  | { type: 'failed'; id: number; error: SerializedError };

export interface ListThreadPoolOptions extends ListThreadData {
  /** Threads in the pool, started on first use. */
  threads: number;
  /** The budget of the target's account+region on the scan's side (AwsClients.budgetState). */
  budgetState(target: Target): SharedArrayBuffer;
  /** The scan side's credentials of a target with a `roleArn` (AwsClients.roleCredentials). */
  roleCredentials(key: ClientKey): Promise<AwsCredentialIdentity> | null;
  recordAwsRequest: AwsRequestRecorder;
  /** Told when a thread exits unexpectedly; its parts fail, and the next part starts a new thread. */
  onThreadExit?(code: number): void;
}

interface Task {
  thread: number;
  options: ListPartOptions;
  resolve(): void;
  reject(error: Error): void;
}

export class ListThreadPool implements PartLister {
  private readonly workers: (Worker | null)[];
  /** Parts in flight per thread: a new part goes to the least busy one. */
  private readonly load: number[];
  private readonly tasks = new Map<number, Task>();
  private nextId = 1;
  private closing = false;

  constructor(private readonly options: ListThreadPoolOptions) {
    this.workers = Array.from({ length: options.threads }, () => null);
    this.load = Array.from({ length: options.threads }, () => 0);
  }

  listPart(target: Target, partition: ListPartition, options: ListPartOptions): Promise<void> {
    if (this.closing) return Promise.reject(new Error('listing threads are closing'));
    if (options.signal.aborted) return Promise.reject(abortReason(options.signal));
    const thread = this.load.indexOf(Math.min(...this.load));
    const worker = this.ensureWorker(thread);
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        worker.postMessage({
          type: 'abort',
          id,
          reason: errorMessage(options.signal.reason),
        } satisfies ToListThread);
        this.settle(id, abortReason(options.signal));
      };
      options.signal.addEventListener('abort', onAbort, { once: true });
      const cleanup = (): void => options.signal.removeEventListener('abort', onAbort);
      this.tasks.set(id, {
        thread,
        options,
        resolve: () => (cleanup(), resolve()),
        reject: (error) => (cleanup(), reject(error)),
      });
      this.load[thread]!++;
      worker.ref();
      worker.postMessage({
        type: 'list',
        id,
        target,
        partition,
        budget: this.options.budgetState(target),
      } satisfies ToListThread);
    });
  }

  /**
   * Starts every thread now (each loads the AWS SDK, about half a second), so the first scan does not
   * wait for them; they are unreferenced until a part is given to them.
   */
  start(): void {
    for (let thread = 0; thread < this.workers.length; thread++) {
      if (!this.closing && this.load[thread] === 0) this.ensureWorker(thread).unref();
    }
  }

  /** Stops every thread (a listing thread holds nothing to save); parts still listing fail. */
  async close(): Promise<void> {
    this.closing = true;
    const exits = this.workers.map((worker) =>
      worker === null ? Promise.resolve() : worker.terminate().then(() => undefined),
    );
    await Promise.all(exits);
  }

  private ensureWorker(thread: number): Worker {
    const existing = this.workers[thread];
    if (existing) return existing;
    const { aws, pageSize, niceness } = this.options;
    const worker = new Worker(workerEntry(import.meta.url, 'list-thread.js'), {
      workerData: { aws, pageSize, niceness } satisfies ListThreadData,
      stdout: false,
      stderr: false,
    });
    worker.on('message', (message: FromListThread) => this.onMessage(worker, message));
    worker.on('error', (error) =>
      this.failThread(thread, new Error(`listing thread failed: ${error.message}`)),
    );
    worker.once('exit', (code) => {
      if (this.workers[thread] === worker) this.workers[thread] = null;
      this.failThread(thread, new Error(`listing thread exited with code ${code}`));
      if (!this.closing) this.options.onThreadExit?.(code);
    });
    this.workers[thread] = worker;
    return worker;
  }

  private onMessage(worker: Worker, message: FromListThread): void {
    switch (message.type) {
      case 'aws':
        this.options.recordAwsRequest(message.service, message.operation, message.outcome);
        return;
      case 'credentials': {
        const { requestId } = message;
        const reply = (
          answer: Omit<Extract<ToListThread, { type: 'credentials' }>, 'type' | 'requestId'>,
        ): void => worker.postMessage({ type: 'credentials', requestId, ...answer } satisfies ToListThread);
        // A synchronous throw is an answer too: the listing thread's request must not hang.
        new Promise<AwsCredentialIdentity | null>((resolve) =>
          resolve(this.options.roleCredentials(message.key)),
        ).then(
          (identity) => reply({ identity }),
          (error: unknown) => reply({ identity: null, error: serializeError(error) }),
        );
        return;
      }
      case 'page': {
        const task = this.tasks.get(message.id);
        try {
          task?.options.onPage(message.instances);
        } catch (error) {
          // As on the scan's own thread: a page its consumer refuses fails the part.
          worker.postMessage({
            type: 'abort',
            id: message.id,
            reason: errorMessage(error),
          } satisfies ToListThread);
          this.settle(message.id, error instanceof Error ? error : new Error(errorMessage(error)));
        }
        return;
      }
      case 'done':
        this.settle(message.id, null);
        return;
      case 'failed':
        this.settle(message.id, deserializeError(message.error));
        return;
    }
  }

  private settle(id: number, error: Error | null): void {
    const task = this.tasks.get(id);
    if (task === undefined) return;
    this.tasks.delete(id);
    // An idle thread must not keep a finished `scan --once` alive.
    if (--this.load[task.thread]! === 0) this.workers[task.thread]?.unref();
    if (error === null) task.resolve();
    else task.reject(error);
  }

  private failThread(thread: number, error: Error): void {
    for (const [id, task] of this.tasks) if (task.thread === thread) this.settle(id, error);
  }
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('aborted');
}

export function serializeError(error: unknown): SerializedError {
  const e = (typeof error === 'object' && error !== null ? error : {}) as {
    name?: unknown;
    code?: unknown;
    $fault?: unknown;
    $metadata?: { httpStatusCode?: unknown };
  };
  return {
    name: typeof e.name === 'string' ? e.name : 'Error',
    message: errorMessage(error),
    ...(typeof e.code === 'string' ? { code: e.code } : {}),
    ...(typeof e.$fault === 'string' ? { $fault: e.$fault } : {}),
    ...(typeof e.$metadata?.httpStatusCode === 'number'
      ? { httpStatusCode: e.$metadata.httpStatusCode }
      : {}),
  };
}

/** The SDK's error shape again, so classification (throttled, server fault) reads it as it was. */
export function deserializeError(serialized: SerializedError): Error {
  const { name, message, httpStatusCode, ...rest } = serialized;
  const error = Object.assign(
    new Error(message),
    rest,
    httpStatusCode === undefined ? {} : { $metadata: { httpStatusCode } },
  );
  error.name = name;
  return error;
}
