// Posts a replacement to an external deployer, signed with HMAC-SHA256 so it can verify the sender.
import { createHmac } from 'node:crypto';

export interface WebhookTarget {
  url: string;
  secret: string;
  timeoutMs: number;
}

export const SIGNATURE_HEADER = 'x-driftwarden-signature';

export function signBody(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * Resolves to the HTTP status; network failures reject (and are retried by the job runner). `signal`
 * (shutdown) aborts the delivery in flight; the job's step runs again at the next start.
 */
export async function postWebhook(
  target: WebhookTarget | null,
  payload: unknown,
  signal?: AbortSignal,
): Promise<number> {
  if (target === null) throw new Error('remediation.webhook is not configured');
  const body = JSON.stringify(payload);
  const response = await fetch(target.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      [SIGNATURE_HEADER]: signBody(body, target.secret),
      // The job id lets the deployer de-duplicate a delivery repeated after a crash.
      'x-driftwarden-job': (payload as { jobId?: string }).jobId ?? '',
    },
    body,
    signal: signal
      ? AbortSignal.any([AbortSignal.timeout(target.timeoutMs), signal])
      : AbortSignal.timeout(target.timeoutMs),
  });
  await response.body?.cancel();
  return response.status;
}
