// Worker thread of the hash pool: reads one file at a time through sha256 into one reused buffer.
import { createHash } from 'node:crypto';
import { closeSync, constants, openSync, readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';

export interface HashRequest {
  id: number;
  path: string;
}

export type HashReply =
  { id: number; sha256: string; bytes: number } | { id: number; error: string; code: string | null };

const CHUNK = 1 << 20;
/** One reusable buffer per worker: memory stays at 1 MiB per worker whatever the file sizes. */
const buffer = Buffer.allocUnsafe(CHUNK);

/**
 * Synchronous reads on purpose: this thread exists to block on one file at a time, and a read loop
 * into one buffer is several times faster than a stream's per-chunk promises and allocations.
 */
function hashFile(path: string): { sha256: string; bytes: number } {
  const hash = createHash('sha256');
  let bytes = 0;
  // Only regular files (lstat) are sent here; O_NOFOLLOW keeps a file swapped for a link since then from being followed.
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    for (;;) {
      const n = readSync(fd, buffer, 0, CHUNK, null);
      if (n === 0) break;
      hash.update(buffer.subarray(0, n));
      bytes += n;
    }
  } finally {
    closeSync(fd);
  }
  return { sha256: hash.digest('hex'), bytes };
}

parentPort?.on('message', (request: HashRequest) => {
  let reply: HashReply;
  try {
    reply = { id: request.id, ...hashFile(request.path) };
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    reply = { id: request.id, error: e.message, code: e.code ?? null };
  }
  parentPort?.postMessage(reply);
});
