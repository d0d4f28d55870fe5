// The remediation policy reads what a decision needs (candidates, open jobs, their groups), not the fleet: rows counted through the store.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ScanRecord } from '../../src/app/ports.js';
import type { JobState } from '../../src/app/remediation/ports.js';
import {
  RemediationController,
  type RemediationControllerDeps,
} from '../../src/app/remediation/remediation-controller.js';
import type { RemediationMode } from '../../src/core/remediation-types.js';
import { createLogger } from '../../src/logging/logger.js';
import { openStore, type Store } from '../../src/store/index.js';
import { countRowsRead, type RowsRead } from '../support/rows-read.js';
import { at, finding, scanInput, scanned, useTempDir } from '../store/fixtures.js';

const FLEET = 5_000;
const GROUPS = 50;
/** Instances with due `replace` drift; every other instance has `report` drift only. */
const CANDIDATES = 8;
const RUNNING = 3;
const QUEUED = 2;
const FINISHED = 400;
/** Rows per candidate, open job or group a decision may read (its findings, reason, instance, count rows). */
const ROWS_PER_ITEM = 8;

const NOW = new Date(at(24 * 60));
const group = (n: number): string => `g${n % GROUPS}`;
const instanceId = (n: number): string => `i-${String(n).padStart(6, '0')}`;

describe('remediation reads', () => {
  const tmp = useTempDir();
  let rows: RowsRead;
  let store: Store;
  let record: ScanRecord;

  beforeEach(() => {
    rows = countRowsRead();
    store = openStore(tmp.dbPath(), { now: () => NOW });
    record = seed(store);
    rows.reset();
  });

  afterEach(() => {
    store.close();
    rows.restore();
  });

  function controller(mode: RemediationMode): RemediationController {
    const deps: RemediationControllerDeps = {
      jobs: store.jobs,
      fleet: store.fleet,
      manifests: store.manifests,
      remediation: store.remediation,
      inputs: store.remediationInputs,
      reasons: store.reasons,
      ruleSet: () => ({ ignore: [], rules: [] }),
      clock: () => NOW,
      newJobId: () => {
        throw new Error('no job may be created: every candidate waits for maxConcurrent');
      },
      logger: createLogger({ level: 'silent', destination: 2, pretty: false }),
      manifest: () => null,
      actionsFor: () => {
        throw new Error('no step may run: every running job waits for its next attempt');
      },
      isRetryableActionError: () => false,
      postWebhook: () => Promise.reject(new Error('no webhook in this test')),
      settings: {
        mode,
        // The running jobs fill it, so the candidates wait on a budget after their groups were read.
        maxConcurrent: RUNNING,
        maxPerHour: 100,
        maxUnavailablePercent: 50,
        protectTag: 'driftwarden:protect',
        maintenanceWindows: [],
        breaker: { maxDriftedPercent: 50, minDrifted: 5 },
        failureCooldownMs: 3_600_000,
        healthTimeoutMs: 60_000,
        pollIntervalMs: 1_000,
        preserveEvidence: false,
        asgSurge: true,
        webhook: null,
        maxAttempts: 3,
        retryBaseMs: 1_000,
      },
    };
    return new RemediationController(deps);
  }

  /** Fails with the rows per statement, so a regression shows which query loads the table. */
  function expectRowsAtMost(limit: number): void {
    expect(rows.rows, JSON.stringify(rows.bySql(), null, 2)).toBeLessThanOrEqual(limit);
  }

  it('afterScan reads the candidates, open jobs and their groups, not the fleet or the job history', () => {
    const decisions = controller('enforce').afterScan(record);

    const groups = new Set([...candidateNumbers(), ...openJobNumbers()].map(group)).size;
    expectRowsAtMost((CANDIDATES + RUNNING + QUEUED + groups) * ROWS_PER_ITEM);
    expect(rows.rows).toBeLessThan(FLEET / 10);
    // The instances with open jobs are candidates too, skipped for their job.
    expect(
      Object.fromEntries(decisions.map((d) => [d.instanceId, d.kind === 'wait' ? d.code : d.kind])),
    ).toEqual(
      Object.fromEntries([
        ...candidateNumbers().map((n) => [instanceId(n), 'max-concurrent']),
        ...openJobNumbers().map((n) => [instanceId(n), 'skip']),
      ]),
    );
  });

  it('a tick reads the open jobs and the queued jobs own instances and groups only', async () => {
    await controller('enforce').tick();

    expectRowsAtMost((RUNNING + QUEUED) * ROWS_PER_ITEM);
    expect(store.jobs.countByState()).toMatchObject({ running: RUNNING, queued: QUEUED });
    expect(store.reasons.countByCode()['max-concurrent']).toBe(QUEUED);
  });

  it('a tick while paused or off reads no candidate and no group', async () => {
    store.remediation.pause('manual', 'maintenance', 'test', NOW.toISOString());
    for (const mode of ['enforce', 'off'] as const) {
      rows.reset();
      await controller(mode).tick();

      expectRowsAtMost((RUNNING + QUEUED) * ROWS_PER_ITEM);
      for (const { sql } of rows.bySql()) expect(sql).not.toMatch(/FROM (findings|instances)/);
      expect(store.reasons.countByCode()[mode === 'off' ? 'mode-off' : 'paused']).toBe(QUEUED);
    }
  });
});

