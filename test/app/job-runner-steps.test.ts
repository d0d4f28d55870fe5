// The job runner one step at a time, over in-memory fakes of its ports: step order, retries, failures and rollback.
import { beforeEach, describe, expect, it } from 'vitest';
import { advanceJob, STRATEGIES, type JobRunnerDeps } from '../../src/app/remediation/job-runner.js';
import { strategyDataSchema } from '../../src/app/remediation/job-data.js';
import { isRetryableAwsError } from '../../src/aws/aws-errors.js';
import {
  JOB_TAG,
  type AsgPort,
  type Ec2Port,
  type ReplacementActions,
  type GroupFacts,
  type InstanceFacts,
  type InstanceHealth,
} from '../../src/app/remediation/actions-port.js';
import type {
  AuditEntry,
  AuditEntryInput,
  JobPatch,
  JobRepository,
  JobState,
  NewJob,
  ReplacementJob,
} from '../../src/app/remediation/ports.js';
import { JOB_STATES, type StrategyName } from '../../src/core/remediation-types.js';
import { ConflictError, NotFoundError } from '../../src/domain/errors.js';
import { createLogger } from '../../src/logging/logger.js';

const T0 = Date.parse('2026-11-26T10:00:00.000Z');
const OLD = 'i-0000000000000old';
const SETTINGS: JobRunnerDeps['settings'] = {
  healthTimeoutMs: 10_000,
  pollIntervalMs: 1_000,
  preserveEvidence: false,
  asgSurge: true,
  webhook: { url: 'http://127.0.0.1:1/deploy', secret: 'not-used-by-the-fake', timeoutMs: 1_000 },
  maxAttempts: 3,
  retryBaseMs: 5_000,
};

/** An AWS SDK service error as the clients throw it. */
function awsError(name: string, message: string, fault: 'client' | 'server', status: number): Error {
  return Object.assign(new Error(message), { name, $fault: fault, $metadata: { httpStatusCode: status } });
}

/** The job store port in memory; rows go through the same data schema as the SQLite store. */
class FakeJobStore implements JobRepository {
  readonly jobs = new Map<string, ReplacementJob>();
  readonly audit: AuditEntry[] = [];
  /** A nearly full disk: a save with this audit action fails as SQLite's does; smaller saves still fit. */
  fullFor: string | null = null;

  create(job: NewJob, at: string, entry: AuditEntryInput): ReplacementJob | null {
    if ([...this.jobs.values()].some((j) => j.instanceId === job.instanceId)) return null;
    const created: ReplacementJob = {
      ...job,
      ...strategyDataSchema.parse({ strategy: job.strategy, data: {} }),
      attempts: 0,
      nextAttemptAt: null,
      stepStartedAt: null,
      newInstanceId: null,
      approvedBy: null,
      approvedAt: null,
      cancelRequested: false,
      error: null,
      note: null,
      createdAt: at,
      updatedAt: at,
      startedAt: job.state === 'running' ? at : null,
      finishedAt: null,
    };
    this.jobs.set(job.jobId, created);
    this.append({ ...entry, jobId: job.jobId, instanceId: job.instanceId }, at);
    return created;
  }

  get(jobId: string): ReplacementJob | null {
    return this.jobs.get(jobId) ?? null;
  }

  list(): ReplacementJob[] {
    return [...this.jobs.values()];
  }

  page(): ReturnType<JobRepository['page']> {
    return { items: this.list(), next: null };
  }

  save(
    jobId: string,
    patch: JobPatch,
    at: string,
    entry?: AuditEntryInput,
    expectedState?: JobState,
  ): ReplacementJob {
    const job = this.jobs.get(jobId);
    if (!job) throw new NotFoundError(`no replacement job ${jobId}`);
    if (entry !== undefined && entry.action === this.fullFor)
      throw Object.assign(new Error('database or disk is full'), {
        name: 'SqliteError',
        code: 'SQLITE_FULL',
      });
    if (expectedState !== undefined && job.state !== expectedState) throw new ConflictError(`job ${jobId}`);
    const { data, ...rest } = patch;
    const saved: ReplacementJob = {
      ...job,
      ...rest,
      ...strategyDataSchema.parse({ strategy: job.strategy, data: data ?? job.data }),
      updatedAt: at,
    };
    this.jobs.set(jobId, saved);
    if (entry) this.append({ ...entry, jobId, instanceId: job.instanceId }, at);
    return saved;
  }

  countStartedSince(at: string): number {
    return this.list().filter((j) => j.startedAt !== null && j.startedAt >= at).length;
  }

