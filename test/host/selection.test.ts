import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/domain/errors.js';
import { defaultSelection, parseSelection } from '../../src/host/selection.js';

const seg = (path: string): string[] => path.split('/').slice(1);

describe('file selection', () => {
  it('selects the defaults and leaves out per-boot files, logs and virtual file systems', () => {
    const s = defaultSelection();
    for (const path of ['/etc/ssh/sshd_config', '/usr/local/bin/tool', '/lib/systemd/system/ssh.service'])
      expect(s.selects(seg(path)), path).toBe(true);
    for (const path of [
      '/etc/machine-id',
      '/etc/ssh/ssh_host_ed25519_key',
      '/etc/passwd-',
      '/etc/app/debug.log',
      '/var/log/syslog',
      '/usr/bin/ls',
      '/etc/systemd/system/multi-user.target.wants/ssh.service',
    ])
      expect(s.selects(seg(path)), path).toBe(false);
  });

  it('prunes directories nothing can be selected under', () => {
    const s = parseSelection('/opt/app/conf/*.yml\n!/opt/app/conf/secret/**');
    expect(s.descends(seg('/opt'))).toBe(true);
    expect(s.descends(seg('/opt/app/conf'))).toBe(true);
    expect(s.descends(seg('/opt/app/conf/secret'))).toBe(false);
    expect(s.descends(seg('/usr'))).toBe(false);
    expect(s.selects(seg('/opt/app/conf/a.yml'))).toBe(true);
    expect(s.selects(seg('/opt/app/conf/a.json'))).toBe(false);
  });

  it('never selects /proc, /tmp or /run, even when asked to', () => {
    const s = parseSelection('/**');
    expect(s.selects(seg('/proc/1/status'))).toBe(false);
    expect(s.descends(seg('/proc'))).toBe(false);
    expect(s.descends(seg('/tmp'))).toBe(false);
    expect(s.selects(seg('/run/lock/x'))).toBe(false);
    expect(s.selects(seg('/srv/data'))).toBe(true);
  });

  it('@defaults adds the default lines to your own; excludes win over includes', () => {
    const s = parseSelection('@defaults\n/opt/app/**\n!/etc/app/**');
    expect(s.selects(seg('/opt/app/bin/run'))).toBe(true);
    expect(s.selects(seg('/etc/ssh/sshd_config'))).toBe(true);
    expect(s.selects(seg('/etc/app/app.conf'))).toBe(false);
  });

  it('names the file and line of every bad pattern', () => {
    const parse = (): unknown => parseSelection('# ok\n/etc/**\netc/relative\n!/var/../etc\n', 'select.txt');
    expect(parse).toThrow(ValidationError);
    expect(parse).toThrow(/select\.txt:3: "etc\/relative": a pattern must be an absolute path/);
    expect(parse).toThrow(/select\.txt:4: "!\/var\/..\/etc": empty, "\." or "\.\." segments are not allowed/);
    expect(() => parseSelection('!/etc/x', 'only-excludes.txt')).toThrow(
      /only-excludes\.txt: no include pattern/,
    );
  });
});
