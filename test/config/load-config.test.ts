import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, redactConfig, REDACTED, type Config } from '../../src/config/index.js';
import { ValidationError } from '../../src/domain/errors.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'driftwarden-config-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function writeConfig(text: string, name = 'driftwarden.yaml'): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** Runs loadConfig expecting failure; returns the ValidationError. */
function loadError(options: Parameters<typeof loadConfig>[0]): ValidationError {
  try {
    loadConfig(options);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }
  throw new Error('expected loadConfig to fail');
}

const TOKEN = 'a-very-long-secret-token-0123456789';

describe('loadConfig', () => {
  it('returns documented defaults when there is no file and no environment', () => {
    const config = loadConfig({ env: {}, cwd: dir });
    expect(config.file).toBeNull();
    expect(config.database.path).toBe(join(dir, 'data/driftwarden.db'));
    const day = 86_400_000;
    expect(config.database.retention).toEqual({
      goneInstances: '90d',
      goneInstancesMs: 90 * day,
      resolvedFindings: '90d',
      resolvedFindingsMs: 90 * day,
      scans: '30d',
      scansMs: 30 * day,
      hostObservations: '30d',
      hostObservationsMs: 30 * day,
      audit: '365d',
      auditMs: 365 * day,
    });
    expect(config.http).toEqual({
      host: '127.0.0.1',
      port: 9750,
      bodyLimit: '1mb',
      bodyLimitBytes: 1024 * 1024,
    });
    expect(config.schedule).toBe('*/1 * * * *');
    expect(config.scan).toEqual({
      timeout: '5m',
      timeoutMs: 300_000,
      staleAfter: '3m',
      staleAfterMs: 180_000,
      maxFindingsPerSection: 200,
      thread: true,
      niceness: 10,
      // Half the memory the process may use, at most 1 GiB (this machine has more than 2 GiB).
      maxHeapMb: 1024,
    });
    expect(config.aws).toEqual({
      endpoint: null,
      maxRequestsPerSecond: 10,
      maxAttempts: 3,
      pageSize: 1000,
      listPartitions: 4,
      // The cores beyond the main and scan threads', at most 4.
      listThreads: Math.max(0, Math.min(4, availableParallelism() - 2)),
    });
    expect(config.targets).toEqual([
      { account: null, regions: ['us-east-1'], roleArn: null, externalId: null, filters: {} },
    ]);
    expect(config.rules.dir).toBe(join(dir, 'rules'));
    expect(config.fingerprints.maxAgeMs).toBe(15 * 60_000);
    expect(config.sources).toEqual({ awsConfig: { enabled: false, maxAge: '2h', maxAgeMs: 7_200_000 } });
    expect(config.metrics.instanceDriftLimit).toBe(1000);
    expect(config.remediation).toEqual({
      mode: 'dry-run',
      maxConcurrent: 1,
      maxPerHour: 10,
      maxUnavailablePercent: 10,
      breaker: { maxDriftedPercent: 30, minDrifted: 3 },
      protectTag: 'driftwarden:protect',
      strategy: 'auto',
      healthTimeout: '10m',
      healthTimeoutMs: 600_000,
      pollInterval: '5s',
      pollIntervalMs: 5_000,
      maxAttempts: 5,
      failureCooldown: '6h',
      failureCooldownMs: 21_600_000,
      retryBase: '10s',
      retryBaseMs: 10_000,
      preserveEvidence: false,
      asgSurge: true,
      maintenanceWindows: [],
      webhook: null,
    });
    expect(config.auth.tokens).toEqual([]);
    expect(config.log.level).toBe('info');
  });

  it('reads values from the file given as argument', () => {
    const file = writeConfig(
      [
        'http: { host: 0.0.0.0, port: 8080, bodyLimit: 256kb }',
        'schedule: "0 */5 * * * *"',
        'scan: { timeout: 90s, staleAfter: 1h30m }',
        'aws: { endpoint: "http://127.0.0.1:4566", maxRequestsPerSecond: 2.5, pageSize: 50 }',
        'targets:',
        '  - account: "123456789012"',
        '    regions: [eu-west-1, us-gov-west-1]',
        '    roleArn: arn:aws:iam::123456789012:role/driftwarden',
        '    externalId: ext-1',
        '    filters: { "tag:managed-by": [packer], instance-type: t3.small }',
        'remediation: { mode: enforce, breaker: { minDrifted: 5 } }',
        'log: { level: debug }',
      ].join('\n'),
      'custom.yaml',
    );
    const config = loadConfig({ file, env: {} });
    expect(config.file).toBe(file);
    expect(config.http).toEqual({
      host: '0.0.0.0',
      port: 8080,
      bodyLimit: '256kb',
      bodyLimitBytes: 256 * 1024,
    });
    expect(config.schedule).toBe('0 */5 * * * *');
    expect(config.scan.timeoutMs).toBe(90_000);
    expect(config.scan.staleAfterMs).toBe(90 * 60_000);
    expect(config.aws.endpoint).toBe('http://127.0.0.1:4566');
    expect(config.aws.maxRequestsPerSecond).toBe(2.5);
    expect(config.targets[0]).toEqual({
      account: '123456789012',
      regions: ['eu-west-1', 'us-gov-west-1'],
      roleArn: 'arn:aws:iam::123456789012:role/driftwarden',
      externalId: 'ext-1',
      filters: { 'tag:managed-by': ['packer'], 'instance-type': ['t3.small'] },
    });
    expect(config.remediation.mode).toBe('enforce');
    expect(config.remediation.breaker).toEqual({ maxDriftedPercent: 30, minDrifted: 5 });
    expect(config.log.level).toBe('debug');
  });

  it('finds the file through DRIFTWARDEN_CONFIG, then ./driftwarden.yaml in the working directory', () => {
    const viaEnv = writeConfig('http: { port: 1111 }', 'other.yaml');
    expect(loadConfig({ env: { DRIFTWARDEN_CONFIG: viaEnv }, cwd: dir }).http.port).toBe(1111);
    writeConfig('http: { port: 2222 }');
    expect(loadConfig({ env: {}, cwd: dir }).http.port).toBe(2222);
    expect(loadConfig({ file: viaEnv, env: {}, cwd: dir }).http.port).toBe(1111);
  });

  it('treats an empty file and empty sections as defaults', () => {
    const file = writeConfig('# everything commented out\nhttp:\n  # port: 1\n');
    const config = loadConfig({ file, env: {} });
    expect(config.http.port).toBe(9750);
  });

  it('lets an environment variable beat the file', () => {
    const file = writeConfig(
      'http: { port: 8080 }\ndatabase: { path: ./from-file.db }\nlog: { level: warn }',
    );
    const config = loadConfig({
      file,
      env: {
        DRIFTWARDEN_HTTP_PORT: '9999',
        DRIFTWARDEN_DATABASE_PATH: '/var/lib/dw.db',
        DRIFTWARDEN_LOG_LEVEL: 'error',
      },
    });
    expect(config.http.port).toBe(9999);
    expect(config.database.path).toBe('/var/lib/dw.db');
    expect(config.log.level).toBe('error');
  });

  it('maps nested camelCase keys to SCREAMING_SNAKE_CASE variables', () => {
    const config = loadConfig({
      env: {
        DRIFTWARDEN_AWS_MAX_REQUESTS_PER_SECOND: '5',
        DRIFTWARDEN_REMEDIATION_BREAKER_MAX_DRIFTED_PERCENT: '40',
        DRIFTWARDEN_SCAN_STALE_AFTER: '10m',
        DRIFTWARDEN_SCHEDULE: '*/5 * * * *',
        DRIFTWARDEN_AWS_ENDPOINT: 'null',
      },
      cwd: dir,
    });
    expect(config.aws.maxRequestsPerSecond).toBe(5);
    expect(config.remediation.breaker.maxDriftedPercent).toBe(40);
    expect(config.scan.staleAfterMs).toBe(600_000);
    expect(config.schedule).toBe('*/5 * * * *');
    expect(config.aws.endpoint).toBeNull();
  });

  it('reads list overrides as YAML flow and ignores variables that name no key', () => {
    const config = loadConfig({
      env: {
        DRIFTWARDEN_TARGETS: '[{regions: [eu-west-1], filters: {"tag:team": [web]}}]',
        DRIFTWARDEN_NOT_A_KEY: 'whatever',
        DRIFTWARDEN_CI_TOKEN: TOKEN,
      },
      cwd: dir,
    });
    expect(config.targets).toEqual([
      {
        account: null,
        regions: ['eu-west-1'],
        roleArn: null,
        externalId: null,
        filters: { 'tag:team': ['web'] },
      },
    ]);
  });

  it('applies a section override before a deeper one', () => {
    const config = loadConfig({
      env: { DRIFTWARDEN_HTTP: '{port: 1234, host: 0.0.0.0}', DRIFTWARDEN_HTTP_PORT: '4321' },
      cwd: dir,
    });
    expect(config.http.host).toBe('0.0.0.0');
    expect(config.http.port).toBe(4321);
  });

  it('falls back to AWS_ENDPOINT_URL only when aws.endpoint is null', () => {
    expect(loadConfig({ env: { AWS_ENDPOINT_URL: 'http://sim:4000' }, cwd: dir }).aws.endpoint).toBe(
      'http://sim:4000',
    );
    const file = writeConfig('aws: { endpoint: "http://explicit:1" }');
    expect(loadConfig({ file, env: { AWS_ENDPOINT_URL: 'http://sim:4000' } }).aws.endpoint).toBe(
      'http://explicit:1',
    );
  });

  it('names file, line and key for an invalid port in the file', () => {
    const file = writeConfig('database: { path: x.db }\nhttp:\n  host: 127.0.0.1\n  port: 70000\n');
    const error = loadError({ file, env: {} });
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]).toMatch(
      new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4: http\\.port: `),
    );
    expect(error.message).toContain('driftwarden.yaml:4: http.port');
  });

  it('names the environment variable and the key for an invalid override', () => {
    const file = writeConfig('http: { port: 8080 }');
    const error = loadError({ file, env: { DRIFTWARDEN_HTTP_PORT: 'eighty' } });
    expect(error.issues).toEqual([
      expect.stringMatching(/^env DRIFTWARDEN_HTTP_PORT: http\.port: .*expected number/),
    ]);
  });

  it('names the variable when an override is not valid YAML', () => {
    const error = loadError({ env: { DRIFTWARDEN_TARGETS: '[{regions: [eu-west-1]' }, cwd: dir });
    expect(error.issues[0]).toMatch(/^env DRIFTWARDEN_TARGETS: targets: not valid YAML/);
  });

  it('names unknown keys, with the line and the valid keys', () => {
    const file = writeConfig('http:\n  prot: 80\nremediaton: {}\n');
    const error = loadError({ file, env: {} });
    expect(error.issues).toEqual([
      expect.stringMatching(
        /driftwarden\.yaml:2: http\.prot: unknown key \(valid keys: host, port, bodyLimit\)$/,
      ),
      expect.stringMatching(/driftwarden\.yaml:3: remediaton: unknown key/),
    ]);
  });

  it('refuses a NUL or another control character in a host or path, naming the key', () => {
    const file = writeConfig(
      'database:\n  path: "./data/\\tdw.db"\nhttp:\n  host: "127.0.0.1\\0.evil.example"\nrules:\n  dir: "./ru\\x7fles"\n',
    );
    const error = loadError({ file, env: {} });
    expect(error.issues).toEqual([
      expect.stringMatching(
        /driftwarden\.yaml:2: database\.path: must not contain control characters \(U\+0009 at position 8\)$/,
      ),
      expect.stringMatching(
        /driftwarden\.yaml:4: http\.host: must not contain control characters \(U\+0000 at position 10\)$/,
      ),
      expect.stringMatching(
        /driftwarden\.yaml:6: rules\.dir: must not contain control characters \(U\+007F at position 5\)$/,
      ),
    ]);
  });

  it('refuses a YAML bomb (aliases expanding without bound) naming the file', () => {
    const file = writeConfig(
      [
        'a: &a [x, x, x, x, x, x, x, x, x]',
        'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]',
        'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]',
        'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]',
        'e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]',
        'f: [*e, *e, *e, *e, *e, *e, *e, *e, *e]',
        '',
      ].join('\n'),
    );
    const error = loadError({ file, env: {} });
    expect(error.message).toMatch(/^.*driftwarden\.yaml: invalid YAML/);
    expect(error.issues).toEqual([
      expect.stringMatching(/driftwarden\.yaml: too many alias expansions \(more than \d+ for one alias\)/),
    ]);
    expect(error.location).toBe(file);
  });

  it('lists the first 100 of 40,000 unknown keys with their lines, then how many more', () => {
    const keys = Array.from({ length: 40_000 }, (_, i) => `  unknown${i}: 1`);
    const file = writeConfig(`http:\n${keys.join('\n')}\n`);
    const error = loadError({ file, env: {} });
    expect(error.issues).toHaveLength(101);
    expect(error.issues[0]).toMatch(/driftwarden\.yaml:2: http\.unknown0: unknown key \(valid keys: /);
    expect(error.issues[99]).toMatch(/driftwarden\.yaml:101: http\.unknown99: unknown key/);
    expect(error.issues[100]).toBe('… and 39900 more problems');
  });

  it('enables the AWS Config source from the environment, and names the key of a bad maxAge', () => {
    const config = loadConfig({
      env: { DRIFTWARDEN_SOURCES_AWS_CONFIG_ENABLED: 'true', DRIFTWARDEN_SOURCES_AWS_CONFIG_MAX_AGE: '30m' },
      cwd: dir,
    });
    expect(config.sources.awsConfig).toEqual({ enabled: true, maxAge: '30m', maxAgeMs: 1_800_000 });
    const file = writeConfig('sources:\n  awsConfig: { enabled: yes-please, maxAge: 0s }\n');
    const error = loadError({ file, env: {} });
    expect(error.issues).toEqual([
      expect.stringMatching(/:2: sources\.awsConfig\.enabled: .*boolean/),
      expect.stringMatching(/:2: sources\.awsConfig\.maxAge: expected a positive duration/),
    ]);
  });

  it('keeps the audit longest: refuses an audit retention shorter than another, naming both keys', () => {
    const file = writeConfig(
      'database:\n  retention: { goneInstances: 10d, resolvedFindings: 10d, scans: 60d, hostObservations: 10d, audit: 30d }\n',
    );
    const error = loadError({ file, env: {} });
    expect(error.issues).toEqual([
      expect.stringMatching(
        /:2: database\.retention\.audit: must be at least database\.retention\.scans \(60d\): audit is kept longest/,
      ),
    ]);
    const config = loadConfig({ env: { DRIFTWARDEN_DATABASE_RETENTION_SCANS: '7d' }, cwd: dir });
    expect(config.database.retention.scansMs).toBe(7 * 86_400_000);
  });

  it('rejects a bad duration', () => {
    const file = writeConfig('scan: { timeout: 5 minutes }');
    const error = loadError({ file, env: {} });
    expect(error.issues).toEqual([expect.stringMatching(/:1: scan\.timeout: expected a positive duration/)]);
  });

  it('rejects a bad cron expression, naming the bad field', () => {
    const error = loadError({ env: { DRIFTWARDEN_SCHEDULE: '*/1 25 * * *' }, cwd: dir });
    expect(error.issues).toEqual([
      expect.stringMatching(/^env DRIFTWARDEN_SCHEDULE: schedule: .*hour field "25" is invalid/),
    ]);
    const tooFew = loadError({ env: { DRIFTWARDEN_SCHEDULE: '* * *' }, cwd: dir });
    expect(tooFew.issues[0]).toMatch(/expected 5 or 6 fields but got 3/);
  });

  it('rejects a malformed region, role ARN and mismatching account', () => {
    const file = writeConfig(
      [
        'targets:',
        '  - regions: [us-east-1, useast1]',
        '  - account: "111111111111"',
        '    regions: [eu-west-1]',
        '    roleArn: arn:aws:iam::222222222222:role/x',
        '  - regions: [eu-west-1]',
        '    roleArn: not-an-arn',
      ].join('\n'),
    );
    const error = loadError({ file, env: {} });
    expect(error.issues).toHaveLength(3);
    expect(error.issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/:2: targets\[0\]\.regions\[1\]: expected an AWS region/),
        expect.stringMatching(/:7: targets\[2\]\.roleArn: expected an IAM role ARN/),
        expect.stringMatching(
          /:3: targets\[1\]\.account: account 111111111111 does not match .* \(222222222222\)/,
        ),
      ]),
    );
  });

  it('rejects the same region scanned twice with the same credentials', () => {
    const error = loadError({
      env: { DRIFTWARDEN_TARGETS: '[{regions: [us-east-1]}, {regions: [eu-west-1, us-east-1]}]' },
      cwd: dir,
    });
    expect(error.issues).toEqual([
      expect.stringMatching(
        /targets\[1\]\.regions\[1\]: region us-east-1 is already scanned .* targets\[0\]/,
      ),
    ]);
  });

  it('resolves env: token references from the given environment', () => {
    const file = writeConfig(
      'auth:\n  tokens:\n    - { name: ci, token: "env:DW_CI_TOKEN", scopes: [ingest, ingest, admin] }\n',
    );
    const config = loadConfig({ file, env: { DW_CI_TOKEN: TOKEN } });
    expect(config.auth.tokens).toEqual([{ name: 'ci', token: TOKEN, scopes: ['admin', 'ingest'] }]);
  });

  it('names the key and the variable when a token reference is unset', () => {
    const file = writeConfig(
      'auth:\n  tokens:\n    - { name: ci, token: "env:DW_CI_TOKEN", scopes: [ingest] }\n',
    );
    const error = loadError({ file, env: {} });
    expect(error.issues).toEqual([
      expect.stringMatching(
        /driftwarden\.yaml:3: auth\.tokens\[0\]\.token: environment variable DW_CI_TOKEN is not set$/,
      ),
    ]);
  });

  it('rejects short tokens and duplicate token names', () => {
    const file = writeConfig(
      'auth:\n  tokens:\n    - { name: ci, token: short, scopes: [scan] }\n    - { name: ci, token: "env:SHORT", scopes: [scan] }\n',
    );
    const error = loadError({ file, env: { SHORT: 'abc' } });
    expect(error.issues).toEqual([
      expect.stringMatching(/:3: auth\.tokens\[0\]\.token: token must be at least 16 characters/),
      expect.stringMatching(/:4: auth\.tokens\[1\]\.name: duplicate token name/),
    ]);
    expect(error.message).not.toContain('short,');
  });

  it('resolves relative paths against the config file directory', () => {
    mkdirSync(join(dir, 'etc'));
    const file = writeConfig(
      'database: { path: ../data/dw.db }\nrules: { dir: rules.d }\n',
      'etc/driftwarden.yaml',
    );
    const config = loadConfig({ file, env: {}, cwd: '/' });
    expect(config.database.path).toBe(join(dir, 'data/dw.db'));
    expect(config.rules.dir).toBe(join(dir, 'etc/rules.d'));
    expect(loadConfig({ env: { DRIFTWARDEN_DATABASE_PATH: ':memory:' }, cwd: dir }).database.path).toBe(
      ':memory:',
    );
  });

  it('names the path of a file it cannot read', () => {
    const missing = join(dir, 'missing.yaml');
    const error = loadError({ file: missing, env: {} });
    expect(error.message).toBe(`cannot read config file ${missing}: ENOENT`);
  });

  it('reports invalid YAML with file and line', () => {
    const file = writeConfig('http:\n  port: [1\n');
    const error = loadError({ file, env: {} });
    expect(error.issues[0]).toMatch(/driftwarden\.yaml:\d+:\d+: /);
  });

  it('returns a deeply frozen config', () => {
    const config = loadConfig({
      env: { DRIFTWARDEN_AUTH_TOKENS: `[{name: ci, token: ${TOKEN}, scopes: [scan]}]` },
      cwd: dir,
    });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.http)).toBe(true);
    expect(Object.isFrozen(config.targets[0]?.regions)).toBe(true);
    expect(Object.isFrozen(config.auth.tokens[0]?.scopes)).toBe(true);
    expect(() => {
      (config.http as { port: number }).port = 1;
    }).toThrow(TypeError);
  });
});

describe('redactConfig', () => {
  it('replaces every token secret and leaves the original intact', () => {
    const config: Config = loadConfig({
      env: {
        DRIFTWARDEN_AUTH_TOKENS: `[{name: ci, token: ${TOKEN}, scopes: [scan]}]`,
        DRIFTWARDEN_AWS_ENDPOINT: 'http://user:pass@sim:4000/',
      },
      cwd: dir,
    });
    const redacted = redactConfig(config);
    expect(redacted.auth.tokens).toEqual([{ name: 'ci', token: REDACTED, scopes: ['scan'] }]);
    expect(JSON.stringify(redacted)).not.toContain(TOKEN);
    expect(JSON.stringify(redacted)).not.toContain('pass@');
    expect(config.auth.tokens[0]?.token).toBe(TOKEN);
  });

  it('requires remediation.webhook when the strategy is webhook, and a long enough literal secret', () => {
    expect(() => loadConfig({ env: { DRIFTWARDEN_REMEDIATION_STRATEGY: 'webhook' } })).toThrow(
      /remediation\.webhook: strategy webhook needs remediation\.webhook/,
    );
    expect(() =>
      loadConfig({
        env: {
          DRIFTWARDEN_REMEDIATION_STRATEGY: 'webhook',
          DRIFTWARDEN_REMEDIATION_WEBHOOK: '{url: "https://deployer.example/replace", secret: short}',
        },
      }),
    ).toThrow(/remediation\.webhook\.secret: secret must be at least 16 characters/);
  });
});
