// The on-host agent: fingerprint the running instance with the same module as `bake` and push it to the daemon.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { HostSection } from '../domain/types.js';
import { fingerprintHost } from '../host/fingerprint.js';
import {
  SECTION_NAMES,
  sectionDigests,
  type SectionDigests,
  type SectionName,
} from '../app/section-digests.js';
import type { Selection } from '../host/selection.js';
import { MAX_SKIPPED, type Skip } from '../host/skips.js';
import { describeBody, fetchWithRetry, HttpFailure, type RetryOptions } from './http-retry.js';
import { instanceIdFromImds } from './imds.js';

export interface AgentOptions {
  server: string;
  token: string;
  root: string;
  selection: Selection;
  jobs: number;
  /** From --instance-id; otherwise read from IMDSv2 once. */
  instanceId: string | null;
  imdsEndpoint: string;
  retry: Omit<RetryOptions, 'signal' | 'onRetry'>;
  logger: Logger;
  signal?: AbortSignal;
  now?: () => Date;
}

export interface PushResult {
  instanceId: string;
  /** Sections sent in full; the others went as digests the daemon already had. */
  sent: SectionName[];
  bytes: number;
  skipped: Skip[];
}

export interface FingerprintPush {
  instanceId: string;
  observedAt: string;
  digests: SectionDigests;
  host: HostSection;
  skipped?: Skip[];
}

/**
 * At most MAX_SKIPPED entries; when there are more, the last one is "/" (covering every path), so
 * the daemon reports none of the baked files as removed rather than the ones cut from the list.
 */
export function capSkipped(skipped: readonly Skip[]): Skip[] {
  if (skipped.length <= MAX_SKIPPED) return [...skipped];
  const kept = skipped.slice(0, MAX_SKIPPED - 1);
  return [
    ...kept,
    { path: '/', reason: `${skipped.length - kept.length} more paths could not be read (list truncated)` },
  ];
}

export class Agent {
  /** Digests the daemon acknowledged last: unchanged sections are sent as digests only. */
  private acknowledged: SectionDigests = {};
  private instanceId: string | null;

  constructor(private readonly options: AgentOptions) {
    this.instanceId = options.instanceId;
  }

  async pushOnce(): Promise<PushResult> {
    const { logger, signal } = this.options;
    const retry: RetryOptions = {
      ...this.options.retry,
      signal,
      onRetry: (attempt, delayMs, why) =>
        logger.warn({ attempt, retryInMs: Math.round(delayMs) }, `request failed, retrying: ${why}`),
    };
    this.instanceId ??= await instanceIdFromImds(this.options.imdsEndpoint, retry);
    const observedAt = (this.options.now?.() ?? new Date()).toISOString();
    const fingerprint = await fingerprintHost({
      root: this.options.root,
      selection: this.options.selection,
      jobs: this.options.jobs,
      signal,
    });
    for (const skip of fingerprint.skipped) logger.warn({ path: skip.path }, `skipped: ${skip.reason}`);
    const digests = sectionDigests(fingerprint.host);
    const build = (send: (name: SectionName) => boolean): FingerprintPush => {
      const host: HostSection = {};
      for (const name of SECTION_NAMES) {
        const section = fingerprint.host[name];
        if (section !== undefined && send(name)) Object.assign(host, { [name]: section });
      }
      return {
        instanceId: this.instanceId as string,
        observedAt,
        digests,
        host,
        ...(fingerprint.skipped.length > 0 ? { skipped: capSkipped(fingerprint.skipped) } : {}),
      };
    };

    // Sections the daemon acknowledged are sent as digests only. With nothing acknowledged yet (a
    // new process, e.g. every run of the systemd timer) everything goes as digests first: the
    // daemon usually has the sections from the last run, and otherwise names the ones it lacks.
    const known = Object.keys(this.acknowledged).length > 0;
    let push = build((name) => known && this.acknowledged[name] !== digests[name]);
    let answer = await this.post(push, retry);
    const missing = (answer.body as { missing?: unknown } | null)?.missing;
    if (answer.status === 409 && Array.isArray(missing)) {
      logger.info({ missing }, 'the daemon asked for sections in full');
      const sent = push.host;
      push = build((name) => sent[name] !== undefined || missing.includes(name));
      answer = await this.post(push, retry);
    }
    if (answer.status !== 202) {
      this.acknowledged = {};
      const hint =
        answer.status === 413
          ? ` The push was ${answer.bytes} bytes: raise http.bodyLimit on the daemon or select fewer files (--select).`
          : '';
      throw new HttpFailure(
        answer.status,
        `${this.options.server} refused the fingerprint: HTTP ${answer.status}: ${answer.text}${hint}`,
        answer.body,
      );
    }
    this.acknowledged = digests;
    return {
      instanceId: push.instanceId,
      sent: SECTION_NAMES.filter((name) => push.host[name] !== undefined),
      bytes: answer.bytes,
      skipped: fingerprint.skipped,
    };
  }

  /** One push, logged either way; true when the daemon accepted it. */
  async pushAndLog(): Promise<boolean> {
    const { logger } = this.options;
    try {
      const result = await this.pushOnce();
      const { instanceId, sent, bytes } = result;
      logger.info({ instanceId, sent, bytes, skipped: result.skipped.length }, 'fingerprint pushed');
      return true;
    } catch (error) {
      if (this.options.signal?.aborted) return false;
      logger.error({ status: (error as HttpFailure).status ?? null }, (error as Error).message);
      return false;
    }
  }

  /** Pushes every `intervalMs` until the signal aborts; a failed push is logged and retried next time. */
  async run(intervalMs: number): Promise<void> {
    const { signal } = this.options;
    while (!signal?.aborted) {
      await this.pushAndLog();
      try {
        await sleep(intervalMs, undefined, { signal });
      } catch {
        break;
      }
    }
  }

  private async post(
    push: FingerprintPush,
    retry: RetryOptions,
  ): Promise<{ status: number; text: string; body: unknown; bytes: number }> {
    const payload = JSON.stringify(push);
    const response = await fetchWithRetry(
      `${this.options.server.replace(/\/+$/, '')}/api/v1/fingerprints`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${this.options.token}`, 'content-type': 'application/json' },
        body: payload,
      },
      retry,
    );
    const { text, body } = await describeBody(response);
    return { status: response.status, text, body, bytes: Buffer.byteLength(payload) };
  }
}
