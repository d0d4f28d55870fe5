// Classifies AWS SDK and network errors once, with the SDK's own rules: throttled, worth retrying, or final.
import { isRetryableByTrait, isServerError, isThrottlingError, isTransientError } from '@smithy/core/retry';
import type { SdkError } from '@smithy/types';

/**
 * Failures the SDK's classification does not name but a later attempt may fix: EC2 running out of
 * an instance type in a zone, and undici's socket errors (fetch() keeps their code in `cause`).
 */
const ALSO_RETRYABLE_NAMES = new Set(['InsufficientInstanceCapacity']);
const ALSO_RETRYABLE_CODES = new Set(['UND_ERR_SOCKET']);

function asSdkError(error: unknown): SdkError | null {
  return typeof error === 'object' && error !== null ? (error as SdkError) : null;
}

/** Throttling by name (`Throttling`, `RequestLimitExceeded`, …), HTTP 429 or the SDK's throttling trait. */
export function isThrottled(error: unknown): boolean {
  const e = asSdkError(error);
  return e !== null && isThrottlingError(e);
}

/** Throttling, transient and server faults, network failures (also nested in `cause`), and the SDK's retry hints. */
export function isRetryableAwsError(error: unknown): boolean {
  const e = asSdkError(error);
  if (e === null) return false;
  const { code, cause } = error as { code?: unknown; cause?: { code?: unknown } };
  const networkCode = code ?? cause?.code;
  return (
    isRetryableByTrait(e) ||
    isThrottlingError(e) ||
    isTransientError(e) ||
    isServerError(e) ||
    // A modelled server fault carries no HTTP status when it is built outside a response.
    e.$fault === 'server' ||
    ALSO_RETRYABLE_NAMES.has(e.name) ||
    (typeof networkCode === 'string' && ALSO_RETRYABLE_CODES.has(networkCode))
  );
}
