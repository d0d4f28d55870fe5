// deploy/iam/driftwarden-roles.yaml (CloudFormation, StackSet-ready) grants each member role exactly the actions the code sends with it.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseCloudFormation } from '../support/cfn-yaml.js';
import { DAEMON_PRINCIPAL_MODULES, codeActions, isMutating, unique } from '../support/iam-actions.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const FILE = 'deploy/iam/driftwarden-roles.yaml';

const statement = z.looseObject({
  Effect: z.enum(['Allow', 'Deny']),
  Action: z.union([z.string(), z.array(z.string())]),
  Principal: z.unknown().optional(),
  Condition: z.unknown().optional(),
});
const policyDocument = z.strictObject({ Version: z.literal('2012-10-17'), Statement: z.array(statement) });
const role = z.looseObject({
  Type: z.literal('AWS::IAM::Role'),
  Condition: z.string().optional(),
  Properties: z.looseObject({
    RoleName: z.unknown(),
    AssumeRolePolicyDocument: policyDocument,
    Policies: z.array(z.strictObject({ PolicyName: z.string(), PolicyDocument: policyDocument })),
  }),
});
const template = z.strictObject({
  AWSTemplateFormatVersion: z.literal('2010-09-09'),
  Description: z.string(),
  Metadata: z.unknown().optional(),
  Parameters: z.record(z.string(), z.looseObject({ Type: z.string(), Default: z.string().optional() })),
  Rules: z.record(z.string(), z.unknown()),
  Conditions: z.record(z.string(), z.unknown()),
  Resources: z.record(z.string(), z.looseObject({ Type: z.string(), Condition: z.string().optional() })),
  Outputs: z.record(z.string(), z.looseObject({ Value: z.unknown(), Condition: z.string().optional() })),
});

const parsed = template.parse(parseCloudFormation(readFileSync(join(ROOT, FILE), 'utf8'), FILE));
const scanRole = role.parse(parsed.Resources.ScanRole);
const enforceRole = role.parse(parsed.Resources.EnforceRole);
const { calls, memberScan, memberEnforce } = codeActions(ROOT);

function allowed(r: z.infer<typeof role>): string[] {
  return unique(
    r.Properties.Policies.flatMap((p) => p.PolicyDocument.Statement)
      .filter((s) => s.Effect === 'Allow')
      .flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])),
  );
}

const NONE = { missing: [], extra: [] };

/** What a role lacks of the actions the code needs, and what it grants beyond them: both must be empty. */
function difference(granted: string[], needed: string[]): { missing: string[]; extra: string[] } {
  return {
    missing: needed.filter((a) => !granted.includes(a)),
    extra: granted.filter((a) => !needed.includes(a)),
  };
}

/** Every `{key: value}` object at any depth of the template whose key is `key`. */
function intrinsics(value: unknown, key: string): unknown[] {
  if (Array.isArray(value)) return value.flatMap((v) => intrinsics(v, key));
  if (typeof value !== 'object' || value === null) return [];
  const own = Object.entries(value);
  return [
    ...own.filter(([k]) => k === key).map(([, v]): unknown => v),
    ...own.flatMap(([, v]) => intrinsics(v, key)),
  ];
}

const GET_ATT = z.tuple([z.string(), z.string()]);
const PSEUDO_PARAMETERS = [
  'AWS::AccountId',
  'AWS::Partition',
  'AWS::Region',
  'AWS::StackName',
  'AWS::URLSuffix',
];

