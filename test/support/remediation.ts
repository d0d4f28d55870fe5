// Helpers for replacement tests: enforce-mode settings, bounded waits, job and request-log views.
import { packagePath } from '../../src/package-root.js';
import type { Harness } from './harness.js';

export interface JobView {
  jobId: string;
  instanceId: string;
  state: string;
  step: string | null;
  strategy: string;
  newInstanceId: string | null;
  error: string | null;
  group: string | null;
  targetImageId: string | null;
  reason: { rule: string }[];
}

/** Replacement settings for tests: rules due at once, fast polling, short health timeout. */
export function remediationEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    DRIFTWARDEN_RULES_DIR: packagePath('test/fixtures/rules-immediate'),
    DRIFTWARDEN_REMEDIATION_MODE: 'enforce',
    DRIFTWARDEN_REMEDIATION_POLL_INTERVAL: '40ms',
    DRIFTWARDEN_REMEDIATION_HEALTH_TIMEOUT: '4s',
    DRIFTWARDEN_REMEDIATION_RETRY_BASE: '50ms',
    DRIFTWARDEN_REMEDIATION_MAX_ATTEMPTS: '3',
    DRIFTWARDEN_REMEDIATION_MAX_PER_HOUR: '100',
    ...extra,
  };
}

export const FAST_LIFECYCLE = { pendingMs: 80, statusCheckMs: 80, terminateMs: 80 };

/** Polls until `check` returns a value (not undefined/false), at most `timeoutMs`. */
export async function waitUntil<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 30_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Up to `count` running instances of a baked image outside any Auto Scaling group. */
export function runningStandalone(h: Harness, count: number): string[] {
  return h.sim.fleet
    .allInstances()
    .filter((i) => i.state === 'running' && i.channel !== null && !i.tags.has('aws:autoscaling:groupName'))
    .slice(0, count)
    .map((i) => i.instanceId);
}

export async function jobs(h: Harness): Promise<JobView[]> {
  const { body } = await h.get<{ items: JobView[] }>('/api/v1/replacements?limit=1000');
  return body.items;
}

export function mutatingCalls(h: Harness, sinceSeq = 0) {
  return h.sim.requestLog().filter((r) => r.mutating && r.seq > sinceSeq);
}

export function lastSeq(h: Harness): number {
  return h.sim.requestLog().at(-1)?.seq ?? 0;
}

/** Runs scans until every job for `instanceIds` has ended (replacement is level-triggered by scans). */
export async function scanUntilSettled(
  h: Harness,
  instanceIds: readonly string[],
  timeoutMs = 60_000,
): Promise<JobView[]> {
  return waitUntil(
    `jobs for ${instanceIds.join(', ')} to end`,
    async () => {
      await h.scan();
      const all = await jobs(h);
      const ended = instanceIds.every((id) =>
        all.some((j) => j.instanceId === id && ['succeeded', 'failed', 'cancelled'].includes(j.state)),
      );
      const open = all.some((j) => ['queued', 'running'].includes(j.state));
      return ended && !open ? all : undefined;
    },
    timeoutMs,
    150,
  );
}
