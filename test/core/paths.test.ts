import { describe, expect, it } from 'vitest';
import { formatPath, parsePath } from '../../src/core/paths.js';
import { ValidationError } from '../../src/domain/errors.js';

describe('formatPath', () => {
  it('joins plain keys with dots', () => {
    expect(formatPath(['host', 'packages', 'openssl'])).toBe('host.packages.openssl');
  });

  it('writes keys with other characters as bracketed JSON strings', () => {
    expect(formatPath(['host', 'files', '/etc/ssh/sshd_config', 'sha256'])).toBe(
      'host.files["/etc/ssh/sshd_config"].sha256',
    );
    expect(formatPath(['launch', 'tags', 'aws:cloudformation:stack-name'])).toBe(
      'launch.tags["aws:cloudformation:stack-name"]',
    );
  });

  it('leaves security group ids bare', () => {
    expect(formatPath(['launch', 'securityGroups', 'sg-0bb11cc22dd33ee44'])).toBe(
      'launch.securityGroups.sg-0bb11cc22dd33ee44',
    );
  });

  it('brackets empty keys and keys with dots, quotes or brackets', () => {
    expect(formatPath(['a', '', 'b.c', 'd"e', '[f]'])).toBe('a[""]["b.c"]["d\\"e"]["[f]"]');
  });

  it('brackets a first segment that needs quoting', () => {
    expect(formatPath(['a b', 'c'])).toBe('["a b"].c');
  });
});

describe('parsePath', () => {
  it('reads dotted and bracketed segments', () => {
    expect(parsePath('host.files["/etc/ssh/sshd_config"].sha256')).toEqual([
      'host',
      'files',
      '/etc/ssh/sshd_config',
      'sha256',
    ]);
  });

  it('reads a bracketed form of a bare key as the same segment', () => {
    expect(parsePath('launch.securityGroups["sg-0bb11cc22dd33ee44"]')).toEqual(
      parsePath('launch.securityGroups.sg-0bb11cc22dd33ee44'),
    );
  });

  it('decodes JSON escapes inside brackets', () => {
    expect(parsePath('a["x\\"]y\\u00e9"]')).toEqual(['a', 'x"]yé']);
  });

  it.each([
    ['', 0],
    ['a..b', 2],
    ['.a', 0],
    ['a.', 2],
    ['a[b]', 2],
    ['a["b"', 5],
    ['a["b', 2],
    ['a b', 1],
    ['a.*', 2],
  ])('rejects %j naming position %i', (path, position) => {
    expect(() => parsePath(path)).toThrow(ValidationError);
    expect(() => parsePath(path)).toThrow(`at position ${position}`);
  });

  it('allows * in bare segments only for glob patterns', () => {
    expect(parsePath('launch.tags.*', { wildcards: true })).toEqual(['launch', 'tags', '*']);
    expect(parsePath('host.files.**', { wildcards: true })).toEqual(['host', 'files', '**']);
  });
});
