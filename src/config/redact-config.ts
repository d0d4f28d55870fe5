// A copy of the Config that is safe to log or print (`--print-config`): no secrets.
import type { Config } from './config.js';
import { deepFreeze } from './deep-freeze.js';

export const REDACTED = '[redacted]';

export function redactConfig(config: Config): Config {
  const redacted: Config = {
    ...config,
    aws: { ...config.aws, endpoint: redactUrlPassword(config.aws.endpoint) },
    auth: { tokens: config.auth.tokens.map((t) => ({ ...t, token: REDACTED })) },
    remediation: {
      ...config.remediation,
      webhook:
        config.remediation.webhook === null ? null : { ...config.remediation.webhook, secret: REDACTED },
    },
  };
  deepFreeze(redacted);
  return redacted;
}

// An endpoint may embed basic-auth credentials (a proxy in front of the simulator, say).
function redactUrlPassword(url: string | null): string | null {
  if (url === null || !URL.canParse(url)) return url;
  const parsed = new URL(url);
  if (parsed.password === '') return url;
  parsed.password = REDACTED;
  return parsed.toString();
}
