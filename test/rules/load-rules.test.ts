import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/domain/errors.js';
import { checkRules, loadRules } from '../../src/rules/load-rules.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function rulesDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'driftwarden-rules-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

function issuesOf(dir: string): string[] {
  try {
    loadRules(dir);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).issues;
  }
  throw new Error('expected loadRules to throw');
}

const VALID = `ignore:
  - path: 'launch.tags["aws:*"]'
rules:
  - id: imds-downgrade
    description: IMDSv2 no longer required
    match: { path: launch.metadataOptions.httpTokens }
    severity: critical
    action: replace
    for: 5m
  - id: tag-drift
    match:
      path: [launch.tags.*]
      change: [changed, removed]
    where: { tags: { env: prod }, account: ['123456789012'], region: us-east-1 }
    severity: info
    action: report
`;

describe('loadRules', () => {
  it('loads rules and ignore entries with their source locations', () => {
    const dir = rulesDir({ '10-a.yaml': VALID });
    const ruleSet = loadRules(dir);
    const file = join(dir, '10-a.yaml');
    expect(ruleSet.ignore).toEqual([
      { match: { path: ['launch.tags["aws:*"]'] }, where: null, location: { file, line: 2 } },
    ]);
    expect(ruleSet.rules).toEqual([
      {
        id: 'imds-downgrade',
        description: 'IMDSv2 no longer required',
        match: { path: ['launch.metadataOptions.httpTokens'] },
        where: null,
        severity: 'critical',
        action: 'replace',
        forMs: 300_000,
        approvalRequired: false,
        location: { file, line: 4 },
      },
      {
        id: 'tag-drift',
        description: null,
        match: { path: ['launch.tags.*'], change: ['changed', 'removed'] },
        where: { tags: { env: 'prod' }, account: ['123456789012'], region: ['us-east-1'] },
        severity: 'info',
        action: 'report',
        forMs: null,
        approvalRequired: false,
        location: { file, line: 10 },
      },
    ]);
  });

  it('orders rules by file name, then by position in the file', () => {
    const rule = (id: string) => `rules:\n  - { id: ${id}, match: {}, severity: info, action: report }\n`;
    const dir = rulesDir({
      '20-b.yml': rule('b'),
      '10-a.yaml': rule('a'),
      '30-c.yaml': rule('c'),
      'notes.txt': 'x',
      '.hidden.yaml': rule('h'),
    });
    expect(loadRules(dir).rules.map((r) => r.id)).toEqual(['a', 'b', 'c']);
  });

  it('accepts a file with only comments', () => {
    const dir = rulesDir({ '00-empty.yaml': '# nothing yet\n', '10-a.yaml': VALID });
    expect(loadRules(dir).rules).toHaveLength(2);
  });

  it('reports an unknown key with file, line and key, listing the valid keys', () => {
    const dir = rulesDir({
      '20-launch.yaml': `rules:
  - id: instance-type
    match: { path: launch.instanceType }
    serverity: warning
    severity: warning
    action: report
`,
    });
    const issues = issuesOf(dir);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toContain(
      `${join(dir, '20-launch.yaml')}:4: rules[0].serverity: unknown key "serverity"`,
    );
    expect(issues[0]).toContain('severity');
  });

  it('reports a bad severity naming the accepted values', () => {
    const dir = rulesDir({
      '20-launch.yaml': `rules:
  - id: a
    match: {}
    severity: warning
    action: report
  - id: b
    match: {}
    severity: critcal
    action: report
`,
    });
    expect(issuesOf(dir)).toEqual([
      `${join(dir, '20-launch.yaml')}:8: rules[1].severity: Invalid option: expected one of "info"|"warning"|"critical"`,
    ]);
  });

  it('reports a bad duration', () => {
    const dir = rulesDir({
      'r.yaml':
        'rules:\n  - id: a\n    match: {}\n    severity: info\n    action: replace\n    for: 5 minutes\n',
    });
    const [issue] = issuesOf(dir);
    expect(issue).toMatch(/r\.yaml:6: rules\[0\]\.for: invalid duration "5 minutes"/);
  });

  it('reports "for" on a report rule', () => {
    const dir = rulesDir({
      'r.yaml': 'rules:\n  - id: a\n    match: {}\n    severity: info\n    action: report\n    for: 5m\n',
    });
    expect(issuesOf(dir)).toEqual([
      `${join(dir, 'r.yaml')}:6: rules[0].for: "for" only applies to action "replace" (a report is never delayed)`,
    ]);
  });

  it('reports a glob that does not parse, naming the pattern and line', () => {
    const dir = rulesDir({
      'r.yaml': `ignore:
  - path: 'launch.tags["aws:*'
rules:
  - id: a
    match:
      path:
        - launch.tags.*
        - 'host.files[/etc/hosts]'
    severity: info
    action: report
`,
    });
    const issues = issuesOf(dir);
    expect(issues).toHaveLength(2);
    expect(issues[0]).toMatch(
      /r\.yaml:2: ignore\[0\]\.path\[0\]: invalid path glob "launch\.tags\[\\"aws:\*": .*unterminated string/,
    );
    expect(issues[1]).toMatch(
      /r\.yaml:8: rules\[0\]\.match\.path\[1\]: invalid path glob "host\.files\[\/etc\/hosts\]": .*position 11/,
    );
  });

  it('reports an invalid rule id and an unknown change', () => {
    const dir = rulesDir({
      'r.yaml':
        'rules:\n  - id: Bad_Id\n    match: { change: [modified] }\n    severity: info\n    action: report\n',
    });
    const issues = issuesOf(dir);
    expect(issues[0]).toMatch(/r\.yaml:2: rules\[0\]\.id: must match/);
    expect(issues[1]).toMatch(
      /r\.yaml:3: rules\[0\]\.match\.change\[0\]: Invalid option: expected one of "added"/,
    );
  });

  it('reports an ignore entry without path or change', () => {
    const dir = rulesDir({ 'r.yaml': 'ignore:\n  - where: { region: [us-east-1] }\n' });
    expect(issuesOf(dir)[0]).toMatch(
      /r\.yaml:2: ignore\[0\]: an ignore entry needs at least one of path or change/,
    );
  });

  it('reports an unquoted account id', () => {
    const dir = rulesDir({
      'r.yaml':
        'rules:\n  - id: a\n    match: {}\n    where: { account: [012345678901] }\n    severity: info\n    action: report\n',
    });
    expect(issuesOf(dir)[0]).toMatch(/r\.yaml:4: rules\[0\]\.where\.account\[0\]: expected a quoted string/);
  });

  it('reports a duplicate id across files with both locations', () => {
    const rule = (id: string) =>
      `rules:\n  - id: x\n    match: {}\n    severity: info\n    action: report\n  - id: ${id}\n    match: {}\n    severity: info\n    action: report\n`;
    const dir = rulesDir({
      '10-a.yaml': rule('shared'),
      '20-b.yaml': `# comment\n${rule('y').replace('id: x', 'id: shared')}`,
    });
    const a = join(dir, '10-a.yaml');
    const b = join(dir, '20-b.yaml');
    expect(issuesOf(dir)).toEqual([`${b}:3: rules[0].id: duplicate rule id "shared": ${b}:3 repeats ${a}:6`]);
  });

  it('reports invalid YAML with line and column', () => {
    const dir = rulesDir({
      '10-ok.yaml': VALID,
      '20-bad.yaml': 'rules:\n  - id: a\n    match: { path: [x\n    severity: info\n',
    });
    const issues = issuesOf(dir);
    expect(issues.length).toBeGreaterThan(0);
    expect(issues[0]).toMatch(
      new RegExp(`^${join(dir, '20-bad.yaml').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: `),
    );
  });

  it('reports duplicate keys in a mapping as invalid YAML', () => {
    const dir = rulesDir({
      'r.yaml': 'rules:\n  - id: a\n    id: b\n    match: {}\n    severity: info\n    action: report\n',
    });
    expect(issuesOf(dir)[0]).toMatch(/r\.yaml:3:\d+: .*unique/i);
  });

  it('collects issues from every file in one error', () => {
    const dir = rulesDir({
      '10-a.yaml': 'rules:\n  - id: a\n    match: {}\n    severity: high\n    action: report\n',
      '20-b.yaml': 'rules:\n  - id: b\n    match: {}\n    severity: info\n    action: restart\n',
    });
    const issues = issuesOf(dir);
    expect(issues).toHaveLength(2);
    expect(issues[0]).toContain(`${join(dir, '10-a.yaml')}:4: rules[0].severity`);
    expect(issues[1]).toContain(`${join(dir, '20-b.yaml')}:5: rules[0].action`);
  });

  it('puts every issue in the error message too', () => {
    const dir = rulesDir({
      'r.yaml': 'rules:\n  - id: a\n    match: {}\n    severity: high\n    action: report\n',
    });
    expect(() => loadRules(dir)).toThrow(/invalid rules in .*\n {2}- .*r\.yaml:4: rules\[0\]\.severity/);
  });

  it('rejects a missing directory, naming it', () => {
    const missing = join(tmpdir(), 'driftwarden-no-such-rules-dir');
    expect(() => loadRules(missing)).toThrow(ValidationError);
    expect(() => loadRules(missing)).toThrow(`${missing}: rules directory not found`);
  });

  it('rejects a directory without rule files', () => {
    const dir = rulesDir({ 'README.md': '# rules' });
    expect(() => loadRules(dir)).toThrow(`${dir}: no rule files`);
  });
});

