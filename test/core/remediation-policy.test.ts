import { describe, expect, it } from 'vitest';
import {
  allowedUnavailable,
  decideQueuedStarts,
  decideReplacements,
} from '../../src/core/remediation-policy.js';
import type {
  Decision,
  OpenJob,
  PolicyInput,
  PolicySettings,
  RemediationCandidate,
  ReplaceFinding,
} from '../../src/core/remediation-types.js';

// Wednesday 2024-05-01 12:00 UTC.
const NOW = Date.parse('2024-05-01T12:00:00.000Z');
const MINUTE = 60_000;
const ago = (ms: number): string => new Date(NOW - ms).toISOString();

function finding(extra: Partial<ReplaceFinding> = {}): ReplaceFinding {
  return {
    rule: 'revoked-image',
    severity: 'critical',
    path: 'image.id',
    change: 'revoked-image',
    firstSeen: ago(60 * MINUTE),
    forMs: null,
    approvalRequired: false,
    ...extra,
  };
}

function candidate(instanceId: string, extra: Partial<RemediationCandidate> = {}): RemediationCandidate {
  return {
    instanceId,
    account: '123456789012',
    region: 'us-east-1',
    imageId: 'ami-0aaa',
    group: 'web',
    asgName: 'web',
    tags: {},
    findings: [finding()],
    ...extra,
  };
}

function job(jobId: string, instanceId: string, extra: Partial<OpenJob> = {}): OpenJob {
  return {
    jobId,
    instanceId,
    group: 'web',
    state: 'running',
    approved: false,
    startedAt: ago(MINUTE),
    ...extra,
  };
}

const settings: PolicySettings = {
  mode: 'enforce',
  maxConcurrent: 10,
  maxPerHour: 100,
  maxUnavailablePercent: 100,
  protectTag: 'driftwarden:protect',
  maintenanceWindows: [],
};

function input(
  extra: Partial<Omit<PolicyInput, 'settings'>> & { settings?: Partial<PolicySettings> } = {},
): PolicyInput {
  return {
    now: NOW,
    paused: null,
    candidates: [],
    openJobs: [],
    startedInLastHour: 0,
    groups: [{ group: 'web', size: 10, unhealthy: 0 }],
    ...extra,
    settings: { ...settings, ...extra.settings },
  };
}

const kinds = (decisions: Decision[]): string[] => decisions.map((d) => `${d.instanceId}:${d.kind}`);
const only = (decisions: Decision[]): Decision => {
  expect(decisions).toHaveLength(1);
  return decisions[0] as Decision;
};
const reasonOf = (decision: Decision): string => ('reason' in decision ? decision.reason : '');

