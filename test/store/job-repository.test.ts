// Replacement jobs in SQLite: one open job per instance, transitions audited, the audit log append-only.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NewJob } from '../../src/app/remediation/ports.js';
import { TerminalError } from '../../src/domain/errors.js';
import { openStore, type Store } from '../../src/store/index.js';
import { packagePath } from '../../src/package-root.js';

let dir: string;
let store: Store;
const AT = '2026-11-26T10:00:00.000Z';

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dw-jobs-'));
  store = openStore(join(dir, 'dw.db'), { now: () => new Date(AT) });
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

function newJob(jobId: string, instanceId = 'i-0000000000000001'): NewJob {
  return {
    jobId,
    instanceId,
    account: null,
    region: 'us-east-1',
    group: 'web',
    asgName: null,
    imageId: 'ami-00000001',
    targetImageId: 'ami-00000001',
    strategy: 'launch-then-terminate',
    state: 'running',
    step: 'launch',
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

describe('the job repository', () => {
  it('keeps at most one open job per instance, and allows a new one after the first ends', () => {
    expect(
      store.jobs.create(newJob('job-1'), AT, { actor: 'driftwarden', action: 'job.started' }),
    ).not.toBeNull();
    expect(
      store.jobs.create(newJob('job-2'), AT, { actor: 'driftwarden', action: 'job.started' }),
    ).toBeNull();
    store.jobs.save('job-1', { state: 'succeeded', finishedAt: AT }, AT, {
      actor: 'driftwarden',
      action: 'job.succeeded',
    });
    expect(
      store.jobs.create(newJob('job-3'), AT, { actor: 'driftwarden', action: 'job.started' })?.state,
    ).toBe('running');
    expect(
      store.jobs
        .page({}, { limit: 100 })
        .items.map((j) => j.jobId)
        .sort(),
    ).toEqual(['job-1', 'job-3']);
  });

  it('saves a transition and its audit entry together, and survives reopening the file', () => {
    store.jobs.create(newJob('job-1'), AT, { actor: 'driftwarden', action: 'job.started' });
    store.jobs.save(
      'job-1',
      {
        step: 'wait-healthy',
        newInstanceId: 'i-0000000000000002',
        data: { snapshots: { 'vol-1': 'snap-1' } },
      },
      AT,
      {
        actor: 'driftwarden',
        action: 'job.step',
        detail: { from: 'launch', to: 'wait-healthy' },
      },
    );
    store.close();
    store = openStore(join(dir, 'dw.db'), { now: () => new Date(AT) });
    expect(store.jobs.get('job-1')).toMatchObject({
      step: 'wait-healthy',
      newInstanceId: 'i-0000000000000002',
      data: { snapshots: { 'vol-1': 'snap-1' } },
    });
    expect(store.audit.list({ jobId: 'job-1' }).map((a) => a.action)).toEqual(['job.started', 'job.step']);
    expect(store.jobs.countStartedSince('2026-11-26T09:00:00.000Z')).toBe(1);
  });

  it('refuses a job whose stored data does not fit its strategy, naming the job', () => {
    store.jobs.create(newJob('job-1'), AT, { actor: 'driftwarden', action: 'job.started' });
    store.close();
    // Written behind the store's back, as a hand edit or an older build would.
    const raw = new Database(join(dir, 'dw.db'));
    raw.prepare('UPDATE replacement_jobs SET data = ? WHERE job_id = ?').run('{"surgeTo":3}', 'job-1');
    raw.close();
    store = openStore(join(dir, 'dw.db'), { now: () => new Date(AT) });
    expect(() => store.jobs.get('job-1')).toThrow(TerminalError);
    expect(() => store.jobs.get('job-1')).toThrow(
      /job job-1: its data does not fit the launch-then-terminate strategy: .*surgeTo/,
    );
  });

  it('counts jobs per state without loading them, every state present', () => {
    expect(store.jobs.countByState()).toEqual({
      planned: 0,
      'awaiting-approval': 0,
      queued: 0,
      running: 0,
      succeeded: 0,
      failed: 0,
      cancelled: 0,
    });
    store.jobs.create(newJob('job-1'), AT, { actor: 'driftwarden', action: 'job.started' });
    expect(store.jobs.countByState()).toMatchObject({ [store.jobs.get('job-1')!.state]: 1, succeeded: 0 });
  });

  it('refuses to rewrite or delete audit history', () => {
    store.audit.append({ actor: 'cli:ops', action: 'remediation.paused', detail: { reason: 'manual' } }, AT);
    expect(() => store.db.prepare("UPDATE audit_log SET actor = 'someone else'").run()).toThrow(
      /append-only/,
    );
    expect(() => store.db.prepare('DELETE FROM audit_log').run()).toThrow(/append-only/);
    expect(store.audit.list()).toHaveLength(1);
  });

  it('pauses once (keeping the first reason) and resumes once, auditing both', () => {
    expect(store.remediation.pause('drift-storm', '60% drifted', 'driftwarden', AT)).toBe(true);
    expect(store.remediation.pause('manual', 'again', 'cli:ops', AT)).toBe(false);
    expect(store.remediation.get()).toMatchObject({
      paused: true,
      reason: 'drift-storm',
      pausedBy: 'driftwarden',
    });
    expect(store.remediation.resume('admin', AT)).toBe(true);
    expect(store.remediation.resume('admin', AT)).toBe(false);
    expect(store.audit.list().map((a) => [a.action, a.actor])).toEqual([
      ['remediation.paused', 'driftwarden'],
      ['remediation.resumed', 'admin'],
    ]);
  });

  it('resumes while another connection commits a write, waiting for it instead of failing', async () => {
    store.remediation.pause('manual', 'maintenance', 'cli:ops', AT);
    // Another process (the scan thread, a CLI) holds the write lock and commits while resume runs:
    // resume must wait for the lock (busy_timeout), not fail as a stale read upgraded to a write.
    const writer = spawn(
      process.execPath,
      [
        '-e',
        `const db = new (require('better-sqlite3'))(process.argv[1]);
         db.pragma('busy_timeout = 5000');
         db.exec('CREATE TABLE IF NOT EXISTS contention (x)');
         db.exec('BEGIN IMMEDIATE');
         db.prepare('INSERT INTO contention VALUES (1)').run();
         process.stdout.write('locked\\n');
         Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
         db.exec('COMMIT');`,
        join(dir, 'dw.db'),
      ],
      { cwd: packagePath('.'), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await once(writer.stdout, 'data');
    expect(store.remediation.resume('admin', AT)).toBe(true);
    expect(store.remediation.get().paused).toBe(false);
    await once(writer, 'exit');
  });

  it('refuses a save whose expected state no longer holds, so a CLI and the daemon never overwrite each other', () => {
    store.jobs.create({ ...newJob('job-1'), state: 'awaiting-approval', step: null }, AT, {
      actor: 'driftwarden',
      action: 'job.awaiting-approval',
    });
    store.jobs.save(
      'job-1',
      { state: 'queued' },
      AT,
      { actor: 'admin', action: 'job.approved' },
      'awaiting-approval',
    );
    expect(() =>
      store.jobs.save(
        'job-1',
        { state: 'cancelled' },
        AT,
        { actor: 'cli:ops', action: 'job.cancelled' },
        'awaiting-approval',
      ),
    ).toThrow(/job job-1 is now queued/);
    expect(store.jobs.get('job-1')?.state).toBe('queued');
    expect(store.audit.list({ jobId: 'job-1' }).map((a) => a.action)).toEqual([
      'job.awaiting-approval',
      'job.approved',
    ]);
  });
});
