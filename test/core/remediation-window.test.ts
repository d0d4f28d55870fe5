import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MaintenanceWindow, Weekday } from '../../src/core/remediation-types.js';
import {
  isWithinMaintenanceWindow,
  nextWindowStart,
  validateMaintenanceWindow,
  WEEKDAYS,
} from '../../src/core/remediation-window.js';

const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
const WEEK = 7 * 86_400_000;

// 2024-05-03 is a Friday.
const fridayNight: MaintenanceWindow[] = [{ days: ['fri'], start: '22:00', end: '02:00' }];

describe('isWithinMaintenanceWindow', () => {
  it('is always within when no window is configured', () => {
    expect(isWithinMaintenanceWindow([], at('2024-05-01T12:00:00Z'))).toBe(true);
  });

  it('includes the start minute and excludes the end', () => {
    const windows: MaintenanceWindow[] = [{ days: ['wed'], start: '09:00', end: '10:00' }];
    expect(isWithinMaintenanceWindow(windows, at('2024-05-01T08:59:59.999Z'))).toBe(false);
    expect(isWithinMaintenanceWindow(windows, at('2024-05-01T09:00:00Z'))).toBe(true);
    expect(isWithinMaintenanceWindow(windows, at('2024-05-01T09:59:59.999Z'))).toBe(true);
    expect(isWithinMaintenanceWindow(windows, at('2024-05-01T10:00:00Z'))).toBe(false);
  });

  it('only opens on the listed days', () => {
    const windows: MaintenanceWindow[] = [{ days: ['mon', 'wed'], start: '09:00', end: '10:00' }];
    expect(isWithinMaintenanceWindow(windows, at('2024-04-29T09:30:00Z'))).toBe(true); // Monday
    expect(isWithinMaintenanceWindow(windows, at('2024-04-30T09:30:00Z'))).toBe(false); // Tuesday
    expect(isWithinMaintenanceWindow(windows, at('2024-05-01T09:30:00Z'))).toBe(true); // Wednesday
  });

  it('runs a window that wraps midnight from its day into the next: fri 22:00–02:00 is Fri 22:00 → Sat 02:00', () => {
    expect(isWithinMaintenanceWindow(fridayNight, at('2024-05-03T21:59:00Z'))).toBe(false);
    expect(isWithinMaintenanceWindow(fridayNight, at('2024-05-03T22:00:00Z'))).toBe(true);
    expect(isWithinMaintenanceWindow(fridayNight, at('2024-05-04T01:59:00Z'))).toBe(true);
    expect(isWithinMaintenanceWindow(fridayNight, at('2024-05-04T02:00:00Z'))).toBe(false);
    // Thursday night is not Friday's window, nor is Friday before midnight of Thursday's.
    expect(isWithinMaintenanceWindow(fridayNight, at('2024-05-02T23:00:00Z'))).toBe(false);
    expect(isWithinMaintenanceWindow(fridayNight, at('2024-05-03T01:00:00Z'))).toBe(false);
  });

  it('wraps from Sunday into Monday across the week boundary', () => {
    const windows: MaintenanceWindow[] = [{ days: ['sun'], start: '23:00', end: '01:00' }];
    expect(isWithinMaintenanceWindow(windows, at('2024-05-06T00:30:00Z'))).toBe(true);
    expect(isWithinMaintenanceWindow(windows, at('2024-05-05T00:30:00Z'))).toBe(false);
  });

  it('treats an end equal to the start as 24 hours, and 24:00 as midnight', () => {
    const fullDay: MaintenanceWindow[] = [{ days: ['sat'], start: '06:00', end: '06:00' }];
    expect(isWithinMaintenanceWindow(fullDay, at('2024-05-05T05:59:00Z'))).toBe(true);
    expect(isWithinMaintenanceWindow(fullDay, at('2024-05-05T06:00:00Z'))).toBe(false);
    const untilMidnight: MaintenanceWindow[] = [{ days: ['sat'], start: '18:00', end: '24:00' }];
    expect(isWithinMaintenanceWindow(untilMidnight, at('2024-05-04T23:59:00Z'))).toBe(true);
    expect(isWithinMaintenanceWindow(untilMidnight, at('2024-05-05T00:00:00Z'))).toBe(false);
  });

  it('never opens an invalid window', () => {
    const windows = [{ days: ['fri'], start: '9am', end: '10:00' }] as MaintenanceWindow[];
    expect(isWithinMaintenanceWindow(windows, at('2024-05-03T09:30:00Z'))).toBe(false);
    expect(nextWindowStart(windows, at('2024-05-03T09:30:00Z'))).toBeNull();
  });
});

