// Targets with a roleArn: the account comes from the ARN, and a contradicting account is an error naming the key.
import { describe, expect, it } from 'vitest';
import { roleArnAccount } from '../../src/config/aws-patterns.js';
import { loadConfig } from '../../src/config/index.js';
import { ValidationError } from '../../src/domain/errors.js';
import { expandTargets } from '../../src/main.js';

const targetsEnv = (targets: unknown) => ({ DRIFTWARDEN_TARGETS: JSON.stringify(targets) });

function issuesOf(env: Record<string, string>): string[] {
  try {
    loadConfig({ file: null, cwd: '/', env });
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).issues;
  }
  throw new Error('expected loadConfig to fail');
}

describe('roleArnAccount', () => {
  it('reads the account id of a role ARN in any partition', () => {
    expect(roleArnAccount('arn:aws:iam::123456789012:role/driftwarden')).toBe('123456789012');
    expect(roleArnAccount('arn:aws-us-gov:iam::210987654321:role/path/to/scan')).toBe('210987654321');
    expect(roleArnAccount('arn:aws-cn:iam::000000000042:role/x')).toBe('000000000042');
  });

  it('is null for no ARN or something that is not a role ARN', () => {
    expect(roleArnAccount(null)).toBeNull();
    expect(roleArnAccount('arn:aws:iam::123456789012:user/alice')).toBeNull();
    expect(roleArnAccount('arn:aws:iam::12345:role/x')).toBeNull();
    expect(roleArnAccount('driftwarden')).toBeNull();
  });
});

describe('targets with a roleArn', () => {
  it('takes the account from the ARN when none is given, so every region of the target carries it', () => {
    const config = loadConfig({
      file: null,
      cwd: '/',
      env: targetsEnv([
        { regions: ['us-east-1'] },
        {
          roleArn: 'arn:aws:iam::210987654321:role/scan',
          externalId: 'ops-4711',
          regions: ['us-east-1', 'eu-west-1'],
        },
      ]),
    });
    expect(config.targets[0]?.account).toBeNull();
    expect(config.targets[1]).toMatchObject({ account: '210987654321', externalId: 'ops-4711' });
    expect(expandTargets(config).map((t) => [t.account, t.region, t.roleArn, t.externalId])).toEqual([
      [null, 'us-east-1', null, null],
      ['210987654321', 'us-east-1', 'arn:aws:iam::210987654321:role/scan', 'ops-4711'],
      ['210987654321', 'eu-west-1', 'arn:aws:iam::210987654321:role/scan', 'ops-4711'],
    ]);
  });

  it('keeps an account that agrees with the ARN', () => {
    const config = loadConfig({
      file: null,
      cwd: '/',
      env: targetsEnv([
        { account: '210987654321', roleArn: 'arn:aws:iam::210987654321:role/scan', regions: ['us-east-1'] },
      ]),
    });
    expect(config.targets[0]?.account).toBe('210987654321');
  });

  it('rejects an account that contradicts the ARN, naming targets[N].account', () => {
    const issues = issuesOf(
      targetsEnv([
        { regions: ['us-east-1'] },
        { account: '111111111111', roleArn: 'arn:aws:iam::210987654321:role/scan', regions: ['us-east-1'] },
      ]),
    );
    expect(issues).toEqual([
      expect.stringMatching(
        /^env DRIFTWARDEN_TARGETS: targets\[1\]\.account: account 111111111111 does not match the account of roleArn \(210987654321\)$/,
      ),
    ]);
  });

  it('rejects an externalId without a roleArn', () => {
    expect(issuesOf(targetsEnv([{ regions: ['us-east-1'], externalId: 'ops-4711' }]))).toEqual([
      expect.stringMatching(/targets\[0\]\.externalId: externalId needs a roleArn$/),
    ]);
  });

  it('treats a role with and without its (derived) account as the same credentials: no region twice', () => {
    const issues = issuesOf(
      targetsEnv([
        { roleArn: 'arn:aws:iam::210987654321:role/scan', regions: ['us-east-1'] },
        { account: '210987654321', roleArn: 'arn:aws:iam::210987654321:role/scan', regions: ['us-east-1'] },
      ]),
    );
    expect(issues).toEqual([
      expect.stringMatching(
        /targets\[1\]\.regions\[0\]: region us-east-1 is already scanned .* by targets\[0\]$/,
      ),
    ]);
  });
});
