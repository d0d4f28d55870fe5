import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  allowedUnavailable,
  decideQueuedStarts,
  decideReplacements,
} from '../../src/core/remediation-policy.js';
import type {
  GroupHealth,
  OpenJob,
  PolicyInput,
  RemediationCandidate,
  ReplaceFinding,
} from '../../src/core/remediation-types.js';

const NOW = Date.parse('2024-05-01T12:00:00.000Z');
const MINUTE = 60_000;
const GROUPS = ['g1', 'g2', 'g3'] as const;
// A group the health list never mentions: it must never get a start.
const groupName = fc.constantFrom<string | null>(null, ...GROUPS, 'g-unknown');
const instanceId = fc.integer({ min: 0, max: 30 }).map((n) => `i-${String(n).padStart(2, '0')}`);

const finding: fc.Arbitrary<ReplaceFinding> = fc.record({
  rule: fc.constantFrom('revoked-image', 'imds-downgrade', 'package-drift'),
  severity: fc.constantFrom('info', 'warning', 'critical'),
  path: fc.constantFrom('image.id', 'launch.metadataOptions.httpTokens', 'host.packages.openssl'),
  change: fc.constantFrom('changed', 'revoked-image'),
  firstSeen: fc.integer({ min: 0, max: 120 }).map((m) => new Date(NOW - m * MINUTE).toISOString()),
  forMs: fc.option(fc.integer({ min: 0, max: 60 }).map((m) => m * MINUTE)),
  // Mostly automatic, sometimes gated on a human.
  approvalRequired: fc.nat({ max: 4 }).map((n) => n === 0),
});

const candidate: fc.Arbitrary<RemediationCandidate> = fc.record({
  instanceId,
  account: fc.constant(null),
  region: fc.constant('us-east-1'),
  imageId: fc.constant('ami-0aaa'),
  group: groupName,
  asgName: fc.option(fc.constant('asg')),
  tags: fc.constantFrom<Record<string, string>>({}, { env: 'prod' }, { 'driftwarden:protect': 'yes' }),
  findings: fc.array(finding, { maxLength: 3 }),
});

const openJob: fc.Arbitrary<OpenJob> = fc.record({
  jobId: fc.uuid(),
  instanceId,
  group: groupName,
  state: fc.constantFrom('planned', 'awaiting-approval', 'queued', 'running'),
  approved: fc.boolean(),
  startedAt: fc.constant(null),
});

const groupHealth: fc.Arbitrary<GroupHealth[]> = fc.tuple(
  ...GROUPS.map((group) =>
    fc
      .integer({ min: 0, max: 20 })
      .chain((size) => fc.integer({ min: 0, max: size }).map((unhealthy) => ({ group, size, unhealthy }))),
  ),
);

const policyInput: fc.Arbitrary<PolicyInput> = fc.record({
  now: fc.constant(NOW),
  settings: fc.record({
    mode: fc.constantFrom('enforce', 'enforce', 'enforce', 'dry-run', 'off'),
    maxConcurrent: fc.integer({ min: 1, max: 8 }),
    maxPerHour: fc.integer({ min: 1, max: 8 }),
    maxUnavailablePercent: fc.integer({ min: 1, max: 100 }),
    protectTag: fc.constant('driftwarden:protect'),
    maintenanceWindows: fc.constant([]),
  }),
  paused: fc.oneof(
    { arbitrary: fc.constant(null), weight: 5 },
    { arbitrary: fc.constant({ reason: 'manual' }), weight: 1 },
  ),
  candidates: fc.uniqueArray(candidate, { maxLength: 12, selector: (c) => c.instanceId }),
  openJobs: fc.uniqueArray(openJob, { maxLength: 6, selector: (j) => j.jobId }),
  startedInLastHour: fc.integer({ min: 0, max: 6 }),
  groups: groupHealth,
});

interface Started {
  total: number;
  byGroup: Map<string | null, number>;
}

/** Everything the two deciders would start from one input: new replacements plus approved queued jobs. */
function started(input: PolicyInput): Started {
  const queued = input.openJobs.filter((j) => j.state === 'queued' && j.approved);
  const groups: (string | null)[] = decideReplacements(input).flatMap((d) =>
    d.kind === 'start' ? [d.group] : [],
  );
  const jobGroup = new Map(queued.map((j) => [j.jobId, j.group]));
  for (const jobId of decideQueuedStarts(input, queued).start) groups.push(jobGroup.get(jobId) ?? null);
  const byGroup = new Map<string | null, number>();
  for (const g of groups) byGroup.set(g, (byGroup.get(g) ?? 0) + 1);
  return { total: groups.length, byGroup };
}

