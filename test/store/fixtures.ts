// Shared builders and a temp-dir database lifecycle for the store tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import type { PersistScanInput, ScannedFinding, ScannedInstance } from '../../src/app/ports.js';
import type { NewJob } from '../../src/app/remediation/ports.js';
import type { InstanceObservation, InstanceStatus, Manifest } from '../../src/domain/types.js';

export const T0 = '2026-11-20T10:00:00.000Z';

/** `minutes` after T0, as the ISO string the store keeps. */
export function at(minutes: number): string {
  return new Date(Date.parse(T0) + minutes * 60_000).toISOString();
}

/** A fresh temp directory per test, removed afterwards; `dir()` gives its path. */
export function useTempDir(): { dir: () => string; dbPath: () => string } {
  let current = '';
  beforeEach(() => {
    current = mkdtempSync(join(tmpdir(), 'dw-'));
  });
  afterEach(() => {
    rmSync(current, { recursive: true, force: true });
  });
  return { dir: () => current, dbPath: () => join(current, 'data', 'driftwarden.db') };
}

export function manifest(
  id: string,
  overrides: Partial<Manifest['image']> = {},
  launch?: Manifest['launch'],
): Manifest {
  return {
    schemaVersion: 1,
    image: { id, region: 'us-east-1', name: `web-${id}`, channel: 'web', builtAt: T0, ...overrides },
    ...(launch ? { launch } : {}),
  };
}

export function observation(
  instanceId: string,
  overrides: Partial<InstanceObservation> = {},
): InstanceObservation {
  return {
    instanceId,
    account: '123456789012',
    region: 'us-east-1',
    imageId: 'ami-1',
    state: 'running',
    instanceType: 't3.small',
    iamInstanceProfile: null,
    securityGroups: ['sg-1'],
    metadataOptions: { httpTokens: 'required', httpEndpoint: 'enabled' },
    tags: { role: 'web' },
    asgName: null,
    subnetId: 'subnet-1',
    launchTime: T0,
    source: 'ec2',
    observedAt: T0,
    ownerId: null,
    ...overrides,
  };
}

export function finding(
  instanceId: string,
  path: string,
  overrides: Partial<ScannedFinding> = {},
): ScannedFinding {
  return {
    instanceId,
    imageId: 'ami-1',
    path,
    change: 'changed',
    expected: 'required',
    actual: 'optional',
    rule: 'imds-downgrade',
    severity: 'critical',
    action: 'replace',
    forMs: 300_000,
    acceptanceId: null,
    scope: 'unrated',
    onset: null,
    ...overrides,
  };
}

export function scanned(
  instanceId: string,
  findings: ScannedFinding[] = [],
  overrides: {
    status?: InstanceStatus;
    group?: string | null;
    observation?: Partial<InstanceObservation>;
  } = {},
): ScannedInstance {
  return {
    observation: observation(instanceId, overrides.observation),
    status: overrides.status ?? (findings.some((f) => f.acceptanceId === null) ? 'drifted' : 'compliant'),
    group: overrides.group === undefined ? 'web' : overrides.group,
    findings,
  };
}

export const TARGET = { account: '123456789012', region: 'us-east-1' } as const;

/** A successful scan of the default target finishing `minutes` after T0. */
export function scanInput(scanId: string, minutes: number, items: ScannedInstance[]): PersistScanInput {
  return {
    scanId,
    startedAt: at(minutes - 1),
    finishedAt: at(minutes),
    outcome: 'success',
    targets: [{ ...TARGET, status: 'ok', error: null }],
    scanned: items,
    staleTargets: [],
    acceptances: [],
  };
}

/** A planned launch-then-terminate replacement of `instanceId` (ami-1 to ami-2). */
export function plannedJob(jobId: string, instanceId: string): NewJob {
  return {
    jobId,
    instanceId,
    account: null,
    region: 'us-east-1',
    group: 'web',
    asgName: null,
    imageId: 'ami-1',
    targetImageId: 'ami-2',
    strategy: 'launch-then-terminate',
    state: 'planned',
    step: null,
    reason: [
      {
        rule: 'imds-downgrade',
        severity: 'critical',
        path: 'launch.metadataOptions.httpTokens',
        change: 'changed',
      },
    ],
  };
}
