// The status an instance is reported in, from its findings and whether they are accepted.
import { describe, expect, it } from 'vitest';
import type { ScannedFinding } from '../../src/app/ports.js';
import { instanceStatus } from '../../src/app/scan-cycle.js';
import type { Pair } from '../../src/domain/types.js';
import { instanceOf, manifestOf, resolved } from '../core/builders.js';

const pair = (hostStatus: Pair['hostStatus'] = 'fresh'): Pair => ({
  instance: instanceOf(),
  manifest: resolved(manifestOf()),
  hosts: [],
  hostStatus,
});

function finding(overrides: Partial<ScannedFinding> = {}): ScannedFinding {
  return {
    instanceId: 'i-0aaa',
    imageId: 'ami-0123456789abcdef0',
    path: 'launch.instanceType',
    change: 'changed',
    expected: 't3.small',
    actual: 't3.large',
    rule: 'instance-type',
    severity: 'warning',
    action: 'report',
    forMs: null,
    acceptanceId: null,
    scope: 'unrated',
    onset: null,
    ...overrides,
  };
}

describe('instanceStatus', () => {
  it('is drifted while at least one finding is not accepted', () => {
    expect(instanceStatus(pair(), [finding(), finding({ path: 'launch.tags.env', acceptanceId: 1 })])).toBe(
      'drifted',
    );
  });

  it('is compliant when every finding is accepted', () => {
    expect(instanceStatus(pair(), [finding({ acceptanceId: 1 }), finding({ acceptanceId: 2 })])).toBe(
      'compliant',
    );
  });

  it('stays stale when every finding is accepted but host data is stale', () => {
    expect(instanceStatus(pair('stale'), [finding({ acceptanceId: 1 })])).toBe('stale');
  });

  it('reports an unknown image only while that finding is not accepted', () => {
    const unknown = { path: 'image.id', change: 'unknown-image' as const, rule: 'unknown-image' };
    expect(instanceStatus(pair(), [finding(unknown)])).toBe('unknown_image');
    expect(instanceStatus(pair(), [finding({ ...unknown, acceptanceId: 3 }), finding()])).toBe('drifted');
    expect(instanceStatus(pair(), [finding({ ...unknown, acceptanceId: 3 })])).toBe('compliant');
  });
});
