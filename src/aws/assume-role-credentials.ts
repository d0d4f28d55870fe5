// Temporary credentials for one IAM role from STS AssumeRole: cached, refreshed before they expire, one call in flight.
import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { RetryableError, TerminalError, namedErrorMessage } from '../domain/errors.js';
import { isRetryableAwsError } from './aws-errors.js';

export const ROLE_SESSION_NAME = 'driftwarden';

const FIVE_MINUTES_MS = 5 * 60_000;

export interface AssumeRoleCredentialsOptions {
  /** Signs with the default credential chain; instrumented like every other client. */
  sts: STSClient;
  roleArn: string;
  externalId: string | null;
  /** STS default (3600 s) when unset. */
  durationSeconds?: number;
  /** Injected so tests can move past the refresh point without waiting. */
  now?: () => number;
}

/**
 * How long before `Expiration` credentials are replaced: 5 minutes, like the SDK's own providers,
 * but at most a quarter of the lifetime, so short sessions are not refreshed on every call.
 */
export function refreshMarginMs(lifetimeMs: number): number {
  return Math.min(FIVE_MINUTES_MS, Math.max(0, lifetimeMs) / 4);
}

/**
 * An SDK `credentials` provider. Every client of a role shares one, so a scan of many regions makes
 * one AssumeRole per lifetime, and callers arriving while one is in flight wait for that one.
 * A failure is not cached: the next call (the next scan) tries again.
 */
export function assumeRoleCredentials(options: AssumeRoleCredentialsOptions): AwsCredentialIdentityProvider {
  const now = options.now ?? Date.now;
  let cached: { identity: AwsCredentialIdentity; refreshAtMs: number } | null = null;
  let inFlight: Promise<AwsCredentialIdentity> | null = null;

  const assume = async (): Promise<AwsCredentialIdentity> => {
    const requestedAtMs = now();
    let credentials;
    try {
      const out = await options.sts.send(
        new AssumeRoleCommand({
          RoleArn: options.roleArn,
          RoleSessionName: ROLE_SESSION_NAME,
          ...(options.externalId === null ? {} : { ExternalId: options.externalId }),
          ...(options.durationSeconds === undefined ? {} : { DurationSeconds: options.durationSeconds }),
        }),
      );
      credentials = out.Credentials;
    } catch (error) {
      throw assumeRoleError(options.roleArn, error);
    }
    if (!credentials?.AccessKeyId || !credentials.SecretAccessKey || !credentials.Expiration)
      throw new TerminalError(`AssumeRole ${options.roleArn} failed: STS answered without credentials`);
    const expiration = credentials.Expiration;
    const identity: AwsCredentialIdentity = {
      accessKeyId: credentials.AccessKeyId,
      secretAccessKey: credentials.SecretAccessKey,
      expiration,
      ...(credentials.SessionToken === undefined ? {} : { sessionToken: credentials.SessionToken }),
    };
    const expiresAtMs = expiration.getTime();
    cached = { identity, refreshAtMs: expiresAtMs - refreshMarginMs(expiresAtMs - requestedAtMs) };
    return identity;
  };

  return () => {
    if (cached !== null && now() < cached.refreshAtMs) return Promise.resolve(cached.identity);
    inFlight ??= assume().finally(() => {
      inFlight = null;
    });
    return inFlight;
  };
}

/**
 * Names the role and the AWS error (`AccessDenied: …`), since the target's scan status is all an
 * operator sees; throttling and 5xx stay retryable for replacement jobs.
 */
function assumeRoleError(roleArn: string, error: unknown): Error {
  const message = `AssumeRole ${roleArn} failed: ${namedErrorMessage(error)}`;
  return isRetryableAwsError(error)
    ? new RetryableError(message, { cause: error })
    : new TerminalError(message, { cause: error });
}
