import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { retryDelayMs, shouldGiveUp } from '../../src/core/remediation-backoff.js';

const options = { baseMs: 1_000, maxMs: 60_000 };

describe('retryDelayMs', () => {
  it('doubles from the base delay with each attempt', () => {
    expect([1, 2, 3, 4, 5].map((attempt) => retryDelayMs(attempt, options))).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000,
    ]);
  });

  it('caps the delay at maxMs, even for huge attempt counts', () => {
    expect(retryDelayMs(7, options)).toBe(60_000);
    expect(retryDelayMs(10_000, options)).toBe(60_000);
  });

  it('treats attempts below 1 as the first', () => {
    expect(retryDelayMs(0, options)).toBe(1_000);
    expect(retryDelayMs(-3, options)).toBe(1_000);
  });

  it('is deterministic, never decreasing and within [0, maxMs] (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 0, max: 10_000_000 }),
        (attempt, baseMs, maxMs) => {
          const delay = retryDelayMs(attempt, { baseMs, maxMs });
          expect(retryDelayMs(attempt, { baseMs, maxMs })).toBe(delay);
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThanOrEqual(maxMs);
          expect(retryDelayMs(attempt + 1, { baseMs, maxMs })).toBeGreaterThanOrEqual(delay);
        },
      ),
    );
  });
});

describe('shouldGiveUp', () => {
  it('gives up once the attempts made reach maxAttempts', () => {
    expect(shouldGiveUp(4, 5)).toBe(false);
    expect(shouldGiveUp(5, 5)).toBe(true);
    expect(shouldGiveUp(6, 5)).toBe(true);
  });
});
