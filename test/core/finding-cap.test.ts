import { describe, expect, it } from 'vitest';
import {
  boundJobReason,
  describeOmitted,
  findingSection,
  type ReasonEntry,
} from '../../src/core/finding-cap.js';

function reason(path: string, severity: ReasonEntry['severity'] = 'warning'): ReasonEntry {
  return { rule: 'files', severity, path, change: 'added' };
}

describe('finding sections', () => {
  it.each([
    ['image.id', 'image'],
    ['launch.tags["cost:centre"]', 'launch'],
    ['launch.instanceType', 'launch'],
    ['host.files["/etc/ssh/sshd_config"].sha256', 'host.files'],
    ['host.packages.openssl', 'host.packages'],
    ['host.services.telnet', 'host.services'],
    ['host.files', 'host.files'],
  ])('puts %s in section %s', (path, section) => {
    expect(findingSection(path)).toBe(section);
  });

  it('words a summary count for people', () => {
    expect(describeOmitted(99_800)).toBe('and 99,800 more');
  });
});

describe('a job reason', () => {
  it('keeps a short reason as it is', () => {
    const short = [reason('host.files["/a"]'), reason('host.packages.openssl')];
    expect(boundJobReason(short, 2)).toEqual(short);
  });

  it('keeps the first entries per section by path and counts the rest in one truncated entry', () => {
    const files = Array.from({ length: 5000 }, (_, i) =>
      reason(`host.files["/tmp/f${String(i).padStart(5, '0')}"]`),
    );
    files[4999] = reason(files[4999]!.path, 'critical');
    const bounded = boundJobReason([...files].reverse().concat(reason('host.packages.openssl')), 3);
    expect(bounded).toEqual([
      { rule: 'truncated', severity: 'critical', path: 'host.files', change: 'truncated', omitted: 4997 },
      reason('host.files["/tmp/f00000"]'),
      reason('host.files["/tmp/f00001"]'),
      reason('host.files["/tmp/f00002"]'),
      reason('host.packages.openssl'),
    ]);
    expect(JSON.stringify(bounded).length).toBeLessThan(1000);
  });

  it('passes a truncated finding through without counting it against the bound', () => {
    const summary: ReasonEntry = {
      rule: 'truncated',
      severity: 'warning',
      path: 'host.files',
      change: 'truncated',
    };
    const files = [reason('host.files["/a"]'), reason('host.files["/b"]')];
    expect(boundJobReason([...files, summary], 2)).toEqual([...files, summary]);
    expect(boundJobReason([...files, summary], 1)).toEqual([
      summary,
      { rule: 'truncated', severity: 'warning', path: 'host.files', change: 'truncated', omitted: 1 },
      reason('host.files["/a"]'),
    ]);
  });
});