describe('decideReplacements', () => {
  it('starts a due replacement of an Auto Scaling member with the asg strategy', () => {
    const decision = only(decideReplacements(input({ candidates: [candidate('i-1')] })));
    expect(decision).toEqual({
      kind: 'start',
      instanceId: 'i-1',
      findings: [finding()],
      strategy: 'asg',
      group: 'web',
    });
  });

  it('replaces a standalone instance with launch-then-terminate', () => {
    const decision = only(decideReplacements(input({ candidates: [candidate('i-1', { asgName: null })] })));
    expect(decision).toMatchObject({ kind: 'start', strategy: 'launch-then-terminate' });
  });

  it('uses the strategy override when one is configured', () => {
    const decision = only(
      decideReplacements(
        input({ candidates: [candidate('i-1')], settings: { strategyOverride: 'webhook' } }),
      ),
    );
    expect(decision).toMatchObject({ kind: 'start', strategy: 'webhook' });
  });

  it('skips a candidate with nothing to replace', () => {
    const decision = only(decideReplacements(input({ candidates: [candidate('i-1', { findings: [] })] })));
    expect(decision).toEqual({
      kind: 'skip',
      instanceId: 'i-1',
      code: 'nothing-to-replace',
      reason: 'nothing to replace',
    });
  });

  it('never replaces an instance whose only drift is a manifest mismatch, and says which paths', () => {
    const mismatchOnly = candidate('i-1', {
      findings: [],
      manifestMismatches: ['host.files["/etc/resolv.conf"].sha256'],
    });
    const decision = only(decideReplacements(input({ candidates: [mismatchOnly] })));
    expect(decision).toEqual({
      kind: 'skip',
      instanceId: 'i-1',
      code: 'manifest-mismatch',
      reason:
        'not replaced: host.files["/etc/resolv.conf"].sha256 fleet-wide since boot; a new instance of image ami-0aaa would have it too',
    });
  });

  it('replaces an instance for its own drift even when it also has a manifest mismatch', () => {
    const both = candidate('i-1', { manifestMismatches: ['host.files["/etc/resolv.conf"].sha256'] });
    expect(only(decideReplacements(input({ candidates: [both] }))).kind).toBe('start');
  });

  it('skips a finding that has not persisted for its rule and names when it becomes due', () => {
    const young = finding({ rule: 'imds-downgrade', firstSeen: ago(2 * MINUTE), forMs: 5 * MINUTE });
    const decision = only(
      decideReplacements(input({ candidates: [candidate('i-1', { findings: [young] })] })),
    );
    expect(decision).toEqual({
      kind: 'skip',
      instanceId: 'i-1',
      code: 'for-not-elapsed',
      reason: 'waiting: for 5m of rule imds-downgrade not elapsed (3m left; due at 2024-05-01T12:03:00.000Z)',
    });
  });

  it('names the earliest due time when several findings are pending', () => {
    const findings = [
      finding({ rule: 'late', firstSeen: ago(MINUTE), forMs: 60 * MINUTE }),
      finding({ rule: 'soon', firstSeen: ago(MINUTE), forMs: 2 * MINUTE }),
    ];
    const decision = only(decideReplacements(input({ candidates: [candidate('i-1', { findings })] })));
    expect(reasonOf(decision)).toBe(
      'waiting: for 2m of rule soon not elapsed (1m left; due at 2024-05-01T12:01:00.000Z)',
    );
  });

  it('treats a finding as due once it has persisted exactly forMs', () => {
    const findings = [finding({ firstSeen: ago(5 * MINUTE), forMs: 5 * MINUTE })];
    expect(only(decideReplacements(input({ candidates: [candidate('i-1', { findings })] }))).kind).toBe(
      'start',
    );
  });

  it('treats a finding without forMs as due at once', () => {
    const findings = [finding({ firstSeen: new Date(NOW).toISOString(), forMs: null })];
    expect(only(decideReplacements(input({ candidates: [candidate('i-1', { findings })] }))).kind).toBe(
      'start',
    );
  });

  it('never treats a finding with an unreadable firstSeen as due', () => {
    const findings = [finding({ firstSeen: 'yesterday' })];
    const decision = only(decideReplacements(input({ candidates: [candidate('i-1', { findings })] })));
    expect(decision.kind).toBe('skip');
    expect(reasonOf(decision)).toContain('"yesterday"');
  });

  it('puts only the due findings in the decision, worst first', () => {
    const due = finding({ rule: 'tag', severity: 'info', path: 'launch.tags.env', change: 'changed' });
    const worse = finding({ rule: 'imds', severity: 'critical', path: 'launch.metadataOptions.httpTokens' });
    const pending = finding({ rule: 'late', firstSeen: ago(MINUTE), forMs: 60 * MINUTE });
    const decision = only(
      decideReplacements(input({ candidates: [candidate('i-1', { findings: [due, pending, worse] })] })),
    );
    expect(decision).toMatchObject({ kind: 'start', findings: [worse, due] });
  });

  it('skips every candidate when remediation is off', () => {
    const decisions = decideReplacements(
      input({ candidates: [candidate('i-1'), candidate('i-2')], settings: { mode: 'off' } }),
    );
    expect(decisions.map(reasonOf)).toEqual(['remediation is off', 'remediation is off']);
  });

  it.each(['planned', 'awaiting-approval', 'queued', 'running'] as const)(
    'skips an instance that already has a %s job',
    (state) => {
      const decision = only(
        decideReplacements(
          input({ candidates: [candidate('i-1')], openJobs: [job('job-1', 'i-1', { state })] }),
        ),
      );
      expect(decision).toEqual({
        kind: 'skip',
        instanceId: 'i-1',
        code: null,
        reason: 'job job-1 already open',
      });
    },
  );

  it('never replaces an instance carrying the protect tag, whatever its value', () => {
    const decision = only(
      decideReplacements(input({ candidates: [candidate('i-1', { tags: { 'driftwarden:protect': '' } })] })),
    );
    expect(decision).toEqual({
      kind: 'skip',
      instanceId: 'i-1',
      code: 'protected',
      reason: 'protected by tag driftwarden:protect',
    });
  });

  it('plans every eligible candidate in dry-run, ignoring budgets, pause and window', () => {
    const decisions = decideReplacements(
      input({
        candidates: ['i-1', 'i-2', 'i-3'].map((id) => candidate(id)),
        openJobs: [job('job-0', 'i-0')],
        startedInLastHour: 5,
        paused: { reason: 'manual' },
        settings: {
          mode: 'dry-run',
          maxConcurrent: 1,
          maxPerHour: 1,
          maxUnavailablePercent: 10,
          maintenanceWindows: [{ days: ['sun'], start: '02:00', end: '04:00' }],
        },
      }),
    );
    expect(kinds(decisions)).toEqual(['i-1:plan', 'i-2:plan', 'i-3:plan']);
  });

  it('still skips protected, not-yet-due and already-open candidates in dry-run', () => {
    const decisions = decideReplacements(
      input({
        candidates: [
          candidate('i-1', { tags: { 'driftwarden:protect': 'yes' } }),
          candidate('i-2', { findings: [finding({ firstSeen: ago(MINUTE), forMs: 5 * MINUTE })] }),
          candidate('i-3'),
        ],
        openJobs: [job('job-3', 'i-3', { state: 'planned' })],
        settings: { mode: 'dry-run' },
      }),
    );
    expect(kinds(decisions)).toEqual(['i-1:skip', 'i-3:skip', 'i-2:skip']);
  });

  it('asks for approval when a due finding requires it, without consuming budget', () => {
    const decisions = decideReplacements(
      input({
        candidates: [
          candidate('i-1', { findings: [finding({ approvalRequired: true })] }),
          candidate('i-2', { findings: [finding({ firstSeen: ago(30 * MINUTE) })] }),
        ],
        settings: { maxConcurrent: 1 },
      }),
    );
    expect(decisions).toEqual([
      {
        kind: 'await-approval',
        instanceId: 'i-1',
        findings: [finding({ approvalRequired: true })],
        strategy: 'asg',
        group: 'web',
      },
      {
        kind: 'start',
        instanceId: 'i-2',
        findings: [finding({ firstSeen: ago(30 * MINUTE) })],
        strategy: 'asg',
        group: 'web',
      },
    ]);
  });

  it('asks for approval even while paused: approval is recorded now, the start waits for the budgets', () => {
    const decision = only(
      decideReplacements(
        input({
          candidates: [candidate('i-1', { findings: [finding({ approvalRequired: true })] })],
          paused: { reason: 'manual' },
        }),
      ),
    );
    expect(decision.kind).toBe('await-approval');
  });

  it('does not ask for approval for a finding that is not yet due', () => {
    const findings = [
      finding({ rule: 'now', approvalRequired: false }),
      finding({ rule: 'later', approvalRequired: true, firstSeen: ago(MINUTE), forMs: 60 * MINUTE }),
    ];
    const decision = only(decideReplacements(input({ candidates: [candidate('i-1', { findings })] })));
    expect(decision).toMatchObject({ kind: 'start', findings: [finding({ rule: 'now' })] });
  });

  it('waits while remediation is paused', () => {
    const decision = only(
      decideReplacements(input({ candidates: [candidate('i-1')], paused: { reason: 'drift-storm' } })),
    );
    expect(decision).toEqual({
      kind: 'wait',
      instanceId: 'i-1',
      code: 'drift-storm',
      reason: 'remediation paused: drift-storm',
    });
  });

  it('waits outside every maintenance window and names the next opening', () => {
    const decision = only(
      decideReplacements(
        input({
          candidates: [candidate('i-1')],
          settings: {
            maintenanceWindows: [
              { days: ['sat', 'sun'], start: '02:00', end: '04:00' },
              { days: ['thu'], start: '09:30', end: '10:00' },
            ],
          },
        }),
      ),
    );
    expect(decision).toEqual({
      kind: 'wait',
      instanceId: 'i-1',
      code: 'outside-window',
      reason: 'outside maintenance window; next opens at 2024-05-02T09:30:00.000Z (in 21h30m)',
    });
  });

  it('starts inside a maintenance window that wraps past midnight', () => {
    // Tuesday 22:00 → Wednesday 13:00 covers Wednesday 12:00.
    const decision = only(
      decideReplacements(
        input({
          candidates: [candidate('i-1')],
          settings: { maintenanceWindows: [{ days: ['tue'], start: '22:00', end: '13:00' }] },
        }),
      ),
    );
    expect(decision.kind).toBe('start');
  });

  it('never starts more than maxConcurrent jobs', () => {
    const decisions = decideReplacements(
      // Standalone instances without a channel share no group, so only the fleet budget applies.
      input({
        candidates: ['i-1', 'i-2', 'i-3'].map((id) => candidate(id, { group: null, asgName: null })),
        settings: { maxConcurrent: 2 },
      }),
    );
    expect(kinds(decisions)).toEqual(['i-1:start', 'i-2:start', 'i-3:wait']);
    expect(reasonOf(decisions[2] as Decision)).toBe('maxConcurrent (2) reached');
  });

  it('counts jobs already running against maxConcurrent', () => {
    const decisions = decideReplacements(
      input({
        candidates: [candidate('i-1')],
        openJobs: [job('job-9', 'i-9', { group: 'other' })],
        settings: { maxConcurrent: 1 },
      }),
    );
    expect(decisions).toEqual([
      { kind: 'wait', instanceId: 'i-1', code: 'max-concurrent', reason: 'maxConcurrent (1) reached' },
    ]);
  });

  it('does not count planned, awaiting or queued jobs as in flight', () => {
    const openJobs = (['planned', 'awaiting-approval', 'queued'] as const).map((state, n) =>
      job(`job-${n}`, `i-9${n}`, { state }),
    );
    const decisions = decideReplacements(
      input({ candidates: [candidate('i-1')], openJobs, settings: { maxConcurrent: 1 } }),
    );
    expect(kinds(decisions)).toEqual(['i-1:start']);
  });

  it('waits once maxPerHour is reached, counting starts made in the same call', () => {
    const decisions = decideReplacements(
      input({
        candidates: ['i-1', 'i-2', 'i-3'].map((id) => candidate(id, { group: null, asgName: null })),
        startedInLastHour: 3,
        settings: { maxPerHour: 5 },
      }),
    );
    expect(kinds(decisions)).toEqual(['i-1:start', 'i-2:start', 'i-3:wait']);
    expect(reasonOf(decisions[2] as Decision)).toBe('maxPerHour (5) reached');
  });

  it('replaces one of three drifted instances in a 10-instance group at maxUnavailablePercent 10', () => {
    const decisions = decideReplacements(
      input({
        candidates: ['i-1', 'i-2', 'i-3'].map((id) => candidate(id)),
        settings: { maxUnavailablePercent: 10 },
      }),
    );
    expect(kinds(decisions)).toEqual(['i-1:start', 'i-2:wait', 'i-3:wait']);
    expect(reasonOf(decisions[1] as Decision)).toBe(
      'group web: waiting for the previous replacement to finish',
    );
  });

  it('replaces one instance at a time per group even when the group could lose more', () => {
    const decisions = decideReplacements(
      input({
        candidates: ['i-1', 'i-2'].map((id) => candidate(id)),
        settings: { maxUnavailablePercent: 50 },
      }),
    );
    expect(kinds(decisions)).toEqual(['i-1:start', 'i-2:wait']);
  });

  it('starts nothing in a group while the previous replacement there is still running', () => {
    const decisions = decideReplacements(
      input({
        candidates: ['i-1', 'i-2', 'i-3'].map((id) => candidate(id)),
        openJobs: [job('job-0', 'i-0')],
        settings: { maxUnavailablePercent: 10 },
      }),
    );
    expect(kinds(decisions)).toEqual(['i-1:wait', 'i-2:wait', 'i-3:wait']);
  });

  it('waits until the previous replacement is healthy (its new instance still counts as unhealthy)', () => {
    const decisions = decideReplacements(
      input({
        candidates: [candidate('i-1')],
        groups: [{ group: 'web', size: 10, unhealthy: 1 }],
        settings: { maxUnavailablePercent: 10 },
      }),
    );
    expect(decisions).toEqual([
      {
        kind: 'wait',
        instanceId: 'i-1',
        code: 'group-unavailable',
        reason: 'group web: 1 of 1 allowed unavailable (maxUnavailablePercent 10)',
      },
    ]);
  });

  it('allows floor(size × maxUnavailablePercent / 100) unavailable, and at least one', () => {
    expect(allowedUnavailable(10, 10)).toBe(1);
    expect(allowedUnavailable(5, 10)).toBe(1);
    expect(allowedUnavailable(0, 10)).toBe(1);
    expect(allowedUnavailable(40, 10)).toBe(4);
    expect(allowedUnavailable(39, 10)).toBe(3);
    expect(allowedUnavailable(7, 100)).toBe(7);
  });

  it('keeps groups apart: a busy group does not block another', () => {
    const decisions = decideReplacements(
      input({
        candidates: [candidate('i-1'), candidate('i-2', { group: 'api', asgName: 'api' })],
        groups: [
          { group: 'web', size: 4, unhealthy: 1 },
          { group: 'api', size: 4, unhealthy: 0 },
        ],
        settings: { maxUnavailablePercent: 25 },
      }),
    );
    expect(kinds(decisions)).toEqual(['i-1:wait', 'i-2:start']);
  });

  it('waits when a group has no health data', () => {
    const decision = only(decideReplacements(input({ candidates: [candidate('i-1', { group: 'batch' })] })));
    expect(decision).toEqual({
      kind: 'wait',
      instanceId: 'i-1',
      code: 'group-unknown',
      reason: 'group batch: no health data',
    });
  });

  it('applies no group budget to an instance without a group', () => {
    const decisions = decideReplacements(
      input({
        candidates: ['i-1', 'i-2'].map((id) => candidate(id, { group: null, asgName: null })),
        groups: [],
      }),
    );
    expect(kinds(decisions)).toEqual(['i-1:start', 'i-2:start']);
  });

  it('orders by worst severity, then oldest due finding, then instance id, and spends budget in that order', () => {
    const decisions = decideReplacements(
      input({
        candidates: [
          candidate('i-a', { findings: [finding({ severity: 'info' })] }),
          candidate('i-b', { findings: [finding({ severity: 'warning', firstSeen: ago(10 * MINUTE) })] }),
          candidate('i-c', { findings: [finding({ severity: 'warning', firstSeen: ago(20 * MINUTE) })] }),
          candidate('i-e', { findings: [finding({ severity: 'critical' })] }),
          candidate('i-d', { findings: [finding({ severity: 'critical' })] }),
          candidate('i-f', { findings: [finding({ severity: 'info' }), finding({ severity: 'critical' })] }),
        ].map((c) => ({ ...c, group: null, asgName: null })),
        settings: { maxConcurrent: 2 },
      }),
    );
    expect(kinds(decisions)).toEqual([
      'i-d:start',
      'i-e:start',
      'i-f:wait',
      'i-c:wait',
      'i-b:wait',
      'i-a:wait',
    ]);
  });

  it('serves approved queued jobs before new candidates', () => {
    const decisions = decideReplacements(
      input({
        candidates: [candidate('i-1')],
        openJobs: [job('job-q', 'i-q', { state: 'queued', approved: true, startedAt: null })],
        settings: { maxConcurrent: 1 },
      }),
    );
    expect(decisions).toEqual([
      { kind: 'wait', instanceId: 'i-1', code: 'max-concurrent', reason: 'maxConcurrent (1) reached' },
    ]);
  });
});

