// deploy/iam/*.json list exactly the AWS actions the code sends: a new SDK command without a policy update fails here.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** SDK client package → IAM service prefix. An unknown package fails the scan (add it here and to the policies). */
const SERVICE_PREFIX: Record<string, string> = {
  'client-auto-scaling': 'autoscaling',
  'client-config-service': 'config',
  'client-ec2': 'ec2',
  'client-sts': 'sts',
};

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

interface SdkCall {
  action: string;
  file: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|mts|js|mjs)$/.test(e.name) && !e.name.endsWith('.d.ts'))
    .map((e) => join(e.parentPath, e.name));
}

/**
 * Every AWS action a source tree sends: `new XCommand(` and `paginateX` resolved through the file's
 * imports from `@aws-sdk/client-*`.
 */
function findSdkCalls(root: string, dir: string): SdkCall[] {
  const calls: SdkCall[] = [];
  for (const path of sourceFiles(join(root, dir))) {
    const file = relative(root, path).split(sep).join('/');
    const text = readFileSync(path, 'utf8');
    const imported = new Map<string, string>(); // local name → IAM action
    for (const m of text.matchAll(/import\s+(type\s+)?\{([^}]*)\}\s*from\s*['"]@aws-sdk\/([\w-]+)['"]/g)) {
      if (m[1]) continue; // `import type { … }`
      const pkg = m[3] as string;
      const names = (m[2] as string)
        .split(',')
        .map((n) => n.trim())
        .filter((n) => n !== '' && !n.startsWith('type '));
      for (const name of names) {
        const [original, local = original] = name.split(/\s+as\s+/) as [string, string?];
        const operation = /^(\w+)Command$/.exec(original)?.[1] ?? /^paginate(\w+)$/.exec(original)?.[1];
        if (operation === undefined) continue;
        const prefix = SERVICE_PREFIX[pkg];
        if (prefix === undefined)
          throw new Error(
            `${file}: @aws-sdk/${pkg} has no IAM prefix in SERVICE_PREFIX (add it, and the actions to deploy/iam/)`,
          );
        imported.set(local, `${prefix}:${operation}`);
        calls.push({ action: `${prefix}:${operation}`, file });
      }
    }
    for (const m of text.matchAll(/new\s+(\w+Command)\s*\(/g)) {
      const name = m[1] as string;
      if (!imported.has(name))
        throw new Error(
          `${file}: new ${name}( is not imported from @aws-sdk/client-*; cannot tell its IAM action`,
        );
    }
  }
  return calls.sort((a, b) => a.action.localeCompare(b.action) || a.file.localeCompare(b.file));
}

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
