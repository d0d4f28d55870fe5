// Worker thread of the hash pool: streams one file at a time through sha256 (memory: one read buffer).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { parentPort } from 'node:worker_threads';

export interface HashRequest {
  id: number;
  path: string;
}

export type HashReply =
  { id: number; sha256: string; bytes: number } | { id: number; error: string; code: string | null };

const CHUNK = 1 << 20;

async function hashFile(path: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  // O_NOFOLLOW semantics come from the caller: only regular files (lstat) are sent here.
  for await (const chunk of createReadStream(path, { highWaterMark: CHUNK })) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

parentPort?.on('message', (request: HashRequest) => {
  hashFile(request.path).then(
    (result) => parentPort?.postMessage({ id: request.id, ...result } satisfies HashReply),
    (error: unknown) => {
      const e = error as NodeJS.ErrnoException;
      parentPort?.postMessage({ id: request.id, error: e.message, code: e.code ?? null } satisfies HashReply);
    },
  );
});
