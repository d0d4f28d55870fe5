import { describe, expect, it } from 'vitest';
import { compilePathGlob } from '../../src/core/path-glob.js';
import { parsePath } from '../../src/core/paths.js';
import { ValidationError } from '../../src/domain/errors.js';

const matches = (pattern: string, path: string): boolean => compilePathGlob(pattern)(parsePath(path));

describe('compilePathGlob', () => {
  it('matches a literal path exactly', () => {
    expect(matches('launch.metadataOptions.httpTokens', 'launch.metadataOptions.httpTokens')).toBe(true);
    expect(matches('launch.metadataOptions.httpTokens', 'launch.metadataOptions.httpEndpoint')).toBe(false);
    expect(matches('launch.metadataOptions', 'launch.metadataOptions.httpTokens')).toBe(false);
  });

  it('matches exactly one segment with *', () => {
    expect(matches('launch.tags.*', 'launch.tags.role')).toBe(true);
    expect(matches('launch.tags.*', 'launch.tags["aws:autoscaling:groupName"]')).toBe(true);
    expect(matches('launch.tags.*', 'launch.tags')).toBe(false);
    expect(matches('host.files.*', 'host.files["/etc/hosts"].mode')).toBe(false);
  });

  it('matches zero or more segments with **', () => {
    const sshd = 'host.files["/etc/ssh/sshd_config"].**';
    expect(matches(sshd, 'host.files["/etc/ssh/sshd_config"]')).toBe(true);
    expect(matches(sshd, 'host.files["/etc/ssh/sshd_config"].sha256')).toBe(true);
    expect(matches(sshd, 'host.files["/etc/hosts"].sha256')).toBe(false);
    expect(matches('**.sha256', 'host.files["/etc/hosts"].sha256')).toBe(true);
    expect(matches('**', 'image.id')).toBe(true);
    expect(matches('host.**.mode', 'host.files["/a"].mode')).toBe(true);
    expect(matches('host.**.mode', 'host.mode')).toBe(true);
    expect(matches('host.**.mode', 'host.files["/a"].owner')).toBe(false);
  });

  it('treats * inside a segment as any run of characters within that segment', () => {
    expect(matches('launch.tags["aws:*"]', 'launch.tags["aws:cloudformation:stack-name"]')).toBe(true);
    expect(matches('launch.tags["aws:*"]', 'launch.tags["aws:"]')).toBe(true);
    expect(matches('launch.tags["aws:*"]', 'launch.tags.role')).toBe(false);
    expect(matches('host.packages.lib*', 'host.packages.libssl3')).toBe(true);
    expect(matches('host.files["/etc/*.conf"]', 'host.files["/etc/a.conf"]')).toBe(true);
    expect(matches('host.files["/etc/*.conf"]', 'host.files["/etc/a.confx"]')).toBe(false);
  });

  it('accepts bare and bracketed spellings of the same key', () => {
    expect(matches('launch.tags.role', 'launch.tags["role"]')).toBe(true);
    expect(matches('launch.tags["role"]', 'launch.tags.role')).toBe(true);
  });

  it('treats regex characters in a pattern literally', () => {
    expect(matches('host.files["/a+(b)*"]', 'host.files["/a+(b)x"]')).toBe(true);
    expect(matches('host.files["/a+(b)*"]', 'host.files["/aa(b)x"]')).toBe(false);
  });

  it('stays fast with many ** segments', () => {
    const glob = compilePathGlob('**.**.**.**.**.**.**.**.x');
    const long = Array.from({ length: 40 }, (_, i) => `s${i}`);
    expect(glob(long)).toBe(false);
    expect(glob([...long, 'x'])).toBe(true);
  });

  it('rejects a malformed pattern with a ValidationError', () => {
    expect(() => compilePathGlob('launch.tags["aws:*')).toThrow(ValidationError);
  });
});
