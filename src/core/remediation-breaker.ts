// The drift-storm breaker: when too much of the fleet drifts at once, the cause is upstream, not the instances.

export interface DriftStormInput {
  /** Instances actually seen this scan (stale targets excluded). */
  scanned: number;
  drifted: number;
  /** A storm needs strictly more than this percentage of scanned instances drifted. */
  maxDriftedPercent: number;
  /** …and at least this many drifted instances, so a tiny fleet does not trip on one instance. */
  minDrifted: number;
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
  const { scanned, drifted, maxDriftedPercent, minDrifted } = input;
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
      `more than maxDriftedPercent ${maxDriftedPercent}%; remediation paused until a human resumes it`,
  };
}