  countByState(): Record<JobState, number> {
    const counts = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>;
    for (const j of this.jobs.values()) counts[j.state] += 1;
    return counts;
  }

  countFinished(): ReturnType<JobRepository['countFinished']> {
    return [];
  }

  private append(entry: AuditEntryInput, at: string): void {
    this.audit.push({
      id: this.audit.length + 1,
      at,
      actor: entry.actor,
      action: entry.action,
      jobId: entry.jobId ?? null,
      instanceId: entry.instanceId ?? null,
      detail: entry.detail ?? {},
    });
  }
}

interface FakeInstance {
  facts: InstanceFacts;
  /** What health checks report once the instance has initialised. */
  settlesTo: InstanceHealth;
  polled: number;
}

interface FakeGroup {
  min: number;
  max: number;
  desired: number;
  members: { instanceId: string; lifecycle: string; healthy: boolean }[];
}

/** EC2 and Auto Scaling in memory: instances settle after one poll, groups fill up to desired. */
class FakeAws implements ReplacementActions {
  readonly instances = new Map<string, FakeInstance>();
  readonly groups = new Map<string, FakeGroup>();
  /** Errors the next calls of an operation throw, in order. */
  readonly failures = new Map<string, Error[]>();
  /** Successful mutating calls, in order. */
  readonly calls: string[] = [];
  /** What newly launched instances and group members settle to. */
  launchesSettleTo: InstanceHealth = 'ok';
  private launched = 0;

  constructor() {
    this.add(OLD, 'ami-00000old');
  }

  add(instanceId: string, imageId: string): void {
    this.instances.set(instanceId, {
      facts: {
        instanceId,
        state: 'running',
        imageId,
        instanceType: 't3.small',
        subnetId: 'subnet-1',
        securityGroupIds: ['sg-1'],
        iamInstanceProfileArn: null,
        httpTokens: 'required',
        tags: {},
        volumeIds: ['vol-1'],
      },
      settlesTo: 'ok',
      polled: 1,
    });
  }

  private fail(operation: string): void {
    const error = this.failures.get(operation)?.shift();
    if (error) throw error;
  }

  private launch(imageId: string, tags: Record<string, string>): string {
    this.launched += 1;
    const id = `i-00000000000new${this.launched}`;
    this.add(id, imageId);
    const instance = this.instances.get(id)!;
    instance.facts.tags = tags;
    instance.settlesTo = this.launchesSettleTo;
    instance.polled = 0;
    return id;
  }

  readonly ec2: Ec2Port = {
    describe: (id) => Promise.resolve(this.instances.get(id)?.facts ?? null),
    findByJob: (jobId) =>
      Promise.resolve(
        [...this.instances.values()].map((i) => i.facts).filter((f) => f.tags[JOB_TAG] === jobId),
      ),
    userData: () => Promise.resolve(null),
    run: (request) => {
      this.fail('RunInstances');
      this.calls.push('RunInstances');
      return Promise.resolve(this.launch(request.imageId, request.tags));
    },
    health: (id) => {
      const instance = this.instances.get(id);
      if (!instance || instance.facts.state !== 'running') return Promise.resolve('gone');
      instance.polled += 1;
      return Promise.resolve(instance.polled > 1 ? instance.settlesTo : 'initializing');
    },
    terminate: (id) => {
      this.fail('TerminateInstances');
      this.calls.push(`TerminateInstances ${id}`);
      this.instances.get(id)!.facts.state = 'shutting-down';
      return Promise.resolve();
    },
    findSnapshots: () => Promise.resolve([]),
    snapshot: () => Promise.resolve('snap-1'),
  };

  readonly asg: AsgPort = {
    describe: (name) => {
      const g = this.groups.get(name);
      if (!g) return Promise.resolve(null);
      this.reconcile(g);
      const facts: GroupFacts = { name, ...g, members: g.members.map((m) => ({ ...m })) };
      return Promise.resolve(facts);
    },
    setDesired: (name, desired) => {
      const g = this.groups.get(name)!;
      if (desired > g.max)
        throw awsError('ValidationError', `desired ${desired} above max ${g.max}`, 'client', 400);
      this.calls.push(`SetDesiredCapacity ${desired}`);
      g.desired = desired;
      return Promise.resolve();
    },
    setMaxSize: (name, max) => {
      this.calls.push(`UpdateAutoScalingGroup max ${max}`);
      this.groups.get(name)!.max = max;
      return Promise.resolve();
    },
    launchTemplateImage: () => Promise.resolve('ami-00000new'),
    terminateInGroup: (instanceId, decrement) => {
      this.calls.push(`TerminateInstanceInAutoScalingGroup ${instanceId}`);
      for (const g of this.groups.values()) {
        const member = g.members.find((m) => m.instanceId === instanceId);
        if (!member) continue;
        member.lifecycle = 'Terminating';
        if (decrement) g.desired -= 1;
      }
      return Promise.resolve();
    },
  };

