// Installed packages under a root: dpkg's status file and rpm's SQLite database (packageKey → version).
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { type InstalledPackage, keyPackages } from '../core/package-key.js';
import { errorMessage } from '../domain/errors.js';
import type { Skip } from './skips.js';

export interface PackageScan {
  packages: Record<string, string>;
  /** Package databases that were found but could not be read. */
  skipped: Skip[];
  /** Which databases were read (`dpkg`, `rpm`); none means the image has no known package manager. */
  managers: string[];
}

/**
 * Parses `/var/lib/dpkg/status`: only packages whose Status ends in "installed" count.
 * `Multi-Arch: same` packages installed for several architectures are keyed `name:arch` (`packageKey`).
 */
export function parseDpkgStatus(text: string): Record<string, string> {
  const entries: InstalledPackage[] = [];
  for (const paragraph of text.split(/\n[ \t]*\n/)) {
    const fields = new Map<string, string>();
    for (const line of paragraph.split('\n')) {
      const match = /^([A-Za-z][A-Za-z0-9-]*):\s*(.*)$/.exec(line);
      if (match) fields.set((match[1] as string).toLowerCase(), (match[2] as string).trim());
    }
    const name = fields.get('package');
    const version = fields.get('version');
    // Status is "want flag status": held (`hold ok installed`) and to-be-removed packages are installed too.
    if (!name || !version || fields.get('status')?.split(/\s+/)[2] !== 'installed') continue;
    entries.push({ name, version, arch: fields.get('architecture') ?? '' });
  }
  return Object.fromEntries(keyPackages(entries));
}

// rpm header tags (rpmtag.h) and types.
const TAG_NAME = 1000;
const TAG_VERSION = 1001;
const TAG_RELEASE = 1002;
const TAG_EPOCH = 1003;
const TAG_ARCH = 1022;
const TYPE_INT32 = 4;
const TYPE_STRING = 6;

/**
 * Reads name, epoch, version, release and architecture (`''` when the header has none) from an rpm header blob as rpm stores it in
 * `rpmdb.sqlite` (no lead magic): index count, data length, 16-byte index entries, data store.
 */
export function parseRpmHeader(blob: Buffer): InstalledPackage | null {
  if (blob.length < 8) return null;
  const count = blob.readUInt32BE(0);
  const dataLength = blob.readUInt32BE(4);
  const dataStart = 8 + count * 16;
  if (dataStart + dataLength > blob.length) return null;
  const values = new Map<number, string | number>();
  for (let i = 0; i < count; i += 1) {
    const at = 8 + i * 16;
    const tag = blob.readUInt32BE(at);
    const type = blob.readUInt32BE(at + 4);
    const offset = dataStart + blob.readUInt32BE(at + 8);
    if (offset >= dataStart + dataLength) continue;
    if (type === TYPE_STRING && [TAG_NAME, TAG_VERSION, TAG_RELEASE, TAG_ARCH].includes(tag)) {
      const end = blob.indexOf(0, offset);
      values.set(tag, blob.toString('utf8', offset, end === -1 ? dataStart + dataLength : end));
    } else if (type === TYPE_INT32 && tag === TAG_EPOCH && offset + 4 <= blob.length) {
      values.set(tag, blob.readUInt32BE(offset));
    }
  }
  const name = values.get(TAG_NAME);
  const version = values.get(TAG_VERSION);
  if (typeof name !== 'string' || typeof version !== 'string') return null;
  const release = values.get(TAG_RELEASE);
  const epoch = values.get(TAG_EPOCH);
  const evr = `${typeof epoch === 'number' && epoch > 0 ? `${epoch}:` : ''}${version}${typeof release === 'string' ? `-${release}` : ''}`;
  const arch = values.get(TAG_ARCH);
  return { name, version: evr, arch: typeof arch === 'string' ? arch : '' };
}

/**
 * better-sqlite3 is loaded only when an rpm database is there: the agent runs on every host from a
 * timer, and dpkg hosts should not pay for (or need) the native module.
 */
function openReadOnly(path: string): BetterSqlite3.Database {
  const Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
  return new Database(path, { readonly: true, fileMustExist: true });
}

function readRpmSqlite(path: string): Record<string, string> {
  const db = openReadOnly(path);
  try {
    const entries: InstalledPackage[] = [];
    for (const row of db.prepare<[], { blob: Buffer }>('SELECT blob FROM Packages ORDER BY hnum').iterate()) {
      const header = parseRpmHeader(row.blob);
      if (header && header.name !== 'gpg-pubkey') entries.push(header);
    }
    return Object.fromEntries(keyPackages(entries));
  } finally {
    db.close();
  }
}

/** Both databases may exist (an rpm-based image with dpkg installed): their packages are merged. */
export function scanPackages(root: string): PackageScan {
  const scan: PackageScan = { packages: {}, skipped: [], managers: [] };
  const dpkg = join(root, 'var/lib/dpkg/status');
  if (existsSync(dpkg)) {
    try {
      Object.assign(scan.packages, parseDpkgStatus(readFileSync(dpkg, 'utf8')));
      scan.managers.push('dpkg');
    } catch (error) {
      scan.skipped.push({ path: '/var/lib/dpkg/status', reason: errorMessage(error) });
    }
  }
  for (const dir of ['var/lib/rpm', 'usr/lib/sysimage/rpm']) {
    const sqlite = join(root, dir, 'rpmdb.sqlite');
    if (existsSync(sqlite)) {
      try {
        Object.assign(scan.packages, readRpmSqlite(sqlite));
        scan.managers.push('rpm');
      } catch (error) {
        scan.skipped.push({
          path: `/${dir}/rpmdb.sqlite`,
          reason: `cannot read the rpm database: ${errorMessage(error)}`,
        });
      }
      break;
    }
    if (existsSync(join(root, dir, 'Packages'))) {
      scan.skipped.push({
        path: `/${dir}/Packages`,
        reason:
          'Berkeley DB rpm databases are not supported; run `rpm --rebuilddb` to convert to rpmdb.sqlite',
      });
      break;
    }
  }
  return scan;
}
