import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { diffHostSources } from '../../src/core/host-diff.js';
import { alignPackageKeys } from '../../src/core/package-key.js';
import { parseDpkgStatus, parseRpmHeader, scanPackages } from '../../src/host/packages.js';
import { toHostSection } from '../../src/sources/aws-config/inventory-mapper.js';

/** An rpm header blob as rpmdb.sqlite stores it: index entries, then the data store. */
function rpmHeader(fields: {
  name: string;
  version: string;
  release?: string;
  epoch?: number;
  arch?: string;
}): Buffer {
  const entries: { tag: number; type: number; data: Buffer }[] = [
    { tag: 1000, type: 6, data: Buffer.from(`${fields.name}\0`) },
    { tag: 1001, type: 6, data: Buffer.from(`${fields.version}\0`) },
  ];
  if (fields.release) entries.push({ tag: 1002, type: 6, data: Buffer.from(`${fields.release}\0`) });
  if (fields.epoch !== undefined) {
    const epoch = Buffer.alloc(4);
    epoch.writeUInt32BE(fields.epoch);
    entries.push({ tag: 1003, type: 4, data: epoch });
  }
  if (fields.arch) entries.push({ tag: 1022, type: 6, data: Buffer.from(`${fields.arch}\0`) });
  const index = Buffer.alloc(entries.length * 16);
  const store: Buffer[] = [];
  let offset = 0;
  entries.forEach((e, i) => {
    index.writeUInt32BE(e.tag, i * 16);
    index.writeUInt32BE(e.type, i * 16 + 4);
    index.writeUInt32BE(offset, i * 16 + 8);
    index.writeUInt32BE(1, i * 16 + 12);
    store.push(e.data);
    offset += e.data.length;
  });
  const head = Buffer.alloc(8);
  head.writeUInt32BE(entries.length, 0);
  head.writeUInt32BE(offset, 4);
  return Buffer.concat([head, index, ...store]);
}

/** A root whose rpmdb.sqlite holds these headers, in this order. */
function rpmRoot(headers: Parameters<typeof rpmHeader>[0][]): string {
  const root = mkdtempSync(join(tmpdir(), 'dw-rpm-'));
  mkdirSync(join(root, 'var/lib/rpm'), { recursive: true });
  const db = new Database(join(root, 'var/lib/rpm/rpmdb.sqlite'));
  db.exec('CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)');
  const insert = db.prepare('INSERT INTO Packages (blob) VALUES (?)');
  for (const header of headers) insert.run(rpmHeader(header));
  db.close();
  return root;
}

let dir: string | null = null;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = null;
});

describe('packages', () => {
  it('counts only installed dpkg packages and keys multi-arch duplicates by architecture', () => {
    const status = [
      'Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nMulti-Arch: same\nVersion: 2.36-9\n',
      'Package: libc6\nStatus: install ok installed\nArchitecture: i386\nMulti-Arch: same\nVersion: 2.36-9\n',
      'Package: curl\nStatus: install ok installed\nArchitecture: amd64\nVersion: 7.88.1-10\nDescription: x\n more\n',
      'Package: telnet\nStatus: deinstall ok config-files\nVersion: 0.17\n',
    ].join('\n');
    expect(parseDpkgStatus(status)).toEqual({
      'libc6:amd64': '2.36-9',
      'libc6:i386': '2.36-9',
      curl: '7.88.1-10',
    });
  });

  it('reads rpm packages (epoch:version-release) from a real rpmdb.sqlite, leaving out gpg-pubkey', () => {
    dir = mkdtempSync(join(tmpdir(), 'dw-rpm-'));
    mkdirSync(join(dir, 'var/lib/rpm'), { recursive: true });
    const db = new Database(join(dir, 'var/lib/rpm/rpmdb.sqlite'));
    db.exec('CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)');
    const insert = db.prepare('INSERT INTO Packages (blob) VALUES (?)');
    insert.run(rpmHeader({ name: 'openssl', version: '3.0.8', release: '1.amzn2023', epoch: 1 }));
    insert.run(rpmHeader({ name: 'bash', version: '5.2.15', release: '1.amzn2023' }));
    insert.run(rpmHeader({ name: 'gpg-pubkey', version: 'd832c631', release: '5f4b' }));
    db.close();
    expect(scanPackages(dir)).toEqual({
      packages: { openssl: '1:3.0.8-1.amzn2023', bash: '5.2.15-1.amzn2023' },
      skipped: [],
      managers: ['rpm'],
    });
  });

  it('reports a Berkeley DB rpm database and a truncated header instead of guessing', () => {
    dir = mkdtempSync(join(tmpdir(), 'dw-rpm-'));
    mkdirSync(join(dir, 'var/lib/rpm'), { recursive: true });
    writeFileSync(join(dir, 'var/lib/rpm/Packages'), 'bdb');
    const { skipped } = scanPackages(dir);
    expect(skipped.map((s) => s.path)).toEqual(['/var/lib/rpm/Packages']);
    expect(skipped[0]?.reason).toContain('Berkeley DB');
    expect(parseRpmHeader(rpmHeader({ name: 'a', version: '1' }).subarray(0, 20))).toBeNull();
  });
});