describe('decideQueuedStarts', () => {
  const queued = (jobId: string, instanceId: string, extra: Partial<OpenJob> = {}): OpenJob =>
    job(jobId, instanceId, { state: 'queued', approved: true, startedAt: null, ...extra });

  it('starts an approved queued job when every budget allows it', () => {
    const q = [queued('job-1', 'i-1')];
    expect(decideQueuedStarts(input({ openJobs: q }), q)).toEqual({ start: ['job-1'], wait: [] });
  });

  it('holds approved jobs to the group budget: approval never bypasses a budget', () => {
    const q = [queued('job-1', 'i-1'), queued('job-2', 'i-2')];
    const result = decideQueuedStarts(input({ openJobs: q, settings: { maxUnavailablePercent: 10 } }), q);
    expect(result).toEqual({
      start: ['job-1'],
      wait: [
        {
          jobId: 'job-2',
          code: 'group-busy',
          reason: 'group web: waiting for the previous replacement to finish',
        },
      ],
    });
  });

  it('holds approved jobs to maxConcurrent and maxPerHour', () => {
    const q = [queued('job-1', 'i-1', { group: null }), queued('job-2', 'i-2', { group: null })];
    const running = [job('job-0', 'i-0', { group: null })];
    expect(
      decideQueuedStarts(input({ openJobs: [...running, ...q], settings: { maxConcurrent: 1 } }), q).wait,
    ).toEqual([
      { jobId: 'job-1', code: 'max-concurrent', reason: 'maxConcurrent (1) reached' },
      { jobId: 'job-2', code: 'max-concurrent', reason: 'maxConcurrent (1) reached' },
    ]);
    expect(
      decideQueuedStarts(input({ openJobs: q, startedInLastHour: 4, settings: { maxPerHour: 5 } }), q),
    ).toEqual({
      start: ['job-1'],
      wait: [{ jobId: 'job-2', code: 'max-per-hour', reason: 'maxPerHour (5) reached' }],
    });
  });

  it('waits while paused or outside the maintenance window', () => {
    const q = [queued('job-1', 'i-1')];
    expect(decideQueuedStarts(input({ openJobs: q, paused: { reason: 'manual' } }), q).wait).toEqual([
      { jobId: 'job-1', code: 'paused', reason: 'remediation paused: manual' },
    ]);
    const windows = { maintenanceWindows: [{ days: ['wed' as const], start: '13:00', end: '14:00' }] };
    expect(decideQueuedStarts(input({ openJobs: q, settings: windows }), q).wait).toEqual([
      {
        jobId: 'job-1',
        code: 'outside-window',
        reason: 'outside maintenance window; next opens at 2024-05-01T13:00:00.000Z (in 1h)',
      },
    ]);
  });

  it('does not start a job that is not approved, not queued, or no longer in enforce mode', () => {
    const q = [queued('job-1', 'i-1', { approved: false }), queued('job-2', 'i-2', { state: 'running' })];
    expect(decideQueuedStarts(input({ openJobs: q }), q)).toEqual({
      start: [],
      wait: [
        { jobId: 'job-1', code: 'awaiting-approval', reason: 'awaiting approval' },
        { jobId: 'job-2', code: 'not-queued', reason: 'job is running, not queued' },
      ],
    });
    const approved = [queued('job-3', 'i-3')];
    expect(
      decideQueuedStarts(input({ openJobs: approved, settings: { mode: 'dry-run' } }), approved).wait,
    ).toEqual([{ jobId: 'job-3', code: 'dry-run', reason: 'remediation is dry-run' }]);
  });

  it('does not start a job whose instance was protected after the approval', () => {
    const q = [queued('job-1', 'i-1')];
    const protectedInstance = candidate('i-1', { tags: { 'driftwarden:protect': 'true' } });
    expect(decideQueuedStarts(input({ openJobs: q, candidates: [protectedInstance] }), q).wait).toEqual([
      { jobId: 'job-1', code: 'protected', reason: 'protected by tag driftwarden:protect' },
    ]);
  });

  it('serves jobs in job-id order whatever order they are passed in', () => {
    const q = [queued('job-b', 'i-b'), queued('job-a', 'i-a')];
    expect(decideQueuedStarts(input({ openJobs: q, settings: { maxConcurrent: 1 } }), q).start).toEqual([
      'job-a',
    ]);
  });
});

