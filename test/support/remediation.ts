// Helpers for replacement tests: enforce-mode settings, bounded waits, job and request-log views.
import { packagePath } from '../../src/package-root.js';
import { expect } from 'vitest';
import { metricValue, type Harness } from './harness.js';

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
  waitReason: { code: string; text: string; since: string } | null;
  note: string | null;
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

/**
 * Runs `count` whole remediation ticks (each started after the call) and waits for them: assertions
 * after this see what the loop did, so "nothing happened" cannot pass just because no tick ran yet.
 */
export async function tick(h: Harness, count = 1): Promise<void> {
  for (let n = 0; n < count; n++) await h.daemon.remediation.tickAfterIdle();
}

/** Launches `count` standalone instances of the newest us-east-1 build (outside any Auto Scaling group). */
export async function launchStandalone(h: Harness, count: number): Promise<string[]> {
  const image = h.sim.fleet.images.find((i) => i.region === 'us-east-1')!;
  const newest = h.sim.fleet.newestImage('us-east-1', image.channel)!;
  const ids: string[] = [];
  for (let n = 0; n < count; n++) {
    ids.push(
      (
        await h.control.launch({
          region: 'us-east-1',
          imageId: newest.imageId,
          tags: { 'managed-by': 'packer' },
        })
      ).instanceId,
    );
  }
  return ids;
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

interface InstanceRemediation {
  remediation: { reason: { code: string; text: string; since: string; jobId?: string } | null };
}

/**
 * Checks that one instance's wait reason shows everywhere a user looks: the instance API, the
 * instance page, and `driftwarden_remediation_blocked{reason}`. Returns the API's reason.
 */
export async function expectReasonShown(
  h: Harness,
  instanceId: string,
  code: string,
): Promise<{ code: string; text: string; since: string; jobId?: string }> {
  const { body } = await h.get<InstanceRemediation>(`/api/v1/instances/${instanceId}`);
  const reason = body.remediation.reason;
  expect(reason, `the API's reason for ${instanceId}`).toMatchObject({ code });
  const { text } = reason!;
  expect(text.length).toBeGreaterThan(0);
  const page = await h.get<string>(`/ui/instances/${instanceId}`);
  expect(page.body).toContain(`data-reason-code="${code}"`);
  expect(page.body).toContain(escapeHtml(text));
  const metric = metricValue(await h.metrics(), 'driftwarden_remediation_blocked', { reason: code });
  expect(metric, `driftwarden_remediation_blocked{reason="${code}"}`).toBeGreaterThanOrEqual(1);
  return reason!;
}

function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}