describe('checkRules', () => {
  it('returns the rule set and the files read when valid', () => {
    const dir = rulesDir({ '10-a.yaml': VALID });
    const result = checkRules(dir);
    expect(result.issues).toEqual([]);
    expect(result.files).toEqual([join(dir, '10-a.yaml')]);
    expect(result.ruleSet?.rules.map((r) => r.id)).toEqual(['imds-downgrade', 'tag-drift']);
  });

  it('returns issues and no rule set when invalid, without throwing', () => {
    const dir = rulesDir({ '10-a.yaml': VALID, '20-b.yaml': 'rules: 3\n' });
    const result = checkRules(dir);
    expect(result.ruleSet).toBeNull();
    expect(result.files).toHaveLength(2);
    expect(result.issues).toEqual([
      `${join(dir, '20-b.yaml')}:1: rules: Invalid input: expected array, received number`,
    ]);
  });
});

describe('checkRules with 50,000 invalid rules', () => {
  it('returns every issue naming the file, rather than overflowing the stack', () => {
    const bad = Array.from({ length: 50_000 }, (_, n) => `  - { id: r${n}, severity: nope }\n`).join('');
    const dir = rulesDir({ '10-bad.yaml': `rules:\n${bad}` });
    const result = checkRules(dir);
    expect(result.ruleSet).toBeNull();
    expect(result.issues).toHaveLength(150_000);
    expect(result.issues[0]).toMatch(new RegExp(`^${join(dir, '10-bad.yaml')}:2: rules\\[0\\]\\.`));
  });
});

describe('approval', () => {
  it('marks a replace rule with approval: required, and refuses approval on a report rule', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dw-rules-approval-'));
    try {
      writeFileSync(
        join(dir, 'a.yaml'),
        'rules:\n  - id: gated\n    match: { path: launch.instanceType }\n    severity: warning\n    action: replace\n    approval: required\n',
      );
      expect(loadRules(dir).rules[0]?.approvalRequired).toBe(true);
      writeFileSync(
        join(dir, 'a.yaml'),
        'rules:\n  - id: gated\n    match: { path: launch.instanceType }\n    severity: warning\n    action: report\n    approval: required\n',
      );
      expect(() => loadRules(dir)).toThrow(
        /a\.yaml:6: rules\[0\]\.approval: "approval" only applies to action "replace"/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