  /** Like Auto Scaling, level-triggered on every look: terminated members leave, new ones settle, missing ones launch. */
  private reconcile(g: FakeGroup): void {
    g.members = g.members.filter((m) => m.lifecycle !== 'Terminating' || !this.leave(m.instanceId));
    for (const m of g.members) {
      if (m.lifecycle !== 'Pending') continue;
      const healthy = this.instances.get(m.instanceId)?.settlesTo === 'ok';
      Object.assign(m, { lifecycle: 'InService', healthy });
    }
    while (g.members.filter((m) => m.lifecycle !== 'Terminating').length < g.desired) {
      g.members.push({ instanceId: this.launch('ami-00000new', {}), lifecycle: 'Pending', healthy: false });
    }
  }

  private leave(instanceId: string): boolean {
    this.instances.get(instanceId)!.facts.state = 'terminated';
    return true;
  }
}

let store: FakeJobStore;
let aws: FakeAws;
let now: number;
let webhookPosts: unknown[];

function deps(): JobRunnerDeps {
  return {
    jobs: store,
    actionsFor: () => aws,
    isRetryableActionError: isRetryableAwsError,
    manifest: () => null,
    settings: SETTINGS,
    clock: () => new Date(now),
    logger: createLogger({ level: 'silent', destination: 2, pretty: false }),
    postWebhook: (body) => {
      webhookPosts.push(body);
      return Promise.resolve(200);
    },
  };
}

function startJob(strategy: StrategyName, asgName: string | null = null): string {
  const jobId = `job-${strategy}`;
  store.create(
    {
      jobId,
      instanceId: OLD,
      account: null,
      region: 'us-east-1',
      group: asgName,
      asgName,
      imageId: 'ami-00000old',
      targetImageId: 'ami-00000new',
      strategy,
      state: 'running',
      step: STRATEGIES[strategy].firstStep(SETTINGS),
      reason: [
        { rule: 'imds', severity: 'critical', path: 'launch.metadataOptions.httpTokens', change: 'changed' },
      ],
    },
    new Date(now).toISOString(),
    { actor: 'driftwarden', action: 'job.started' },
  );
  return jobId;
}

/** Advances one step per call, letting time pass to the next attempt, until the job finishes. */
async function runToEnd(jobId: string): Promise<ReplacementJob> {
  for (let i = 0; i < 100; i++) {
    const job = await advanceJob(jobId, deps());
    if (job === null || job.state !== 'running') return job!;
    now = Math.max(now + SETTINGS.pollIntervalMs, job.nextAttemptAt ? Date.parse(job.nextAttemptAt) : 0);
  }
  throw new Error(`job ${jobId} did not finish in 100 steps`);
}

function actions(jobId: string): string[] {
  return store.audit.filter((a) => a.jobId === jobId).map((a) => a.action);
}

/** The steps the job went through, as saved: its first step, then each `job.step` transition. */
function steps(jobId: string, first: string): unknown[] {
  return [
    first,
    ...store.audit.filter((a) => a.jobId === jobId && a.action === 'job.step').map((a) => a.detail.to),
  ];
}

beforeEach(() => {
  store = new FakeJobStore();
  aws = new FakeAws();
  now = T0;
  webhookPosts = [];
});

