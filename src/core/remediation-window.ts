// Maintenance windows: weekly UTC time ranges in which replacements may start (a window may wrap past midnight).
import type { MaintenanceWindow, Weekday } from './remediation-types.js';

/** Index 0 is Monday, so a window's day maps straight onto the week offset. */
export const WEEKDAYS = [
  'mon',
  'tue',
  'wed',
  'thu',
  'fri',
  'sat',
  'sun',
] as const satisfies readonly Weekday[];

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
// 1970-01-01 was a Thursday; the first Monday 00:00 UTC came four days later.
const FIRST_MONDAY_MS = 4 * DAY_MS;
const HH_MM = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** Minutes after midnight for `HH:MM`; `24:00` only where `allowEndOfDay` (a window ending at midnight). */
function parseClock(text: string, allowEndOfDay: boolean): number | null {
  if (allowEndOfDay && text === '24:00') return 24 * 60;
  const match = HH_MM.exec(text);
  if (match === null) return null;
  return Number(match[1]) * 60 + Number(match[2]);
}

function isWeekday(day: string): day is Weekday {
  return (WEEKDAYS as readonly string[]).includes(day);
}

/** Returns an error message, or null when the window is valid. Config validation (zod) calls this in a refinement. */
export function validateMaintenanceWindow(window: {
  readonly days: readonly string[];
  readonly start: string;
  readonly end: string;
}): string | null {
  if (window.days.length === 0) return `days must list at least one of ${WEEKDAYS.join(', ')}`;
  const unknown = window.days.filter((day) => !isWeekday(day));
  if (unknown.length > 0) {
    return `unknown day ${unknown.map((d) => JSON.stringify(d)).join(', ')}; valid days are ${WEEKDAYS.join(', ')}`;
  }
  if (parseClock(window.start, false) === null) {
    return `start ${JSON.stringify(window.start)} is not a UTC time HH:MM (00:00–23:59)`;
  }
  if (parseClock(window.end, true) === null) {
    return `end ${JSON.stringify(window.end)} is not a UTC time HH:MM (00:00–24:00)`;
  }
  return null;
}

interface Occurrence {
  /** Offset of the opening from Monday 00:00 UTC. */
  startMs: number;
  durationMs: number;
}

// Invalid windows (which validation rejects at the boundary) contribute no occurrence: they never open.
function occurrences(windows: readonly MaintenanceWindow[]): Occurrence[] {
  const out: Occurrence[] = [];
  for (const window of windows) {
    const start = parseClock(window.start, false);
    const end = parseClock(window.end, true);
    if (start === null || end === null) continue;
    // end <= start wraps into the next day; equal means a full 24 hours.
    const minutes = end > start ? end - start : end - start + 24 * 60;
    for (const day of new Set(window.days)) {
      const index = WEEKDAYS.indexOf(day);
      if (index < 0) continue;
      out.push({ startMs: index * DAY_MS + start * MINUTE_MS, durationMs: minutes * MINUTE_MS });
    }
  }
  return out;
}

function offsetInWeek(epochMs: number): number {
  return (((epochMs - FIRST_MONDAY_MS) % WEEK_MS) + WEEK_MS) % WEEK_MS;
}

/**
 * True when `now` (epoch ms) falls inside any window; a window includes its start and excludes its end.
 * No windows at all means replacements are never restricted, so this returns true (as `PolicySettings` says).
 */
export function isWithinMaintenanceWindow(windows: readonly MaintenanceWindow[], now: number): boolean {
  if (windows.length === 0) return true;
  const offset = offsetInWeek(now);
  return occurrences(windows).some(
    (o) => (((offset - o.startMs) % WEEK_MS) + WEEK_MS) % WEEK_MS < o.durationMs,
  );
}

/**
 * The earliest window opening at or after `now` (epoch ms), even when `now` is already inside a window;
 * null when no window ever opens (none configured, or none valid).
 */
export function nextWindowStart(windows: readonly MaintenanceWindow[], now: number): number | null {
  const offset = offsetInWeek(now);
  let best: number | null = null;
  for (const o of occurrences(windows)) {
    const wait = (((o.startMs - offset) % WEEK_MS) + WEEK_MS) % WEEK_MS;
    if (best === null || wait < best) best = wait;
  }
  return best === null ? null : now + best;
}