describe('reason codes', () => {
  it('holds back an instance cooling down after a failed replacement, saying until when', () => {
    const decision = only(
      decideReplacements(
        input({ candidates: [candidate('i-1', { coolingUntil: '2024-05-01T12:10:00.000Z' })] }),
      ),
    );
    expect(decision).toEqual({
      kind: 'skip',
      instanceId: 'i-1',
      code: 'cooling-down',
      reason: 'the last replacement failed; cooling down until 2024-05-01T12:10:00.000Z (10m left)',
    });
  });

  it('replaces an instance whose cool-down has ended', () => {
    const decision = only(
      decideReplacements(
        input({ candidates: [candidate('i-1', { coolingUntil: '2024-05-01T11:59:00.000Z' })] }),
      ),
    );
    expect(decision.kind).toBe('start');
  });

  it('tells a drift-storm pause from a manual one', () => {
    const [storm] = decideReplacements(
      input({ candidates: [candidate('i-1')], paused: { reason: 'drift-storm' } }),
    );
    const [manual] = decideReplacements(
      input({ candidates: [candidate('i-1')], paused: { reason: 'incident' } }),
    );
    expect([storm, manual].map((d) => (d && 'code' in d ? d.code : null))).toEqual(['drift-storm', 'paused']);
  });
});