describe('launch-then-terminate', () => {
  it('launches, waits until the new instance is healthy, then terminates the old one', async () => {
    const jobId = startJob('launch-then-terminate');
    const job = await runToEnd(jobId);
    expect(job).toMatchObject({ state: 'succeeded', newInstanceId: 'i-00000000000new1', error: null });
    expect(steps(jobId, 'launch')).toEqual(['launch', 'wait-healthy', 'terminate-old']);
    expect(actions(jobId)).toEqual([
      'job.started',
      'aws.RunInstances',
      'job.step',
      'job.step',
      'aws.TerminateInstances',
      'job.succeeded',
    ]);
    expect(aws.calls).toEqual(['RunInstances', `TerminateInstances ${OLD}`]);
  });

  it('retries a throttled launch after the backoff, then carries on', async () => {
    aws.failures.set('RunInstances', [
      awsError('RequestLimitExceeded', 'Request limit exceeded.', 'client', 503),
    ]);
    const jobId = startJob('launch-then-terminate');

    const retrying = await advanceJob(jobId, deps());
    expect(retrying).toMatchObject({
      state: 'running',
      step: 'launch',
      attempts: 1,
      error: 'RequestLimitExceeded: Request limit exceeded.',
      nextAttemptAt: new Date(T0 + SETTINGS.retryBaseMs).toISOString(),
    });
    expect(store.audit.at(-1)).toMatchObject({
      action: 'job.retry',
      detail: { step: 'launch', attempts: 1, error: 'RequestLimitExceeded: Request limit exceeded.' },
    });

    // Before the backoff has passed, nothing is tried.
    now = T0 + SETTINGS.retryBaseMs - 1;
    expect(await advanceJob(jobId, deps())).toEqual(retrying);

    now = T0 + SETTINGS.retryBaseMs;
    const job = await runToEnd(jobId);
    expect(job).toMatchObject({ state: 'succeeded', attempts: 0 });
    expect(aws.calls).toEqual(['RunInstances', `TerminateInstances ${OLD}`]);
    expect(actions(jobId).slice(0, 4)).toEqual([
      'job.started',
      'aws.RunInstances',
      'job.retry',
      'aws.RunInstances',
    ]);
  });

  it('fails at once on an error a retry cannot fix, leaving the old instance alone', async () => {
    aws.failures.set('RunInstances', [
      awsError('UnauthorizedOperation', 'You are not authorized to perform this operation.', 'client', 403),
    ]);
    const jobId = startJob('launch-then-terminate');
    const job = await runToEnd(jobId);
    expect(job).toMatchObject({
      state: 'failed',
      error:
        'launch failed after 1 attempt(s): UnauthorizedOperation: You are not authorized to perform this operation.',
    });
    expect(actions(jobId)).toEqual(['job.started', 'aws.RunInstances', 'job.failed']);
    expect(aws.calls).toEqual([]);
    expect(aws.instances.get(OLD)?.facts.state).toBe('running');
  });

  it('keeps a step whose audit entry the full disk refuses at that step, and runs it again once space returns', async () => {
    store.fullFor = 'aws.RunInstances';
    const jobId = startJob('launch-then-terminate');
    await expect(advanceJob(jobId, deps())).rejects.toMatchObject({ code: 'SQLITE_FULL' });
    // Not failed, not rolled back, not an attempt: nothing was launched, the step runs again.
    expect(store.get(jobId)).toMatchObject({ state: 'running', step: 'launch', attempts: 0, error: null });
    expect(actions(jobId)).toEqual(['job.started']);
    expect(aws.calls).toEqual([]);

    store.fullFor = null;
    expect(await runToEnd(jobId)).toMatchObject({ state: 'succeeded' });
    expect(aws.calls).toEqual(['RunInstances', `TerminateInstances ${OLD}`]);
  });

  it('terminates its own launch when it never becomes healthy, and keeps the old instance', async () => {
    aws.launchesSettleTo = 'impaired';
    const jobId = startJob('launch-then-terminate');
    const job = await runToEnd(jobId);
    expect(job).toMatchObject({
      state: 'failed',
      error: 'replacement i-00000000000new1 not healthy (impaired) after 10s',
    });
    expect(steps(jobId, 'launch')).toEqual(['launch', 'wait-healthy']);
    expect(store.audit.filter((a) => a.action === 'aws.TerminateInstances').map((a) => a.detail)).toEqual([
      { step: 'wait-healthy', instanceId: 'i-00000000000new1', rollback: true },
    ]);
    expect(actions(jobId).at(-1)).toBe('job.failed');
    expect(aws.calls).toEqual(['RunInstances', 'TerminateInstances i-00000000000new1']);
    expect(aws.instances.get(OLD)?.facts.state).toBe('running');
  });
});

