// advanceJob: performs one idempotent step of a running replacement job and saves the next one.
import type { Logger } from 'pino';
import { retryDelayMs, shouldGiveUp } from '../../core/remediation-backoff.js';
import type { StrategyName } from '../../core/remediation-types.js';
import { TerminalError, errorMessage, namedErrorMessage, storageFailure } from '../../domain/errors.js';
import type { Manifest } from '../../domain/types.js';
import { asgStrategy } from './asg-strategy.js';
import type { ReplacementActions } from './actions-port.js';
import { launchThenTerminate } from './launch-then-terminate.js';
import type { AuditEntryInput, JobOf, JobPatch, JobRepository, ReplacementJob } from './ports.js';
import type { StepContext, StepOutcome, Strategy, StrategySettings } from './strategy.js';
import { webhookStrategy } from './webhook-strategy.js';

/** One strategy per name, each typed by the data of its own jobs. */
export const STRATEGIES: { [S in StrategyName]: Strategy<S> } = {
  asg: asgStrategy,
  'launch-then-terminate': launchThenTerminate,
  webhook: webhookStrategy,
};

export const SYSTEM_ACTOR = 'driftwarden';

export interface JobRunnerDeps {
  jobs: JobRepository;
  /** `signal` aborts the actions' calls in flight (shutdown). */
  actionsFor: (job: ReplacementJob, signal?: AbortSignal) => ReplacementActions;
  /** The adapters' word on their own errors (the AWS SDK's classification): may a later attempt succeed? */
  isRetryableActionError: (error: unknown) => boolean;
  manifest: (imageId: string) => Manifest | null;
  settings: StrategySettings & { maxAttempts: number; retryBaseMs: number };
  clock: () => Date;
  logger: Logger;
  postWebhook: (body: unknown, signal?: AbortSignal) => Promise<number>;
  /** Called when a job reaches a terminal state (metrics, logs). */
  onFinished?: (job: ReplacementJob) => void;
}

/** Our own RetryableError, and whatever the adapters' classification says a retry may fix. */
function isRetryable(error: unknown, deps: JobRunnerDeps): boolean {
  return (error as { retryable?: unknown } | null)?.retryable === true || deps.isRetryableActionError(error);
}

/**
 * One step per call. The current step is always saved before it runs, and a step checks the world
 * before it acts, so a crash at any point re-runs the same step safely: no second launch (ClientToken
 * and job tag), no second termination (the instance is already leaving). An aborted `signal` (shutdown)
 * cuts the step's call in flight and rejects with nothing saved: the job is left as a crash leaves it.
 */
export async function advanceJob(
  jobId: string,
  deps: JobRunnerDeps,
  signal?: AbortSignal,
): Promise<ReplacementJob | null> {
  const job = deps.jobs.get(jobId);
  if (job === null || job.state !== 'running') return job;
  const now = deps.clock();
  if (job.nextAttemptAt !== null && Date.parse(job.nextAttemptAt) > now.getTime()) return job;
  return advanceWith(job.strategy, job, now, deps, signal);
}

/** The saved job is still the strategy's own (a save never changes a job's strategy). */
function isJobOf<S extends StrategyName>(job: ReplacementJob, strategy: S): job is JobOf<S> {
  return job.strategy === strategy;
}

