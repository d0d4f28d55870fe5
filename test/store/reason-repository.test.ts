// The stored remediation reasons: level-triggered per instance, kept "since" while the code stays, counted per code.
import { describe, expect, it } from 'vitest';
import { REASON_CODES } from '../../src/core/remediation-reasons.js';
import { openStore } from '../../src/store/index.js';
import { useTempDir } from './fixtures.js';

const T1 = '2026-11-20T10:00:00.000Z';
const T2 = '2026-11-20T10:05:00.000Z';

describe('reason repository', () => {
  const tmp = useTempDir();

  it('replaces instance reasons as a whole, keeps since while the code stays, and reports only changed codes', () => {
    const store = openStore(tmp.dbPath(), { now: () => new Date(T1) });
    try {
      const { reasons } = store;
      const first = reasons.replaceInstanceReasons(
        [
          { id: 'i-1', instanceId: 'i-1', code: 'for-not-elapsed', text: 'waiting: 3m left' },
          { id: 'i-2', instanceId: 'i-2', code: 'max-concurrent', text: 'maxConcurrent (1) reached' },
        ],
        T1,
      );
      expect(first.map((r) => r.id)).toEqual(['i-1', 'i-2']);

      const second = reasons.replaceInstanceReasons(
        [{ id: 'i-1', instanceId: 'i-1', code: 'for-not-elapsed', text: 'waiting: 1m left' }],
        T2,
      );
      expect(second).toEqual([]);
      expect(reasons.forInstance('i-1')).toEqual([
        {
          subject: 'instance',
          id: 'i-1',
          instanceId: 'i-1',
          code: 'for-not-elapsed',
          text: 'waiting: 1m left',
          since: T1,
          updatedAt: T2,
        },
      ]);
      // i-2 is no longer a candidate: its reason is gone.
      expect(reasons.forInstance('i-2')).toEqual([]);
      expect(reasons.listInstances({ limit: 10 }).items.map((r) => r.id)).toEqual(['i-1']);
    } finally {
      store.close();
    }
  });

  it('counts instances and jobs per code, every code present', () => {
    const store = openStore(tmp.dbPath(), { now: () => new Date(T1) });
    try {
      const { reasons } = store;
      reasons.replaceInstanceReasons(
        [
          { id: 'i-1', instanceId: 'i-1', code: 'paused', text: 'remediation paused: manual' },
          { id: 'i-2', instanceId: 'i-2', code: 'paused', text: 'remediation paused: manual' },
        ],
        T1,
      );
      reasons.setJobReasons([{ id: 'job-9', instanceId: 'i-3', code: 'paused', text: 'paused' }], T1);
      const counts = reasons.countByCode();
      expect(Object.keys(counts).sort()).toEqual([...REASON_CODES].sort());
      expect(counts.paused).toBe(3);
      expect(counts['max-per-hour']).toBe(0);
      expect([...reasons.forJobs(['job-9', 'job-0']).keys()]).toEqual(['job-9']);
    } finally {
      store.close();
    }
  });
});
