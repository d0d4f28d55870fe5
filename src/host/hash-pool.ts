// A pool of worker threads hashing files in parallel; the main thread stays free for the walk and progress.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { packagePath } from '../package-root.js';
import type { HashReply, HashRequest } from './hash-worker.js';

export class HashError extends Error {
  constructor(
    message: string,
    readonly code: string | null,
  ) {
    super(message);
    this.name = 'HashError';
  }
}

interface Pending {
  resolve(result: { sha256: string; bytes: number }): void;
  reject(error: Error): void;
}

/** The compiled worker; under vitest this module runs from src/, so the built copy in dist/ is used. */
function workerPath(): string {
  const sibling = fileURLToPath(new URL('./hash-worker.js', import.meta.url));
  return existsSync(sibling) ? sibling : packagePath('dist', 'src', 'host', 'hash-worker.js');
}

export class HashPool {
  private readonly idle: Worker[] = [];
  private readonly workers: Worker[] = [];
  private readonly queue: { request: HashRequest; pending: Pending }[] = [];
  private readonly inFlight = new Map<number, { worker: Worker; pending: Pending }>();
  private nextId = 0;
  private failure: Error | null = null;
  private closing = false;

  constructor(size: number) {
    const path = workerPath();
    for (let i = 0; i < Math.max(1, size); i += 1) {
      const worker = new Worker(path);
      worker.on('message', (reply: HashReply) => this.settle(worker, reply));
      worker.on('error', (error) => this.fail(error));
      // A worker that exits on its own (out of memory, killed) would leave its files waiting forever.
      worker.on('exit', (code) => {
        if (!this.closing) this.fail(new Error(`hash worker exited with code ${code}`));
      });
      this.workers.push(worker);
      this.idle.push(worker);
    }
  }

  /** sha256 (hex) and byte count of a regular file. */
  hash(path: string): Promise<{ sha256: string; bytes: number }> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.queue.push({ request: { id: this.nextId++, path }, pending: { resolve, reject } });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop() as Worker;
      const { request, pending } = this.queue.shift() as { request: HashRequest; pending: Pending };
      this.inFlight.set(request.id, { worker, pending });
      worker.postMessage(request);
    }
  }

  private settle(worker: Worker, reply: HashReply): void {
    const entry = this.inFlight.get(reply.id);
    if (!entry) return;
    this.inFlight.delete(reply.id);
    this.idle.push(worker);
    if ('error' in reply) entry.pending.reject(new HashError(reply.error, reply.code));
    else entry.pending.resolve({ sha256: reply.sha256, bytes: reply.bytes });
    this.dispatch();
  }

  /** A crashed worker fails everything outstanding rather than leaving promises hanging. */
  private fail(error: Error): void {
    this.failure = error;
    for (const { pending } of this.inFlight.values()) pending.reject(error);
    for (const { pending } of this.queue) pending.reject(error);
    this.inFlight.clear();
    this.queue.length = 0;
  }
}