async function advanceWith<S extends StrategyName>(
  name: S,
  initial: JobOf<S>,
  now: Date,
  deps: JobRunnerDeps,
  signal: AbortSignal | undefined,
): Promise<ReplacementJob> {
  const strategy = STRATEGIES[name];
  let job = initial;
  const saveOwn = (patch: JobPatch, audit?: AuditEntryInput): JobOf<S> => {
    const saved = deps.jobs.save(job.jobId, patch, at(), audit);
    if (!isJobOf(saved, name))
      throw new TerminalError(`job ${job.jobId} changed strategy to ${saved.strategy}`);
    return saved;
  };
  const log = deps.logger.child({ jobId: job.jobId, instanceId: job.instanceId, step: job.step });
  const at = (): string => deps.clock().toISOString();

  const ctx: StepContext<S> = {
    job,
    actions: deps.actionsFor(job, signal),
    now,
    settings: deps.settings,
    log,
    manifest: deps.manifest,
    audit: (action, detail) => {
      job = saveOwn({}, { actor: SYSTEM_ACTOR, action, detail: { step: job.step, ...detail } });
      ctx.job = job;
    },
    saveData: (patch) => {
      job = saveOwn({ data: { ...job.data, ...patch } });
      ctx.job = job;
    },
    postWebhook: (body) => deps.postWebhook(body, signal),
  };

  let outcome: StepOutcome;
  try {
    outcome = await strategy.run(job.step ?? strategy.firstStep(deps.settings), ctx);
  } catch (error) {
    // The database could not save the step's audit entry or data (disk full, I/O error): neither a
    // failure of the replacement nor an attempt. Saving its outcome would fail too, so the job stays
    // at its saved step, which the next tick runs again (every step may run twice).
    if (storageFailure(error) !== null) throw error;
    // Cut by shutdown: not an attempt either. Its intent was saved before the call, so the next start
    // runs the same step again, exactly as after a crash.
    if (signal?.aborted) throw error;
    const attempts = job.attempts + 1;
    const message = namedErrorMessage(error);
    if (isRetryable(error, deps) && !shouldGiveUp(attempts, deps.settings.maxAttempts)) {
      const delay = retryDelayMs(attempts, {
        baseMs: deps.settings.retryBaseMs,
        maxMs: deps.settings.retryBaseMs * 16,
      });
      log.warn({ err: message, attempts, retryInMs: delay }, 'replacement step failed; will retry');
      return deps.jobs.save(
        job.jobId,
        { attempts, error: message, nextAttemptAt: new Date(now.getTime() + delay).toISOString() },
        at(),
        { actor: SYSTEM_ACTOR, action: 'job.retry', detail: { step: job.step, attempts, error: message } },
      );
    }
    outcome = {
      kind: 'fail',
      error: `${job.step ?? 'step'} failed after ${attempts} attempt(s): ${message}`,
    };
  }
  return finish(job, outcome, strategy, ctx, deps, log);
}

async function finish<S extends StrategyName>(
  job: ReplacementJob,
  outcome: StepOutcome,
  strategy: Strategy<S>,
  ctx: StepContext<S>,
  deps: JobRunnerDeps,
  log: Logger,
): Promise<ReplacementJob> {
  const at = deps.clock().toISOString();
  const current = ctx.job;
  const save = (patch: JobPatch, action?: string, detail?: Record<string, unknown>): ReplacementJob =>
    deps.jobs.save(job.jobId, patch, at, action ? { actor: SYSTEM_ACTOR, action, detail } : undefined);
  switch (outcome.kind) {
    case 'next':
      log.info({ next: outcome.step }, 'replacement step done');
      return save(
        {
          ...outcome.patch,
          step: outcome.step,
          attempts: 0,
          nextAttemptAt: null,
          stepStartedAt: at,
          error: null,
          note: null,
        },
        'job.step',
        { from: current.step, to: outcome.step },
      );
    case 'wait':
      if (outcome.note !== current.note) log.info({ note: outcome.note }, 'replacement step waiting');
      return save({
        nextAttemptAt: new Date(ctx.now.getTime() + outcome.ms).toISOString(),
        error: null,
        note: outcome.note,
      });
    case 'done': {
      log.info({ newInstanceId: current.newInstanceId }, 'replacement succeeded');
      const done = save(
        { ...outcome.patch, state: 'succeeded', step: null, finishedAt: at, error: null, note: null },
        'job.succeeded',
      );
      deps.onFinished?.(done);
      return done;
    }
    case 'cancel': {
      log.info({ reason: outcome.reason }, 'replacement cancelled');
      const cancelled = save({ state: 'cancelled', finishedAt: at, error: outcome.reason }, 'job.cancelled', {
        reason: outcome.reason,
      });
      deps.onFinished?.(cancelled);
      return cancelled;
    }
    case 'fail': {
      let error = outcome.error;
      try {
        await strategy.rollback(ctx);
      } catch (rollbackError) {
        error += `; rollback failed: ${errorMessage(rollbackError)}`;
      }
      log.error({ err: error }, 'replacement failed; the old instance was left in place');
      const failed = save({ state: 'failed', finishedAt: deps.clock().toISOString(), error }, 'job.failed', {
        error,
      });
      deps.onFinished?.(failed);
      return failed;
    }
  }
}
