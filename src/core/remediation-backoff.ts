// Retry timing for replacement steps: deterministic exponential backoff, so a resumed job waits exactly as planned.

export interface RetryDelayOptions {
  /** Delay after the first failed attempt. */
  baseMs: number;
  /** Upper bound for any delay. */
  maxMs: number;
}

/**
 * Delay before retrying after failed attempt number `attempt` (1-based): `baseMs × 2^(attempt − 1)`, capped at
 * `maxMs`. No jitter: jobs are few and budget-limited, and a delay that is a pure function of the saved attempt
 * count survives a restart unchanged. Attempts below 1 count as 1.
 */
export function retryDelayMs(attempt: number, options: RetryDelayOptions): number {
  const { baseMs, maxMs } = options;
  if (baseMs <= 0 || maxMs <= 0) return 0;
  const exponent = Math.max(0, Math.floor(attempt) - 1);
  const delay = baseMs * 2 ** exponent;
  // Huge attempt counts overflow to Infinity; the cap still applies.
  return Number.isFinite(delay) ? Math.min(delay, maxMs) : maxMs;
}

/** True once `attempt` attempts (1-based count of attempts made so far) have used up `maxAttempts`. */
export function shouldGiveUp(attempt: number, maxAttempts: number): boolean {
  return attempt >= maxAttempts;
}
