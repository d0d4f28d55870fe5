import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  acceptanceMatches,
  AcceptanceIndex,
  acceptanceState,
  resolveAcceptanceUntil,
  type AcceptanceScope,
} from '../../src/core/acceptance.js';

const NOW = Date.parse('2026-11-20T10:00:00.000Z');
const finding = { instanceId: 'i-00000001', rule: 'imds-downgrade' };

describe('acceptanceMatches', () => {
  it('matches an instance acceptance on every finding of that instance only', () => {
    const scope = { id: 1, instanceId: 'i-00000001', rule: null };
    expect(acceptanceMatches(scope, finding)).toBe(true);
    expect(acceptanceMatches(scope, { ...finding, rule: 'tag-drift' })).toBe(true);
    expect(acceptanceMatches(scope, { ...finding, instanceId: 'i-00000002' })).toBe(false);
  });

  it('matches a rule acceptance on that rule of every instance only', () => {
    const scope = { id: 1, instanceId: null, rule: 'imds-downgrade' };
    expect(acceptanceMatches(scope, { ...finding, instanceId: 'i-00000009' })).toBe(true);
    expect(acceptanceMatches(scope, { ...finding, rule: 'imds-downgrade-2' })).toBe(false);
  });

  it('needs both to match when an acceptance names an instance and a rule', () => {
    const scope = { id: 1, instanceId: 'i-00000001', rule: 'imds-downgrade' };
    expect(acceptanceMatches(scope, finding)).toBe(true);
    expect(acceptanceMatches(scope, { ...finding, rule: 'tag-drift' })).toBe(false);
    expect(acceptanceMatches(scope, { ...finding, instanceId: 'i-00000002' })).toBe(false);
  });
});

describe('AcceptanceIndex', () => {
  const find = (scopes: readonly AcceptanceScope[], f = finding) => new AcceptanceIndex(scopes).find(f);

  it('returns null when nothing matches', () => {
    expect(find([])).toBeNull();
    expect(find([{ id: 1, instanceId: 'i-00000002', rule: null }])).toBeNull();
  });

  it('finds what a walk over every acceptance finds: the matching one with the lowest id, in any order', () => {
    const scope = fc.record({
      id: fc.integer({ min: 1, max: 50 }),
      instanceId: fc.constantFrom(null, 'i-00000001', 'i-00000002'),
      rule: fc.constantFrom(null, 'imds-downgrade', 'tag-drift'),
    });
    const probe = fc.record({
      instanceId: fc.constantFrom('i-00000001', 'i-00000002', 'i-00000003'),
      rule: fc.constantFrom('imds-downgrade', 'tag-drift', 'other'),
    });
    fc.assert(
      fc.property(fc.uniqueArray(scope, { selector: (s) => s.id, maxLength: 12 }), probe, (scopes, f) => {
        const found = find(scopes, f);
        const matching = scopes.filter((s) => acceptanceMatches(s, f)).map((s) => s.id);
        expect(found?.id ?? null).toBe(matching.length ? Math.min(...matching) : null);
        expect(find([...scopes].reverse(), f)).toBe(found);
        // Added one at a time, as boot-noise application does, it answers the same.
        const grown = new AcceptanceIndex<AcceptanceScope>();
        for (const s of scopes) grown.add(s);
        expect(grown.find(f)).toBe(found);
      }),
    );
  });

  it('returns the acceptance object itself, so callers keep its other fields', () => {
    const scopes: (AcceptanceScope & { reason: string })[] = [
      { id: 7, instanceId: null, rule: 'imds-downgrade', reason: 'fleet-wide' },
    ];
    expect(new AcceptanceIndex(scopes).find(finding)?.reason).toBe('fleet-wide');
  });
});

describe('acceptanceState', () => {
  it('is active before until, expired from until on, and revoked once revoked', () => {
    const a = { until: '2026-11-21T00:00:00.000Z', revokedAt: null };
    expect(acceptanceState(a, '2026-11-20T23:59:59.999Z')).toBe('active');
    expect(acceptanceState(a, '2026-11-21T00:00:00.000Z')).toBe('expired');
    expect(acceptanceState({ ...a, revokedAt: '2026-11-20T01:00:00.000Z' }, '2026-11-20T02:00:00.000Z')).toBe(
      'revoked',
    );
  });
});

describe('resolveAcceptanceUntil', () => {
  it('adds a duration to now', () => {
    expect(resolveAcceptanceUntil('7d', NOW)).toEqual({ until: '2026-11-27T10:00:00.000Z' });
    expect(resolveAcceptanceUntil(' 12h ', NOW)).toEqual({ until: '2026-11-20T22:00:00.000Z' });
    expect(resolveAcceptanceUntil('1d12h', NOW)).toEqual({ until: '2026-11-21T22:00:00.000Z' });
  });

  it('reads a date as 00:00 UTC that day, and a date-time with its zone', () => {
    expect(resolveAcceptanceUntil('2026-12-31', NOW)).toEqual({ until: '2026-12-31T00:00:00.000Z' });
    expect(resolveAcceptanceUntil('2026-12-31T18:00:00+02:00', NOW)).toEqual({
      until: '2026-12-31T16:00:00.000Z',
    });
    expect(resolveAcceptanceUntil('2026-12-31T18:00Z', NOW)).toEqual({ until: '2026-12-31T18:00:00.000Z' });
  });

  it('refuses a date-time without a zone instead of guessing the local one', () => {
    expect(resolveAcceptanceUntil('2026-12-31T18:00:00', NOW)).toEqual({
      error: '"2026-12-31T18:00:00" has no time zone; add Z or an offset (e.g. 2026-12-31T18:00:00Z)',
    });
  });

  it('refuses text that is neither a duration nor an ISO date', () => {
    for (const text of ['tomorrow', 'Dec 31 2026', '7 days', '', '-1d']) {
      expect(resolveAcceptanceUntil(text, NOW)).toEqual({
        error: `${JSON.stringify(text)} is neither a duration (7d, 12h) nor an ISO date (2026-12-31, 2026-12-31T18:00:00Z)`,
      });
    }
    expect(resolveAcceptanceUntil('2026-02-30T00:00:00Z', NOW)).toEqual({
      error: '"2026-02-30T00:00:00Z" is not a valid date',
    });
  });

  it('refuses a time that is not in the future', () => {
    expect(resolveAcceptanceUntil('2026-11-20', NOW)).toEqual({
      error: 'must be in the future (2026-11-20T00:00:00.000Z has passed)',
    });
    expect(resolveAcceptanceUntil('0d', NOW)).toEqual({
      error: 'must be in the future (2026-11-20T10:00:00.000Z has passed)',
    });
  });

  it('allows at most 365 days ahead', () => {
    expect(resolveAcceptanceUntil('365d', NOW)).toEqual({ until: '2027-11-20T10:00:00.000Z' });
    const tooFar = { error: 'must be at most 365 days ahead; accept again when it expires' };
    expect(resolveAcceptanceUntil('365d1ms', NOW)).toEqual(tooFar);
    expect(resolveAcceptanceUntil('2030-01-01', NOW)).toEqual(tooFar);
    expect(resolveAcceptanceUntil('999999999999d', NOW)).toEqual(tooFar);
  });
});
