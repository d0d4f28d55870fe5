// Builds a small image root for bake/agent tests: a dpkg status file, config files, a tool, systemd units and links.
import { chmodSync, cpSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const PACKAGES: Record<string, string> = {
  nginx: '1.22.1-9',
  openssl: '3.0.15-1~deb12u1',
  'libc6:amd64': '2.36-9+deb12u9',
  'libc6:i386': '2.36-9+deb12u9',
};

function dpkgStatus(packages: Record<string, string>): string {
  const paragraphs = Object.entries(packages).map(([key, version]) => {
    const [name, arch = 'amd64'] = key.split(':');
    const multiArch = key.includes(':') ? 'Multi-Arch: same\n' : '';
    return `Package: ${name}\nStatus: install ok installed\nPriority: optional\nArchitecture: ${arch}\n${multiArch}Version: ${version}\nDescription: ${name}\n continuation line\n`;
  });
  // A removed package keeps a paragraph with another status: it must not count as installed.
  paragraphs.push(
    'Package: telnet\nStatus: deinstall ok config-files\nArchitecture: amd64\nVersion: 0.17-44\n',
  );
  return `${paragraphs.join('\n')}\n`;
}

function write(root: string, path: string, content: string, mode = 0o644): void {
  const full = join(root, path);
  mkdirSync(dirname(full), { recursive: true });
  writeFileSync(full, content);
  chmodSync(full, mode);
}

/** A root with everything the default selection picks up, plus things it must leave out. */
export function buildHostTree(root: string): void {
  mkdirSync(root, { recursive: true });
  write(root, 'var/lib/dpkg/status', dpkgStatus(PACKAGES));
  write(
    root,
    'etc/passwd',
    'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/usr/sbin/nologin\n',
  );
  write(root, 'etc/ssh/sshd_config', 'PermitRootLogin no\nPasswordAuthentication no\n', 0o600);
  write(root, 'etc/app/app.conf', 'workers = 4\n');
  write(root, 'usr/local/bin/tool', '#!/bin/sh\necho tool\n', 0o755);
  write(root, 'lib/systemd/system/ssh.service', '[Unit]\nDescription=OpenSSH\n');
  write(root, 'lib/systemd/system/nginx.service', '[Unit]\nDescription=nginx\n');
  mkdirSync(join(root, 'etc/systemd/system/multi-user.target.wants'), { recursive: true });
  symlinkSync(
    '/lib/systemd/system/ssh.service',
    join(root, 'etc/systemd/system/multi-user.target.wants/ssh.service'),
  );
  // Per-boot and volatile files the default selection leaves out.
  write(root, 'etc/machine-id', 'b08dfa6083e7567a1921a715000001fb\n');
  write(root, 'var/log/syslog', 'boot\n');
  write(root, 'etc/app/debug.log', 'noise\n');
  // A link loop: links are recorded as links and never followed, so the walk cannot be trapped.
  symlinkSync('loop-b', join(root, 'etc/app/loop-a'));
  symlinkSync('loop-a', join(root, 'etc/app/loop-b'));
  symlinkSync('..', join(root, 'etc/app/parent'));
}

export function copyTree(from: string, to: string): void {
  cpSync(from, to, { recursive: true, verbatimSymlinks: true });
}

/** Changes a package version in the copy's dpkg status. */
export function setPackageVersion(root: string, name: string, version: string): void {
  writeFileSync(join(root, 'var/lib/dpkg/status'), dpkgStatus({ ...PACKAGES, [name]: version }));
}

export function enableService(root: string, unit: string): void {
  symlinkSync(`/lib/systemd/system/${unit}`, join(root, 'etc/systemd/system/multi-user.target.wants', unit));
}