const running = (input: PolicyInput, group?: string): number =>
  input.openJobs.filter((j) => j.state === 'running' && (group === undefined || j.group === group)).length;

describe('decideReplacements (properties)', () => {
  it('returns exactly one decision per candidate', () => {
    fc.assert(
      fc.property(policyInput, (input) => {
        const ids = decideReplacements(input).map((d) => d.instanceId);
        expect(ids.sort()).toEqual(input.candidates.map((c) => c.instanceId).sort());
      }),
    );
  });

  it('never starts more than maxConcurrent − running jobs, new and approved together', () => {
    fc.assert(
      fc.property(policyInput, (input) => {
        expect(started(input).total).toBeLessThanOrEqual(
          Math.max(0, input.settings.maxConcurrent - running(input)),
        );
      }),
      { numRuns: 500 },
    );
  });

  it('never starts more than maxPerHour − startedInLastHour jobs, new and approved together', () => {
    fc.assert(
      fc.property(policyInput, (input) => {
        expect(started(input).total).toBeLessThanOrEqual(
          Math.max(0, input.settings.maxPerHour - input.startedInLastHour),
        );
      }),
      { numRuns: 500 },
    );
  });

  it('never starts more in a group than allowed − unavailable, and nothing in a group without health data', () => {
    fc.assert(
      fc.property(policyInput, (input) => {
        const { byGroup } = started(input);
        for (const health of input.groups) {
          const allowed = allowedUnavailable(health.size, input.settings.maxUnavailablePercent);
          const unavailable = health.unhealthy + running(input, health.group);
          expect(byGroup.get(health.group) ?? 0).toBeLessThanOrEqual(Math.max(0, allowed - unavailable));
        }
        expect(byGroup.get('g-unknown') ?? 0).toBe(0);
      }),
      { numRuns: 500 },
    );
  });

  it('starts nothing unless mode is enforce and remediation is not paused', () => {
    fc.assert(
      fc.property(policyInput, (input) => {
        fc.pre(input.settings.mode !== 'enforce' || input.paused !== null);
        expect(started(input).total).toBe(0);
      }),
    );
  });

  it('never starts, plans or asks approval for a protected instance or one with an open job', () => {
    fc.assert(
      fc.property(policyInput, (input) => {
        const open = new Set(input.openJobs.map((j) => j.instanceId));
        const acting = decideReplacements(input).filter((d) => d.kind !== 'skip' && d.kind !== 'wait');
        for (const decision of acting) {
          const c = input.candidates.find((x) => x.instanceId === decision.instanceId);
          expect(c?.tags).not.toHaveProperty(['driftwarden:protect']);
          expect(open.has(decision.instanceId)).toBe(false);
        }
      }),
    );
  });

  it('decides the same for shuffled candidates, findings, jobs and groups', () => {
    const shuffled = <T>(items: readonly T[]): fc.Arbitrary<T[]> =>
      fc.shuffledSubarray([...items], { minLength: items.length, maxLength: items.length });
    const pairs = policyInput.chain((input) =>
      fc
        .record({
          candidates: fc.tuple(
            ...input.candidates.map((c) => shuffled(c.findings).map((findings) => ({ ...c, findings }))),
          ),
          order: shuffled(input.candidates.map((_, i) => i)),
          openJobs: shuffled(input.openJobs),
          groups: shuffled(input.groups),
        })
        .map(({ candidates, order, openJobs, groups }) => {
          const reordered = order.map((i) => candidates[i] as RemediationCandidate);
          return [input, { ...input, candidates: reordered, openJobs, groups }] as const;
        }),
    );
    fc.assert(
      fc.property(pairs, ([input, reshuffled]) => {
        expect(decideReplacements(reshuffled)).toEqual(decideReplacements(input));
        const queued = input.openJobs.filter((j) => j.state === 'queued');
        expect(decideQueuedStarts(reshuffled, [...queued].reverse())).toEqual(
          decideQueuedStarts(input, queued),
        );
      }),
    );
  });
});