describe(FILE, () => {
  it('derives the member roles from the code: the AssumeRole call is the daemon principal’s own', () => {
    expect(
      calls.some((c) => DAEMON_PRINCIPAL_MODULES.includes(c.file) && c.action === 'sts:AssumeRole'),
    ).toBe(true);
    expect(memberScan).toContain('ec2:DescribeInstances');
    expect(memberEnforce).toEqual(expect.arrayContaining(['ec2:RunInstances', 'iam:PassRole']));
    expect([...memberScan, ...memberEnforce]).not.toContain('sts:AssumeRole');
  });

  it('grants the scan role exactly the scanning actions, none of them mutating', () => {
    expect(difference(allowed(scanRole), memberScan)).toEqual(NONE);
    expect(allowed(scanRole).filter(isMutating)).toEqual([]);
  });

  it('grants the enforce role exactly the scanning and replacing actions, and what IAM checks with them', () => {
    expect(difference(allowed(enforceRole), memberEnforce)).toEqual(NONE);
  });

  it('creates the enforce role only when CreateEnforceRole is true (default false)', () => {
    expect(enforceRole.Condition).toBe('WithEnforceRole');
    expect(parsed.Conditions.WithEnforceRole).toEqual({
      'Fn::Equals': [{ Ref: 'CreateEnforceRole' }, 'true'],
    });
    expect(parsed.Parameters.CreateEnforceRole?.Default).toBe('false');
    expect(scanRole.Condition).toBeUndefined();
    expect(parsed.Outputs.EnforceRoleArn?.Condition).toBe('WithEnforceRole');
  });

  it('lets the enforce role pass to EC2 only the roles PassRoleArns lists, which CreateEnforceRole=true requires', () => {
    const passRole = enforceRole.Properties.Policies.flatMap((p) => p.PolicyDocument.Statement).filter(
      (s) => s.Action === 'iam:PassRole' || (Array.isArray(s.Action) && s.Action.includes('iam:PassRole')),
    );
    expect(passRole).toEqual([
      {
        Sid: 'LaunchWithTheOldInstanceProfile',
        Effect: 'Allow',
        Action: 'iam:PassRole',
        Resource: { Ref: 'PassRoleArns' },
        Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
      },
    ]);
    expect(parsed.Parameters.PassRoleArns).toMatchObject({ Type: 'CommaDelimitedList', Default: '' });
    // Empty by default (a scan-only stack needs none); a stack with the enforce role must list them.
    expect(parsed.Rules.PassRoleArnsWithEnforceRole).toMatchObject({
      RuleCondition: { 'Fn::Equals': [{ Ref: 'CreateEnforceRole' }, 'true'] },
      Assertions: [{ Assert: { 'Fn::Not': [{ 'Fn::Contains': [{ Ref: 'PassRoleArns' }, ''] }] } }],
    });
  });

  it('lets only the daemon principal assume each role, with the external id', () => {
    for (const r of [scanRole, enforceRole]) {
      expect(r.Properties.AssumeRolePolicyDocument.Statement).toEqual([
        {
          Effect: 'Allow',
          Principal: { AWS: { Ref: 'TrustedPrincipalArn' } },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'sts:ExternalId': { Ref: 'ExternalId' } } },
        },
      ]);
    }
    expect(parsed.Parameters.ExternalId).toMatchObject({ Type: 'String', NoEcho: true });
  });

  it('names the roles so the scanning account’s policy may assume them (driftwarden*)', () => {
    const scanPolicy = readFileSync(join(ROOT, 'deploy/iam/scan-policy.json'), 'utf8');
    expect(scanPolicy).toContain('"Resource": "arn:aws:iam::*:role/driftwarden*"');
    expect(scanRole.Properties.RoleName).toEqual({ Ref: 'ScanRoleName' });
    expect(enforceRole.Properties.RoleName).toEqual({ Ref: 'EnforceRoleName' });
    for (const name of ['ScanRoleName', 'EnforceRoleName'])
      expect(parsed.Parameters[name]?.Default).toMatch(/^driftwarden/);
  });

  it('refers only to parameters, resources and conditions it declares', () => {
    const names = [...Object.keys(parsed.Parameters), ...Object.keys(parsed.Resources), ...PSEUDO_PARAMETERS];
    const refs = intrinsics(parsed, 'Ref');
    const subVariables = intrinsics(parsed, 'Fn::Sub').flatMap((s) =>
      typeof s === 'string' ? [...s.matchAll(/\$\{([^}!.]+)\}/g)].map((m): unknown => m[1]) : [],
    );
    expect(refs.length).toBeGreaterThan(0);
    expect([...refs, ...subVariables].filter((r) => typeof r !== 'string' || !names.includes(r))).toEqual([]);
    const resources = Object.keys(parsed.Resources);
    const getAtts = intrinsics(parsed, 'Fn::GetAtt').map((g) => GET_ATT.safeParse(g));
    expect(getAtts.length).toBeGreaterThan(0);
    expect(getAtts.filter((g) => !g.success || !resources.includes(g.data[0]))).toEqual([]);
    const conditions = [
      ...Object.values(parsed.Resources).map((r) => r.Condition),
      ...Object.values(parsed.Outputs).map((o) => o.Condition),
      ...intrinsics(parsed, 'Fn::If').map((f): unknown => (Array.isArray(f) ? f[0] : f)),
    ].filter((c) => c !== undefined);
    expect(conditions.filter((c) => typeof c !== 'string' || !(c in parsed.Conditions))).toEqual([]);
  });
});

describe('the CloudFormation YAML reader', () => {
  it('reads short-form intrinsic tags on scalars, sequences and mappings', () => {
    const text = [
      'a: !Ref Param',
      'b: !GetAtt Role.Arn',
      "c: !Sub 'arn:${AWS::Partition}:x'",
      "d: !If [Cond, !Not [!Equals [!Ref P, 'true']], !Ref AWS::NoValue]",
      'e: !Sub',
      '  - ${X}',
      '  - { X: !ImportValue other }',
      'f: !Base64 { "Fn::Join": ["", [a, b]] }',
    ].join('\n');
    expect(parseCloudFormation(text, 't.yaml')).toEqual({
      a: { Ref: 'Param' },
      b: { 'Fn::GetAtt': ['Role', 'Arn'] },
      c: { 'Fn::Sub': 'arn:${AWS::Partition}:x' },
      d: {
        'Fn::If': [
          'Cond',
          { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'P' }, 'true'] }] },
          { Ref: 'AWS::NoValue' },
        ],
      },
      e: { 'Fn::Sub': ['${X}', { X: { 'Fn::ImportValue': 'other' } }] },
      f: { 'Fn::Base64': { 'Fn::Join': ['', ['a', 'b']] } },
    });
  });

  it('refuses a tag CloudFormation does not know, naming the file', () => {
    expect(() => parseCloudFormation('a: !Reff Param', 'roles.yaml')).toThrow(
      /roles\.yaml: .*Unresolved tag: !Reff/,
    );
  });
});
