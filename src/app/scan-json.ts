// The `scan --once --json` document (docs/design.md §6), built from a scan report.
import type { FindingAcceptance, StoredFinding } from './ports.js';
import type { ScanReport } from './scan-cycle.js';
import type { FindingOnset, FindingScope, SourceView } from '../domain/types.js';

export interface ScanJson {
  scanId: string;
  outcome: string;
  startedAt: string;
  finishedAt: string;
  instances: { total: number; compliant: number; drifted: number; unknownImage: number; stale: number };
  targets: {
    account: string | null;
    region: string;
    status: string;
    error: string | null;
    /** Only when an inventory source (AWS Config) is enabled. */
    inventory?: { source: string; status: string; error: string | null };
  }[];
  findings: {
    instanceId: string;
    imageId: string;
    rule: string;
    severity: string;
    action: string;
    path: string;
    change: string;
    expected: unknown;
    actual: unknown;
    /** Only when two or more host sources cover the path (an extension of docs/design.md §6). */
    sources?: SourceView[];
    firstSeen: string;
    accepted: boolean;
    /** What the image's peers say (docs/signal.md; an extension of docs/design.md §6). */
    scope: FindingScope;
    /** Only for a fleet-wide finding: since boot or after boot. */
    onset?: FindingOnset;
    /** Only when accepted: the acceptance that covers it (an extension of docs/design.md §6). */
    acceptance?: FindingAcceptance;
  }[];
}

/** `findings`: the open findings to list (every one for `scan --once`; a bounded page over HTTP). */
export function toScanJson(report: ScanReport, findings: readonly StoredFinding[]): ScanJson {
  const { record } = report;
  return {
    scanId: record.scanId,
    outcome: record.outcome,
    startedAt: record.startedAt,
    finishedAt: record.finishedAt,
    instances: { ...record.instances },
    targets: record.targets.map(({ account, region, status, error, inventory }) => ({
      account,
      region,
      status,
      error,
      ...(inventory ? { inventory: { ...inventory } } : {}),
    })),
    findings: findings.map((f) => ({
      instanceId: f.instanceId,
      imageId: f.imageId,
      rule: f.rule,
      severity: f.severity,
      action: f.action,
      path: f.path,
      change: f.change,
      expected: f.expected,
      actual: f.actual,
      ...(f.sources ? { sources: f.sources } : {}),
      firstSeen: f.firstSeen,
      accepted: f.accepted,
      scope: f.scope,
      ...(f.onset === null ? {} : { onset: f.onset }),
      ...(f.acceptance ? { acceptance: { ...f.acceptance } } : {}),
    })),
  };
}

/** Exit code contract: 0 clean, 2 unaccepted drift found, 1 error (every target failed). */
export function scanExitCode(report: ScanReport, findings: readonly StoredFinding[]): 0 | 1 | 2 {
  if (report.record.outcome === 'failure') return 1;
  return findings.some((f) => !f.accepted) ? 2 : 0;
}
