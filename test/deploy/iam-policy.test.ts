// deploy/iam/*.json list exactly the AWS actions the code sends: a new SDK command without a policy update fails here.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { findSdkCalls, type SdkCall } from '../support/sdk-calls.js';
import { REPLACEMENT_MODULES, codeActions, isMutating } from '../support/iam-actions.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

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

const { calls, called, scanning, implied } = codeActions(ROOT);
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
