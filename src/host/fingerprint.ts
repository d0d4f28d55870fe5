// The host fingerprint of a root directory (packages, selected files, enabled services): one module for `bake` and `agent`,
// so the baked manifest and the running instance are comparable by construction.
import type { Dirent } from 'node:fs';
import { lstat, readdir, readFile, readlink, realpath, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { compareStrings } from '../core/compare-strings.js';
import { ValidationError, errorMessage } from '../domain/errors.js';
import type { FileFingerprint, HostSection } from '../domain/types.js';
import { sha256Hex } from '../app/sha256.js';
import { HashError, HashPool } from './hash-pool.js';
import { scanPackages } from './packages.js';
import type { Selection } from './selection.js';
import { scanServices } from './services.js';
import { decodeName, escapeName, type Skip } from './skips.js';

export interface FingerprintProgress {
  phase: 'walk' | 'hash';
  files: number;
  totalFiles: number;
  bytes: number;
  totalBytes: number;
}

export interface FingerprintOptions {
  root: string;
  selection: Selection;
  /** Hashing worker threads (default: the machine's parallelism). */
  jobs?: number;
  onProgress?(progress: FingerprintProgress): void;
  signal?: AbortSignal;
}

export interface HostFingerprint {
  /** `packages` only when a package database was found, `services` only when systemd's unit directory exists. */
  host: HostSection;
  /** Selected paths (or package databases) that could not be read, sorted by path. */
  skipped: Skip[];
  /** Package managers whose database was read. */
  managers: string[];
  files: number;
  bytes: number;
}

interface Candidate {
  path: string;
  kind: 'file' | 'symlink' | 'other';
  mode: string;
  uid: number;
  size: number;
}

function octalMode(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/** uid → user name from the root's own /etc/passwd (not the machine running bake). */
async function readUsers(root: string): Promise<Map<number, string>> {
  const users = new Map<number, string>();
  let text: string;
  try {
    text = await readFile(join(root, 'etc/passwd'), 'utf8');
  } catch {
    return users;
  }
  for (const line of text.split('\n')) {
    const [name, , uid] = line.split(':');
    if (name && uid !== undefined && /^\d+$/.test(uid) && !users.has(Number(uid)))
      users.set(Number(uid), name);
  }
  return users;
}

async function resolveRoot(root: string): Promise<string> {
  try {
    const real = await realpath(root);
    if (!(await stat(real)).isDirectory()) throw new ValidationError(`--root ${root} is not a directory`);
    return real;
  } catch (error) {
    if (error instanceof ValidationError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ELOOP' ? 'a symbolic link loop' : code === 'ENOENT' ? 'does not exist' : errorMessage(error);
    throw new ValidationError(`--root ${root}: ${why}`);
  }
}

/** An entry whose type the file system did not report (DT_UNKNOWN): only lstat can tell. */
function isUntyped(entry: Dirent<Buffer>): boolean {
  return !(
    entry.isFile() ||
    entry.isDirectory() ||
    entry.isSymbolicLink() ||
    entry.isFIFO() ||
    entry.isSocket() ||
    entry.isBlockDevice() ||
    entry.isCharacterDevice()
  );
}

/** Walks the selected part of the tree without following symbolic links (so a link loop cannot trap it). */
async function walk(
  root: string,
  selection: Selection,
  onFound: (count: number) => void,
  signal: AbortSignal | undefined,
): Promise<{ candidates: Candidate[]; skipped: Skip[] }> {
  const candidates: Candidate[] = [];
  const skipped: Skip[] = [];
  const visit = async (segments: string[]): Promise<void> => {
    signal?.throwIfAborted();
    const dirPath = `/${segments.join('/')}`;
    let entries;
    try {
      entries = await readdir(join(root, ...segments), { withFileTypes: true, encoding: 'buffer' });
    } catch (error) {
      skipped.push({ path: dirPath, reason: `cannot list directory: ${errorMessage(error)}` });
      return;
    }
    for (const entry of entries) {
      const name = decodeName(entry.name);
      if (name === null) {
        const shown = [...segments, escapeName(entry.name)];
        if (entry.isDirectory() ? selection.descends(shown) : selection.selects(shown)) {
          skipped.push({
            path: `/${shown.join('/')}`,
            reason: 'the name is not valid UTF-8 (manifest paths are JSON strings); rename it or exclude it',
          });
        }
        continue;
      }
      const child = [...segments, name];
      if (entry.isDirectory()) {
        if (selection.descends(child)) await visit(child);
        continue;
      }
      if (!selection.selects(child) && !isUntyped(entry)) continue;
      const path = `/${child.join('/')}`;
      try {
        const st = await lstat(join(root, ...child));
        // File systems that do not report entry types (DT_UNKNOWN) are sorted out by lstat.
        if (st.isDirectory()) {
          if (selection.descends(child)) await visit(child);
          continue;
        }
        if (!selection.selects(child)) continue;
        candidates.push({
          path,
          kind: st.isFile() ? 'file' : st.isSymbolicLink() ? 'symlink' : 'other',
          mode: octalMode(st.mode),
          uid: st.uid,
          size: st.isFile() ? st.size : 0,
        });
        onFound(candidates.length);
      } catch (error) {
        skipped.push({ path, reason: errorMessage(error) });
      }
    }
  };
  await visit([]);
  return { candidates, skipped };
}

/**
 * Regular files: sha256 of the content, mode, owner. Symbolic links are recorded as themselves
 * (sha256 of the link target text, never followed). Sockets, FIFOs and devices: mode and owner.
 */
export async function fingerprintHost(options: FingerprintOptions): Promise<HostFingerprint> {
  const root = await resolveRoot(options.root);
  const users = await readUsers(root);
  const owner = (uid: number): string => users.get(uid) ?? String(uid);
  const progress: FingerprintProgress = { phase: 'walk', files: 0, totalFiles: 0, bytes: 0, totalBytes: 0 };
  const report = (): void => options.onProgress?.({ ...progress });

  const { candidates, skipped } = await walk(
    root,
    options.selection,
    (count) => {
      progress.totalFiles = count;
      if (count % 500 === 0) report();
    },
    options.signal,
  );
  candidates.sort((a, b) => compareStrings(a.path, b.path));
  progress.phase = 'hash';
  progress.totalFiles = candidates.length;
  progress.totalBytes = candidates.reduce((sum, c) => sum + c.size, 0);
  report();

  const fingerprints = new Map<string, FileFingerprint>();
  const pool = new HashPool(options.jobs ?? availableParallelism());
  try {
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < candidates.length) {
        options.signal?.throwIfAborted();
        const c = candidates[next++] as Candidate;
        try {
          const base = { mode: c.mode, owner: owner(c.uid) };
          if (c.kind === 'file') {
            const { sha256, bytes } = await pool.hash(join(root, c.path));
            fingerprints.set(c.path, { sha256, ...base });
            progress.bytes += bytes;
          } else if (c.kind === 'symlink') {
            const target = await readlink(join(root, c.path), { encoding: 'buffer' });
            fingerprints.set(c.path, { sha256: sha256Hex(target), ...base });
          } else {
            fingerprints.set(c.path, base);
          }
        } catch (error) {
          // A broken pool is not one unreadable file: fail the fingerprint rather than skip the rest.
          if (!(error instanceof HashError) && c.kind === 'file') throw error;
          const code = error instanceof HashError ? error.code : (error as NodeJS.ErrnoException).code;
          const reason = code === 'EACCES' ? 'permission denied (EACCES)' : errorMessage(error);
          skipped.push({ path: c.path, reason: code === 'ENOENT' ? 'removed while fingerprinting' : reason });
        }
        progress.files += 1;
        if (progress.files % 200 === 0) report();
      }
    };
    // A few files per worker in flight keeps every worker busy without queueing the whole tree.
    await Promise.all(
      Array.from({ length: Math.max(1, (options.jobs ?? availableParallelism()) * 4) }, lane),
    );
  } finally {
    await pool.close();
  }
  report();

  const packages = scanPackages(root);
  const services = scanServices(root);
  const files: Record<string, FileFingerprint> = {};
  for (const c of candidates) {
    const f = fingerprints.get(c.path);
    if (f) files[c.path] = f;
  }
  const sortedPackages = Object.fromEntries(
    Object.entries(packages.packages).sort(([a], [b]) => compareStrings(a, b)),
  );
  return {
    host: {
      ...(packages.managers.length > 0 ? { packages: sortedPackages } : {}),
      files,
      ...(services.services ? { services: services.services } : {}),
    },
    skipped: [...skipped, ...packages.skipped, ...services.skipped].sort((a, b) =>
      compareStrings(a.path, b.path),
    ),
    managers: packages.managers,
    files: candidates.length,
    bytes: progress.bytes,
  };
}
