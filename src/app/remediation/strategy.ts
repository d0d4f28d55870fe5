// The contract of a replacement strategy: named, idempotent steps that each check the world before acting.
import type { Logger } from 'pino';
import type { StrategyName } from '../../core/remediation-types.js';
import type { Manifest } from '../../domain/types.js';
import type { ReplacementActions } from './actions-port.js';
import type { JobDataOf } from './job-data.js';
import type { JobOf, JobPatch } from './ports.js';

export interface StrategySettings {
  healthTimeoutMs: number;
  pollIntervalMs: number;
  preserveEvidence: boolean;
  asgSurge: boolean;
  webhook: { url: string; secret: string; timeoutMs: number } | null;
}

export interface StepContext<S extends StrategyName = StrategyName> {
  job: JobOf<S>;
  actions: ReplacementActions;
  now: Date;
  settings: StrategySettings;
  log: Logger;
  /** The native manifest of an image, if stored. */
  manifest: (imageId: string) => Manifest | null;
  /** Records a decision or a mutating call in the audit log before it is made. */
  audit: (action: string, detail?: Record<string, unknown>) => void;
  /** Saves intent (e.g. the capacity a surge aims for) before acting on it, so a crash can resume it. */
  saveData: (patch: Partial<JobDataOf<S>>) => void;
  /** Sends the signed webhook; resolves to the HTTP status. */
  postWebhook: (body: unknown) => Promise<number>;
}

export type StepOutcome =
  | { kind: 'next'; step: string; patch?: JobPatch }
  | { kind: 'done'; patch?: JobPatch }
  /** Not an error: poll again later (health checks, a group filling up). */
  | { kind: 'wait'; ms: number; note: string }
  /** Nothing to do any more (e.g. the instance is already gone); no rollback needed. */
  | { kind: 'cancel'; reason: string }
  | { kind: 'fail'; error: string };

export interface Strategy<S extends StrategyName = StrategyName> {
  readonly name: S;
  firstStep(settings: StrategySettings): string;
  run(step: string, ctx: StepContext<S>): Promise<StepOutcome>;
  /** Undoes what this job launched or surged; never touches the instance being replaced. */
  rollback(ctx: StepContext<S>): Promise<void>;
}

/** A step that has waited longer than the health timeout fails instead of polling forever. */
export function waitOrTimeOut<S extends StrategyName>(ctx: StepContext<S>, what: string): StepOutcome {
  const started = Date.parse(ctx.job.stepStartedAt ?? ctx.job.updatedAt);
  if (ctx.now.getTime() - started > ctx.settings.healthTimeoutMs) {
    return { kind: 'fail', error: `${what} after ${Math.round(ctx.settings.healthTimeoutMs / 1000)}s` };
  }
  return { kind: 'wait', ms: ctx.settings.pollIntervalMs, note: what };
}