function candidateNumbers(): number[] {
  return Array.from({ length: CANDIDATES }, (_, n) => n * 97);
}

/** Instances with open jobs: running first, then queued (approved). */
function openJobNumbers(): number[] {
  return Array.from({ length: RUNNING + QUEUED }, (_, n) => 1 + n * 89);
}

/**
 * A fleet scanned once through the store's write path: every instance drifted, a few of them with
 * due `replace` drift, plus open jobs and a job history (succeeded, failed long ago and recently).
 */
function seed(store: Store): ScanRecord {
  // Instances being replaced still drift: they are candidates too.
  const candidates = new Set([...candidateNumbers(), ...openJobNumbers()]);
  const items = Array.from({ length: FLEET }, (_, n) =>
    scanned(
      instanceId(n),
      [
        finding(instanceId(n), 'instanceType', { action: 'report', rule: 'type', severity: 'info' }),
        ...(candidates.has(n) ? [finding(instanceId(n), 'metadataOptions.httpTokens')] : []),
      ],
      { group: group(n) },
    ),
  );
  store.fleet.persistScan(scanInput('scan-1', 0, items));
  const record = store.fleet.persistScan(scanInput('scan-2', 60, items));

  const job = (n: number, state: JobState, minutes: number): void => {
    const id = `job-${state}-${n}`;
    const time = at(minutes);
    store.jobs.create(
      {
        jobId: id,
        instanceId: instanceId(n),
        account: null,
        region: 'us-east-1',
        group: group(n),
        asgName: null,
        imageId: 'ami-1',
        targetImageId: 'ami-2',
        strategy: 'launch-then-terminate',
        state: 'running',
        step: 'launch',
        reason: [],
      },
      time,
      { actor: 'test', action: 'job.started' },
    );
    if (state === 'running') {
      // Its next attempt is after NOW: a tick reads it and leaves it.
      store.jobs.save(id, { nextAttemptAt: at(48 * 60) }, time);
    } else if (state === 'queued') {
      store.jobs.save(id, { state: 'queued', step: null, approvedBy: 'admin', approvedAt: time }, time);
    } else {
      store.jobs.save(id, { state, finishedAt: at(minutes + 10) }, at(minutes + 10));
    }
  };
  openJobNumbers().forEach((n, i) => job(n, i < RUNNING ? 'running' : 'queued', 23 * 60));
  // A history on instances that are not candidates: succeeded (replaced) and failed, mostly long ago.
  for (let i = 0; i < FINISHED; i++) {
    const n = 2_000 + i;
    job(n, i % 2 === 0 ? 'succeeded' : 'failed', i % 50 === 1 ? 23 * 60 + 30 : 60 + i);
  }
  return record;
}
