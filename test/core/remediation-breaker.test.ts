import { describe, expect, it } from 'vitest';
import { evaluateDriftStorm } from '../../src/core/remediation-breaker.js';

const limits = { maxDriftedPercent: 30, minDrifted: 3 };

describe('evaluateDriftStorm', () => {
  it('trips when half of 20 scanned instances drift', () => {
    expect(evaluateDriftStorm({ scanned: 20, drifted: 10, ...limits })).toEqual({
      storm: true,
      percent: 50,
      reason: 'drift-storm',
      detail:
        '10 of 20 scanned instances drifted (50%), more than maxDriftedPercent 30%; ' +
        'remediation paused until a human resumes it',
    });
  });

  it('does not trip a tiny fleet below minDrifted, however large the share', () => {
    const verdict = evaluateDriftStorm({ scanned: 3, drifted: 1, ...limits });
    expect(verdict).toMatchObject({ storm: false, reason: null, detail: null });
    expect(verdict.percent).toBeCloseTo(33.33, 2);
    expect(evaluateDriftStorm({ scanned: 3, drifted: 2, ...limits }).storm).toBe(false);
  });

  it('needs strictly more than maxDriftedPercent', () => {
    expect(evaluateDriftStorm({ scanned: 10, drifted: 3, ...limits }).storm).toBe(false);
    expect(evaluateDriftStorm({ scanned: 10, drifted: 4, ...limits }).storm).toBe(true);
  });

  it('trips at exactly minDrifted', () => {
    expect(evaluateDriftStorm({ scanned: 5, drifted: 3, ...limits }).storm).toBe(true);
  });

  it('never trips when nothing was scanned', () => {
    expect(evaluateDriftStorm({ scanned: 0, drifted: 0, maxDriftedPercent: 30, minDrifted: 0 })).toEqual({
      storm: false,
      percent: 0,
      reason: null,
      detail: null,
    });
  });
});
