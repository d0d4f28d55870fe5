// Stored scans with chosen instance counts, through the real scan writer: the overview trend's integration and browser tests.
import type { InstanceStatus } from '../../src/domain/types.js';
import type { Store } from '../../src/store/index.js';
import { TARGET, finding, scanned } from '../store/fixtures.js';

export interface TrendCounts {
  drifted: number;
  stale: number;
  unknownImage: number;
}

/**
 * Persists one scan of `fleetSize` instances of one target, finished at `finishedAt`, in which
 * these many are drifted (with an open finding), stale and of an unknown image; the rest compliant.
 */
export function persistScanWithCounts(
  store: Store,
  scan: { scanId: string; finishedAt: string; fleetSize: number },
  counts: TrendCounts,
): void {
  const statuses: InstanceStatus[] = [
    ...Array<InstanceStatus>(counts.drifted).fill('drifted'),
    ...Array<InstanceStatus>(counts.stale).fill('stale'),
    ...Array<InstanceStatus>(counts.unknownImage).fill('unknown_image'),
  ];
  if (statuses.length > scan.fleetSize)
    throw new Error(`${scan.scanId}: more counted than ${scan.fleetSize} instances`);
  const items = Array.from({ length: scan.fleetSize }, (_, i) => {
    const id = `i-${i.toString(16).padStart(17, '0')}`;
    const status = statuses[i] ?? 'compliant';
    const findings = status === 'drifted' ? [finding(id, 'launch.metadataOptions.httpTokens')] : [];
    return scanned(id, findings, { status, group: i % 2 === 0 ? 'web' : 'api' });
  });
  const finished = Date.parse(scan.finishedAt);
  store.fleet.persistScan({
    scanId: scan.scanId,
    startedAt: new Date(finished - 4_000).toISOString(),
    finishedAt: scan.finishedAt,
    outcome: counts.stale > 0 ? 'partial' : 'success',
    targets: [{ ...TARGET, status: 'ok', error: null }],
    scanned: items,
    staleTargets: [],
    acceptances: [],
  });
}

/**
 * A day of scans every 15 minutes up to `now` on a fleet of 24: drift creeping up over the night
 * and replaced in the afternoon, an hour-long stale spell, and a second unknown image appearing.
 */
export function persistDayOfScans(store: Store, now: Date): void {
  for (let k = 0; k < 96; k++) {
    const hour = k / 4;
    const drifted = hour < 15 ? 1 + Math.floor(hour / 2.5) : Math.max(1, 7 - Math.floor((hour - 15) * 1.5));
    persistScanWithCounts(
      store,
      {
        scanId: `day-${String(k).padStart(2, '0')}`,
        finishedAt: new Date(now.getTime() - (95 - k) * 900_000).toISOString(),
        fleetSize: 24,
      },
      { drifted, stale: hour >= 9 && hour < 10 ? 4 : 0, unknownImage: hour < 14 ? 1 : 2 },
    );
  }
}
