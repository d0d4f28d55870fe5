// A token bucket that spaces AWS requests so one account+region never exceeds its own budget, kept
// in shared memory so every thread that calls the same account+region draws from the one budget.

export interface RequestBudgetOptions {
  maxRequestsPerSecond: number;
  /**
   * The bucket of another thread's budget for the same account+region (`RequestBudget.state`); absent
   * = a new, full bucket.
   */
  state?: SharedArrayBuffer;
  /** Injected for tests; defaults to the system's monotonic clock in milliseconds, which every thread reads alike. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

// Not performance.now(): its origin is each thread's start, and timeOrigin follows the wall clock,
// which may have been stepped between two threads' starts.
const monotonicMs = (): number => Number(process.hrtime.bigint() / 1000n) / 1000;

/**
 * Each request reserves the next free slot, one interval after the previous one, and waits for it:
 * a compare-and-swap on one shared 64-bit slot time (microseconds of the monotonic clock), so threads never hand out the same slot. A slot
 * may lie up to one second's budget in the past, which is the burst an idle bucket allows. Callers
 * are served in the order they asked.
 */
export class RequestBudget {
  /** Pass to `RequestBudgetOptions.state` in another thread to share this budget. */
  readonly state: SharedArrayBuffer;
  private readonly nextSlot: BigInt64Array;
  private readonly intervalUs: bigint;
  private readonly burstUs: bigint;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(options: RequestBudgetOptions) {
    const rate = options.maxRequestsPerSecond;
    this.intervalUs = BigInt(Math.max(1, Math.round(1_000_000 / rate)));
    // A burst of one second's budget at most: enough for pagination, never a spike AWS would throttle.
    this.burstUs = this.intervalUs * BigInt(Math.max(1, Math.floor(rate)));
    this.now = options.now ?? monotonicMs;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.state = options.state ?? new SharedArrayBuffer(BigInt64Array.BYTES_PER_ELEMENT);
    this.nextSlot = new BigInt64Array(this.state);
    // A new bucket starts full; one attached to another thread's keeps that thread's slots.
    if (options.state === undefined) Atomics.store(this.nextSlot, 0, this.earliestSlot(this.nowUs()));
  }

  /** Resolves when one request may be sent. */
  async take(): Promise<void> {
    for (;;) {
      const now = this.nowUs();
      const previous = Atomics.load(this.nextSlot, 0);
      const earliest = this.earliestSlot(now);
      const slot = previous > earliest ? previous : earliest;
      if (Atomics.compareExchange(this.nextSlot, 0, previous, slot + this.intervalUs) !== previous) continue;
      if (slot > now) await this.sleep(Math.ceil(Number(slot - now) / 1000));
      return;
    }
  }

  private nowUs(): bigint {
    return BigInt(Math.round(this.now() * 1000));
  }

  /** An idle bucket's slots start this far back: one second's budget may go at once. */
  private earliestSlot(now: bigint): bigint {
    return now - this.burstUs + this.intervalUs;
  }
}
