// A token bucket that spaces AWS requests so one account+region never exceeds its own budget.

export interface RequestBudgetOptions {
  maxRequestsPerSecond: number;
  /** Injected for tests; defaults to the monotonic clock. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export class RequestBudget {
  private readonly rate: number;
  private readonly capacity: number;
  private tokens: number;
  private last: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private queue: Promise<void> = Promise.resolve();

  constructor(options: RequestBudgetOptions) {
    this.rate = options.maxRequestsPerSecond;
    // A burst of one second's budget at most: enough for pagination, never a spike AWS would throttle.
    this.capacity = Math.max(1, options.maxRequestsPerSecond);
    this.tokens = this.capacity;
    this.now = options.now ?? (() => performance.now());
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.last = this.now();
  }

  /** Resolves when one request may be sent; callers are served in order. */
  take(): Promise<void> {
    const turn = this.queue.then(() => this.waitForToken());
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private async waitForToken(): Promise<void> {
    for (;;) {
      const now = this.now();
      this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.rate);
      this.last = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await this.sleep(Math.ceil(((1 - this.tokens) / this.rate) * 1000));
    }
  }
}
