// deploy/iam/*.json list exactly the AWS actions the code sends: a new SDK command without a policy update fails here.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { findSdkCalls, type SdkCall } from '../support/sdk-calls.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Modules that only replacement (`remediation.mode: enforce`) runs; every other AWS call counts as scanning. */
const REPLACEMENT_MODULES = ['src/aws/asg-actions.ts', 'src/aws/ec2-actions.ts'];

/** Not requests of their own, but IAM checks them on these calls: tags set at launch/snapshot, the instance profile's role. */
const IMPLIED_ACTIONS: Record<string, string[]> = {
  'ec2:CreateSnapshot': ['ec2:CreateTags'],
  'ec2:RunInstances': ['ec2:CreateTags', 'iam:PassRole'],
};

/** Reads nothing but is no Describe/Get/List either. */
const NON_MUTATING = new Set(['sts:AssumeRole']);
const READ_ONLY_VERB = /^(Describe|Get|List|BatchGet|Select)[A-Z]/;

interface Statement {
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
}

function policyActions(name: string): string[] {
  const policy = JSON.parse(readFileSync(join(ROOT, 'deploy/iam', name), 'utf8')) as {
    Version: string;
    Statement: Statement[];
  };
  expect(policy.Version).toBe('2012-10-17');
  const actions = policy.Statement.filter((s) => s.Effect === 'Allow').flatMap((s) =>
    Array.isArray(s.Action) ? s.Action : [s.Action],
  );
  return [...new Set(actions)].sort();
}

const unique = (xs: string[]): string[] => [...new Set(xs)].sort();
const isMutating = (action: string): boolean =>
  !NON_MUTATING.has(action) && !READ_ONLY_VERB.test(action.split(':')[1] ?? '');

const calls = findSdkCalls(ROOT, 'src');
const called = unique(calls.map((c) => c.action));
const scanning = unique(calls.filter((c) => !REPLACEMENT_MODULES.includes(c.file)).map((c) => c.action));
const implied = unique(called.flatMap((a) => IMPLIED_ACTIONS[a] ?? []));
const scanPolicy = policyActions('scan-policy.json');
const enforcePolicy = policyActions('enforce-policy.json');

describe('deploy/iam policies', () => {
  it('finds the AWS calls the daemon makes (sanity check of the source scan)', () => {
    expect(called).toEqual(
      expect.arrayContaining(['ec2:DescribeInstances', 'sts:AssumeRole', 'autoscaling:SetDesiredCapacity']),
    );
    for (const module of REPLACEMENT_MODULES) expect(calls.some((c) => c.file === module)).toBe(true);
  });

  it('enforce policy allows every action the code calls, and what IAM checks alongside them', () => {
    expect(called.filter((a) => !enforcePolicy.includes(a))).toEqual([]);
    expect(implied.filter((a) => !enforcePolicy.includes(a))).toEqual([]);
  });

  it('scan policy allows every action the scanning code calls', () => {
    expect(scanning.filter((a) => !scanPolicy.includes(a))).toEqual([]);
  });

  it('scan policy contains no mutating action', () => {
    expect(scanPolicy.filter(isMutating)).toEqual([]);
  });

  it('no policy lists an action the code never calls, nor a wildcard', () => {
    for (const policy of [scanPolicy, enforcePolicy]) {
      expect(policy.filter((a) => !called.includes(a) && !implied.includes(a))).toEqual([]);
      expect(policy.filter((a) => a.includes('*'))).toEqual([]);
    }
  });
});

describe('the source scan', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dw-iam-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function scanTree(files: Record<string, string>): SdkCall[] {
    const root = mkdtempSync(join(dir, 'tree-'));
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, file)), { recursive: true });
      writeFileSync(join(root, file), text);
    }
    return findSdkCalls(root, 'src');
  }

  it('sees a newly added command, aliased imports and paginators, and skips type-only imports', () => {
    const found = scanTree({
      'src/aws/new-thing.ts': [
        "import { RebootInstancesCommand, DescribeVpcsCommand as Vpcs, type EC2Client } from '@aws-sdk/client-ec2';",
        "import { paginateDescribeAutoScalingGroups } from '@aws-sdk/client-auto-scaling';",
        "import type { StopInstancesCommand } from '@aws-sdk/client-ec2';",
        'new RebootInstancesCommand({}); new Vpcs({});',
      ].join('\n'),
    });
    expect(found.map((c) => c.action)).toEqual([
      'autoscaling:DescribeAutoScalingGroups',
      'ec2:DescribeVpcs',
      'ec2:RebootInstances',
    ]);
    expect(isMutating('ec2:RebootInstances')).toBe(true);
  });

  it('refuses a client package it has no IAM prefix for, and a command it cannot place', () => {
    expect(() =>
      scanTree({
        'src/a.ts': "import { PutObjectCommand } from '@aws-sdk/client-s3';\nnew PutObjectCommand({});",
      }),
    ).toThrow(/client-s3 has no IAM prefix/);
    expect(() => scanTree({ 'src/b.ts': "import { XCommand } from './x.js';\nnew XCommand({});" })).toThrow(
      /new XCommand\( is not imported/,
    );
  });
});
