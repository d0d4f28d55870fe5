// fetch with a timeout and bounded, jittered exponential backoff for the agent (network errors, 429, 5xx).
import { setTimeout as sleep } from 'node:timers/promises';
import { retryDelayMs } from '../core/remediation-backoff.js';

export interface RetryOptions {
  attempts: number;
  baseMs: number;
  maxMs: number;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Called before each wait, for a log line. */
  onRetry?(attempt: number, delayMs: number, why: string): void;
}

/** A non-retryable HTTP answer (or retries used up): status and the server's own words. */
export class HttpFailure extends Error {
  constructor(
    readonly status: number | null,
    message: string,
    readonly body: unknown = null,
  ) {
    super(message);
    this.name = 'HttpFailure';
  }
}

function retryable(status: number): boolean {
  return status === 429 || status >= 500;
}

/** problem+json `detail`, or the start of a text body. */
export async function describeBody(response: Response): Promise<{ text: string; body: unknown }> {
  const text = await response.text();
  try {
    const body = JSON.parse(text) as { detail?: unknown; title?: unknown } | null;
    const said = [body?.detail, body?.title].find((v): v is string => typeof v === 'string');
    return { text: said ?? text.slice(0, 300), body };
  } catch {
    return { text: text.slice(0, 300), body: null };
  }
}

/**
 * Retries network errors, timeouts, 429 and 5xx (honouring Retry-After up to maxMs); returns any
 * other response to the caller. Jitter spreads a fleet of agents that failed together.
 */
export async function fetchWithRetry(
  url: string,
  init: RequestInit,
  options: RetryOptions,
): Promise<Response> {
  // The final error names what was asked of whom: "daemon down" and "not on EC2" read alike otherwise.
  const target = `${init.method ?? 'GET'} ${url}`;
  for (let attempt = 1; ; attempt += 1) {
    let why: string;
    let retryAfterMs: number | null = null;
    try {
      const signal = options.signal
        ? AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs)])
        : AbortSignal.timeout(options.timeoutMs);
      const response = await fetch(url, { ...init, signal });
      if (!retryable(response.status)) return response;
      const { text } = await describeBody(response);
      why = `HTTP ${response.status}: ${text}`;
      const header = Number(response.headers.get('retry-after'));
      if (Number.isFinite(header) && header > 0) retryAfterMs = header * 1000;
      if (attempt >= options.attempts)
        throw new HttpFailure(response.status, `${target}: ${why} (after ${attempt} attempts)`);
    } catch (error) {
      if (error instanceof HttpFailure) throw error;
      options.signal?.throwIfAborted();
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      why =
        (error as Error).name === 'TimeoutError'
          ? `no answer within ${options.timeoutMs} ms`
          : `${(error as Error).message}${cause ? ` (${cause})` : ''}`;
      if (attempt >= options.attempts)
        throw new HttpFailure(null, `${target}: ${why} (after ${attempt} attempts)`);
    }
    const backoff = retryDelayMs(attempt, { baseMs: options.baseMs, maxMs: options.maxMs });
    const delay = Math.min(options.maxMs, retryAfterMs ?? backoff * (0.5 + Math.random() / 2));
    options.onRetry?.(attempt, delay, why);
    await sleep(delay, undefined, { signal: options.signal });
  }
}
