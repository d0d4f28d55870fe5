import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { scanServices } from '../../src/host/services.js';

let dir: string | null = null;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = null;
});

describe('services', () => {
  it('reports units linked from .wants/.requires as enabled and /dev/null links as masked', () => {
    dir = mkdtempSync(join(tmpdir(), 'dw-svc-'));
    const units = join(dir, 'etc/systemd/system');
    mkdirSync(join(units, 'multi-user.target.wants'), { recursive: true });
    mkdirSync(join(units, 'timers.target.wants'), { recursive: true });
    mkdirSync(join(units, 'sockets.target.requires'), { recursive: true });
    symlinkSync('/lib/systemd/system/ssh.service', join(units, 'multi-user.target.wants/ssh.service'));
    symlinkSync(
      '/lib/systemd/system/getty@.service',
      join(units, 'multi-user.target.wants/getty@tty1.service'),
    );
    symlinkSync('/lib/systemd/system/apt-daily.timer', join(units, 'timers.target.wants/apt-daily.timer'));
    symlinkSync('/lib/systemd/system/docker.socket', join(units, 'sockets.target.requires/docker.socket'));
    symlinkSync('/dev/null', join(units, 'rpcbind.service'));
    expect(scanServices(dir)).toEqual({
      services: {
        'apt-daily.timer': 'enabled',
        'docker.socket': 'enabled',
        'getty@tty1': 'enabled',
        rpcbind: 'masked',
        ssh: 'enabled',
      },
      skipped: [],
    });
  });

  it('declares no services when the image has no systemd unit directory', () => {
    dir = mkdtempSync(join(tmpdir(), 'dw-svc-'));
    expect(scanServices(dir)).toEqual({ services: null, skipped: [] });
  });
});