describe('package keys shared by bake, the agent and AWS Config', () => {
  const multilib = [
    { name: 'glibc', version: '2.34', release: '52.amzn2023', arch: 'x86_64' },
    { name: 'glibc', version: '2.34', release: '52.amzn2023', arch: 'i686' },
    { name: 'bash', version: '5.2.15', release: '1.amzn2023', arch: 'x86_64' },
  ];

  it('keys an rpm package installed for two architectures by name:arch, each with its version', () => {
    dir = rpmRoot(multilib);
    expect(scanPackages(dir).packages).toEqual({
      'glibc:x86_64': '2.34-52.amzn2023',
      'glibc:i686': '2.34-52.amzn2023',
      bash: '5.2.15-1.amzn2023',
    });
  });

  it('finds no drift on a multilib rpm host fingerprinted by bake, the agent and SSM inventory', () => {
    dir = rpmRoot(multilib);
    const baked = scanPackages(dir).packages;
    const inventory = toHostSection(
      JSON.stringify({
        'AWS:Application': {
          Content: multilib.map((p) => ({
            Name: p.name,
            Version: p.version,
            Release: p.release,
            Architecture: p.arch,
          })),
        },
      }),
    );
    expect(inventory?.packages).toEqual(baked);
    const observedAt = '2026-12-01T00:00:00.000Z';
    expect(
      diffHostSources({ packages: baked }, [
        { instanceId: 'i-1', source: 'agent', observedAt, host: { packages: scanPackages(dir).packages } },
        { instanceId: 'i-1', source: 'aws-config', observedAt, host: inventory ?? {} },
      ]),
    ).toEqual([]);
  });

  it('reads a manifest baked before arch keys (multilib listed once by name) as matching', () => {
    dir = rpmRoot(multilib);
    const legacy = { glibc: '2.34-52.amzn2023', bash: '5.2.15-1.amzn2023' };
    const agent = { instanceId: 'i-1', source: 'agent' as const, observedAt: '2026-12-01T00:00:00.000Z' };
    expect(
      diffHostSources({ packages: legacy }, [{ ...agent, host: { packages: scanPackages(dir).packages } }]),
    ).toEqual([]);
    // An old agent's push against a new manifest reads the same way.
    expect(
      diffHostSources({ packages: scanPackages(dir).packages }, [{ ...agent, host: { packages: legacy } }]),
    ).toEqual([]);
  });

  it('still reports a legacy key when the architectures carry different versions, or a real change', () => {
    expect(
      alignPackageKeys({ glibc: '2.34-52' }, { 'glibc:x86_64': '2.34-53', 'glibc:i686': '2.34-52' }),
    ).toEqual({
      expected: { glibc: '2.34-52' },
      actual: { 'glibc:x86_64': '2.34-53', 'glibc:i686': '2.34-52' },
    });
    const agent = { instanceId: 'i-1', source: 'agent' as const, observedAt: '2026-12-01T00:00:00.000Z' };
    const host = { packages: { 'glibc:x86_64': '2.34-53', 'glibc:i686': '2.34-53' } };
    expect(diffHostSources({ packages: { glibc: '2.34-52' } }, [{ ...agent, host }])).toEqual([
      { path: ['host', 'packages', 'glibc'], change: 'changed', expected: '2.34-52', actual: '2.34-53' },
    ]);
  });
});

describe('dpkg status', () => {
  it('counts held and to-be-removed packages that are still installed', () => {
    const status = [
      'Package: nginx\nStatus: hold ok installed\nVersion: 1.22.1-9\n',
      'Package: vim\nStatus: deinstall ok installed\nVersion: 2:9.0.1378-2\n',
      'Package: telnet\nStatus: deinstall ok config-files\nVersion: 0.17\n',
      'Package: half\nStatus: install reinstreq half-installed\nVersion: 1\n',
    ].join('\n');
    expect(parseDpkgStatus(status)).toEqual({ nginx: '1.22.1-9', vim: '2:9.0.1378-2' });
  });
});
