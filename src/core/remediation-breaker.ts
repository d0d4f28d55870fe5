// The drift-storm breaker: when too much of the fleet drifts at once, the cause is upstream, not the instances.
import { compareStrings } from './compare-strings.js';
import type { RemediationCandidate } from './remediation-types.js';

export interface DriftStormInput {
  /** Instances actually seen this scan (stale targets excluded). */
  scanned: number;
  drifted: number;
  /** A storm needs strictly more than this percentage of scanned instances drifted. */
  maxDriftedPercent: number;
  /** …and at least this many drifted instances, so a tiny fleet does not trip on one instance. */
  minDrifted: number;
  /**
   * The fleet-wide difference (appeared after boot) most drifted instances share, if any: a mass change
   * to one image's fleet is one cause, and the pause says which.
   */
  sharedCause?: SharedDriftCause | null;
}

/** One image's path that changed on its whole fleet after boot, and how many drifted instances show it. */
export interface SharedDriftCause {
  imageId: string;
  path: string;
  instances: number;
}

export const DRIFT_STORM_REASON = 'drift-storm';

export interface DriftStormVerdict {
  storm: boolean;
  /** Drifted share of scanned instances, 0..100 (0 when nothing was scanned). */
  percent: number;
  /** `drift-storm` when the breaker trips (the pause reason and metric label), else null. */
  reason: typeof DRIFT_STORM_REASON | null;
  /** Human-readable explanation for the pause record and the alert, else null. */
  detail: string | null;
}

function formatPercent(percent: number): string {
  return `${Math.round(percent * 10) / 10}%`;
}

export function evaluateDriftStorm(input: DriftStormInput): DriftStormVerdict {
  const { scanned, drifted, maxDriftedPercent, minDrifted, sharedCause } = input;
  // Nothing scanned (every target stale) says nothing about drift; pausing on it would hide the real outage.
  if (scanned <= 0) return { storm: false, percent: 0, reason: null, detail: null };
  const percent = (drifted / scanned) * 100;
  if (drifted < minDrifted || percent <= maxDriftedPercent) {
    return { storm: false, percent, reason: null, detail: null };
  }
  return {
    storm: true,
    percent,
    reason: DRIFT_STORM_REASON,
    detail:
      `${drifted} of ${scanned} scanned instances drifted (${formatPercent(percent)}), ` +
      `more than maxDriftedPercent ${maxDriftedPercent}%` +
      (sharedCause
        ? `; shared cause: ${sharedCause.path} changed after boot on image ${sharedCause.imageId}'s fleet (${sharedCause.instances} instances)`
        : '') +
      '; remediation paused until a human resumes it',
  };
}

/**
 * The image and path whose fleet-wide after-boot finding the most of these candidates show (ties: by
 * image, then path), or null when none has one.
 */
export function largestSharedCause(
  candidates: readonly Pick<RemediationCandidate, 'imageId' | 'findings'>[],
): SharedDriftCause | null {
  const counts = new Map<string, SharedDriftCause>();
  for (const candidate of candidates) {
    const paths = new Set(candidate.findings.filter((f) => f.fleetWide === true).map((f) => f.path));
    for (const path of paths) {
      const key = `${candidate.imageId}\u0000${path}`;
      const cause = counts.get(key) ?? { imageId: candidate.imageId, path, instances: 0 };
      cause.instances += 1;
      counts.set(key, cause);
    }
  }
  let largest: SharedDriftCause | null = null;
  for (const cause of counts.values())
    if (
      largest === null ||
      cause.instances > largest.instances ||
      (cause.instances === largest.instances &&
        (compareStrings(cause.imageId, largest.imageId) || compareStrings(cause.path, largest.path)) < 0)
    )
      largest = cause;
  return largest;
}