describe('nextWindowStart', () => {
  it('finds the next opening later the same day', () => {
    expect(iso(nextWindowStart(fridayNight, at('2024-05-03T12:00:00Z')))).toBe('2024-05-03T22:00:00.000Z');
  });

  it('finds next week’s opening once this week’s has passed', () => {
    expect(iso(nextWindowStart(fridayNight, at('2024-05-04T03:00:00Z')))).toBe('2024-05-10T22:00:00.000Z');
  });

  it('returns now when a window opens exactly now, and the next opening when already inside one', () => {
    expect(iso(nextWindowStart(fridayNight, at('2024-05-03T22:00:00Z')))).toBe('2024-05-03T22:00:00.000Z');
    expect(iso(nextWindowStart(fridayNight, at('2024-05-03T23:00:00Z')))).toBe('2024-05-10T22:00:00.000Z');
  });

  it('picks the earliest opening across windows and days, wrapping the week', () => {
    const windows: MaintenanceWindow[] = [
      { days: ['sat'], start: '02:00', end: '04:00' },
      { days: ['mon', 'tue'], start: '01:00', end: '02:00' },
    ];
    // Sunday noon: Monday 01:00 comes before Saturday 02:00.
    expect(iso(nextWindowStart(windows, at('2024-05-05T12:00:00Z')))).toBe('2024-05-06T01:00:00.000Z');
  });

  it('returns null when no window is configured', () => {
    expect(nextWindowStart([], at('2024-05-03T12:00:00Z'))).toBeNull();
  });

  it('always returns a time within a week at which a window is open (property)', () => {
    const clock = fc
      .tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }))
      .map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);
    const window = fc.record({
      days: fc.uniqueArray(fc.constantFrom<Weekday>(...WEEKDAYS), { minLength: 1 }),
      start: clock,
      end: clock,
    });
    const now = fc.integer({ min: at('2000-01-01T00:00:00Z'), max: at('2100-01-01T00:00:00Z') });
    fc.assert(
      fc.property(
        fc.array(window, { minLength: 1, maxLength: 3 }),
        now,
        fc.double({ min: 0, max: 1 }),
        (ws, t, f) => {
          const next = nextWindowStart(ws, t);
          expect(next).not.toBeNull();
          const opening = next as number;
          expect(opening).toBeGreaterThanOrEqual(t);
          expect(opening - t).toBeLessThan(WEEK);
          expect(isWithinMaintenanceWindow(ws, opening)).toBe(true);
          // Outside every window now means still outside at any moment before the next opening.
          if (!isWithinMaintenanceWindow(ws, t)) {
            expect(isWithinMaintenanceWindow(ws, t + Math.floor((opening - t) * f * 0.999))).toBe(false);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('validateMaintenanceWindow', () => {
  it('accepts a valid window, including one that wraps midnight or ends at 24:00', () => {
    expect(validateMaintenanceWindow({ days: ['fri'], start: '22:00', end: '02:00' })).toBeNull();
    expect(validateMaintenanceWindow({ days: ['sat', 'sun'], start: '00:00', end: '24:00' })).toBeNull();
  });

  it('rejects unknown or missing days and lists the valid ones', () => {
    expect(validateMaintenanceWindow({ days: ['friday'], start: '22:00', end: '02:00' })).toBe(
      'unknown day "friday"; valid days are mon, tue, wed, thu, fri, sat, sun',
    );
    expect(validateMaintenanceWindow({ days: [], start: '22:00', end: '02:00' })).toContain('at least one');
  });

  it.each(['9:00', '24:00', '23:60', '12:00:00', ''])('rejects start %j', (start) => {
    expect(validateMaintenanceWindow({ days: ['mon'], start, end: '02:00' })).toContain('start');
  });

  it.each(['24:01', '7', 'noon'])('rejects end %j', (end) => {
    expect(validateMaintenanceWindow({ days: ['mon'], start: '02:00', end })).toContain('end');
  });
});
