import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS, envVarFor } from '../../src/config/index.js';
import { toScreamingSnake } from '../../src/config/config-keys.js';

describe('config key → environment variable mapping', () => {
  it('splits camelCase into SCREAMING_SNAKE_CASE', () => {
    expect(toScreamingSnake('maxRequestsPerSecond')).toBe('MAX_REQUESTS_PER_SECOND');
    expect(envVarFor(['remediation', 'breaker', 'maxDriftedPercent'])).toBe(
      'DRIFTWARDEN_REMEDIATION_BREAKER_MAX_DRIFTED_PERCENT',
    );
  });

  it('derives one variable per key of the schema, parents before children', () => {
    const vars = CONFIG_KEYS.map((k) => k.envVar);
    expect(vars).toContain('DRIFTWARDEN_HTTP_PORT');
    expect(vars).toContain('DRIFTWARDEN_AWS_PAGE_SIZE');
    expect(vars).toContain('DRIFTWARDEN_TARGETS');
    expect(vars).toContain('DRIFTWARDEN_AUTH_TOKENS');
    expect(vars).not.toContain('DRIFTWARDEN_CONFIG');
    expect(new Set(vars).size).toBe(vars.length);
    expect(vars.indexOf('DRIFTWARDEN_REMEDIATION')).toBeLessThan(
      vars.indexOf('DRIFTWARDEN_REMEDIATION_BREAKER_MIN_DRIFTED'),
    );
  });

  it('takes string keys verbatim and reads the others as YAML', () => {
    const kind = (envVar: string) => CONFIG_KEYS.find((k) => k.envVar === envVar)?.kind;
    expect(kind('DRIFTWARDEN_SCHEDULE')).toBe('text');
    expect(kind('DRIFTWARDEN_LOG_LEVEL')).toBe('text');
    expect(kind('DRIFTWARDEN_HTTP_PORT')).toBe('value');
    expect(kind('DRIFTWARDEN_HTTP')).toBe('section');
  });
});