describe('asg', () => {
  function group(desired: number, max: number): void {
    aws.add('i-0000000000000peer', 'ami-00000old');
    aws.groups.set('web', {
      min: 1,
      max,
      desired,
      members: [OLD, 'i-0000000000000peer']
        .slice(0, desired)
        .map((instanceId) => ({ instanceId, lifecycle: 'InService', healthy: true })),
    });
  }

  it('surges one member in, waits until it serves, then terminates the old one with a decrement', async () => {
    group(2, 4);
    const jobId = startJob('asg', 'web');
    const job = await runToEnd(jobId);
    expect(job.state).toBe('succeeded');
    expect(job.strategy === 'asg' && job.data).toEqual({
      surgeTo: 3,
      originalDesired: 2,
      membersBefore: [OLD, 'i-0000000000000peer'],
    });
    expect(steps(jobId, 'surge')).toEqual([
      'surge',
      'wait-surge-healthy',
      'terminate-old',
      'wait-group-healthy',
    ]);
    expect(actions(jobId)).toEqual([
      'job.started',
      'aws.SetDesiredCapacity',
      'job.step',
      'job.step',
      'aws.TerminateInstanceInAutoScalingGroup',
      'job.step',
      'job.succeeded',
    ]);
    expect(aws.groups.get('web')).toMatchObject({ desired: 2, max: 4 });
    expect(aws.calls).toEqual(['SetDesiredCapacity 3', `TerminateInstanceInAutoScalingGroup ${OLD}`]);
  });

  it('raises MaxSize for a surge without headroom, and on a failed surge removes the new member and restores it', async () => {
    group(2, 2);
    aws.launchesSettleTo = 'impaired';
    const jobId = startJob('asg', 'web');
    const job = await runToEnd(jobId);
    expect(job).toMatchObject({
      state: 'failed',
      error: 'group web: 2 of 3 in service after the surge after 10s',
    });
    expect(steps(jobId, 'surge')).toEqual(['surge', 'wait-surge-healthy']);
    expect(aws.calls).toEqual([
      'UpdateAutoScalingGroup max 3',
      'SetDesiredCapacity 3',
      'TerminateInstanceInAutoScalingGroup i-00000000000new1',
      'UpdateAutoScalingGroup max 2',
    ]);
    expect(
      store.audit.filter((a) => a.jobId === jobId && a.detail.rollback === true).map((a) => a.action),
    ).toEqual(['aws.TerminateInstanceInAutoScalingGroup']);
    expect(store.audit.filter((a) => a.action === 'aws.UpdateAutoScalingGroup').map((a) => a.detail)).toEqual(
      [
        { step: 'surge', group: 'web', maxSizeFrom: 2, maxSizeTo: 3 },
        { step: 'wait-surge-healthy', group: 'web', maxSizeFrom: 3, maxSizeTo: 2 },
      ],
    );
    expect(aws.groups.get('web')).toMatchObject({ desired: 2, max: 2 });
    expect(aws.groups.get('web')?.members.find((m) => m.instanceId === OLD)).toMatchObject({
      lifecycle: 'InService',
    });
  });
});

describe('webhook', () => {
  it('posts the job to the deployer once, then waits until the old instance is gone', async () => {
    const jobId = startJob('webhook');
    expect(await advanceJob(jobId, deps())).toMatchObject({
      step: 'wait-gone',
      data: { notifiedAt: new Date(T0).toISOString() },
    });
    // The deployer replaces the instance on its own schedule.
    now += SETTINGS.pollIntervalMs;
    expect(await advanceJob(jobId, deps())).toMatchObject({ state: 'running', step: 'wait-gone' });
    aws.instances.get(OLD)!.facts.state = 'terminated';
    const job = await runToEnd(jobId);
    expect(job.state).toBe('succeeded');
    expect(webhookPosts).toEqual([
      expect.objectContaining({ jobId, instanceId: OLD, targetImageId: 'ami-00000new' }),
    ]);
    expect(steps(jobId, 'notify')).toEqual(['notify', 'wait-gone']);
    expect(actions(jobId)).toEqual(['job.started', 'webhook.post', 'job.step', 'job.succeeded']);
  });

  it('retries a deployer that answers 503, without a second notification once it accepted', async () => {
    const answers = [503, 202];
    const jobId = startJob('webhook');
    const withDeployer: JobRunnerDeps = {
      ...deps(),
      postWebhook: (body) => {
        webhookPosts.push(body);
        return Promise.resolve(answers.shift() ?? 500);
      },
    };
    expect(await advanceJob(jobId, withDeployer)).toMatchObject({
      step: 'notify',
      attempts: 1,
      error: 'RetryableError: webhook answered HTTP 503',
    });
    now += SETTINGS.retryBaseMs;
    expect(await advanceJob(jobId, withDeployer)).toMatchObject({ step: 'wait-gone', attempts: 0 });
    now += SETTINGS.pollIntervalMs;
    await advanceJob(jobId, withDeployer);
    expect(webhookPosts).toHaveLength(2);
    expect(actions(jobId)).toEqual(['job.started', 'webhook.post', 'job.retry', 'webhook.post', 'job.step']);
  });
});
