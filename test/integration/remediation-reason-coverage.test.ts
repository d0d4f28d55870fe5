// Every remediation reason code is either driven end to end (API, UI, /metrics) by an integration test or marked defensive.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFENSIVE_REASON_CODES, REASON_CODES } from '../../src/core/remediation-reasons.js';
import { packagePath } from '../../src/package-root.js';

/** Which integration test makes a real daemon produce each code and checks it with `expectReasonShown`. */
const DRIVEN_BY: Record<string, string> = {
  'for-not-elapsed': 'test/integration/remediation-reasons.test.ts',
  'mode-off': 'test/integration/remediation-reasons.test.ts',
  'dry-run': 'test/integration/remediation-dry-run.test.ts',
  protected: 'test/integration/remediation-reasons.test.ts',
  'cooling-down': 'test/integration/remediation-reasons.test.ts',
  'awaiting-approval': 'test/integration/remediation-reasons.test.ts',
  paused: 'test/integration/remediation-reasons.test.ts',
  'drift-storm': 'test/integration/remediation-policy.test.ts',
  'outside-window': 'test/integration/remediation-policy.test.ts',
  'max-concurrent': 'test/integration/remediation-reasons.test.ts',
  'max-per-hour': 'test/integration/remediation-policy.test.ts',
  'group-busy': 'test/integration/remediation-reasons.test.ts',
  'group-unavailable': 'test/integration/remediation-reasons.test.ts',
  'group-unknown': 'test/integration/remediation-reasons.test.ts',
  'no-target-image': 'test/integration/remediation-reasons.test.ts',
  'manifest-mismatch': 'test/integration/peer-consensus.test.ts',
};

function read(path: string): string {
  return readFileSync(packagePath(path), 'utf8');
}

/** `expectReasonShown(h, <instance>, 'code')`, possibly across lines. */
function showsReason(source: string, code: string): boolean {
  return new RegExp(`expectReasonShown\\(\\s*h,[^;]*?'${code}'\\s*,?\\s*\\)`).test(source);
}

describe('reason codes', () => {
  it.each(REASON_CODES)('%s is driven by an integration test or marked defensive', (code) => {
    const defensive = DEFENSIVE_REASON_CODES.includes(code);
    const file = DRIVEN_BY[code];
    expect(
      defensive !== (file !== undefined),
      `${code}: list it in DRIVEN_BY with the integration test that drives it, or mark it defensive in DEFENSIVE_REASON_CODES`,
    ).toBe(true);
    if (file !== undefined)
      expect(showsReason(read(file), code), `${file} checks ${code} with expectReasonShown`).toBe(true);
    // A defensive branch still has its core test, since no daemon run can show it.
    else expect(read('test/core/remediation-policy.test.ts')).toContain(`code: '${code}'`);
  });

  it('lists only codes that exist', () => {
    expect(
      Object.keys(DRIVEN_BY).filter((code) => !(REASON_CODES as readonly string[]).includes(code)),
    ).toEqual([]);
  });
});
