import { describe, expect, it } from 'vitest';
import { evaluateDriftStorm, largestSharedCause } from '../../src/core/remediation-breaker.js';
import type { ReplaceFinding } from '../../src/core/remediation-types.js';

function replaceFinding(path: string, fleetWide: boolean): ReplaceFinding {
  return {
    rule: 'files',
    severity: 'critical',
    path,
    change: 'changed',
    firstSeen: '2024-05-01T12:00:00.000Z',
    forMs: null,
    approvalRequired: false,
    ...(fleetWide ? { fleetWide: true } : {}),
  };
}

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

describe('largestSharedCause', () => {
  const SSHD = 'host.files["/etc/ssh/sshd_config"].sha256';
  const CURL = 'host.packages["curl"].version';

  it('names the image and path the most drifted instances share after boot', () => {
    const candidates = [
      { imageId: 'ami-0b', findings: [replaceFinding(CURL, true)] },
      { imageId: 'ami-0a', findings: [replaceFinding(SSHD, true), replaceFinding(CURL, false)] },
      { imageId: 'ami-0a', findings: [replaceFinding(SSHD, true)] },
      { imageId: 'ami-0a', findings: [replaceFinding(CURL, false)] },
    ];
    expect(largestSharedCause(candidates)).toEqual({ imageId: 'ami-0a', path: SSHD, instances: 2 });
    expect(largestSharedCause([...candidates].reverse())).toEqual({
      imageId: 'ami-0a',
      path: SSHD,
      instances: 2,
    });
  });

  it('is null when no drift is fleet-wide', () => {
    expect(largestSharedCause([{ imageId: 'ami-0a', findings: [replaceFinding(SSHD, false)] }])).toBeNull();
  });

  it('goes into the pause detail', () => {
    const verdict = evaluateDriftStorm({
      scanned: 20,
      drifted: 20,
      ...limits,
      sharedCause: { imageId: 'ami-0a', path: SSHD, instances: 20 },
    });
    expect(verdict.detail).toBe(
      '20 of 20 scanned instances drifted (100%), more than maxDriftedPercent 30%; ' +
        `shared cause: ${SSHD} changed after boot on image ami-0a's fleet (20 instances); ` +
        'remediation paused until a human resumes it',
    );
  });
});
