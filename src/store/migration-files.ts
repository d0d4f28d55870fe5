// Finds and reads the numbered SQL migrations shipped in the package's `migrations/` directory.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { TerminalError } from '../domain/errors.js';
import { packagePath } from '../package-root.js';
import { sha256Hex } from '../app/sha256.js';

export interface MigrationFile {
  version: number;
  /** File name without `.sql`, e.g. `0001_initial`. */
  name: string;
  sql: string;
  /** sha256 hex of the file with line endings normalised, so a checkout with CRLF still matches. */
  checksum: string;
}

const FILE_NAME = /^(\d{4,})_([A-Za-z0-9_-]+)\.sql$/;

/** The `migrations/` directory shipped with the package. */
export function defaultMigrationsDir(): string {
  return packagePath('migrations');
}

/** Migrations sorted by version; a `.sql` file with a bad name or a duplicate version is an error. */
export function loadMigrationFiles(directory: string = defaultMigrationsDir()): MigrationFile[] {
  const files: MigrationFile[] = [];
  for (const entry of readdirSync(directory)
    .filter((f) => f.endsWith('.sql'))
    .sort()) {
    const match = FILE_NAME.exec(entry);
    if (!match) {
      throw new TerminalError(`migration file ${join(directory, entry)} must be named NNNN_name.sql`);
    }
    const version = Number(match[1]);
    const clash = files.find((f) => f.version === version);
    if (clash) {
      throw new TerminalError(`migrations ${clash.name} and ${entry} share version ${version}`);
    }
    const sql = readFileSync(join(directory, entry), 'utf8').replace(/\r\n/g, '\n');
    const checksum = sha256Hex(sql);
    files.push({ version, name: entry.slice(0, -'.sql'.length), sql, checksum });
  }
  files.sort((a, b) => a.version - b.version);
  return files;
}
