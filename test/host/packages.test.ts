import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { parseDpkgStatus, parseRpmHeader, scanPackages } from '../../src/host/packages.js';

/** An rpm header blob as rpmdb.sqlite stores it: index entries, then the data store. */
function rpmHeader(fields: { name: string; version: string; release?: string; epoch?: number }): Buffer {
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
